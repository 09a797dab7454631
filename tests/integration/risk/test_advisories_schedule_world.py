"""Scheduling of the advisory lookups: a component with a release-age gate that holds nothing
back decides (and resolves) without waiting for them, and is annotated with them afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from world import TODAY, serve_world, world_fetcher

from release.manifest.load import load_manifest
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check
from release.upstream.http import HttpFetcher
from release.upstream.interface import DEFAULT_MAX_BYTES, FetchResult
from release.versioning import BumpKind

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest


class AdvisoriesAfterResolve:
    """A fetcher whose advisory requests wait until a request of the candidate's resolution
    (a URL naming `version`) was sent: a decision that waited for advisories would never come."""

    def __init__(self, inner: HttpFetcher, version: str) -> None:
        self.inner = inner
        self.version = version
        self.resolving = asyncio.Event()
        self.stats = inner.stats

    async def _gate(self, url: str) -> None:
        if "security-advisories" in url or "api.osv.dev" in url:
            await self.resolving.wait()
        elif self.version in url:  # the listings name no version
            self.resolving.set()

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES, ok: tuple[int, ...] = (200,)) -> FetchResult:
        await self._gate(url)
        return await self.inner.get(url, headers=headers, max_bytes=max_bytes, ok=ok)

    async def head(self, url: str, *, headers: Mapping[str, str] | None = None,
                   ok: tuple[int, ...] = (200,)) -> FetchResult:
        await self._gate(url)
        return await self.inner.head(url, headers=headers, ok=ok)

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str] | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES, ok: tuple[int, ...] = (200,)) -> FetchResult:
        await self._gate(url)
        return await self.inner.post(url, content=content, headers=headers, max_bytes=max_bytes,
                                     ok=ok)

    async def sha256_of(self, url: str, *, max_bytes: int, revalidate: bool = False) -> str:
        await self._gate(url)
        return await self.inner.sha256_of(url, max_bytes=max_bytes, revalidate=revalidate)


def test_a_gate_that_holds_nothing_back_does_not_wait_for_the_advisories() -> None:
    asterisk = MANIFEST.require("asterisk")
    gated = replace(asterisk, policy=replace(asterisk.policy, min_age_days=7))
    manifest = replace(MANIFEST, components=(gated,))

    async def go(url: str) -> Outcome:
        async with world_fetcher(url) as inner:
            fetcher = AdvisoriesAfterResolve(inner, "22.11.0")
            return await run_check(manifest, fetcher, today=TODAY, advisories=True,
                                   resolve=True, run_timeout=60)

    with serve_world() as (server, _world):
        outcome = asyncio.run(go(server.url))
    (result,) = outcome.results
    assert (result.status, result.candidate) == (Status.UPDATE, "22.11.0")
    assert [a.id for a in result.advisories] == ["GHSA-wwww-0000-0003"]
    assert result.bump is BumpKind.MINOR
    assert [u.component for u in outcome.updates] == ["asterisk"]

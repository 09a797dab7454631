"""A computed checksum (upstream publishes none: the archive is downloaded and hashed) is kept in
the HTTP cache with the response's validators: a warm `refresh`/`pin` revalidates (304) rather
than downloading again; `verify --online` always downloads in full (it is a proof)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from world import Role, fake_bytes, routed_client
from world.server import Reply
from world.trust import serve, serve_changed

from release.manifest.load import load_manifest
from release.trust.online import verify_online
from release.upstream.cache import HttpCache
from release.upstream.http import HttpFetcher
from release.upstream.resolve import UpstreamResolver
from release.upstream.sources import Endpoints
from release.versioning import Version

pytestmark = pytest.mark.integration

URL = "https://www.kamailio.org/pub/kamailio/6.1.5/src/kamailio-6.1.5_src.tar.gz"
SIZE = len(fake_bytes(URL))


async def _no_sleep(_seconds: float) -> None:
    return None


def digest(server_url: str, cache: Path, *, revalidate: bool,
           url: str = URL) -> tuple[str, HttpFetcher]:
    async def go() -> tuple[str, HttpFetcher]:
        async with routed_client(server_url) as client:
            fetcher = HttpFetcher(client, cache=HttpCache(cache), sleep=_no_sleep,
                                  jitter=lambda: 0.0)
            return await fetcher.sha256_of(url, max_bytes=1 << 20,
                                           revalidate=revalidate), fetcher

    return asyncio.run(go())


def test_a_warm_revalidation_gives_the_digest_back_without_the_body(tmp_path: Path) -> None:
    with serve_changed() as (server, world):
        cold, first = digest(server.url, tmp_path, revalidate=True)
        warm, second = digest(server.url, tmp_path, revalidate=True)
    assert cold == warm == world.sha256_for("kamailio", "6.1.5")
    assert (first.stats.revalidated, second.stats.revalidated) == (0, 1)
    assert first.stats.bytes_received >= SIZE
    assert second.stats.bytes_received < SIZE  # a 304: no body


def test_without_revalidate_the_archive_is_downloaded_in_full(tmp_path: Path) -> None:
    with serve_changed() as (server, world):
        digest(server.url, tmp_path, revalidate=True)  # a digest is kept
        proof, fetcher = digest(server.url, tmp_path, revalidate=False)
    assert proof == world.sha256_for("kamailio", "6.1.5")
    assert fetcher.stats.revalidated == 0
    assert fetcher.stats.bytes_received >= SIZE


def test_changed_bytes_upstream_are_downloaded_and_hashed_again(tmp_path: Path) -> None:
    with serve_changed() as (server, _world):
        digest(server.url, tmp_path, revalidate=True)
    other = b"\x1f\x8b\x08\x00 another tarball"
    etag = {"Content-Type": "application/x-gzip", "ETag": '"changed"'}

    def change(world: object) -> None:
        serve(world, URL, "kamailio", Role.ARCHIVE, Reply(body=other, headers=etag))  # type: ignore[arg-type]

    with serve_changed(change) as (server, _world):
        found, fetcher = digest(server.url, tmp_path, revalidate=True)
    assert found == hashlib.sha256(other).hexdigest()
    assert fetcher.stats.revalidated == 0


def test_refresh_revalidates_and_verify_online_downloads(tree: Path, tmp_path: Path) -> None:
    manifest = load_manifest(tree / "versions.yaml").manifest
    kamailio = manifest.require("kamailio")
    cache = tmp_path / "cache"

    with serve_changed() as (server, world):
        async def resolve() -> HttpFetcher:
            async with routed_client(server.url) as client:
                fetcher = HttpFetcher(client, cache=HttpCache(cache), sleep=_no_sleep,
                                      jitter=lambda: 0.0)
                resolved = await UpstreamResolver(endpoints=Endpoints()).resolve(
                    kamailio, Version("6.1.5"), fetcher)
                assert resolved.sha256 == world.sha256_for("kamailio", "6.1.5")
                return fetcher

        async def verify() -> HttpFetcher:
            async with routed_client(server.url) as client:
                fetcher = HttpFetcher(client, cache=HttpCache(cache), sleep=_no_sleep,
                                      jitter=lambda: 0.0)
                report = await verify_online(manifest, fetcher, root=tree, only=["kamailio"])
                assert [v.how for v in report.verdicts] == ["computed"]
                return fetcher

        cold = asyncio.run(resolve())
        warm = asyncio.run(resolve())
        pinned = URL.replace("6.1.5", "6.1.4")
        digest(server.url, cache, revalidate=True, url=pinned)  # a kept digest of the pin's URL
        proof = asyncio.run(verify())
    assert cold.stats.bytes_received >= SIZE
    assert warm.stats.revalidated == 1
    assert warm.stats.bytes_received < SIZE
    assert proof.stats.revalidated == 0
    assert proof.stats.bytes_received >= len(fake_bytes(pinned))

"""Shortcuts for tests: a served world, the project's fetcher routed to it, a recorded check."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

from release.manifest.model import Manifest
from release.refresh.execute import Outcome, run_check
from release.upstream.http import FetchSettings, HttpFetcher
from world.catalogue import TODAY
from world.cosign import trust as trust_world_ca
from world.fakeworld import FakeWorld
from world.faults import Override
from world.routing import routed_client
from world.server import UpstreamServer
from world.signatures import signed_resolver, world_signed


@contextlib.contextmanager
def serve_world(
    overrides: Mapping[str, Override] | None = None,
) -> Iterator[tuple[UpstreamServer, FakeWorld]]:
    """A started server playing the world (stopped on exit)."""
    with UpstreamServer() as server:
        yield server, FakeWorld(overrides).install(server)


async def _no_sleep(_seconds: float) -> None:
    return None


@contextlib.asynccontextmanager
async def world_fetcher(
    server_url: str,
    *,
    settings: FetchSettings | None = None,
    record_dir: Path | None = None,
) -> AsyncIterator[HttpFetcher]:
    """The project's fetcher over a real client routed to the world (no waiting on retries)."""
    async with routed_client(server_url, record_dir=record_dir) as client:
        yield HttpFetcher(client, settings=settings, sleep=_no_sleep, jitter=lambda: 0.0)


def record_check(manifest: Manifest, directory: Path) -> Outcome:
    """Serve the world, run `run_check(resolve=True)` (with advisories and end of life, as
    `check` and `refresh` ask them) recording into `directory`.

    The recording holds the real upstream URLs; `directory` should not exist or be empty.
    """

    async def main(server_url: str, scratch: Path) -> Outcome:
        # The signed resolver of refresh and pin, trusting the world's OpenPGP key and Fulcio
        # CA: Asterisk's and Caddy's signatures are recorded too.
        resolver = signed_resolver(scratch)
        async with world_fetcher(server_url, record_dir=directory) as fetcher:
            return await run_check(world_signed(manifest), fetcher, today=TODAY, resolve=True,
                                   advisories=True, end_of_life=True, resolver=resolver)

    with serve_world() as (server, _world), tempfile.TemporaryDirectory() as scratch:
        trust_world_ca(Path(scratch))
        return asyncio.run(main(server.url, Path(scratch)))

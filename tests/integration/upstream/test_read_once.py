"""`read_once`: one request per run for what two components read, against a real local server;
a shared read never outlives the last of its askers."""

from __future__ import annotations

import asyncio

import pytest
from world.server import UpstreamServer

from release.upstream.common import read_once
from release.upstream.http import FetchSettings, open_fetcher

pytestmark = pytest.mark.integration

SETTINGS = FetchSettings(connect_timeout=5.0, read_timeout=5.0, max_attempts=1)


def test_two_askers_at_once_share_one_request(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/sums", text="abc  caddy.tar.gz\n", delay=0.2)
    url = upstream_server.url + "/sums"

    async def main() -> list[bytes]:
        async with open_fetcher(settings=SETTINGS) as fetcher:
            first, second = await asyncio.gather(read_once(fetcher, url, max_bytes=1024),
                                                 read_once(fetcher, url, max_bytes=1024))
            third = await read_once(fetcher, url, max_bytes=1024)
        return [first.body, second.body, third.body]

    assert asyncio.run(main()) == [b"abc  caddy.tar.gz\n"] * 3
    assert len(upstream_server.requests_to("/sums")) == 1


def test_one_cancelled_asker_leaves_the_read_to_the_other(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/sums", text="abc\n", delay=0.3)
    url = upstream_server.url + "/sums"

    async def main() -> bytes:
        async with open_fetcher(settings=SETTINGS) as fetcher:
            leaving = asyncio.create_task(read_once(fetcher, url, max_bytes=1024))
            staying = asyncio.create_task(read_once(fetcher, url, max_bytes=1024))
            await asyncio.sleep(0.05)
            leaving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await leaving
            return (await staying).body

    assert asyncio.run(main()) == b"abc\n"
    assert len(upstream_server.requests_to("/sums")) == 1


def test_when_every_asker_is_cancelled_the_read_is_cancelled_too(
    upstream_server: UpstreamServer,
) -> None:
    upstream_server.route("GET", "/slow", text="late\n", delay=2.0)
    upstream_server.route("GET", "/again", text="fresh\n")
    url = upstream_server.url + "/slow"

    def running() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]

    async def main() -> tuple[list[asyncio.Task[object]], bytes]:
        async with open_fetcher(settings=SETTINGS) as fetcher:
            askers = [asyncio.create_task(read_once(fetcher, url, max_bytes=1024))
                      for _ in range(2)]
            await asyncio.sleep(0.1)
            for asker in askers:
                asker.cancel()
            await asyncio.gather(*askers, return_exceptions=True)
            for _ in range(200):  # the shared read's cancellation unwinds its connection
                if not running():
                    break
                await asyncio.sleep(0.01)
            left = running()
            # and a later asker of the same request sends it again rather than getting the
            # cancelled one
            upstream_server.route("GET", "/slow", text="fresh\n")
            again = await read_once(fetcher, url, max_bytes=1024)
        return left, again.body

    left, body = asyncio.run(main())
    # nothing of the cancelled read is still running when its askers are gone (it would be
    # still connecting or reading when the run's event loop closed)
    assert left == []
    assert body == b"fresh\n"

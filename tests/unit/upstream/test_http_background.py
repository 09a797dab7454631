"""Background requests (`release.upstream.http.background_requests`) take a host's slot only
when no other request of that host waits for one."""

from __future__ import annotations

import asyncio

import httpx

from release.upstream.http import FetchSettings, HttpFetcher, background_requests


def test_a_waiting_version_lookup_goes_before_waiting_background_requests() -> None:
    async def scenario() -> list[str]:
        order: list[str] = []
        first_may_end = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            order.append(request.url.path)
            if request.url.path == "/first":
                await first_may_end.wait()
            return httpx.Response(200, json={})

        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        fetcher = HttpFetcher(client, settings=FetchSettings(per_host_limit=1))

        async def background(path: str) -> None:
            with background_requests():
                await fetcher.get(f"https://h.example{path}")

        first = asyncio.create_task(fetcher.get("https://h.example/first"))
        await asyncio.sleep(0.01)
        queued = [asyncio.create_task(background("/advisories-a")),
                  asyncio.create_task(background("/advisories-b"))]
        await asyncio.sleep(0.01)
        versions = asyncio.create_task(fetcher.get("https://h.example/versions"))
        await asyncio.sleep(0.01)
        first_may_end.set()
        await asyncio.gather(first, versions, *queued)
        await client.aclose()
        return order

    assert asyncio.run(scenario()) == ["/first", "/versions", "/advisories-a", "/advisories-b"]


def test_outside_the_block_requests_are_foreground_again() -> None:
    from release.upstream import http

    with background_requests():
        assert http._BACKGROUND.get() is True
    assert http._BACKGROUND.get() is False

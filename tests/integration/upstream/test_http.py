"""The shared upstream HTTP client against a real local server."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import ssl
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from world.server import RecordedRequest, Reply, UpstreamServer, http_date

from release.errors import InvalidInput
from release.upstream.cache import HttpCache, cache_key
from release.upstream.errors import PermanentUpstreamError, RetryableUpstreamError
from release.upstream.http import (
    FetchSettings,
    GitHubAuth,
    HttpFetcher,
    build_client,
    next_page,
    open_fetcher,
)
from release.upstream.interface import FetchResult

pytestmark = pytest.mark.integration

T = TypeVar("T")
TOKEN = "ghp_s3cretTOKENvalue0123456789"
NOW = 1_900_000_000.0  # the injected clock: 2030-03-17 17:46:40 UTC


class Sleeps:
    """An injected `sleep` that records what it was asked and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def settings(**overrides: Any) -> FetchSettings:
    values: dict[str, Any] = {"connect_timeout": 5.0, "read_timeout": 5.0, "max_attempts": 3}
    values.update(overrides)
    return FetchSettings(**values)


def run_with(
    scenario: Callable[[HttpFetcher], Awaitable[T]],
    *,
    sleeps: Sleeps | None = None,
    github: GitHubAuth | None = None,
    cache: HttpCache | None = None,
    **overrides: Any,
) -> tuple[T, HttpFetcher]:
    """Run `scenario` with a fetcher over a plain client (no environment proxies)."""

    async def main() -> tuple[T, HttpFetcher]:
        async with httpx.AsyncClient(trust_env=False) as client:
            fetcher = HttpFetcher(
                client, settings=settings(**overrides), github=github, cache=cache,
                sleep=sleeps or Sleeps(), clock=lambda: NOW, jitter=lambda: 1.0,
            )
            return await scenario(fetcher), fetcher

    return asyncio.run(main())


def get(url: str, **kwargs: Any) -> Callable[[HttpFetcher], Awaitable[FetchResult]]:
    async def scenario(fetcher: HttpFetcher) -> FetchResult:
        return await fetcher.get(url, **kwargs)

    return scenario


@pytest.fixture
def other_server() -> Iterator[UpstreamServer]:
    """A second origin (another port on 127.0.0.1)."""
    with UpstreamServer() as server:
        yield server


# --- retries ------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_then_success(upstream_server: UpstreamServer) -> None:
    upstream_server.route_sequence("GET", "/feed", [
        Reply(status=429, headers={"Retry-After": "7"}),
        Reply.of_json({"ok": True}),
    ])
    sleeps = Sleeps()
    result, fetcher = run_with(get(upstream_server.url + "/feed"), sleeps=sleeps)
    assert result.json() == {"ok": True}
    assert sleeps.calls == [7.0]
    assert upstream_server.hits("/feed") == 2
    assert fetcher.stats.retries == 1
    assert fetcher.stats.responses == {429: 1, 200: 1}


def test_503_with_retry_after_http_date_then_success(upstream_server: UpstreamServer) -> None:
    upstream_server.route_sequence("GET", "/feed", [
        Reply(status=503, headers={"Retry-After": http_date(NOW + 30)}),
        Reply.of_text("fine"),
    ])
    sleeps = Sleeps()
    result, _ = run_with(get(upstream_server.url + "/feed"), sleeps=sleeps)
    assert result.text() == "fine"
    assert sleeps.calls == [30.0]


def test_503_then_success_backs_off(upstream_server: UpstreamServer) -> None:
    upstream_server.route_sequence("GET", "/feed", [Reply(status=503), Reply.of_text("ok")])
    sleeps = Sleeps()
    result, _ = run_with(get(upstream_server.url + "/feed"), sleeps=sleeps, backoff_base=1.5)
    assert (result.status, result.text()) == (200, "ok")
    assert sleeps.calls == [1.5]


def test_503_forever_gives_up_after_max_attempts(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/down", status=503)
    sleeps = Sleeps()
    url = upstream_server.url + "/down"
    with pytest.raises(RetryableUpstreamError) as caught:
        run_with(get(url), sleeps=sleeps, max_attempts=3)
    assert str(caught.value) == (
        f"GET {url}: HTTP 503 Service Unavailable; gave up after 3 attempts"
    )
    assert caught.value.status == 503
    assert upstream_server.hits("/down") == 3
    assert sleeps.calls == [1.0, 2.0]


def test_backoff_is_capped_and_jittered(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/down", status=502)
    sleeps = Sleeps()

    async def main() -> None:
        async with httpx.AsyncClient(trust_env=False) as client:
            fetcher = HttpFetcher(
                client, settings=settings(max_attempts=5, backoff_base=1.0, backoff_max=3.0),
                sleep=sleeps, jitter=lambda: 0.0,
            )
            await fetcher.get(upstream_server.url + "/down")

    with pytest.raises(RetryableUpstreamError):
        asyncio.run(main())
    assert sleeps.calls == [0.5, 1.0, 1.5, 1.5]


def test_server_hang_is_a_retryable_timeout(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/hang", hang=True)
    url = upstream_server.url + "/hang"
    with pytest.raises(RetryableUpstreamError) as caught:
        run_with(get(url), read_timeout=0.2, max_attempts=2)
    assert str(caught.value) == (
        f"GET {url}: timed out, no data for 0.2 s; gave up after 2 attempts"
    )
    assert caught.value.status is None  # no answer, so no status
    assert upstream_server.hits("/hang") == 2


def test_connection_refused_is_retryable(upstream_server: UpstreamServer) -> None:
    url = upstream_server.url + "/gone"
    upstream_server.stop()
    with pytest.raises(RetryableUpstreamError) as caught:
        run_with(get(url), max_attempts=2)
    assert str(caught.value).startswith(f"GET {url}: ConnectError: ")
    assert str(caught.value).endswith("; gave up after 2 attempts")


def test_rate_limit_reset_beyond_the_cap_fails_at_once(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/repos/a/b/releases", json={"message": "API rate limit exceeded"},
                          status=403, headers={
                              "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": str(int(NOW) + 3600),
                              "x-ratelimit-resource": "core",
                          })
    sleeps = Sleeps()
    url = upstream_server.url + "/repos/a/b/releases"
    github = GitHubAuth(api_url=upstream_server.url)
    with pytest.raises(RetryableUpstreamError) as caught:
        run_with(get(url), sleeps=sleeps, github=github, max_wait=60.0)
    until = dt.datetime.fromtimestamp(NOW + 3601, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert str(caught.value) == (
        f"GET {url}: HTTP 403 Forbidden: rate limit exhausted; it resets at {until}, "
        "in 3601 s, longer than the 60 s this tool waits"
    )
    assert caught.value.hint == (
        "try again after that time, or set GITHUB_TOKEN for a higher GitHub API rate limit"
    )
    assert sleeps.calls == []
    assert upstream_server.hits("/repos/a/b/releases") == 1


def test_rate_limit_reset_within_the_cap_is_waited_for(upstream_server: UpstreamServer) -> None:
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 5)}
    upstream_server.route_sequence("GET", "/repos/a/b/tags", [
        Reply.of_json({"message": "API rate limit exceeded"}, status=403, headers=limited),
        Reply.of_json([]),
    ])
    sleeps = Sleeps()
    result, _ = run_with(get(upstream_server.url + "/repos/a/b/tags"), sleeps=sleeps)
    assert result.json() == []
    assert sleeps.calls == [6.0]  # the reset, plus one second for clock skew


def test_plain_403_is_permanent(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/private", status=403,
                          json={"message": "Resource not accessible by integration"})
    url = upstream_server.url + "/private"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url), github=GitHubAuth(api_url=upstream_server.url, token=TOKEN))
    assert str(caught.value) == (
        f"GET {url}: HTTP 403 Forbidden (Resource not accessible by integration)"
    )
    assert caught.value.hint == "check GITHUB_TOKEN"
    assert upstream_server.hits("/private") == 1


def test_404_is_permanent_and_not_retried(upstream_server: UpstreamServer) -> None:
    sleeps = Sleeps()
    url = upstream_server.url + "/repos/a/missing/releases"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url), sleeps=sleeps)
    assert str(caught.value) == f"GET {url}: HTTP 404 Not Found (Not Found)"
    assert caught.value.status == 404
    assert upstream_server.hits("/repos/a/missing/releases") == 1
    assert sleeps.calls == []


def test_a_status_in_ok_is_returned(upstream_server: UpstreamServer) -> None:
    result, _ = run_with(get(upstream_server.url + "/nothing", ok=(200, 404)))
    assert result.status == 404
    assert result.json() == {"message": "Not Found"}


# --- bad data -----------------------------------------------------------------------------------


def test_malformed_json_is_permanent(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/feed.json", body=b'{"version": "v24.',
                          headers={"Content-Type": "application/json"})
    url = upstream_server.url + "/feed.json"
    result, _ = run_with(get(url))
    with pytest.raises(PermanentUpstreamError) as caught:
        result.json()
    assert str(caught.value) == (
        f"{url}: expected JSON, got application/json starting with '{{\"version\": \"v24.'"
    )


def test_html_instead_of_json_is_permanent(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/api", text="<!DOCTYPE html>\n<html><body>Login</body></html>",
                          headers={"Content-Type": "text/html"})
    url = upstream_server.url + "/api"
    result, _ = run_with(get(url))
    with pytest.raises(PermanentUpstreamError) as caught:
        result.json()
    assert str(caught.value) == (
        f"{url}: expected JSON, got text/html starting with "
        "'<!DOCTYPE html> <html><body>Login</body></html>'"
    )


# --- the revalidating cache ---------------------------------------------------------------------


def test_etag_revalidation_serves_the_cached_body(
    upstream_server: UpstreamServer, tmp_path: Path
) -> None:
    page2 = f'<{upstream_server.url}/repos/a/b/releases?page=2>; rel="next"'
    upstream_server.route("GET", "/repos/a/b/releases", json=[{"tag_name": "1.0"}],
                          etag='"v1"', headers={"Link": page2})
    url = upstream_server.url + "/repos/a/b/releases"
    cache = HttpCache(tmp_path / "cache")

    async def twice(fetcher: HttpFetcher) -> tuple[FetchResult, FetchResult, int]:
        first = await fetcher.get(url)
        received = fetcher.stats.bytes_received
        second = await fetcher.get(url)
        return first, second, fetcher.stats.bytes_received - received

    (first, second, transferred), fetcher = run_with(twice, cache=cache)
    assert not first.from_cache
    assert second.from_cache
    assert (second.status, second.body) == (200, first.body)
    assert second.json() == [{"tag_name": "1.0"}]
    assert next_page(second) == url + "?page=2"
    assert transferred == 0
    assert fetcher.stats.revalidated == 1
    assert fetcher.stats.responses == {200: 1, 304: 1}
    first_request, second_request = upstream_server.requests_to("/repos/a/b/releases")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == '"v1"'

    # A new run (a new fetcher, the same directory) revalidates too: the cache persists.
    third, _ = run_with(get(url), cache=HttpCache(tmp_path / "cache"))
    assert third.from_cache
    assert third.body == first.body


def test_last_modified_revalidation(upstream_server: UpstreamServer, tmp_path: Path) -> None:
    stamp = http_date(NOW - 86400)
    upstream_server.route("GET", "/versions.json", json=[{"major": "17"}], last_modified=stamp)
    url = upstream_server.url + "/versions.json"
    cache = HttpCache(tmp_path)

    async def twice(fetcher: HttpFetcher) -> FetchResult:
        await fetcher.get(url)
        return await fetcher.get(url)

    second, _ = run_with(twice, cache=cache)
    assert second.from_cache
    assert second.json() == [{"major": "17"}]
    assert upstream_server.requests_to("/versions.json")[1].headers["if-modified-since"] == stamp


def test_a_changed_upstream_replaces_the_cached_body(
    upstream_server: UpstreamServer, tmp_path: Path
) -> None:
    upstream_server.route_sequence("GET", "/feed", [
        Reply.of_json({"v": 1}, etag='"1"'),
        Reply.of_json({"v": 2}, etag='"2"'),
    ])
    url = upstream_server.url + "/feed"
    cache = HttpCache(tmp_path)

    async def three(fetcher: HttpFetcher) -> list[FetchResult]:
        return [await fetcher.get(url) for _ in range(3)]

    results, _ = run_with(three, cache=cache)
    assert [(r.json(), r.from_cache) for r in results] == [
        ({"v": 1}, False), ({"v": 2}, False), ({"v": 2}, True)
    ]
    assert [r.headers.get("if-none-match") for r in upstream_server.requests_to("/feed")] == [
        None, '"1"', '"2"'
    ]


def test_a_corrupt_cache_entry_is_ignored(upstream_server: UpstreamServer, tmp_path: Path) -> None:
    upstream_server.route("GET", "/feed", json={"v": 1}, etag='"1"')
    url = upstream_server.url + "/feed"
    run_with(get(url), cache=HttpCache(tmp_path))
    entry = tmp_path / cache_key("GET", url, "")
    entry.write_bytes(entry.read_bytes()[:-3])  # truncated, as by a crash or a full disk
    result, _ = run_with(get(url), cache=HttpCache(tmp_path))
    assert not result.from_cache
    assert result.json() == {"v": 1}
    assert "if-none-match" not in upstream_server.requests[-1].headers


def test_cache_is_keyed_by_accept(upstream_server: UpstreamServer, tmp_path: Path) -> None:
    upstream_server.route("GET", "/thing", json={"v": 1}, etag='"1"')
    url = upstream_server.url + "/thing"

    async def both(fetcher: HttpFetcher) -> tuple[FetchResult, FetchResult]:
        await fetcher.get(url, headers={"Accept": "application/json"})
        other = await fetcher.get(url, headers={"Accept": "text/html"})
        same = await fetcher.get(url, headers={"accept": "application/json"})
        return other, same

    (other, same), _ = run_with(both, cache=HttpCache(tmp_path))
    assert not other.from_cache
    assert same.from_cache


# --- auth, redirects, pagination ----------------------------------------------------------------


def test_token_goes_to_the_github_api_origin_only(
    upstream_server: UpstreamServer, other_server: UpstreamServer
) -> None:
    api, cdn = upstream_server, other_server
    api.route("GET", "/repos/a/b/releases/assets/1", status=302,
              headers={"Location": cdn.url + "/download/a.tar.gz"})
    cdn.route("GET", "/download/a.tar.gz", body=b"tarball")
    cdn.route("GET", "/plain", text="x")

    async def scenario(fetcher: HttpFetcher) -> FetchResult:
        await fetcher.get(cdn.url + "/plain")
        return await fetcher.get(api.url + "/repos/a/b/releases/assets/1")

    result, _ = run_with(scenario, github=GitHubAuth(api_url=api.url, token=TOKEN))
    assert (result.url, result.body) == (cdn.url + "/download/a.tar.gz", b"tarball")
    (to_api,) = api.requests
    assert to_api.headers["authorization"] == f"Bearer {TOKEN}"
    assert [r.headers.get("authorization") for r in cdn.requests] == [None, None]


def test_redirect_back_to_the_api_origin_carries_the_token(
    upstream_server: UpstreamServer, other_server: UpstreamServer
) -> None:
    api, elsewhere = upstream_server, other_server
    api.route("GET", "/start", status=301, headers={"Location": elsewhere.url + "/hop"})
    elsewhere.route("GET", "/hop", status=307, headers={"Location": api.url + "/end"})
    api.route("GET", "/end", json={"done": True})
    result, _ = run_with(get(api.url + "/start"),
                         github=GitHubAuth(api_url=api.url, token=TOKEN))
    assert result.json() == {"done": True}
    assert [r.headers.get("authorization") for r in api.requests] == [f"Bearer {TOKEN}"] * 2
    assert elsewhere.requests[0].headers.get("authorization") is None


def test_a_callers_authorization_stays_on_its_origin(
    upstream_server: UpstreamServer, other_server: UpstreamServer
) -> None:
    upstream_server.route("GET", "/v2/x/manifests/1", status=307,
                          headers={"Location": other_server.url + "/blob"})
    other_server.route("GET", "/blob", text="manifest")
    run_with(get(upstream_server.url + "/v2/x/manifests/1",
                 headers={"Authorization": "Bearer registry-jwt"}))
    assert upstream_server.requests[0].headers["authorization"] == "Bearer registry-jwt"
    assert "authorization" not in other_server.requests[0].headers


def test_no_token_when_none_is_given(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/x", text="x")
    run_with(get(upstream_server.url + "/x"), github=GitHubAuth(api_url=upstream_server.url))
    assert "authorization" not in upstream_server.requests[0].headers


def test_the_token_never_appears_in_a_message(upstream_server: UpstreamServer) -> None:
    # A misbehaving server that echoes the credential back in its error message.
    def echo(request: RecordedRequest) -> Reply:
        return Reply.of_json({"message": f"bad credentials: {request.headers['authorization']}"},
                             status=401)

    upstream_server.route_handler("GET", "/user", echo)
    url = upstream_server.url + "/user"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url), github=GitHubAuth(api_url=upstream_server.url, token=TOKEN))
    assert str(caught.value) == f"GET {url}: HTTP 401 Unauthorized (bad credentials: Bearer ***)"
    assert TOKEN not in repr(GitHubAuth(token=TOKEN))


def test_redirects_are_capped_at_five(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/loop", status=302, headers={"Location": "/loop"})
    url = upstream_server.url + "/loop"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url))
    assert str(caught.value) == f"GET {url}: more than 5 redirects (last to {url})"
    assert upstream_server.hits("/loop") == 6


def test_redirect_without_location_is_permanent(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/moved", status=301)
    url = upstream_server.url + "/moved"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url))
    assert str(caught.value) == f"GET {url}: HTTP 301 redirect without a Location header"


def test_pagination_follows_same_origin_next_links(upstream_server: UpstreamServer) -> None:
    base = upstream_server.url + "/repos/a/b/tags"
    upstream_server.route("GET", "/repos/a/b/tags", json=[{"name": "v1"}],
                          headers={"Link": '</repos/a/b/tags?page=2>; rel="next"'})
    upstream_server.route("GET", "/repos/a/b/tags?page=2", json=[{"name": "v2"}],
                          headers={"Link": f'<{base}?page=1>; rel="first"'})

    async def every_page(fetcher: HttpFetcher) -> list[str]:
        names: list[str] = []
        url: str | None = base
        while url is not None:
            result = await fetcher.get(url)
            names += [tag["name"] for tag in result.json()]
            url = next_page(result)
        return names

    names, _ = run_with(every_page)
    assert names == ["v1", "v2"]


def test_cross_origin_next_link_is_refused(
    upstream_server: UpstreamServer, other_server: UpstreamServer
) -> None:
    evil = f"{other_server.url}/steal?page=2"
    upstream_server.route("GET", "/v2/repositories/library/postgres/tags",
                          json={"results": []}, headers={"Link": f'<{evil}>; rel="next"'})
    url = upstream_server.url + "/v2/repositories/library/postgres/tags"
    result, _ = run_with(get(url))
    with pytest.raises(PermanentUpstreamError) as caught:
        next_page(result)
    assert str(caught.value) == f"{url}: refused cross-origin pagination link {evil}"
    assert other_server.requests == []


# --- size caps, digests, HEAD -------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_get_refuses_a_body_over_the_cap(upstream_server: UpstreamServer, chunked: bool) -> None:
    upstream_server.route("GET", "/big", body=b"x" * 5000, chunked=chunked)
    url = upstream_server.url + "/big"
    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(get(url, max_bytes=4096))
    assert str(caught.value).startswith(f"GET {url}: response body exceeds the cap of 4096 bytes")
    assert upstream_server.hits("/big") == 1


def test_get_accepts_a_body_at_the_cap(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/exact", body=b"y" * 4096, chunked=True)
    result, fetcher = run_with(get(upstream_server.url + "/exact", max_bytes=4096))
    assert result.body == b"y" * 4096
    assert fetcher.stats.bytes_received == 4096


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_sha256_of_streams_and_caps(upstream_server: UpstreamServer, chunked: bool) -> None:
    tarball = bytes(range(256)) * 40
    upstream_server.route("GET", "/asterisk-22.10.1.tar.gz", body=tarball, chunked=chunked)
    url = upstream_server.url + "/asterisk-22.10.1.tar.gz"

    async def digest(fetcher: HttpFetcher) -> str:
        return await fetcher.sha256_of(url, max_bytes=len(tarball))

    hexdigest, _ = run_with(digest)
    assert hexdigest == hashlib.sha256(tarball).hexdigest()

    async def too_small(fetcher: HttpFetcher) -> str:
        return await fetcher.sha256_of(url, max_bytes=1000)

    with pytest.raises(PermanentUpstreamError) as caught:
        run_with(too_small)
    assert "exceeds the cap of 1000 bytes" in str(caught.value)


def test_head_returns_headers_only(upstream_server: UpstreamServer) -> None:
    digest = "sha256:" + "a" * 64
    upstream_server.route("GET", "/v2/library/postgres/manifests/17", body=b"{}",
                          headers={"Docker-Content-Digest": digest})

    async def head(fetcher: HttpFetcher) -> FetchResult:
        return await fetcher.head(upstream_server.url + "/v2/library/postgres/manifests/17")

    result, _ = run_with(head)
    assert (result.status, result.body) == (200, b"")
    assert result.headers["docker-content-digest"] == digest
    assert upstream_server.requests[0].method == "HEAD"


# --- concurrency --------------------------------------------------------------------------------


def test_per_host_limit_is_respected(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/slow", text="ok", delay=0.2)

    async def many(fetcher: HttpFetcher) -> list[FetchResult]:
        return await asyncio.gather(*(fetcher.get(upstream_server.url + "/slow")
                                      for _ in range(8)))

    results, _ = run_with(many, per_host_limit=2)
    assert [r.text() for r in results] == ["ok"] * 8
    assert upstream_server.max_in_flight == 2


def test_the_github_api_origin_has_its_own_limit(upstream_server: UpstreamServer,
                                                 other_server: UpstreamServer) -> None:
    for server in (upstream_server, other_server):
        server.route("GET", "/slow", text="ok", delay=0.2)

    async def many(fetcher: HttpFetcher) -> list[FetchResult]:
        return await asyncio.gather(*(fetcher.get(server.url + "/slow")
                                      for server in (upstream_server, other_server)
                                      for _ in range(8)))

    results, _ = run_with(many, github=GitHubAuth(api_url=upstream_server.url),
                          per_host_limit=2, github_api_limit=5)
    assert [r.text() for r in results] == ["ok"] * 16
    assert (upstream_server.max_in_flight, other_server.max_in_flight) == (5, 2)


def test_global_limit_is_respected(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/slow", text="ok", delay=0.2)

    async def many(fetcher: HttpFetcher) -> list[FetchResult]:
        return await asyncio.gather(*(fetcher.get(upstream_server.url + "/slow")
                                      for _ in range(8)))

    run_with(many, per_host_limit=8, global_limit=3)
    assert upstream_server.max_in_flight == 3


# --- record and replay --------------------------------------------------------------------------


def _route_demo(server: UpstreamServer) -> None:
    server.route("GET", "/repos/a/b/releases", json=[{"tag_name": "1.0"}],
                 headers={"Link": '</repos/a/b/releases?page=2>; rel="next"', "ETag": '"e1"'})
    server.route("GET", "/repos/a/b/releases?page=2", json=[{"tag_name": "0.9"}])
    server.route("GET", "/latest", status=302, headers={"Location": "/dist/index.json"})
    server.route("GET", "/dist/index.json", json=[{"version": "v24.19.0", "lts": "Krypton"}])
    server.route("GET", "/v2/x/manifests/1", body=b"{}",
                 headers={"Docker-Content-Digest": "sha256:" + "b" * 64})
    server.route("GET", "/src/kamailio-6.1.4_src.tar.gz", body=b"\x1f\x8b" + b"k" * 3000)


async def _demo(fetcher: HttpFetcher, base: str) -> list[object]:
    out: list[object] = []
    url: str | None = base + "/repos/a/b/releases"
    while url is not None:
        page = await fetcher.get(url, headers={"Accept": "application/vnd.github+json"})
        out.append((page.url, page.status, dict(page.headers), page.body))
        url = next_page(page)
    latest = await fetcher.get(base + "/latest")
    out.append((latest.url, latest.status, dict(latest.headers), latest.body))
    head = await fetcher.head(base + "/v2/x/manifests/1")
    out.append((head.status, head.headers["docker-content-digest"]))
    out.append(await fetcher.sha256_of(base + "/src/kamailio-6.1.4_src.tar.gz", max_bytes=10_000))
    return out


def test_record_then_replay_without_the_server(
    upstream_server: UpstreamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    _route_demo(upstream_server)
    base = upstream_server.url
    recording = tmp_path / "recording"
    github = GitHubAuth(api_url=base, token=TOKEN)

    async def record() -> list[object]:
        async with open_fetcher(github=github, record_dir=recording,
                                cache_dir=tmp_path / "cache") as fetcher:
            return await _demo(fetcher, base)

    recorded = asyncio.run(record())
    assert upstream_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert not (tmp_path / "cache").exists()  # no cache while recording
    upstream_server.stop()

    async def replay() -> tuple[list[object], int]:
        async with open_fetcher(github=github, replay_dir=recording) as fetcher:
            return await _demo(fetcher, base), fetcher.stats.requests

    replayed, requests = asyncio.run(replay())
    assert replayed == recorded
    assert requests == 6
    for path in recording.iterdir():
        assert TOKEN.encode() not in path.read_bytes()
        assert b"authorization" not in path.read_bytes().lower()

    async def unrecorded() -> None:
        async with open_fetcher(replay_dir=recording) as fetcher:
            await fetcher.get(base + "/repos/a/b/tags")

    with pytest.raises(PermanentUpstreamError) as caught:
        asyncio.run(unrecorded())
    assert str(caught.value) == (
        f"GET {base}/repos/a/b/tags: not in the recording {recording} "
        "(replay makes no network requests)"
    )


def test_posts_of_one_url_are_recorded_and_replayed_by_their_body(
    upstream_server: UpstreamServer, tmp_path: Path,
) -> None:
    # two searches of one URL (Rekor's, OSV's): each body gets its own answer back
    upstream_server.route_handler(
        "POST", "/search", lambda request: Reply.of_json({"asked": request.body.decode()}))
    url = upstream_server.url + "/search"
    recording = tmp_path / "recording"

    async def ask(**where: Path) -> list[object]:
        async with open_fetcher(**where) as fetcher:  # type: ignore[arg-type]
            return [(await fetcher.post(url, content=body)).json() for body in (b"a", b"b")]

    recorded = asyncio.run(ask(record_dir=recording))
    assert recorded == [{"asked": "a"}, {"asked": "b"}]
    upstream_server.stop()
    assert asyncio.run(ask(replay_dir=recording)) == recorded
    rows = json.loads((recording / "index.json").read_text())["responses"]
    assert sorted(row["request_sha256"] for row in rows) == sorted(
        hashlib.sha256(body).hexdigest() for body in (b"a", b"b"))

    async def other() -> object:
        async with open_fetcher(replay_dir=recording) as fetcher:
            return (await fetcher.post(url, content=b"c")).json()

    with pytest.raises(PermanentUpstreamError, match="not in the recording"):
        asyncio.run(other())
    # a hand-written entry without request_sha256 answers any body
    for row in rows:
        del row["request_sha256"]
    (recording / "index.json").write_text(json.dumps({"format": 1, "responses": rows[:1]}))
    assert asyncio.run(other()) in recorded


def test_replay_of_a_missing_recording_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_client(replay_dir=tmp_path / "nope")
    assert str(caught.value).startswith(f"{tmp_path / 'nope' / 'index.json'}: cannot read")


# --- proxies and CA bundle from the environment -------------------------------------------------


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_no_proxy_bypasses_a_bogus_proxy(
    upstream_server: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    upstream_server.route("GET", "/x", text="direct")

    async def main() -> str:
        async with open_fetcher() as fetcher:
            return (await fetcher.get(upstream_server.url + "/x")).text()

    assert asyncio.run(main()) == "direct"


@pytest.mark.parametrize("mode", ["live", "record"])
def test_requests_go_through_the_proxy_from_the_environment(
    upstream_server: UpstreamServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str
) -> None:
    # The local server plays a forward proxy: it is asked for absolute-form targets.
    proxy = upstream_server
    proxy.route("GET", "/repos/a/b/tags", json=[{"name": "v1"}])
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    record_dir = tmp_path / "rec" if mode == "record" else None

    async def main() -> Any:
        async with open_fetcher(record_dir=record_dir) as fetcher:
            return (await fetcher.get("http://api.github.invalid/repos/a/b/tags")).json()

    assert asyncio.run(main()) == [{"name": "v1"}]
    assert [r.target for r in proxy.requests] == ["http://api.github.invalid/repos/a/b/tags"]


def _tls_material(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A throwaway CA file and a server context whose certificate it signs (for 127.0.0.1)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "delphi test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(
            "127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "ca.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def test_ssl_cert_file_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    ca_file, context = _tls_material(tmp_path)
    with UpstreamServer(tls=context) as server:
        server.route("GET", "/x", text="over tls")
        url = server.url + "/x"

        async def main() -> str:
            async with open_fetcher() as fetcher:
                return (await fetcher.get(url)).text()

        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        assert asyncio.run(main()) == "over tls"

        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        with pytest.raises(PermanentUpstreamError) as caught:
            asyncio.run(main())
        assert str(caught.value).startswith(f"GET {url}: TLS certificate not trusted")
        assert caught.value.hint is not None
        assert "SSL_CERT_FILE" in caught.value.hint

"""Pure parts of the shared HTTP client: link headers, origins, settings, cache and recording
files. (The client itself is tested against a real server in tests/integration/upstream/test_http.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from release.errors import InvalidInput
from release.upstream.cache import CacheEntry, HttpCache, cache_key
from release.upstream.errors import PermanentUpstreamError
from release.upstream.http import (
    FetchSettings,
    FetchStats,
    GitHubAuth,
    HttpFetcher,
    checked_next_url,
    next_page,
    parse_link_header,
    same_origin,
)
from release.upstream.interface import FetchResult
from release.upstream.recording import ReplayTransport, body_file_name

GH = "https://api.github.com/repositories/123/releases"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f'<{GH}?per_page=100&page=2>; rel="next", <{GH}?per_page=100&page=7>; rel="last"',
            {"next": f"{GH}?per_page=100&page=2", "last": f"{GH}?per_page=100&page=7"},
        ),
        (
            '</v2/library/postgres/tags/list?last=12-alpine&n=1000>; rel="next"',
            {"next": "/v2/library/postgres/tags/list?last=12-alpine&n=1000"},
        ),
        ("<https://x/2>; rel=next", {"next": "https://x/2"}),
        ('<https://x/7>; rel="next last"', {"next": "https://x/7", "last": "https://x/7"}),
        ('<https://x/2>; REL="Next"', {"next": "https://x/2"}),
        ('<https://x/2>; title="a, b; c"; rel="next"', {"next": "https://x/2"}),
        ('<https://x/2>; rel="next", <https://x/3>; rel="next"', {"next": "https://x/2"}),
        ('<https://x/2>; type="text/html"', {}),
        ("", {}),
        ("garbage", {}),
        ('garbage, <https://x/2>; rel="next"', {"next": "https://x/2"}),
    ],
)
def test_parse_link_header(value: str, expected: dict[str, str]) -> None:
    assert parse_link_header(value) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://api.github.com/a", "https://api.github.com/b?x=1", True),
        ("https://api.github.com/a", "https://API.GitHub.com:443/b", True),
        ("http://127.0.0.1/a", "http://127.0.0.1:80/b", True),
        ("https://api.github.com/a", "http://api.github.com/a", False),
        ("https://api.github.com/a", "https://uploads.github.com/a", False),
        ("https://api.github.com/a", "https://github.com/a", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a", False),
        ("http://127.0.0.1:8000/a", "http://localhost:8000/a", False),
        ("/relative", "/relative", False),
        ("ftp://host/a", "ftp://host/a", False),
        ("https://api.github.com.evil.example/a", "https://api.github.com/a", False),
    ],
)
def test_same_origin(a: str, b: str, expected: bool) -> None:
    assert same_origin(a, b) is expected


def test_checked_next_url() -> None:
    base = "https://hub.docker.com/v2/repositories/library/postgres/tags?page=1"
    assert checked_next_url(base, "?page=2") == (
        "https://hub.docker.com/v2/repositories/library/postgres/tags?page=2"
    )
    with pytest.raises(PermanentUpstreamError) as caught:
        checked_next_url(base, "https://evil.example/tags?page=2")
    assert str(caught.value) == (
        f"{base}: refused cross-origin pagination link https://evil.example/tags?page=2"
    )
    with pytest.raises(PermanentUpstreamError) as caught:
        checked_next_url(base, base)
    assert str(caught.value) == f"{base}: pagination link points back to the same page"


def _page(headers: dict[str, str]) -> FetchResult:
    return FetchResult(url=f"{GH}?page=1", status=200, headers=headers, body=b"[]")


def test_next_page() -> None:
    assert next_page(_page({})) is None
    assert next_page(_page({"link": f'<{GH}?page=1>; rel="first"'})) is None
    assert next_page(_page({"Link": f'<{GH}?page=2>; rel="next"'})) == f"{GH}?page=2"
    with pytest.raises(PermanentUpstreamError):
        next_page(_page({"link": '<https://github.com/x?page=2>; rel="next"'}))


def test_github_auth_from_env() -> None:
    assert GitHubAuth.from_env({}) == GitHubAuth(api_url="https://api.github.com", token=None)
    assert GitHubAuth.from_env({"GITHUB_TOKEN": "", "GITHUB_API_URL": ""}) == GitHubAuth()
    ghes = GitHubAuth.from_env(
        {"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": "https://ghe.example/api/v3"}
    )
    assert (ghes.api_url, ghes.token) == ("https://ghe.example/api/v3", "t0ken")
    assert "t0ken" not in repr(ghes)
    with pytest.raises(InvalidInput) as caught:
        GitHubAuth(api_url="api.github.com")
    assert str(caught.value) == "GITHUB_API_URL 'api.github.com' is not an http(s) URL"


def test_fetch_settings_are_validated() -> None:
    with pytest.raises(InvalidInput):
        FetchSettings(per_host_limit=0)
    with pytest.raises(InvalidInput):
        FetchSettings(github_api_limit=0)
    with pytest.raises(InvalidInput):
        FetchSettings(read_timeout=0)
    timeout = FetchSettings(connect_timeout=3, read_timeout=7).timeout()
    assert (timeout.connect, timeout.read) == (3, 7)


def test_fetch_stats_as_dict() -> None:
    stats = FetchStats(requests=3, responses={304: 1, 200: 2}, bytes_received=10)
    assert stats.as_dict() == {
        "requests": 3, "responses": {"200": 2, "304": 1}, "bytes_received": 10,
        "revalidated": 0, "retries": 0, "stalled_hosts": [], "not_sent": 0,
        "rate_limit": {},
    }


# --- the fetcher over a MockTransport: what needs https or bad URLs ----------------------------


def _mock_get(url: str, handler: httpx.MockTransport, token: str | None = None) -> FetchResult:
    async def main() -> FetchResult:
        async with httpx.AsyncClient(transport=handler) as client:
            fetcher = HttpFetcher(client, github=GitHubAuth(token=token))
            return await fetcher.get(url)

    return asyncio.run(main())


def test_redirect_from_https_to_http_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://mirror.example/a.tar.gz"})

    with pytest.raises(PermanentUpstreamError) as caught:
        _mock_get("https://github.com/a.tar.gz", httpx.MockTransport(answer))
    assert str(caught.value) == (
        "GET https://github.com/a.tar.gz: HTTP 302 redirect from https to http "
        "(http://mirror.example/a.tar.gz); refused"
    )


def test_token_goes_to_the_default_api_origin_only() -> None:
    seen: dict[str, str | None] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen[str(request.url)] = request.headers.get("authorization")
        if request.url.host == "api.github.com":
            return httpx.Response(302, headers={"Location": "https://objects.example/blob"})
        return httpx.Response(200, content=b"blob")

    _mock_get("https://api.github.com/repos/a/b/tarball/v1", httpx.MockTransport(answer), "tok")
    assert seen == {
        "https://api.github.com/repos/a/b/tarball/v1": "Bearer tok",
        "https://objects.example/blob": None,
    }


@pytest.mark.parametrize("url", ["ftp://example/x", "/relative", "not a url"])
def test_non_http_urls_are_permanent_errors(url: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    with pytest.raises(PermanentUpstreamError) as caught:
        _mock_get(url, httpx.MockTransport(answer))
    assert str(caught.value) == f"GET {url}: not an http(s) URL"


# --- cache files --------------------------------------------------------------------------------


def _entry(**overrides: object) -> CacheEntry:
    values: dict[str, object] = {
        "method": "GET", "url": "https://x/feed", "accept": "application/json", "status": 200,
        "headers": {"etag": '"1"', "content-type": "application/json", "set-cookie": "s=1"},
        "body": b'{"v": 1}',
    }
    values.update(overrides)
    return CacheEntry(**values)  # type: ignore[arg-type]


def test_cache_round_trip_keeps_only_the_headers_that_matter(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "c")
    cache.store(_entry())
    loaded = cache.load("GET", "https://x/feed", "application/json")
    assert loaded == _entry(headers={"etag": '"1"', "content-type": "application/json"})
    assert loaded is not None
    assert loaded.validators() == {"If-None-Match": '"1"'}
    assert cache.load("GET", "https://x/feed", "text/html") is None
    assert [p.name for p in (tmp_path / "c").iterdir()] == [
        cache_key("GET", "https://x/feed", "application/json")
    ]
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "damage",
    [
        lambda _: b"",
        lambda _: b"not a cache entry",
        lambda data: data[:-1],
        lambda data: data + b"x",
        lambda data: data.replace(b'"status": 200', b'"status": "200"'),
        lambda data: data.replace(b"https://x/feed", b"https://y/feed"),
        lambda data: data.split(b"\n", 1)[0],
    ],
    ids=["empty", "garbage", "truncated", "longer", "bad-field", "other-key", "no-meta"],
)
def test_a_corrupt_cache_entry_reads_as_absent(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    cache = HttpCache(tmp_path)
    cache.store(_entry())
    path = tmp_path / cache_key("GET", "https://x/feed", "application/json")
    path.write_bytes(damage(path.read_bytes()))
    assert cache.load("GET", "https://x/feed", "application/json") is None


def test_a_cache_that_cannot_be_written_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = HttpCache(blocker / "cache")
    cache.store(_entry())
    assert cache.load("GET", "https://x/feed", "application/json") is None


# --- recording files ----------------------------------------------------------------------------


def test_body_file_names_are_safe_and_distinct() -> None:
    url = "https://api.github.com/repos/a/b/releases?per_page=100&page=2"
    name = body_file_name("GET", url, "*/*", "application/json; charset=utf-8")
    assert name.startswith("GET_api.github.com_repos_a_b_releases_per_page_100_page_2-")
    assert name.endswith(".json")
    assert "/" not in name
    assert name == body_file_name("GET", url, "*/*", "application/json")
    assert name != body_file_name("GET", url, "application/vnd.github+json", "application/json")
    evil = body_file_name("GET", "https://x/../../etc/passwd?a=/..", "", "text/plain")
    assert "/" not in evil
    assert not evil.startswith(".")
    assert evil.endswith(".txt")
    long = body_file_name("GET", "https://x/" + "a" * 500, "", "application/gzip")
    assert len(long) < 120
    assert long.endswith(".bin")


def _write_index(directory: Path, rows: list[dict[str, object]]) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "index.json").write_text(json.dumps({"format": 1, "responses": rows}))


def test_a_hand_written_entry_without_accept_matches_any_accept(tmp_path: Path) -> None:
    _write_index(tmp_path, [{"method": "GET", "url": "https://nodejs.org/dist/index.json",
                             "status": 200, "headers": {"Content-Type": "application/json"},
                             "body": "index.json.body"}])
    (tmp_path / "index.json.body").write_text('[{"version": "v24.19.0"}]')

    async def main() -> FetchResult:
        async with httpx.AsyncClient(transport=ReplayTransport(tmp_path)) as client:
            return await HttpFetcher(client).get(
                "https://nodejs.org/dist/index.json", headers={"Accept": "application/json"}
            )

    result = asyncio.run(main())
    assert result.json() == [{"version": "v24.19.0"}]
    assert result.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ("{", "the recording index is not JSON"),
        ('{"format": 2, "responses": []}', "not a recording index of format 1"),
        ('{"format": 1, "responses": {}}', "'responses' must be a list"),
        ('{"format": 1, "responses": [{"method": "GET", "url": "u", "status": 200,'
         ' "headers": {}, "body": "../secret"}]}', "responses[0] needs method, url"),
        ('{"format": 1, "responses": [{"method": "GET", "url": "u", "status": "200",'
         ' "headers": {}, "body": "b"}]}', "responses[0] needs method, url"),
        ('{"format": 1, "responses": [{"method": "POST", "url": "u", "status": 200,'
         ' "headers": {}, "body": "b", "request_sha256": "ABC"}]}',
         "responses[0] needs method, url"),
    ],
)
def test_a_malformed_recording_is_bad_input(tmp_path: Path, index: str, message: str) -> None:
    (tmp_path / "index.json").write_text(index)
    with pytest.raises(InvalidInput) as caught:
        ReplayTransport(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'index.json'}: {message}")


def test_a_live_client_reads_the_ca_bundle_once_with_proxies_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The direct transport and every proxy transport share one SSL context."""
    import ssl

    from release.upstream.http import build_client

    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://squid.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    client = build_client()
    assert len(loads) == 1
    assert len(client._mounts) == 3  # httpx's proxy transports, one per variable


"""Serving fresh cache entries without a request (`serve_fresh`), against a real local server.

GitHub's API answers `Cache-Control: private, max-age=60` (`public` without a token), on 200s
and 304s alike: within that minute `check` sends no REST request for a listing it has; after
it, or with `--revalidate`, or from `refresh`, the entry is revalidated as before.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from world.server import Reply, UpstreamServer

from release.cli import main
from release.upstream.cache import HttpCache
from release.upstream.http import GitHubAuth, HttpFetcher
from release.upstream.interface import FetchResult

pytestmark = pytest.mark.integration

T = TypeVar("T")
TOKEN = "ghp_freshTOKENvalue0123456789"
GITHUB_CACHE = {
    "Cache-Control": "public, max-age=60, s-maxage=60",
    "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
}


class Clock:
    """The fetcher's clock: real time (the server's `Date` is real), moved on by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def run(
    scenario: Callable[[HttpFetcher], Awaitable[T]],
    cache: HttpCache,
    clock: Clock,
    *,
    serve_fresh: bool = True,
    github: GitHubAuth | None = None,
) -> tuple[T, HttpFetcher]:
    async def go() -> tuple[T, HttpFetcher]:
        async with httpx.AsyncClient(trust_env=False) as client:
            fetcher = HttpFetcher(
                client, cache=cache, clock=clock, serve_fresh=serve_fresh, github=github
            )
            return await scenario(fetcher), fetcher

    return asyncio.run(go())


def get(url: str) -> Callable[[HttpFetcher], Awaitable[FetchResult]]:
    async def scenario(fetcher: HttpFetcher) -> FetchResult:
        return await fetcher.get(url)

    return scenario


def test_a_fresh_entry_is_served_without_a_request_until_it_goes_stale(
    upstream_server: UpstreamServer,
    tmp_path: Path,
) -> None:
    # The 304 says max-age=3600: our clock, moved on by hand, is 61 s past the server's `Date`
    # by then, which a 60 s lifetime would not survive.
    renewed = {**GITHUB_CACHE, "Cache-Control": "public, max-age=3600"}
    upstream_server.route_sequence(
        "GET",
        "/repos/a/b/tags",
        [
            Reply.of_json([{"name": "v1.0.0"}], etag='"t1"', headers=GITHUB_CACHE),
            Reply.of_json([{"name": "v1.0.0"}], etag='"t1"', headers=renewed),
        ],
    )
    url = upstream_server.url + "/repos/a/b/tags"
    cache, clock = HttpCache(tmp_path / "cache"), Clock()

    first, _ = run(get(url), cache, clock)
    assert not first.from_cache
    clock.now += 30
    second, fetcher = run(get(url), cache, clock)  # a new run, the same directory
    assert second.from_cache
    assert second.json() == [{"name": "v1.0.0"}]
    assert fetcher.stats.served_fresh == 1
    assert fetcher.stats.requests == 0
    assert upstream_server.hits("/repos/a/b/tags") == 1

    # Stale after its minute: revalidated (a 304, no body), and the 304's max-age renews it.
    clock.now += 31
    third, fetcher = run(get(url), cache, clock)
    assert third.from_cache
    assert (fetcher.stats.requests, fetcher.stats.revalidated) == (1, 1)
    assert upstream_server.requests_to("/repos/a/b/tags")[-1].headers["if-none-match"] == '"t1"'
    clock.now += 30
    fourth, fetcher = run(get(url), cache, clock)
    assert fourth.body == first.body
    assert (fetcher.stats.requests, fetcher.stats.served_fresh) == (0, 1)
    assert upstream_server.hits("/repos/a/b/tags") == 2


def test_without_serve_fresh_every_use_revalidates(
    upstream_server: UpstreamServer,
    tmp_path: Path,
) -> None:
    upstream_server.route("GET", "/repos/a/b/tags", json=[], etag='"t1"', headers=GITHUB_CACHE)
    url = upstream_server.url + "/repos/a/b/tags"
    cache, clock = HttpCache(tmp_path), Clock()
    run(get(url), cache, clock, serve_fresh=False)
    second, fetcher = run(get(url), cache, clock, serve_fresh=False)
    assert second.from_cache
    assert (fetcher.stats.requests, fetcher.stats.revalidated, fetcher.stats.served_fresh) == (
        1,
        1,
        0,
    )


def test_an_entry_is_fresh_only_for_the_same_authentication(
    upstream_server: UpstreamServer,
    tmp_path: Path,
) -> None:
    """GitHub varies on Authorization: what an anonymous run stored is revalidated by a run
    with a token (and the other way round), never served to it unasked."""
    upstream_server.route("GET", "/repos/a/b/tags", json=[], etag='"t1"', headers=GITHUB_CACHE)
    url = upstream_server.url + "/repos/a/b/tags"
    cache, clock = HttpCache(tmp_path), Clock()
    authed = GitHubAuth(api_url=upstream_server.url, token=TOKEN)
    run(get(url), cache, clock)
    _, fetcher = run(get(url), cache, clock, github=authed)
    assert (fetcher.stats.requests, fetcher.stats.served_fresh) == (1, 0)
    assert upstream_server.requests_to("/repos/a/b/tags")[-1].headers["authorization"] == (
        f"Bearer {TOKEN}"
    )
    # The 304 renewed it for authenticated requests: the next one with the token is served.
    _, fetcher = run(get(url), cache, clock, github=authed)
    assert (fetcher.stats.requests, fetcher.stats.served_fresh) == (0, 1)
    assert TOKEN not in "".join(p.read_bytes().decode("latin-1") for p in tmp_path.iterdir())


def test_no_cache_and_no_lifetime_always_revalidate(
    upstream_server: UpstreamServer,
    tmp_path: Path,
) -> None:
    upstream_server.route("GET", "/a", json=[], etag='"a"', headers={"Cache-Control": "no-cache"})
    upstream_server.route("GET", "/b", json=[], etag='"b"')
    cache, clock = HttpCache(tmp_path), Clock()
    for path in ("/a", "/b"):
        run(get(upstream_server.url + path), cache, clock)
        _, fetcher = run(get(upstream_server.url + path), cache, clock)
        assert (fetcher.stats.requests, fetcher.stats.revalidated) == (1, 1), path


# --- the commands: check serves fresh entries, --revalidate and refresh ask ------------------


MANIFEST = """\
schema: 1
release: 2026.11.0
components:
  c0000:
    version: 1.0.0
    versioning: {tag: "v{version}"}
    upstream: {kind: github-tags, repo: bench/c0000}
    pins:
      - {kind: dockerfile-arg, file: images/bench/Dockerfile, name: C0000_VERSION}
"""


def test_check_serves_fresh_listings_and_revalidate_and_refresh_ask(
    upstream_server: UpstreamServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "repo"
    (root / "images" / "bench").mkdir(parents=True)
    (root / "versions.yaml").write_text(MANIFEST)
    (root / "images" / "bench" / "Dockerfile").write_text("FROM scratch\nARG C0000_VERSION=1.0.0\n")
    tags = [
        {"name": "v1.1.0", "commit": {"sha": "1" * 40}},
        {"name": "v1.0.0", "commit": {"sha": "0" * 40}},
    ]
    upstream_server.route(
        "GET", "/repos/bench/c0000/tags", json=tags, etag='"tags"', headers=GITHUB_CACHE
    )
    monkeypatch.setenv("GITHUB_API_URL", upstream_server.url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    common = [
        "--root",
        str(root),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-advisories",
        "--no-eol",
        "--today",
        "2026-09-16",
    ]

    def check(*extra: str) -> dict[str, object]:
        capsys.readouterr()
        assert main(["check", *common, "--json", *extra]) == 0
        document: dict[str, object] = json.loads(capsys.readouterr().out)
        return document

    first = check()
    assert upstream_server.hits("/repos/bench/c0000/tags") == 1
    second = check()  # fresh: the same answer, nothing asked (and no rate-limit point spent)
    assert second["components"] == first["components"]
    assert second["github_rate_limit_spent"] == {"core": 0, "graphql": 0}
    assert upstream_server.hits("/repos/bench/c0000/tags") == 1

    assert check("--revalidate")["components"] == first["components"]
    assert upstream_server.hits("/repos/bench/c0000/tags") == 2
    assert (
        upstream_server.requests_to("/repos/bench/c0000/tags")[-1].headers["if-none-match"]
        == '"tags"'
    )

    assert main(["refresh", *common, "--dry-run"]) == 0  # refresh writes: it asks
    assert upstream_server.hits("/repos/bench/c0000/tags") == 3
    assert "C0000_VERSION=1.1.0" in capsys.readouterr().out

"""GitHub listings through GraphQL (with a token) against the fake world, and parity with REST.

The world answers `POST /graphql` (tests/world/graphql.py) from the same repository data as its
REST endpoints; these tests run the real manifest both ways and compare what each component
gets, and check the batching (one query for every GitHub component, further pages only where
needed), the per-repository `NOT_FOUND`, and the fallback to REST when GraphQL fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from world import TODAY, FakeWorld, HostRoutingTransport
from world.server import UpstreamServer

from release.manifest.load import load_manifest
from release.manifest.model import UpstreamKind
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check
from release.upstream.github_graphql import (
    MAX_REPOS_PER_QUERY,
    GithubGraphQL,
    _Repo,
    build_query,
    chunks,
    graphql_url,
)
from release.upstream.http import FetchSettings, GitHubAuth, HttpFetcher
from release.upstream.interface import Listing
from release.upstream.sources import Endpoints, source_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TOKEN = "ghp_gr4phqlT0KENvalue0123456789abcdefABCD"
GITHUB = [c for c in MANIFEST.components
          if c.upstream.kind in (UpstreamKind.GITHUB_RELEASES, UpstreamKind.GITHUB_TAGS)]


async def _no_sleep(_seconds: float) -> None:
    return None


def with_fetcher(server: UpstreamServer, work: Callable[[HttpFetcher], Any], *,
                 token: str | None = TOKEN) -> Any:
    async def main() -> Any:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=FetchSettings(max_attempts=2),
                                  github=GitHubAuth(token=token), sleep=_no_sleep,
                                  jitter=lambda: 0.0)
            return await work(fetcher)

    return asyncio.run(main())


def check(server: UpstreamServer, *, graphql: bool = True, token: str | None = TOKEN,
          resolve: bool = True) -> Outcome:
    endpoints = Endpoints(github_graphql=graphql)

    async def work(fetcher: HttpFetcher) -> Outcome:
        return await run_check(MANIFEST, fetcher, today=TODAY, endpoints=endpoints,
                               resolve=resolve)

    outcome: Outcome = with_fetcher(server, work, token=token)
    return outcome


def summary(outcome: Outcome) -> dict[str, tuple[object, ...]]:
    """Everything a component's result and resolved update say, by component."""
    updates = {u.component: u for u in outcome.updates}
    out: dict[str, tuple[object, ...]] = {}
    for r in outcome.results:
        u = updates.get(r.component)
        out[r.component] = (r.status, r.candidate, r.newest, r.bump, r.notes_url, r.reason,
                            r.rejected, r.releases_seen,
                            None if u is None else (u.version, u.sha256, u.digest, u.commit))
    return out


def test_graphql_and_rest_give_the_same_check_and_refresh(upstream_server: UpstreamServer) -> None:
    world = FakeWorld().install(upstream_server)
    rest = check(upstream_server, graphql=False)
    assert world.graphql.queries == 0
    world.log.clear()
    graphql = check(upstream_server)

    assert summary(graphql) == summary(rest)
    assert graphql.errors == ()
    assert world.graphql.queries == 1 + max_pages_beyond_first(world)
    # The action pins' commits came from the listing (tag commits), not from /commits/{tag};
    # the only REST requests left are the asset digests of the releases caddy and squid pin
    # (caddy-arm64's archive is in caddy's release, read once for both).
    commits = {u.component: u.commit for u in graphql.updates if u.commit is not None}
    assert commits == {
        "actions-checkout": world.commit_for("actions/checkout", "v6.0.2"),
        "actions-setup-python": world.commit_for("actions/setup-python", "v6.2.0"),
    }
    rest_paths = sorted(e.path for e in world.exchanges(host="api.github.com")
                        if e.method == "GET")
    assert rest_paths == ["/repos/caddyserver/caddy/releases/tags/v2.11.5",
                          "/repos/squid-cache/squid/releases/tags/SQUID_7_7"]
    assert graphql.rate_limit == {"core": 2, "graphql": world.graphql.queries}


def test_graphql_listings_equal_rest_listings_dates_and_flags(
    upstream_server: UpstreamServer,
) -> None:
    """Every GitHub component's listing, release by release: tag, version, pre-release flag,
    publication date and notes URL (drafts skipped both ways)."""
    FakeWorld().install(upstream_server)
    endpoints = Endpoints()

    async def both(fetcher: HttpFetcher) -> tuple[dict[str, Listing], dict[str, Listing]]:
        batch = GithubGraphQL(fetcher, api_url=endpoints.github_api_url)
        batch.prepare(GITHUB)
        rest: dict[str, Listing] = {}
        via: dict[str, Listing] = {}
        for component in GITHUB:
            source = source_for(component.upstream.kind, endpoints)
            rest[component.name] = await source.list_releases(component, fetcher)
            kind = "tags" if component.upstream.kind is UpstreamKind.GITHUB_TAGS else "releases"
            via[component.name] = await batch.listing(component, kind)
        return rest, via

    rest, via = with_fetcher(upstream_server, both)
    assert via == rest
    assert any(r.published for listing in via.values() for r in listing.releases)
    assert any(r.prerelease for listing in via.values() for r in listing.releases)


def test_one_query_holds_every_github_component_and_pages_only_where_needed(
    upstream_server: UpstreamServer,
) -> None:
    world = FakeWorld().install(upstream_server)
    outcome = check(upstream_server, resolve=False)

    api = world.exchanges(host="api.github.com")
    posts = [e for e in api if e.method == "POST"]
    gets = [e for e in api if e.method == "GET"]
    assert gets == []
    # The first query holds all 17 repositories; only those with more than 100 releases or
    # tags are asked again, each time in one query.
    assert len(posts) == world.graphql.queries
    assert len(posts) == 1 + max_pages_beyond_first(world)
    assert outcome.rate_limit == {"core": 0, "graphql": len(posts)}
    assert all(e.headers.get("authorization") == f"Bearer {TOKEN}" for e in posts)


def max_pages_beyond_first(world: FakeWorld) -> int:
    longest = 0
    for repo in world.repos:
        items = len(repo.tags) if repo.source == "tags" else len(repo.releases)
        longest = max(longest, (items - 1) // 100)
    return longest


def test_a_not_found_repository_fails_only_its_component(upstream_server: UpstreamServer) -> None:
    world = FakeWorld().install(upstream_server)
    world.graphql.missing.add("coturn/coturn")
    rest = summary(check(upstream_server, graphql=False))
    outcome = check(upstream_server)

    failed = next(r for r in outcome.results if r.component == "coturn")
    assert failed.status is Status.ERROR
    assert failed.reason == ("GitHub GraphQL: coturn/coturn: NOT_FOUND: Could not resolve to a "
                             "Repository with the name 'coturn/coturn'.")
    got = summary(outcome)
    assert {k: v for k, v in got.items() if k != "coturn"} == {
        k: v for k, v in rest.items() if k != "coturn"}


@pytest.mark.parametrize("status", [401, 502])
def test_graphql_failing_as_a_whole_falls_back_to_rest(
    upstream_server: UpstreamServer, status: int,
) -> None:
    world = FakeWorld().install(upstream_server)
    rest = summary(check(upstream_server, graphql=False))
    world.log.clear()
    world.graphql.status = status
    outcome = check(upstream_server)

    assert summary(outcome) == rest
    posts = [e for e in world.exchanges(host="api.github.com") if e.method == "POST"]
    assert [e.status for e in posts] == [status] * (2 if status >= 500 else 1)
    listings = {"/".join(e.path.split("/")[2:4]) for e in world.exchanges(host="api.github.com")
                if e.method == "GET" and e.path.startswith("/repos/")
                and e.path.endswith(("/tags", "/releases"))}  # (later pages: /repositories/ID)
    # By repository: histogram-quantile and signoz share SigNoz/signoz.
    assert listings == {c.upstream.repo for c in GITHUB}


def test_without_a_token_graphql_is_never_asked(upstream_server: UpstreamServer) -> None:
    world = FakeWorld().install(upstream_server)
    outcome = check(upstream_server, token=None, resolve=False)

    assert [e for e in world.exchanges(host="api.github.com") if e.method == "POST"] == []
    rest_calls = world.exchanges(host="api.github.com")
    assert outcome.rate_limit == {"core": len(rest_calls), "graphql": 0}


def test_queries_are_split_at_the_alias_bound() -> None:
    repos = [_Repo(repo=f"bench/c{i:04d}", kind="tags", alias=f"r{i}") for i in range(1000)]
    parts = chunks(repos)
    assert [len(p) for p in parts] == [MAX_REPOS_PER_QUERY] * 10
    query = build_query(parts[0][:1])
    assert query == (
        "query {\n"
        "  rateLimit { cost remaining resetAt }\n"
        '  r0: repository(owner: "bench", name: "c0000") { refs(refPrefix: "refs/tags/", '
        "first: 100, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) { pageInfo { "
        "hasNextPage endCursor } nodes { name target { __typename oid ... on Tag { target { "
        "__typename oid } } } } } }\n"
        "}\n"
    )


@pytest.mark.parametrize(("api", "expected"), [
    ("https://api.github.com", "https://api.github.com/graphql"),
    ("https://github.example.com/api/v3/", "https://github.example.com/api/graphql"),
])
def test_graphql_url(api: str, expected: str) -> None:
    assert graphql_url(api) == expected

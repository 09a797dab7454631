"""Parsers of every upstream source kind, with literal inputs in the shapes upstreams really use.

Where a whole source is exercised, it runs on the project's `HttpFetcher` over an
`httpx.MockTransport` (parser-level only; every kind also has a test against a real local
server in tests/integration/upstream/test_sources.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import git
import httpx
import pytest

from release.manifest.load import load_manifest
from release.manifest.model import Checksum, ChecksumKind, Component, Upstream, UpstreamKind
from release.upstream import checksums, common, feeds, github, gittags, index, registry, sources
from release.upstream.errors import PermanentUpstreamError, RetryableUpstreamError, UpstreamError
from release.upstream.http import FetchSettings, HttpFetcher
from release.upstream.interface import Fetcher, FetchResult, Listing, Source, classify_tags
from release.versioning import Version

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
API = "https://api.github.com"
HEX_A = "a" * 64
HEX_B = "0123456789abcdef" * 4
T = TypeVar("T")


def component(name: str) -> Component:
    found = MANIFEST.component(name)
    assert found is not None
    return found


def with_upstream(name: str, **fields: Any) -> Component:
    comp = component(name)
    return replace(comp, upstream=replace(comp.upstream, **fields))


# --- a fetcher over canned responses --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Canned:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def of_json(document: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Canned:
    return Canned(status, json.dumps(document).encode(),
                  {"content-type": "application/json", **(headers or {})})


def of_text(text: str, headers: Mapping[str, str] | None = None) -> Canned:
    return Canned(200, text.encode(), {"content-type": "text/plain", **(headers or {})})


Routes = Mapping[str, Canned | Callable[[httpx.Request], Canned]]


def run(routes: Routes, call: Callable[[Fetcher], Awaitable[T]]) -> tuple[T, list[httpx.Request]]:
    """Run `call` with a fetcher whose requests are answered from `routes` ("GET <url>")."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        found = routes.get(f"{request.method} {request.url}")
        if found is None:
            return httpx.Response(404, json={"message": "Not Found"})
        canned = found(request) if callable(found) else found
        return httpx.Response(canned.status, content=canned.body, headers=dict(canned.headers))

    async def main() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await call(HttpFetcher(client, settings=FetchSettings(max_attempts=1)))

    return asyncio.run(main()), seen


def versions(listing: Listing) -> list[str]:
    return sorted(r.version for r in listing.releases)


# --- GitHub --------------------------------------------------------------------------------------


def release(tag: str, *, draft: bool = False, prerelease: bool = False,
            published: str = "2026-06-25T14:05:02Z") -> dict[str, Any]:
    return {
        "url": f"{API}/repos/x/y/releases/1", "id": 290000001, "tag_name": tag,
        "target_commitish": "main", "name": f"Release {tag}", "draft": draft,
        "prerelease": prerelease, "immutable": False, "created_at": published,
        "published_at": published, "assets": [], "body": "## Change Log",
    }


def test_releases_skip_drafts_flag_prereleases_and_ignore_junk_tags() -> None:
    page = [
        release("4.17.1"),
        release("docker/4.17.0-r0"),  # coturn's image-build releases
        release("4.18.0", draft=True, published="2026-09-01T00:00:00Z"),
        release("4.17.2", prerelease=True, published="2026-08-20T10:00:00Z"),
        release("debian/4.6.1-1"),
        release("upstream/4.6.1"),
        release("4.17.0", published="2026-07-01T09:00:00Z"),
    ]
    url = f"{API}/repos/coturn/coturn/releases?per_page=100"
    listing, seen = run({f"GET {url}": of_json(page)},
                        lambda f: github.GithubReleases().list_releases(component("coturn"), f))
    assert [(r.version, r.tag, r.prerelease, r.published) for r in listing.releases] == [
        ("4.17.1", "4.17.1", False, "2026-06-25T14:05:02Z"),
        ("4.17.2", "4.17.2", True, "2026-08-20T10:00:00Z"),
        ("4.17.0", "4.17.0", False, "2026-07-01T09:00:00Z"),
    ]
    assert listing.releases[0].notes_url == "https://github.com/coturn/coturn/releases/tag/4.17.1"
    assert listing.rejected == ()
    assert [str(r.url) for r in seen] == [url]
    assert seen[0].headers["accept"] == "application/vnd.github+json"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message": "Not Found"}, "expected a JSON list of releases, got an object"),
        (["4.17.1"], "item 0 is a string, not a release object"),
        ([{"tag_name": 4}], "item 0: 'tag_name' is a number, not a string"),
        ([{"name": "x"}], "item 0: 'tag_name' is null, not a string"),
        ([{"tag_name": "1.0.0", "draft": "no"}], "item 0: 'draft' is a string"),
        ([{"tag_name": "1.0.0", "name": ["x"]}], "item 0: 'name' is a list"),
    ],
)
def test_release_page_shape_is_validated(data: Any, message: str) -> None:
    url = f"{API}/repos/x/y/releases?per_page=100"
    with pytest.raises(PermanentUpstreamError) as caught:
        github.parse_releases(data, url)
    assert caught.value.message == f"{url}: {message}"


def test_tag_page_shape_is_validated() -> None:
    assert github.parse_tags([{"name": "REL_17_11", "commit": {"sha": "6b19"}}], "u") == [
        "REL_17_11"
    ]
    with pytest.raises(PermanentUpstreamError, match=r"^u: item 1: 'name' is null"):
        github.parse_tags([{"name": "a"}, {"tag_name": "b"}], "u")


JUNK_TAGS = [
    ("coturn", "docker/4.17.0-r0"),
    ("coturn", "debian/4.6.1-1"),
    ("kamailio", "before_x"),
    ("kamailio", "before_rpc_v2"),
    ("kamailio", "v0_8_14_rc1"),
    ("kamailio", "3.0_pre1"),
    ("kamailio", "5.1.10.1"),
    ("pgbouncer", "pgbouncer_1_23_1-fixed"),
    ("pgbouncer", "pgbouncer_1_8"),
    ("janus", "v0.4.0-broken"),
    ("signoz", "histogram-quantile/v0.0.1"),
    ("signoz-otel-collector", "cmd/builder/v0.159.0"),
    ("signoz-otel-collector", "cmd/opampsupervisor/v0.159.0"),
    ("squid", "take12"),
    ("squid", "SQUID_3_0_STABLE5"),
    ("squid", "merge-candidate-1"),
    ("rtpengine", "mr13.1.1"),
    ("postgresql", "REL9_6_24"),
]

# Every pre-release spelling of reference §3.4, on the component that uses it.
PRERELEASE_TAGS = [
    ("asterisk", "23.5.0-rc1"),  # -rc1
    ("asterisk", "certified-22.8-cert1-pre1"),  # -pre1
    ("caddy", "v2.8.0-rc.1"),  # -rc.1
    ("caddy", "v2.11.0-beta.1"),  # -beta.1
    ("signoz-otel-collector", "v0.144.6-rc.1"),
    ("signoz-otel-collector", "v0.144.5-7e8519b"),  # commit-suffixed dev build
    ("signoz-otel-collector", "v0.160.0-nightly.202608220225"),  # -nightly.YYYYMMDDHHMM
    ("python", "3.15.0rc1-slim-trixie"),  # rc1 without a separator
    ("python", "3.15-rc-slim-trixie"),
    ("python", "3.15.0a1-slim-trixie"),
    ("python", "3.15.0b1-slim-trixie"),
    ("pgbouncer", "pgbouncer_1_7_rc1"),  # _rc1
    ("pgbouncer", "pgbouncer_1_4_1_rc5"),
    ("postgresql", "REL_19~beta3"),  # ~beta3 (Debian pgdg)
    ("postgresql", "REL_19beta3"),  # beta3 (directories)
    ("postgresql", "REL_18_BETA1"),  # _BETA1
    ("postgresql", "REL_18_RC1"),
    ("redis", "8.0-m01"),  # -m01 milestone
    ("redis", "7.4-rc1"),  # two-part base + rc
    ("redis", "8.10-rc2"),
    ("signoz", "v0.135.0-cloud.5"),  # -cloud.N
    ("clickhouse", "25.5.6-prestable"),  # -prestable / -testing
    ("clickhouse", "25.5.6-testing"),
    ("clickhouse", "25.5.6-new"),
    ("squid", "SQUID_7_0_1"),  # X_0_Y beta
    ("node", "v24.0.0-rc.1"),
    ("debian", "forky-20260803-slim"),
    ("debian", "sid-slim"),
]


@pytest.mark.parametrize(("name", "tag"), JUNK_TAGS + PRERELEASE_TAGS)
def test_junk_and_prerelease_spellings_never_match(name: str, tag: str) -> None:
    assert classify_tags(component(name), [(tag, False)]) == Listing()


@pytest.mark.parametrize(("name", "tag"), JUNK_TAGS)
def test_github_tags_source_ignores_junk(name: str, tag: str) -> None:
    comp = with_upstream(name, kind=UpstreamKind.GITHUB_TAGS, repo="owner/name")
    good = comp.versioning.tag_for(comp.version)
    url = f"{API}/repos/owner/name/tags?per_page=100"
    page = [{"name": tag, "commit": {"sha": "6b19a854"}}, {"name": good}]
    listing, _ = run({f"GET {url}": of_json(page)},
                     lambda f: github.GithubTags().list_releases(comp, f))
    assert versions(listing) == [comp.version]
    assert listing.rejected == ()


MALICIOUS = ["1.2.3\nRUN curl evil|sh", '1.2.3"; rm -rf /', "1." + "9" * 4998]


def test_malicious_tag_names_are_rejected_and_reported() -> None:
    page = [release(tag) for tag in MALICIOUS] + [release("22.10.1")]
    url = f"{API}/repos/asterisk/asterisk/releases?per_page=100"
    listing, _ = run({f"GET {url}": of_json(page)},
                     lambda f: github.GithubReleases().list_releases(component("asterisk"), f))
    assert versions(listing) == ["22.10.1"]
    shown = [r.tag for r in listing.rejected]
    assert shown == ["1.2.3\\nRUN curl evil|sh", '1.2.3"; rm -rf /', "1." + "9" * 78]
    assert all("\n" not in r.tag and len(r.tag) <= 80 for r in listing.rejected)
    assert all("not a well-formed tag name" in r.reason for r in listing.rejected)


def link(*pairs: tuple[str, str]) -> dict[str, str]:
    return {"link": ", ".join(f'<{url}>; rel="{rel}"' for url, rel in pairs)}


def test_every_page_is_read_and_latest_never_asked() -> None:
    first = f"{API}/repos/janus/janus/releases?per_page=100"
    second = f"{API}/repositories/123/releases?per_page=100&page=2"
    third = f"{API}/repositories/123/releases?per_page=100&page=3"
    routes: Routes = {
        f"GET {first}": of_json([release("v1.4.1"), release("v0.16.1")],
                                headers=link((second, "next"), (third, "last"))),
        f"GET {second}": of_json([release("v1.4.0")], headers=link((third, "next"))),
        f"GET {third}": of_json([release("v0.4.0-broken")], headers=link((first, "first"))),
        f"GET {API}/repos/janus/janus/releases/latest": of_json(release("v0.16.1")),
    }
    comp = with_upstream("janus", kind=UpstreamKind.GITHUB_RELEASES, repo="janus/janus")
    listing, seen = run(routes, lambda f: github.GithubReleases().list_releases(comp, f))
    assert versions(listing) == ["0.16.1", "1.4.0", "1.4.1"]
    assert [str(r.url) for r in seen] == [first, second, third]


def test_github_enterprise_base_and_relative_next_link() -> None:
    base = "https://ghe.example.com/api/v3"
    first = f"{base}/repos/a/b/tags?per_page=100"
    second = f"{base}/repos/a/b/tags?per_page=100&page=2"
    routes: Routes = {
        f"GET {first}": of_json([{"name": "6.1.4"}],
                                headers=link(("/api/v3/repos/a/b/tags?per_page=100&page=2",
                                              "next"))),
        f"GET {second}": of_json([{"name": "6.1.3"}]),
    }
    comp = with_upstream("kamailio", repo="a/b")
    listing, _ = run(routes, lambda f: github.GithubTags(api_url=base + "/").list_releases(comp, f))
    assert versions(listing) == ["6.1.3", "6.1.4"]


@pytest.mark.parametrize(
    ("next_url", "message"),
    [
        ("https://evil.example/repos/a/b/tags?page=2", "refused cross-origin pagination link"),
        ("http://api.github.com/repos/a/b/tags?page=2", "refused cross-origin pagination link"),
        ("https://api.github.com:8443/x?page=2", "refused cross-origin pagination link"),
        (f"{API}/repos/a/b/tags?per_page=100", "points back to the same page"),
    ],
)
def test_next_links_leaving_the_origin_or_looping_are_refused(next_url: str, message: str) -> None:
    first = f"{API}/repos/a/b/tags?per_page=100"
    routes: Routes = {f"GET {first}": of_json([{"name": "6.1.4"}],
                                              headers=link((next_url, "next")))}
    comp = with_upstream("kamailio", repo="a/b")
    with pytest.raises(PermanentUpstreamError, match=message):
        run(routes, lambda f: github.GithubTags().list_releases(comp, f))


def test_two_page_loop_and_page_cap() -> None:
    first = f"{API}/repos/a/b/tags?per_page=100"
    second = f"{API}/repos/a/b/tags?per_page=100&page=2"
    routes: Routes = {
        f"GET {first}": of_json([{"name": "6.1.4"}], headers=link((second, "next"))),
        f"GET {second}": of_json([{"name": "6.1.3"}], headers=link((first, "next"))),
    }
    comp = with_upstream("kamailio", repo="a/b")
    with pytest.raises(PermanentUpstreamError, match="loops back to a page already read"):
        run(routes, lambda f: github.GithubTags().list_releases(comp, f))
    with pytest.raises(PermanentUpstreamError, match="still more pages after 1"):
        run(routes, lambda f: github.GithubTags(max_pages=1).list_releases(comp, f))


@pytest.mark.parametrize("repo", [None, "../../etc", "a/b/c", "a b/c"])
def test_repo_must_be_owner_and_name(repo: str | None) -> None:
    with pytest.raises(PermanentUpstreamError):
        github.repo_url(API, repo, "tags")


@pytest.mark.parametrize(
    ("page", "header_value", "expected"),
    [
        ("https://x/?page=1", '<https://x/?page=2>; rel="next", <https://x/?page=7>; rel="last"',
         "https://x/?page=2"),
        ("https://x/?page=1", '<https://x/?page=7>; rel="last", <https://x/?page=3>; rel="next"',
         "https://x/?page=3"),
        ("https://r.example/v2/library/postgres/tags/list?n=1000",
         '</v2/library/postgres/tags/list?last=12-alpine&n=1000>; rel="next"',
         "https://r.example/v2/library/postgres/tags/list?last=12-alpine&n=1000"),
        ("https://x/?page=2", '<https://x/?page=1>; rel="prev"', None),
    ],
)
def test_pages_follow_link_headers(page: str, header_value: str, expected: str | None) -> None:
    result = FetchResult(url=page, status=200, headers={"Link": header_value}, body=b"")
    assert common.Pages(start=page).follow_result(result) == expected


def asset(name: str, digest: str | None) -> dict[str, Any]:
    return {"name": name, "label": "", "content_type": "application/gzip", "state": "uploaded",
            "size": 27123456, "digest": digest,
            "browser_download_url": f"https://github.com/x/y/releases/download/t/{name}"}


def test_asset_digest_by_name() -> None:
    url = f"{API}/repos/squid-cache/squid/releases/tags/SQUID_7_6"
    doc = {"tag_name": "SQUID_7_6", "assets": [
        asset("squid-7.6.tar.xz.asc", None),
        asset("squid-7.6.tar.xz", f"sha256:{HEX_B}"),
        asset("rtpengine-daemon_26.0.1.19+0.mr26.0.1.19+gh+trixie_amd64.deb", f"sha256:{HEX_A}"),
    ]}
    routes: Routes = {f"GET {url}": of_json(doc)}
    found, _ = run(routes, lambda f: github.asset_sha256(
        f, repo="squid-cache/squid", tag="SQUID_7_6", asset="squid-7.6.tar.xz"))
    assert found == HEX_B
    # GitHub sanitised `~` to `.`: the name we would have built does not exist.
    with pytest.raises(PermanentUpstreamError, match="has no asset named 'rtpengine-daemon_26"):
        run(routes, lambda f: github.asset_sha256(
            f, repo="squid-cache/squid", tag="SQUID_7_6",
            asset="rtpengine-daemon_26.0.1.19+0~mr26.0.1.19+gh+trixie_amd64.deb"))
    with pytest.raises(PermanentUpstreamError, match="has no digest") as caught:
        run(routes, lambda f: github.asset_sha256(
            f, repo="squid-cache/squid", tag="SQUID_7_6", asset="squid-7.6.tar.xz.asc"))
    assert caught.value.hint == "use checksum kind 'compute' for this component"


@pytest.mark.parametrize("digest", [f"sha512:{HEX_A}{HEX_A}", f"sha256:{HEX_A.upper()}", "sha256:"])
def test_asset_digest_must_be_sha256(digest: str) -> None:
    url = f"{API}/repos/a/b/releases/tags/v1"
    routes: Routes = {f"GET {url}": of_json({"assets": [asset("x.tar.gz", digest)]})}
    with pytest.raises(PermanentUpstreamError, match="not sha256:<64 lowercase hex digits>"):
        run(routes, lambda f: github.asset_sha256(f, repo="a/b", tag="v1", asset="x.tar.gz"))


def test_asset_release_shape_is_validated() -> None:
    with pytest.raises(PermanentUpstreamError, match="expected a JSON list of assets, got null"):
        github.parse_asset_digests({"tag_name": "v1"}, "u")
    with pytest.raises(PermanentUpstreamError, match="expected a release object, got a list"):
        github.parse_asset_digests([], "u")


def test_shown_values_are_one_line_and_bounded() -> None:
    assert common.shown("a\nb") == "a\\nb"
    assert common.shown("x" * 300) == "x" * 200 + "..."
    assert common.shown_url("https://user:secret@host/x") == "https://***@host/x"


# --- git tags ------------------------------------------------------------------------------------

LS_REMOTE = (
    "209b2ab52e294c056644a85497dd8098b99634dd\trefs/tags/6.1.4\n"
    "b2ab52e294c056644a85497dd8098b99634dd209\trefs/tags/before_x\n"
    'c056644a85497dd8098b99634dd209b2ab52e294\trefs/tags/1.2.3";rm\n'
    "644a85497dd8098b99634dd209b2ab52e294c056\trefs/tags/6.0.7^{}\n"
    "4a85497dd8098b99634dd209b2ab52e294c05664\trefs/heads/main\n"
)


def test_ls_remote_output_is_parsed() -> None:
    assert gittags.parse_ls_remote(LS_REMOTE, "file:///r") == ["6.1.4", "before_x", '1.2.3";rm']
    with pytest.raises(PermanentUpstreamError, match=r"line 1 of git ls-remote output"):
        gittags.parse_ls_remote("not a ref line\n", "file:///r")


class FakeGit(git.cmd.Git):
    """A `git.cmd.Git` whose ls-remote answers (or fails) as told, recording its arguments."""

    def __init__(self, output: str = "", error: git.exc.GitError | None = None) -> None:
        super().__init__()
        self.output, self.error = output, error
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def ls_remote(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        return self.output


def git_component(url: str = "https://github.com/kamailio/kamailio.git") -> Component:
    return with_upstream("kamailio", kind=UpstreamKind.GIT_TAGS, url=url, repo=None)


def test_git_tags_source_runs_ls_remote_and_classifies() -> None:
    fake = FakeGit(LS_REMOTE)
    source = gittags.GitTags(timeout=7, git=lambda: fake)
    listing, _ = run({}, lambda f: source.list_releases(git_component(), f))
    assert versions(listing) == ["6.1.4"]
    assert [r.tag for r in listing.rejected] == ['1.2.3";rm']
    args, kwargs = fake.calls[0]
    assert args == ("--tags", "--refs", "--", "https://github.com/kamailio/kamailio.git")
    assert kwargs == {"kill_after_timeout": 7, "env": {"GIT_TERMINAL_PROMPT": "0"}}


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (git.exc.GitCommandError(["git", "ls-remote"], 128,
                                 b"fatal: repository 'https://x/r.git/' not found\nmore"),
         PermanentUpstreamError, "fatal: repository 'https://x/r.git/' not found"),
        (git.exc.GitCommandError(["git", "ls-remote"], -9,
                                 'Timeout: the command "git ls-remote" did not complete in 7 secs.'),
         RetryableUpstreamError, "Timeout: the command"),
        (git.exc.GitCommandError(["git"], 128, "fatal: unable to access 'https://x/': "
                                 "Could not resolve host: x"),
         RetryableUpstreamError, "Could not resolve host: x"),
        (git.exc.GitCommandError(["git"], 1), PermanentUpstreamError, "no message"),
    ],
)
def test_git_errors_are_translated(
    error: git.exc.GitError, kind: type[UpstreamError], message: str
) -> None:
    source = gittags.GitTags(git=lambda: FakeGit(error=error))
    with pytest.raises(kind) as caught:
        source.ls_remote("https://user:pw@x/r.git")
    assert type(caught.value) is kind
    assert caught.value.message.startswith("https://***@x/r.git: git ls-remote failed: ")
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_git_not_installed() -> None:
    error = git.exc.GitCommandNotFound(["git"], FileNotFoundError("git"))
    source = gittags.GitTags(git=lambda: FakeGit(error=error))
    with pytest.raises(PermanentUpstreamError, match="git is not installed"):
        source.ls_remote("https://x/r.git")


@pytest.mark.parametrize(
    "url", [None, "--upload-pack=touch /tmp/x", "ext::sh -c touch% /tmp/x", "ftp://x/r.git"]
)
def test_git_remote_must_be_a_plain_url(url: str | None) -> None:
    with pytest.raises(PermanentUpstreamError):
        gittags.check_remote(url)


# --- registries ----------------------------------------------------------------------------------

HUB = "https://registry-1.docker.io"


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        ("debian", (HUB, "library/debian")),
        ("signoz/signoz", (HUB, "signoz/signoz")),
        ("clickhouse/clickhouse-server", (HUB, "clickhouse/clickhouse-server")),
        ("docker.io/library/node", (HUB, "library/node")),
        ("docker.io/node", (HUB, "library/node")),
        ("index.docker.io/library/python", (HUB, "library/python")),
        ("ghcr.io/x/y", ("https://ghcr.io", "x/y")),
        ("ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib",
         ("https://ghcr.io",
          "open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib")),
        ("localhost:5000/delphi/telapi", ("https://localhost:5000", "delphi/telapi")),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/delphi/kamailio",
         ("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "delphi/kamailio")),
    ],
)
def test_registry_for(repository: str, expected: tuple[str, str]) -> None:
    assert registry.registry_for(repository) == expected


def test_registry_for_with_injected_hosts() -> None:
    local = "http://127.0.0.1:5000"
    assert registry.registry_for("debian", docker_hub=local) == (local, "library/debian")
    assert registry.registry_for("ghcr.io/x/y", registries={"ghcr.io": local + "/"}) == (
        local, "x/y"
    )
    assert registry.registry_for("node", registries={"docker.io": local}) == (local, "library/node")


@pytest.mark.parametrize("repository", ["Debian", "ghcr.io/", "x//y", "a/b:tag", "a/b@sha256:x"])
def test_registry_for_refuses_non_repositories(repository: str) -> None:
    with pytest.raises(PermanentUpstreamError):
        registry.registry_for(repository)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
         'scope="repository:library/postgres:pull"',
         {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
          "scope": "repository:library/postgres:pull"}),
        ('bearer realm="https://ghcr.io/token", service="ghcr.io", '
         'scope="repository:x/y:pull"',
         {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:x/y:pull"}),
        ("Bearer realm=https://r/token,service=r", {"realm": "https://r/token", "service": "r"}),
        ('Basic realm="Registry Realm"', None),
        ('Bearer service="x"', None),
        (None, None),
    ],
)
def test_bearer_challenge(value: str | None, expected: dict[str, str] | None) -> None:
    assert registry.parse_bearer_challenge(value) == expected


def test_token_url() -> None:
    challenge = {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                 "scope": "repository:library/postgres:pull"}
    assert registry.token_url(challenge, registry_url=HUB + "/v2/", repository="x") == (
        "https://auth.docker.io/token?service=registry.docker.io"
        "&scope=repository%3Alibrary%2Fpostgres%3Apull"
    )
    assert registry.token_url({"realm": "https://r/t?a=1"}, registry_url="https://r/v2/",
                              repository="x/y") == "https://r/t?a=1&scope=repository%3Ax%2Fy%3Apull"
    for realm in ("http://auth.example/token", "file:///etc/passwd", "token"):
        with pytest.raises(PermanentUpstreamError, match="refusing the token realm"):
            registry.token_url({"realm": realm}, registry_url="https://r/v2/", repository="x")


@pytest.mark.parametrize(
    ("data", "expected"),
    [({"token": "eyJhbGciOi.x-y_z"}, "eyJhbGciOi.x-y_z"), ({"access_token": "abc="}, "abc=")],
)
def test_token_response(data: dict[str, str], expected: str) -> None:
    assert registry.parse_token(data, "u") == expected


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token": "a\r\nX-Evil: 1"}, ["t"]])
def test_token_response_refused(data: Any) -> None:
    with pytest.raises(PermanentUpstreamError):
        registry.parse_token(data, "u")


def test_tags_list() -> None:
    assert registry.parse_tags_list(
        {"name": "library/postgres", "tags": ["10", "10-alpine", "17.11-bookworm"]}, "u"
    ) == ["10", "10-alpine", "17.11-bookworm"]
    assert registry.parse_tags_list({"name": "empty", "tags": None}, "u") == []
    with pytest.raises(PermanentUpstreamError, match="'tags' is not a list of strings"):
        registry.parse_tags_list({"tags": [1]}, "u")
    with pytest.raises(PermanentUpstreamError, match="expected a tags/list object"):
        registry.parse_tags_list([], "u")


INDEX_DIGEST = "sha256:2ae17aff4c3c8cdb2d3d9c885d7c59ad518bffc89e8351598ff1f3f918183b7c"
LIST_DIGEST = "sha256:9340772107855de9351e88e3ba2636d045f730e05b177c5313613894c223b4d4"


def hub_result(name: str, media_type: str | None, digest: str | None) -> dict[str, Any]:
    return {
        "creator": 1156886, "id": 604964868, "images": [
            {"architecture": "amd64", "features": "", "variant": None, "digest": f"sha256:{HEX_A}",
             "os": "linux", "size": 151234567, "status": "active"},
        ],
        "last_updated": "2026-08-14T05:14:48.231504Z", "last_updater_username": "doijanky",
        "name": name, "repository": 51054, "full_size": 151234567, "v2": True,
        "tag_status": "active", "tag_last_pulled": "2026-08-21T11:22:47.149292Z",
        "tag_last_pushed": "2026-08-14T05:14:48.231504Z", "media_type": media_type,
        "content_type": "image", "digest": digest,
    }


def test_hub_page_with_both_index_media_types() -> None:
    page = {
        "count": 1755,
        "next": "https://hub.docker.com/v2/repositories/library/debian/tags?page=2&page_size=100",
        "previous": None,
        "results": [
            hub_result("trixie-20260803-slim", registry.OCI_INDEX, INDEX_DIGEST),
            hub_result("bookworm-20250203-slim", registry.DOCKER_MANIFEST_LIST, LIST_DIGEST),
            hub_result("13.6-slim", registry.DOCKER_MANIFEST, f"sha256:{HEX_A}"),
            {"name": "ancient", "media_type": None, "digest": None},
        ],
    }
    parsed = registry.parse_hub_page(page, "u")
    assert parsed.next == page["next"]
    assert [(t.name, t.digest, t.is_index) for t in parsed.tags] == [
        ("trixie-20260803-slim", INDEX_DIGEST, True),
        ("bookworm-20250203-slim", LIST_DIGEST, True),
        ("13.6-slim", f"sha256:{HEX_A}", False),
        ("ancient", None, False),
    ]
    assert parsed.tags[0].last_pushed == "2026-08-14T05:14:48.231504Z"


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ([], "expected a Docker Hub tags page object"),
        ({"results": None}, "'results' is not a list"),
        ({"results": [], "next": 2}, "'next' is not a string"),
        ({"results": [{"name": None}]}, "result 0: 'name' is not a string"),
        ({"results": [{"name": "x", "digest": "sha256:abc"}]}, "tag 'x' has digest 'sha256:abc'"),
    ],
)
def test_hub_page_shape_is_validated(page: Any, message: str) -> None:
    with pytest.raises(PermanentUpstreamError, match=message):
        registry.parse_hub_page(page, "u")


def test_hub_repository_and_name_filter() -> None:
    assert registry.hub_repository("library/debian") == ("library", "debian")
    assert registry.hub_repository("python") == ("library", "python")
    assert registry.hub_repository("docker.io/signoz/signoz") == ("signoz", "signoz")
    with pytest.raises(PermanentUpstreamError, match="not a Docker Hub repository"):
        registry.hub_repository("ghcr.io/x/y")
    assert registry.name_filter("{version}-slim-trixie") == "-slim-trixie"
    assert registry.name_filter("trixie-{version}-slim") == "trixie-"
    assert registry.name_filter("v{version}") is None
    assert registry.name_filter("{version}") is None


def test_docker_hub_source_pages_and_refuses_a_foreign_next() -> None:
    hub = "https://hub.docker.com"
    first = f"{hub}/v2/namespaces/library/repositories/debian/tags?page_size=100&name=trixie-"
    second = f"{hub}/v2/repositories/library/debian/tags?page=2&page_size=100&name=trixie-"
    routes: dict[str, Canned] = {
        f"GET {first}": of_json({"count": 3, "next": second, "results": [
            hub_result("trixie-20260803-slim", registry.OCI_INDEX, INDEX_DIGEST),
            hub_result("trixie-20260803", registry.OCI_INDEX, INDEX_DIGEST),
        ]}),
        f"GET {second}": of_json({"count": 3, "next": None, "results": [
            hub_result("trixie-20260701-slim", registry.DOCKER_MANIFEST_LIST, LIST_DIGEST),
        ]}),
    }
    listing, _ = run(routes, lambda f: registry.DockerHub().list_releases(component("debian"), f))
    assert versions(listing) == ["20260701", "20260803"]
    assert listing.releases[0].published == "2026-08-14T05:14:48.231504Z"

    routes[f"GET {first}"] = of_json({"next": "https://evil.example/v2/x?page=2", "results": []})
    with pytest.raises(PermanentUpstreamError, match="refused cross-origin pagination link"):
        run(routes, lambda f: registry.DockerHub().list_releases(component("debian"), f))


def test_image_digest_head_then_get_fallback() -> None:
    url = f"{HUB}/v2/library/debian/manifests/trixie-20260803-slim"
    manifest = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}'
    routes: dict[str, Canned] = {
        f"HEAD {url}": Canned(200, b"", {"docker-content-digest": INDEX_DIGEST,
                                         "content-type": registry.OCI_INDEX}),
    }
    digest, seen = run(routes, lambda f: registry.image_digest(
        f, HUB, "library/debian", "trixie-20260803-slim"))
    assert digest == INDEX_DIGEST
    assert seen[0].headers["accept"] == (
        "application/vnd.oci.image.index.v1+json, "
        "application/vnd.docker.distribution.manifest.list.v2+json, "
        "application/vnd.docker.distribution.manifest.v2+json, "
        "application/vnd.oci.image.manifest.v1+json"
    )
    routes[f"HEAD {url}"] = Canned(200, b"", {"content-type": registry.OCI_INDEX})
    routes[f"GET {url}"] = Canned(200, manifest, {"content-type": registry.OCI_INDEX})
    digest, seen = run(routes, lambda f: registry.image_digest(
        f, HUB, "library/debian", "trixie-20260803-slim"))
    assert digest == "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert [r.method for r in seen] == ["HEAD", "GET"]

    routes[f"HEAD {url}"] = Canned(200, b"", {"docker-content-digest": "sha512:abc"})
    with pytest.raises(PermanentUpstreamError, match="Docker-Content-Digest 'sha512:abc' is not"):
        run(routes, lambda f: registry.image_digest(f, HUB, "library/debian",
                                                    "trixie-20260803-slim"))


@pytest.mark.parametrize(("repository", "tag"), [("library/debian", "a/../b"),
                                                 ("library/debian", "x\ny"),
                                                 ("../etc", "latest")])
def test_image_digest_refuses_odd_references(repository: str, tag: str) -> None:
    with pytest.raises(PermanentUpstreamError):
        run({}, lambda f: registry.image_digest(f, HUB, repository, tag))


# --- HTTP directory indexes ----------------------------------------------------------------------

ASTERISK_INDEX = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /pub/telephony/asterisk/releases</title></head><body>
<h1>Index of /pub/telephony/asterisk/releases</h1>
<table>
<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
<tr><td><a href="/pub/telephony/asterisk/">Parent Directory</a></td></tr>
<tr><td><a href="asterisk-22-current.tar.gz">asterisk-22-current.tar.gz</a></td></tr>
<tr><td><a href="asterisk-22.10.1.tar.gz">asterisk-22.10.1.tar.gz</a></td>
<td align="right">2026-06-25 14:06  </td><td align="right"> 26M</td></tr>
<tr><td><a href="asterisk-22.10.1.tar.gz.asc">asterisk-22.10.1.tar.gz.asc</a></td></tr>
<tr><td><a href="asterisk-22.10.1.sha256">asterisk-22.10.1.sha256</a></td></tr>
<tr><td><a href="asterisk-22.10.1-patch.tar.gz">asterisk-22.10.1-patch.tar.gz</a></td></tr>
<tr><td><a href="./asterisk-22.9.0.tar.gz">asterisk-22.9.0.tar.gz</a></td></tr>
<tr><td><a href="/pub/telephony/asterisk/releases/asterisk-20.20.1.tar.gz">a</a></td></tr>
<tr><td><a href="https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-23.4.1.tar.gz">b</a></td></tr>
<tr><td><a href="https://mirror.example/pub/telephony/asterisk/releases/asterisk-99.0.0.tar.gz">m</a></td></tr>
<tr><td><a href="asterisk-23.5.0-rc1.tar.gz">asterisk-23.5.0-rc1.tar.gz</a></td></tr>
<tr><td><a href="asterisk-1.2.3%22%3Brm.tar.gz">evil</a></td></tr>
<tr><td><a href="old/">old/</a></td></tr>
</table></body></html>
"""

POSTGRES_INDEX = """<html>
<head><title>Index of /pub/source/</title></head>
<body>
<h1>Index of /pub/source/</h1><hr><pre><a href="../">../</a>
<a href="v17.10/">v17.10/</a>                                            14-May-2026 12:45       -
<a href="v17.11/">v17.11/</a>                                            13-Aug-2026 12:45       -
<a href="v18.6/">v18.6/</a>                                             13-Aug-2026 12:45       -
<a href="v18rc1/">v18rc1/</a>                                            04-Sep-2025 12:45       -
<a href="v19beta3/">v19beta3/</a>                                          13-Aug-2026 12:45       -
<a href="v9.6.24/">v9.6.24/</a>                                           11-Nov-2021 12:45       -
<a href="README.txt">README.txt</a>                                         01-Jan-2020 00:00     120
</pre><hr></body>
</html>
"""


def test_hrefs_and_children_of_an_apache_index() -> None:
    page = "https://downloads.asterisk.org/pub/telephony/asterisk/releases/"
    names = index.child_names(index.parse_hrefs(ASTERISK_INDEX), page)
    assert names == [
        "asterisk-22-current.tar.gz", "asterisk-22.10.1.tar.gz", "asterisk-22.10.1.tar.gz.asc",
        "asterisk-22.10.1.sha256", "asterisk-22.10.1-patch.tar.gz", "asterisk-22.9.0.tar.gz",
        "asterisk-20.20.1.tar.gz", "asterisk-23.4.1.tar.gz", "asterisk-23.5.0-rc1.tar.gz",
        'asterisk-1.2.3";rm.tar.gz', "old/",
    ]
    # Without the trailing slash the page is still read as the directory.
    assert index.child_names(["asterisk-22.10.1.tar.gz"], page.rstrip("/")) == [
        "asterisk-22.10.1.tar.gz"
    ]


def test_http_index_source_matches_entries() -> None:
    page = "https://downloads.asterisk.org/pub/telephony/asterisk/releases/"
    comp = with_upstream("asterisk", kind=UpstreamKind.HTTP_INDEX, url=page,
                         entry="asterisk-{version}.tar.gz")
    listing, seen = run({f"GET {page}": of_text(ASTERISK_INDEX)},
                        lambda f: index.HttpIndex().list_releases(comp, f))
    assert versions(listing) == ["20.20.1", "22.10.1", "22.9.0", "23.4.1"]
    assert [r.tag for r in listing.rejected] == ['1.2.3";rm']
    assert seen[0].headers["accept"] == "text/html"


def test_http_index_directories_with_separator_versioning() -> None:
    page = "https://ftp.postgresql.org/pub/source/"
    comp = with_upstream("postgresql", kind=UpstreamKind.HTTP_INDEX, url=page, entry="v{version}/")
    listing, _ = run({f"GET {page}": of_text(POSTGRES_INDEX)},
                     lambda f: index.HttpIndex().list_releases(comp, f))
    assert [(r.version, r.tag) for r in listing.releases] == [
        ("17.10", "REL_17_10"), ("17.11", "REL_17_11"), ("18.6", "REL_18_6")
    ]


@pytest.mark.parametrize(
    ("entry", "names", "tags"),
    [
        # {version} is spelled as rtpengine's tag (mr...) for the versioning to check.
        ("rtpengine-{version}.tar.gz",
         ["rtpengine-13.5.1.25.tar.gz", "rtpengine-13.5.1.25.tar.gz.asc"], ["mr13.5.1.25"]),
        ("{tag}/", ["mr13.5.1.25/", "mr13.5.1.25"], ["mr13.5.1.25"]),
        ("node-{tag}-{tag}.tar.xz", ["node-v1-v1.tar.xz", "node-v1-v2.tar.xz"], ["v1"]),
    ],
)
def test_entry_templates(entry: str, names: list[str], tags: list[str]) -> None:
    comp = with_upstream("rtpengine", kind=UpstreamKind.HTTP_INDEX, url="https://x/", entry=entry)
    assert index.entry_tags(comp, names) == tags


@pytest.mark.parametrize("entry", ["asterisk.tar.gz", "v{version}/src/x-{version}.tar.gz"])
def test_entry_templates_refused(entry: str) -> None:
    with pytest.raises(PermanentUpstreamError):
        index.entry_pattern(entry)


# --- JSON feeds ----------------------------------------------------------------------------------

NODE_INDEX = [
    {"version": "v26.7.0", "date": "2026-08-18", "files": ["linux-x64", "src"], "npm": "11.5.0",
     "v8": "14.1.146.11", "uv": "1.51.0", "zlib": "1.3.1-470d3a2", "openssl": "3.5.2",
     "modules": "147", "lts": False, "security": False},
    {"version": "v24.19.0", "date": "2026-08-12", "files": ["linux-x64", "src"], "npm": "11.4.2",
     "v8": "13.6.233.10", "uv": "1.51.0", "zlib": "1.3.1-470d3a2", "openssl": "3.5.2",
     "modules": "137", "lts": "Krypton", "security": False},
    {"version": "v22.23.2", "date": "2026-07-15", "files": ["linux-x64", "src"], "npm": "10.9.3",
     "v8": "12.4.254.21-node.27", "lts": "Jod", "security": True},
    {"version": "v0.1.14", "files": [], "lts": False},
]


def test_node_index() -> None:
    entries = feeds.parse_node_index(NODE_INDEX, "u")
    assert [(e.version, e.lts, e.codename, e.date) for e in entries] == [
        ("v26.7.0", False, None, "2026-08-18"),
        ("v24.19.0", True, "Krypton", "2026-08-12"),
        ("v22.23.2", True, "Jod", "2026-07-15"),
        ("v0.1.14", False, None, None),
    ]
    url = "https://nodejs.org/dist/index.json"
    listing, _ = run({f"GET {url}": of_json(NODE_INDEX)},
                     lambda f: feeds.NodeDist().list_releases(component("node"), f))
    assert [(r.version, r.tag, r.lts, r.published) for r in listing.releases] == [
        ("26.7.0", "v26.7.0", False, "2026-08-18"),
        ("24.19.0", "v24.19.0", True, "2026-08-12"),
        ("22.23.2", "v22.23.2", True, "2026-07-15"),
        ("0.1.14", "v0.1.14", False, None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": "v1.0.0"}, "expected a JSON list of releases"),
        ([{"version": 24}], "item 0: 'version' is not a string"),
        ([{"version": "v1.0.0", "lts": 1}], "'lts' is neither false nor a codename"),
        ([{"version": "v1.0.0", "date": 20260101}], "'date' is not a string"),
    ],
)
def test_node_index_shape_is_validated(data: Any, message: str) -> None:
    with pytest.raises(PermanentUpstreamError, match=message):
        feeds.parse_node_index(data, "u")


POSTGRES_FEED = [
    {"current": False, "eolDate": "2021-11-11", "firstRelDate": "2016-09-29",
     "latestMinor": "24", "major": "9.6", "relDate": "2021-11-11", "supported": False},
    {"current": False, "eolDate": "2025-11-13", "firstRelDate": "2020-09-24",
     "latestMinor": "23", "major": "13", "relDate": "2025-11-13", "supported": False},
    {"current": False, "eolDate": "2029-11-08", "firstRelDate": "2024-09-26",
     "latestMinor": "11", "major": "17", "relDate": "2026-08-13", "supported": True},
    {"current": True, "eolDate": "2030-11-14", "firstRelDate": "2025-09-25",
     "latestMinor": "6", "major": "18", "relDate": "2026-08-13", "supported": True},
]


def test_postgres_versions() -> None:
    url = "https://www.postgresql.org/versions.json"
    comp = component("postgresql")
    listing, _ = run({f"GET {url}": of_json(POSTGRES_FEED)},
                     lambda f: feeds.PostgresVersions().list_releases(comp, f))
    assert [(r.version, r.tag, r.published) for r in listing.releases] == [
        ("17.11", "REL_17_11", "2026-08-13"), ("18.6", "REL_18_6", "2026-08-13")
    ]
    listing, _ = run({f"GET {url}": of_json(POSTGRES_FEED)},
                     lambda f: feeds.PostgresVersions(include_unsupported=True)
                     .list_releases(comp, f))
    assert versions(listing) == ["13.23", "17.11", "18.6"]  # never "9.6.24"


def test_postgres_minor_compares_as_a_number_and_odd_values_are_reported() -> None:
    feed = [{"major": "17", "latestMinor": "9", "supported": True},
            {"major": 17, "latestMinor": 10, "supported": True},
            {"major": "17", "latestMinor": '1"; rm', "supported": True}]
    listing, _ = run({"GET https://f/v.json": of_json(feed)},
                     lambda f: feeds.PostgresVersions().list_releases(
                         with_upstream("postgresql", url="https://f/v.json"), f))
    assert sorted((r.version for r in listing.releases), key=lambda v: int(v.split(".")[1])) == [
        "17.9", "17.10"
    ]
    assert [r.tag for r in listing.rejected] == ['REL_17_1"; rm']
    with pytest.raises(PermanentUpstreamError, match="'supported' is not a boolean"):
        feeds.parse_postgres_versions([{"major": "17", "latestMinor": "1", "supported": "yes"}], "u")
    with pytest.raises(PermanentUpstreamError, match="'latestMinor' is not a string"):
        feeds.parse_postgres_versions([{"major": "17", "latestMinor": None}], "u")


# --- checksum files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        (f"{HEX_A}  asterisk-22.10.1.tar.gz\n", "asterisk-22.10.1.tar.gz", HEX_A),  # sha256sum
        (f"{HEX_A} *pgbouncer-1.25.2.tar.gz\n", "pgbouncer-1.25.2.tar.gz", HEX_A),  # binary mode
        (f"{HEX_A}\n", "anything.tar.gz", HEX_A),  # a bare hash
        (f"{HEX_A.upper()}  x.tar.gz\r\n", "x.tar.gz", HEX_A),  # CRLF, upper case
        (f"SHA256 (postgresql-17.11.tar.bz2) = {HEX_A}\n", "postgresql-17.11.tar.bz2", HEX_A),
        (f"{HEX_A}  ./dist/x.tar.gz\n", "x.tar.gz", HEX_A),
        (
            f"{HEX_B}  node-v24.19.0-aix-ppc64.tar.gz\n"
            f"{'1' * 64}  node-v24.19.0-linux-x64.tar.xz\n"
            f"{HEX_A}  node-v24.19.0.tar.xz\n"
            f"{'2' * 64}  win-x64/node.exe\n",
            "node-v24.19.0.tar.xz", HEX_A,
        ),
        (
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
            f"{HEX_A}  node-v24.19.0.tar.xz\n{HEX_B}  node-v24.19.0.tar.gz\n"
            "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n",
            "node-v24.19.0.tar.gz", HEX_B,
        ),
    ],
)
def test_sums_files(text: str, target: str, expected: str) -> None:
    url = "https://example.org/SUMS"
    assert checksums.pick_sha256(checksums.parse_sums_file(text), target, url) == expected


def test_single_line_naming_another_file_is_the_current_trap() -> None:
    url = "https://downloads.asterisk.org/pub/telephony/asterisk/asterisk-22-current.sha256"
    entries = checksums.parse_sums_file(f"{HEX_A}  asterisk-22.10.1.tar.gz\n")
    with pytest.raises(PermanentUpstreamError) as caught:
        checksums.pick_sha256(entries, "asterisk-22-current.tar.gz", url)
    assert caught.value.message == (
        f"{url}: the checksum is for 'asterisk-22.10.1.tar.gz', "
        "not for 'asterisk-22-current.tar.gz'"
    )
    assert caught.value.hint is not None


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        (f"{HEX_A}  a.tar.gz\n{HEX_B}  b.tar.gz\n", "c.tar.gz", "lists 2 files, none of them"),
        ("<html><body>Not Found</body></html>\n", "a.tar.gz", "not a checksum file"),
        (f"{HEX_A}{HEX_A}  caddy_2.11.4_linux_amd64.tar.gz\n", "caddy_2.11.4_linux_amd64.tar.gz",
         "is not a sha256 (64 hex digits) (looks like SHA-512)"),
        (f"{'c' * 40}  a.tar.gz\n", "a.tar.gz", "(looks like SHA-1)"),
        (f"{HEX_A}  a.tar.gz\n{HEX_B}  a.tar.gz\n", "a.tar.gz", "with different hashes"),
    ],
)
def test_sums_files_refused(text: str, target: str, message: str) -> None:
    with pytest.raises(PermanentUpstreamError, match=re.escape(message)):
        checksums.pick_sha256(checksums.parse_sums_file(text), target, "u")


REDIS_HASHES = f"""Hashes of Redis release tarballs.

hash redis-2.4.0.tar.gz sha1 {"9" * 40} http://download.redis.io/releases/redis-2.4.0.tar.gz
hash redis-7.4.10.tar.gz sha256 {HEX_A} http://download.redis.io/releases/redis-7.4.10.tar.gz
hash redis-8.10-rc2.tar.gz sha256 {"3" * 64} http://download.redis.io/releases/redis-8.10-rc2.tar.gz
hash redis-7.2.15.tar.gz sha256 {HEX_B} http://download.redis.io/releases/redis-7.2.15.tar.gz
hash redis-7.4.9.tar.gz sha256 {"4" * 64} http://download.redis.io/releases/redis-7.4.9.tar.gz
hash redis-7.4.1.tar.gz sha1 {"5" * 40} http://download.redis.io/releases/redis-7.4.1.tar.gz
"""


def test_hashes_readme() -> None:
    lines = checksums.parse_hashes_readme(REDIS_HASHES)
    assert len(lines) == 6
    assert checksums.pick_readme_sha256(lines, "redis-7.4.10.tar.gz", "u") == HEX_A
    assert checksums.pick_readme_sha256(lines, "redis-7.2.15.tar.gz", "u") == HEX_B
    with pytest.raises(PermanentUpstreamError, match=re.escape("no sha256 line for 'redis-7.4.1.tar.gz'")):
        checksums.pick_readme_sha256(lines, "redis-7.4.1.tar.gz", "u")
    with pytest.raises(PermanentUpstreamError, match=re.escape("no sha256 line for 'redis-7.4.11.tar.gz'")):
        checksums.pick_readme_sha256(lines, "redis-7.4.11.tar.gz", "u")


def sha(comp: Component, version: str, routes: Routes) -> tuple[str, list[httpx.Request]]:
    return run(routes, lambda f: checksums.archive_sha256(
        comp, Version(version), f, max_bytes=1024))


def test_archive_sha256_of_every_kind() -> None:
    asterisk = ("GET https://downloads.asterisk.org/pub/telephony/asterisk/releases/"
                "asterisk-22.11.0.sha256")
    assert sha(component("asterisk"), "22.11.0",
               {asterisk: of_text(f"{HEX_A}  asterisk-22.11.0.tar.gz\n")})[0] == HEX_A

    postgres = ("GET https://ftp.postgresql.org/pub/source/v17.12/"
                "postgresql-17.12.tar.bz2.sha256")
    assert sha(component("postgresql"), "17.12",
               {postgres: of_text(f"{HEX_B}  postgresql-17.12.tar.bz2\n")})[0] == HEX_B

    readme = "GET https://raw.githubusercontent.com/redis/redis-hashes/master/README"
    assert sha(component("redis"), "7.4.10", {readme: of_text(REDIS_HASHES)})[0] == HEX_A

    release_url = f"GET {API}/repos/caddyserver/caddy/releases/tags/v2.11.5"
    doc = {"assets": [asset("caddy_2.11.5_linux_amd64.tar.gz", f"sha256:{HEX_B}"),
                      asset("caddy_2.11.5_checksums.txt", None)]}
    assert sha(component("caddy"), "2.11.5", {release_url: of_json(doc)})[0] == HEX_B

    body = b"kamailio 6.1.5 source"
    kamailio = ("GET https://www.kamailio.org/pub/kamailio/6.1.5/src/"
                "kamailio-6.1.5_src.tar.gz")
    assert sha(component("kamailio"), "6.1.5", {kamailio: Canned(200, body)})[0] == (
        hashlib.sha256(body).hexdigest()
    )
    with pytest.raises(PermanentUpstreamError, match="exceeds the cap of 1024 bytes"):
        sha(component("kamailio"), "6.1.5", {kamailio: Canned(200, b"x" * 2048)})


def test_archive_sha256_uses_the_github_api_base() -> None:
    base = "https://ghe.example.com/api/v3"
    doc = {"assets": [asset("squid-7.7.tar.xz", f"sha256:{HEX_A}")]}
    found, seen = run(
        {f"GET {base}/repos/squid-cache/squid/releases/tags/SQUID_7_7": of_json(doc)},
        lambda f: checksums.archive_sha256(component("squid"), Version("7.7"), f,
                                           max_bytes=1, github_api_url=base),
    )
    assert found == HEX_A
    assert len(seen) == 1


def test_archive_sha256_refusals() -> None:
    with pytest.raises(PermanentUpstreamError, match="has no archive"):
        sha(component("node"), "24.19.0", {})
    with pytest.raises(PermanentUpstreamError, match="contains characters that are not allowed"):
        sha(component("kamailio"), "6.1.5/../../x", {})
    comp = component("asterisk")
    assert comp.archive is not None
    broken = replace(comp, archive=replace(comp.archive,
                                           checksum=Checksum(kind=ChecksumKind.FILE)))
    with pytest.raises(PermanentUpstreamError, match=r"archive.checksum.url is not set"):
        sha(broken, "22.10.1", {})


# --- the registry of kinds -----------------------------------------------------------------------


def test_every_kind_has_a_source() -> None:
    assert set(sources.SOURCES) == set(UpstreamKind)
    endpoints = sources.Endpoints(
        github_api_url="http://127.0.0.1:1", docker_hub_url="http://127.0.0.1:2",
        docker_hub_registry="http://127.0.0.1:3", registries={"ghcr.io": "http://127.0.0.1:4"},
        git_timeout=5, max_pages=6,
    )
    built = {kind: sources.source_for(kind, endpoints) for kind in UpstreamKind}
    assert {kind: type(source).__name__ for kind, source in built.items()} == {
        UpstreamKind.GITHUB_RELEASES: "GithubReleases",
        UpstreamKind.GITHUB_TAGS: "GithubTags",
        UpstreamKind.GIT_TAGS: "GitTags",
        UpstreamKind.DOCKER_HUB: "DockerHub",
        UpstreamKind.REGISTRY: "Registry",
        UpstreamKind.HTTP_INDEX: "HttpIndex",
        UpstreamKind.NODE_DIST: "NodeDist",
        UpstreamKind.POSTGRES_VERSIONS: "PostgresVersions",
    }
    releases = built[UpstreamKind.GITHUB_RELEASES]
    assert isinstance(releases, github.GithubReleases)
    assert (releases.api_url, releases.max_pages) == ("http://127.0.0.1:1", 6)
    hub = built[UpstreamKind.DOCKER_HUB]
    assert isinstance(hub, registry.DockerHub)
    assert hub.hub_url == "http://127.0.0.1:2"
    reg = built[UpstreamKind.REGISTRY]
    assert isinstance(reg, registry.Registry)
    assert (reg.docker_hub, reg.registries) == ("http://127.0.0.1:3",
                                                {"ghcr.io": "http://127.0.0.1:4"})
    tags = built[UpstreamKind.GIT_TAGS]
    assert isinstance(tags, gittags.GitTags)
    assert tags.timeout == 5


def test_endpoints_from_environ() -> None:
    assert sources.Endpoints.from_environ({}).github_api_url == "https://api.github.com"
    assert sources.Endpoints.from_environ(
        {"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
    ).github_api_url == "https://ghe.example.com/api/v3"


def test_every_source_needs_its_upstream_keys() -> None:
    for kind in UpstreamKind:
        source = sources.source_for(kind)
        bare = replace(component("kamailio"), upstream=Upstream(kind=kind))

        async def call(fetcher: Fetcher, source: Source = source, bare: Component = bare) -> Listing:
            return await source.list_releases(bare, fetcher)

        with pytest.raises(PermanentUpstreamError, match="is not set"):
            run({}, call)

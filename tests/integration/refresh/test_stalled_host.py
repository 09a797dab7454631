"""A run with one stalled host ends, reports every healthy component, and refresh writes them.

api.github.com answers nothing at all (every GitHub request of every component hangs, the
fault kind `hang` of the fake world). The per-host circuit breaker of the shared fetcher gives
that host one short retry after its first timeout and then fails its other requests at once,
so the run ends (the harness bounds it; nothing here measures time) and every component on
another host gets its result and its resolved pins.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from world import TODAY, FakeWorld, Fault, FaultKind, HostRoutingTransport, Override, Role
from world.server import Reply, UpstreamServer

from release.manifest.load import load_manifest
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check
from release.refresh.plan import plan_updates
from release.upstream.http import FetchSettings, HttpFetcher

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
#: A bound on the whole run in the harness (the run itself ends after about 2 s + 1 s).
HARNESS_BOUND = 60.0
STALLED = ("api.github.com stopped answering (nothing for 2 s, then nothing for 1 s on a "
           "retry); no more requests go to it in this run")
GITHUB_ROLES = (Role.LISTING, Role.PAGE, Role.COMMIT, Role.RELEASE)


async def _no_sleep(_seconds: float) -> None:
    return None


#: The components listed from api.github.com (histogram-quantile shares SigNoz/signoz).
GITHUB_COMPONENTS = tuple(c.name for c in MANIFEST.components
                          if c.upstream.kind in ("github-releases", "github-tags"))


def stalled_github() -> dict[str, Override]:
    """Every request of every GitHub component to api.github.com hangs."""
    faults = tuple(Fault(kind=FaultKind.HANG, role=role) for role in GITHUB_ROLES)
    return {repo.component: Override(faults=faults) for repo in FakeWorld().repos}


def run(server: UpstreamServer) -> tuple[Outcome, HttpFetcher]:
    settings = FetchSettings(connect_timeout=5.0, read_timeout=2.0, stall_retry_timeout=1.0,
                             max_attempts=4, backoff_base=0.01)

    async def main() -> tuple[Outcome, HttpFetcher]:
        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), server.url)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=settings, sleep=_no_sleep, jitter=lambda: 0.0)
            outcome = await asyncio.wait_for(
                run_check(MANIFEST, fetcher, today=TODAY, resolve=True), HARNESS_BOUND
            )
            return outcome, fetcher

    return asyncio.run(main())


def listing_url(name: str) -> str:
    component = MANIFEST.component(name)
    assert component is not None
    assert component.upstream.repo is not None
    kind = "tags" if component.upstream.kind == "github-tags" else "releases"
    return f"https://api.github.com/repos/{component.upstream.repo}/{kind}?per_page=100"


def test_a_stalled_host_fails_fast_and_the_healthy_components_are_reported(
    upstream_server: UpstreamServer, tree: Path,
) -> None:
    world = FakeWorld(stalled_github()).install(upstream_server)
    outcome, fetcher = run(upstream_server)

    table = {r.component: (r.status, r.candidate, r.newest) for r in outcome.results}
    healthy = {name: table[name] for name in table if name not in GITHUB_COMPONENTS}
    assert healthy == {
        "debian": (Status.UPDATE, "20260901", None),
        "debian-snapshot": (Status.UPDATE, "20260901", None),
        "node": (Status.UPDATE, "24.21.0", "26.9.0"),
        "python": (Status.CURRENT, None, None),
        "postgresql": (Status.UPDATE, "17.12", "18.7"),
        "clickhouse": (Status.CURRENT, None, "26.7.5"),
        "zookeeper": (Status.CURRENT, None, None),
        "buildkit": (Status.CURRENT, None, None),  # Docker Hub: not behind the stalled host
        "binfmt": (Status.CURRENT, None, None),  # Docker Hub too
    }
    updates = {u.component: u for u in outcome.updates}
    assert set(updates) == {"debian", "debian-snapshot", "node", "postgresql"}
    assert updates["debian"].digest == world.digest_for("library/debian", "trixie-20260901-slim")
    assert updates["node"].digest == world.digest_for("library/node", "24.21.0-trixie-slim")
    assert updates["postgresql"].sha256 == world.sha256_for("postgresql", "17.12")

    # Each GitHub component failed with one of the three messages of a stalled host: its
    # request timed out in the first wave, or was the one short retry, or was never sent.
    for name in GITHUB_COMPONENTS:
        result = next(r for r in outcome.results if r.component == name)
        url = listing_url(name)
        assert result.status is Status.ERROR
        assert result.reason in {
            f"GET {url}: timed out, no data for 2 s; not retried: {STALLED}",
            f"GET {url}: timed out, no data for 1 s; not retried: {STALLED}",
            f"GET {url}: not sent: {STALLED}",
        }, result.reason
    # The host got the first wave (the GitHub API's limit) and one retry; nothing after that.
    sent = world.exchanges(host="api.github.com")
    wave = min(fetcher.settings.github_api_limit, len(GITHUB_COMPONENTS))
    assert [e.status for e in sent] == [0] * (wave + 1)
    assert fetcher.stats.stalled_hosts == ["api.github.com"]
    # Every GitHub component's last attempt was refused without a request.
    assert fetcher.stats.not_sent == len(GITHUB_COMPONENTS)

    # refresh writes the healthy updates (the pins of debian, node and postgresql only).
    loaded = load_manifest(tree / "versions.yaml")
    plan = plan_updates(tree, loaded, outcome.updates)
    changed = {c.path for c in plan.changes}
    assert "versions.yaml" in changed
    new_manifest = plan.manifest
    for name in ("debian", "node", "postgresql"):
        component = new_manifest.component(name)
        assert component is not None
        assert component.version == updates[name].version
    for name in GITHUB_COMPONENTS:
        before, after = MANIFEST.component(name), new_manifest.component(name)
        assert before is not None
        assert after is not None
        assert before.version == after.version


def test_a_hanging_url_on_a_host_that_answers_fails_only_its_component(
    upstream_server: UpstreamServer,
) -> None:
    """kamailio's listing hangs; every other request to api.github.com is answered.

    Its first timeout is retried as usual (the host answered others meanwhile). Its second
    came when the host had nothing else to answer, so it counts as a stall: one short retry,
    then the rest of its attempts are not sent. No other component is touched.
    """
    world = FakeWorld({"kamailio": Override(faults=(Fault(kind=FaultKind.HANG),))}).install(
        upstream_server)
    outcome, fetcher = run(upstream_server)

    assert [r.component for r in outcome.errors] == ["kamailio"]
    failed = outcome.errors[0]
    assert failed.reason == (
        f"GET {listing_url('kamailio')}: timed out, no data for 1 s; not retried: {STALLED}"
    )
    assert [e.status for e in world.exchanges(component="kamailio", role=Role.LISTING)] == [
        0, 0, 0]
    assert fetcher.stats.stalled_hosts == ["api.github.com"]
    assert {u.component for u in outcome.updates} == {
        name for name, _status in ((r.component, r.status) for r in outcome.results)
        if _status is Status.UPDATE
    }


def test_an_answer_to_the_short_retry_closes_the_circuit(upstream_server: UpstreamServer) -> None:
    """The host stalls once (a hang), answers the one short retry, and is trusted again."""
    upstream_server.route_sequence("GET", "/a", [Reply(hang=True), Reply.of_json({"a": 1})])
    upstream_server.route("GET", "/b", json={"b": 2})
    settings = FetchSettings(read_timeout=1.0, stall_retry_timeout=0.5, max_attempts=3)

    async def main() -> tuple[list[object], HttpFetcher]:
        async with httpx.AsyncClient(trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=settings, sleep=_no_sleep, jitter=lambda: 0.0)
            first = await fetcher.get(f"{upstream_server.url}/a")
            second = await fetcher.get(f"{upstream_server.url}/b")
            return [first.json(), second.json()], fetcher

    bodies, fetcher = asyncio.run(main())
    assert bodies == [{"a": 1}, {"b": 2}]
    assert upstream_server.hits("/a") == 2
    assert fetcher.stats.stalled_hosts == []
    assert fetcher.stats.retries == 1

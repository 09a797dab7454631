"""Advisory and end-of-life answers kept between runs (release.risk.fresh) in the fake world:
a second run within the lifetime asks nothing of OSV, GitHub's advisories or endoflife.date and
reports the same; past it (or with a lifetime of 0) they are asked again, except the OSV
records whose `modified` did not change; a source that fails then falls back to the kept
answer with a warning."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from world import TODAY, serve_world, world_fetcher
from world.server import Reply, UpstreamServer

from release.manifest.load import load_manifest
from release.refresh.execute import Outcome, run_check
from release.risk.fresh import DEFAULT_TTL, Answers

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
RISK = ("/security-advisories", "/api.osv.dev/", "/endoflife.date/")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def run(server: UpstreamServer, answers: Answers) -> Outcome:
    async def go() -> Outcome:
        async with world_fetcher(server.url) as fetcher:
            return await run_check(MANIFEST, fetcher, today=TODAY, advisories=True,
                                   end_of_life=True, answers=answers)
    return asyncio.run(go())


def risk_requests(server: UpstreamServer, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests[since:]
            if any(part in r.path for part in RISK)]


def facts(outcome: Outcome) -> list[tuple[str, object, object, object]]:
    return [(r.component, r.advisories, r.eol, r.security) for r in outcome.results]


def test_a_second_run_within_the_lifetime_asks_no_advisory_source(tmp_path: Path) -> None:
    clock = Clock()
    answers = Answers(tmp_path / "answers", clock=clock)
    with serve_world() as (server, _world):
        first = run(server, answers)
        asked = risk_requests(server, 0)
        seen = len(server.requests)
        clock.now += DEFAULT_TTL - 60
        second = run(server, answers)
        again = risk_requests(server, seen)
    assert first.warnings == second.warnings == ()
    assert "POST /api.osv.dev/v1/querybatch" in asked
    assert any(path.endswith("/security-advisories") for path in asked)
    assert any("/endoflife.date/" in path for path in asked)
    assert again == []
    assert facts(second) == facts(first)
    assert any(r.advisories for r in second.results)
    assert any(r.eol is not None for r in second.results)


def test_past_the_lifetime_everything_is_asked_again_but_unchanged_records(
    tmp_path: Path,
) -> None:
    clock = Clock()
    with serve_world() as (server, _world):
        first = run(server, Answers(tmp_path / "answers", clock=clock))
        asked = risk_requests(server, 0)
        seen = len(server.requests)
        clock.now += 60
        refreshed = run(server, Answers(tmp_path / "answers", ttl=0.0, clock=clock))
        again = risk_requests(server, seen)
    vulns = [p for p in asked if "/v1/vulns/" in p]
    assert vulns  # the world has OSV records for the pinned versions
    assert sorted(again) == sorted(p for p in asked if p not in vulns)
    assert facts(refreshed) == facts(first)


def test_a_failing_source_falls_back_to_the_kept_answer_with_a_warning(tmp_path: Path) -> None:
    clock = Clock()
    answers = Answers(tmp_path / "answers", clock=clock)
    with serve_world() as (server, _world):
        first = run(server, answers)
        clock.now += DEFAULT_TTL + 3600
        down = Reply(status=503, body=b"<html>down</html>", headers={"Content-Type": "text/html"})
        server.route_sequence("POST", "/api.osv.dev/v1/querybatch", [down])
        later = run(server, answers)
    assert later.warnings == (
        "advisories: OSV: POST https://api.osv.dev/v1/querybatch: HTTP 503 Service "
        "Unavailable; gave up after 4 attempts; used the answers kept 7 h ago",
    )
    assert facts(later) == facts(first)


def test_without_answers_every_run_asks_again() -> None:
    async def go(server: UpstreamServer) -> Outcome:
        async with world_fetcher(server.url) as fetcher:
            return await run_check(MANIFEST, fetcher, today=TODAY, advisories=True,
                                   end_of_life=True)

    with serve_world() as (server, _world):
        asyncio.run(go(server))
        seen = len(server.requests)
        first = sorted(risk_requests(server, 0))
        asyncio.run(go(server))
        assert sorted(risk_requests(server, seen)) == first

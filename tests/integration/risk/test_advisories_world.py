"""Advisories from OSV and GitHub in the fake world (tests/world/advisories.py): what check
shows, the security release that passes the age gate, failing sources, `--fail-on`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest
from world import TODAY, serve_world, world_fetcher
from world.server import Reply, UpstreamServer

from release.cli import main
from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.refresh.decide import CheckResult, Status
from release.refresh.execute import Outcome, run_check
from release.risk.advisories import Severity
from release.versioning import BumpKind

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest


def check(manifest: Manifest, *, advisories: bool = True,
          server_hook: object = None, record: Path | None = None) -> Outcome:
    async def go(server_url: str) -> Outcome:
        async with world_fetcher(server_url, record_dir=record) as fetcher:
            return await run_check(manifest, fetcher, today=TODAY, advisories=advisories)

    with serve_world() as (server, _world):
        if callable(server_hook):
            server_hook(server)
        return asyncio.run(go(server.url))


def result(outcome: Outcome, name: str) -> CheckResult:
    return next(r for r in outcome.results if r.component == name)


def shown(r: CheckResult) -> list[tuple[str, Severity, tuple[str, ...], bool | None, str]]:
    return [(f.id, f.severity, f.fixed_in, f.fixed_by_candidate, f.state) for f in r.advisories]


def test_the_advisories_of_the_pinned_versions() -> None:
    outcome = check(MANIFEST)
    assert outcome.warnings == ()
    found = {r.component: shown(r) for r in outcome.results if r.advisories}
    assert found == {
        "asterisk": [("GHSA-wwww-0000-0003", Severity.MODERATE, (), False, "no fix yet")],
        "coturn": [("GHSA-wwww-0000-0001", Severity.HIGH, ("4.18.0",), True,
                    "fixed by the candidate")],
        "redis": [("WORLD-2026-0002", Severity.CRITICAL, ("8.2.3",), False,
                   "fixed only beyond policy in 8.2.3")],
    }
    coturn = result(outcome, "coturn")
    assert (coturn.candidate, coturn.security, coturn.bump) == ("4.18.0", True, BumpKind.SECURITY)
    assert [r.status for r in outcome.results] == [
        r.status for r in check(MANIFEST, advisories=False).results]


def gated(days: int) -> Manifest:
    coturn = MANIFEST.require("coturn")
    return replace(MANIFEST, components=(
        replace(coturn, policy=replace(coturn.policy, min_age_days=days)),))


def test_a_young_security_release_passes_the_gate() -> None:
    with_advisories = result(check(gated(30)), "coturn")
    without = result(check(gated(30), advisories=False), "coturn")
    assert (with_advisories.status, with_advisories.candidate, with_advisories.waiting) == (
        Status.UPDATE, "4.18.0", None)
    assert (without.status, without.candidate, without.waiting) == (Status.WAITING, None, "4.18.0")


def osv_says(reply: Reply) -> object:
    def hook(server: UpstreamServer) -> None:
        server.route_sequence("POST", "/api.osv.dev/v1/querybatch", [reply])
    return hook


@pytest.mark.parametrize(("reply", "warning"), [
    (Reply(status=503, body=b"<html>down</html>", headers={"Content-Type": "text/html"}),
     "advisories: OSV: POST https://api.osv.dev/v1/querybatch: HTTP 503 Service Unavailable; "
     "gave up after 4 attempts"),
    (Reply(status=200, body=b"<html>oops</html>", headers={"Content-Type": "text/html"}),
     "advisories: OSV: https://api.osv.dev/v1/querybatch: expected JSON, got text/html "
     "starting with '<html>oops</html>'"),
    (Reply(status=200, body=b'{"results": []}', headers={"Content-Type": "application/json"}),
     "advisories: OSV: https://api.osv.dev/v1/querybatch: expected 'results' with one entry "
     "per query (35)"),  # 26 components, 9 of them actions asked twice
])
def test_osv_failing_is_a_warning_and_versions_are_still_checked(
    reply: Reply, warning: str
) -> None:
    outcome = check(MANIFEST, server_hook=osv_says(reply))
    assert outcome.warnings == (warning,)
    assert not outcome.errors
    assert result(outcome, "redis").advisories == ()  # only OSV knows it
    assert [f.id for f in result(outcome, "coturn").advisories] == ["GHSA-wwww-0000-0001"]


def test_check_json_and_fail_on(tmp_path: Path, tree: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "recording"
    check(MANIFEST, record=recording)

    def run(*extra: str) -> int:
        return main(["check", "--root", str(tree), "--replay", str(recording), "--no-cache",
                     "--today", TODAY.isoformat(), "--no-eol", *extra])

    assert run("--json") == 0
    doc = json.loads(capsys.readouterr().out)
    redis = next(c for c in doc["components"] if c["name"] == "redis")
    assert redis["advisories"] == [{
        "id": "WORLD-2026-0002", "aliases": [], "severity": "critical",
        "summary": "Lua scripting sandbox escape through a crafted EVAL", "fixed_in": ["8.2.3"],
        "fixed_by_candidate": False, "state": "fixed only beyond policy in 8.2.3",
        "source": "osv",
    }]
    assert doc["warnings"] == []
    assert run("--fail-on", "critical") == 1
    err = capsys.readouterr().err
    assert ("check: --fail-on critical: redis 7.4.10: WORLD-2026-0002 (critical): fixed only "
            "beyond policy in 8.2.3") in err
    assert run("--only", "asterisk", "--fail-on", "high") == 0
    assert run("--only", "asterisk", "--fail-on", "moderate") == 1
    assert run("--only", "asterisk", "--fail-on", "moderate", "--no-advisories") == 0

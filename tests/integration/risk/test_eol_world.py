"""End of life from endoflife.date (tests/world/eol.py) and `policy.eol`, through check."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from world import TODAY, serve_world, world_fetcher
from world.server import Reply

from release.cli import main
from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.refresh.execute import Outcome, run_check
from release.refresh.report import check_table, refresh_markdown, stderr_console

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest


def check(manifest: Manifest, *, down: bool = False, record: Path | None = None) -> Outcome:
    async def go(server_url: str) -> Outcome:
        async with world_fetcher(server_url, record_dir=record) as fetcher:
            return await run_check(manifest, fetcher, today=TODAY, end_of_life=True)

    with serve_world() as (server, _world):
        if down:
            server.route_sequence("GET", "/endoflife.date/api/v1/products/redis",
                                  [Reply(status=404, body=b"{}")])
        return asyncio.run(go(server.url))


def test_the_end_of_life_of_every_pinned_line() -> None:
    outcome = check(MANIFEST)
    assert outcome.warnings == ()
    found = {r.component: (r.eol.line, r.eol.date, r.eol.state, r.eol.days_left)
             for r in outcome.results if r.eol is not None}
    assert found == {
        "debian": ("13", dt.date(2028, 8, 9), "supported", 693),
        "node": ("24", dt.date(2028, 4, 30), "supported", 592),
        "python": ("3.14", dt.date(2030, 10, 31), "supported", 1506),
        "postgresql": ("17", dt.date(2029, 11, 8), "supported", 1149),
        "redis": ("7.4", dt.date(2026, 11, 30), "near", 75),
    }
    redis = next(r for r in outcome.results if r.component == "redis")
    assert redis.eol is not None
    assert redis.eol.note() == "end of life of the 7.4 line in 75 days (2026-11-30)"
    console = stderr_console()
    with console.capture() as captured:
        console.print(check_table(outcome.results))
    assert "end of life of the 7.4 line in 75 days (2026-11-30)" in captured.get()
    assert refresh_markdown(MANIFEST, [], outcome.results).endswith(
        "Lines near or past their end of life:\n\n"
        "- redis 7.4.10: end of life of the 7.4 line in 75 days (2026-11-30)\n")


def test_a_policy_eol_date_and_a_line_past_its_end() -> None:
    squid = MANIFEST.require("squid")
    node = replace(MANIFEST.require("node"), version="20.19.0")  # type: ignore[arg-type]
    dated = replace(squid, policy=replace(squid.policy, eol=dt.date(2026, 10, 1)))
    outcome = check(replace(MANIFEST, components=(dated, node)))
    notes = {r.component: r.eol.note() if r.eol else None for r in outcome.results}
    assert notes == {
        "squid": "end of life of the pinned line in 15 days (2026-10-01)",
        "node": "end of life of the 20 line passed on 2026-04-30; the policy (>=24,<25) keeps "
                "it on this line",
    }


def test_endoflife_date_failing_is_a_warning() -> None:
    outcome = check(MANIFEST, down=True)
    assert outcome.warnings == (
        "end of life: GET https://endoflife.date/api/v1/products/redis: HTTP 404 Not Found",)
    assert not outcome.errors
    redis = next(r for r in outcome.results if r.component == "redis")
    assert redis.eol is None


def test_check_json_eol(tmp_path: Path, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "recording"
    check(MANIFEST, record=recording)
    assert main(["check", "--root", str(tree), "--replay", str(recording), "--no-cache",
                 "--today", TODAY.isoformat(), "--no-advisories", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    eol = {c["name"]: c["eol"] for c in doc["components"] if c["eol"] is not None}
    assert eol["redis"] == {"line": "7.4", "date": "2026-11-30", "source": "endoflife.date",
                            "state": "near", "days_left": 75}
    assert set(eol) == {"debian", "node", "python", "postgresql", "redis"}
    assert doc["warnings"] == []

"""The release-age gate through check and refresh, replaying the recorded upstream run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from world import TODAY as WORLD_TODAY
from world import serve_world, world_fetcher

from release.cli import main
from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"
# The day of the world: coturn 4.18.0 was published 13 days before, 4.17.2 19 days before.
TODAY = "2026-09-16"
MANIFEST = load_manifest(REPO / "versions.yaml").manifest

pytestmark = pytest.mark.integration


def gate(root: Path, text: str) -> None:
    """Put a manifest-wide `policy:` block after `release:`."""
    path = root / "versions.yaml"
    original = path.read_text()
    path.write_text(original.replace("release: 2026.11.0\n", f"release: 2026.11.0\n{text}", 1))


def run(root: Path, command: str, *extra: str) -> int:
    # Without advisories: the recording's coturn 4.18.0 fixes one, which would pass the gate.
    return main([command, "--root", str(root), "--replay", str(REPLAY), "--today", TODAY,
                 "--no-cache", "--no-advisories", "--only", "coturn", *extra])


def test_check_json_shows_the_waiting_version_and_the_eligible_one(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate(tree, "policy:\n  min-age: 14d\n")
    assert run(tree, "check", "--json") == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)["components"][0]
    assert {k: doc[k] for k in ("status", "candidate", "published", "eligible_from",
                                "waiting")} == {
        "status": "update", "candidate": "4.17.2", "published": "2026-08-28T14:05:02Z",
        "eligible_from": "2026-09-11",
        "waiting": {"version": "4.18.0", "published": "2026-09-03T14:05:02Z",
                    "eligible_from": "2026-09-17"},
    }
    assert "check: 1 update · 0 held · 0 current · 0 errors" in captured.err
    assert run(tree, "check") == 0
    assert "4.18.0 waits until 2026-09-17" in capsys.readouterr().err


def test_refresh_takes_the_eligible_version() -> None:
    """Against the live world (the recording has no 4.17.2 archive): the update is 4.17.2."""
    coturn = MANIFEST.require("coturn")
    gated = replace(coturn, policy=replace(coturn.policy, min_age_days=14))
    manifest = replace(MANIFEST, components=(gated,))

    async def main(server_url: str) -> Outcome:
        async with world_fetcher(server_url) as fetcher:
            return await run_check(manifest, fetcher, today=WORLD_TODAY, resolve=True)

    with serve_world() as (server, world):
        outcome = asyncio.run(main(server.url))
    assert [(u.component, u.version, u.sha256) for u in outcome.updates] == [
        ("coturn", "4.17.2", world.sha256_for("coturn", "4.17.2"))]
    assert outcome.results[0].waiting == "4.18.0"


def test_nothing_eligible_waits_and_changes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate(tree, "policy:\n  min-age: 3w\n")
    before = (tree / "versions.yaml").read_text()
    assert run(tree, "refresh") == 0
    assert (tree / "versions.yaml").read_text() == before
    err = capsys.readouterr().err
    assert "refresh: 0 updates · 1 waiting · 0 held · 0 current · 0 errors" in err


def test_github_tags_are_dated_by_their_commits_when_gated() -> None:
    """kamailio lists tags (no dates): behind a gate, 6.1.5 is dated by its commit and waits."""
    kamailio = MANIFEST.require("kamailio")
    gated = replace(kamailio, policy=replace(kamailio.policy, min_age_days=14))

    async def main(server_url: str, manifest: Manifest) -> Outcome:
        async with world_fetcher(server_url) as fetcher:
            return await run_check(manifest, fetcher, today=WORLD_TODAY)

    with serve_world() as (server, world):
        outcome = asyncio.run(main(server.url, replace(MANIFEST, components=(gated,))))
        asked = [e.path for e in world.exchanges(component="kamailio")
                 if "/commits/" in e.path]
    result = outcome.results[0]
    assert (result.status, result.waiting, result.waiting_published,
            result.waiting_eligible_from, result.reason) == (
        Status.WAITING, "6.1.5", "2026-09-09T11:02:17Z", dt.date(2026, 9, 23),
        "6.1.5 waits for its release age (min-age 14d) until 2026-09-23")
    assert asked == ["/repos/kamailio/kamailio/commits/6.1.5"]

"""`release.trust.flow.verify_online_flow`: `verify --online` as a function returning its report.

Replayed from a recording of the fake world (one archive's sums file disagreeing), so the flow
reads upstream the way the CLI does, through `Fetching`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tree_edit import mark_unconfirmed, unsigned
from world import world_fetcher
from world.trust import align, serve_changed, sums_disagree

from release.manifest.load import load_manifest
from release.refresh.flow import Fetching
from release.trust.flow import (
    OnlineOptions,
    OnlineProgress,
    OnlineVerifyReport,
    verified_unconfirmed,
    verify_online_flow,
)
from release.trust.online import Verdict, verify_online

pytestmark = pytest.mark.integration

ASTERISK_SUMS = "https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-22.10.1.sha256"


def record(tree: Path, recording: Path) -> None:
    # Asterisk's sums file is what disagrees (not its signature), and kamailio and asterisk are
    # marked unconfirmed, whatever the real versions.yaml says of them today.
    unsigned(tree, "asterisk")
    mark_unconfirmed(tree, "kamailio", "asterisk")
    manifest = load_manifest(tree / "versions.yaml").manifest
    with serve_changed(lambda w: align(w, tree), lambda w: sums_disagree(
            w, ASTERISK_SUMS, "asterisk", "asterisk-22.10.1.tar.gz")) as (server, _world):

        async def go() -> None:
            async with world_fetcher(server.url, record_dir=recording) as fetcher:
                await verify_online(manifest, fetcher, root=tree)

        asyncio.run(go())


def test_the_flow_returns_its_report_and_confirms_after_showing_it(
    tree: Path, tmp_path: Path,
) -> None:
    recording = tmp_path / "recording"
    record(tree, recording)
    before = (tree / "versions.yaml").read_text(encoding="utf-8")
    steps: list[OnlineProgress] = []
    shown: list[tuple[OnlineVerifyReport, str]] = []

    def on_verified(report: OnlineVerifyReport) -> None:  # before --confirm writes
        shown.append((report, (tree / "versions.yaml").read_text(encoding="utf-8")))

    report = verify_online_flow(
        tree, OnlineOptions(fetching=Fetching(replay_dir=recording), confirm=True),
        progress=steps.append, on_verified=on_verified,
    )

    total = len(report.loaded.manifest.components)
    assert steps[0] == OnlineProgress(total=total, done=0)
    assert steps[-1] == OnlineProgress(total=total, done=total, finished=True)
    assert [s.done for s in steps[1:-1]] == list(range(1, total + 1))
    assert len(shown) == 1
    assert shown[0][1] == before
    assert shown[0][0].confirmed is None
    asterisk = [v for v in report.online.verdicts if v.component == "asterisk"]
    assert [v.verdict for v in asterisk] == [Verdict.MISMATCH]
    assert report.status == 1  # the mismatch
    assert report.confirmed == verified_unconfirmed(report.online)
    assert "asterisk" not in (report.confirmed or {})
    assert "kamailio" in (report.confirmed or {})
    after = load_manifest(tree / "versions.yaml").manifest
    assert {c.name: c.unconfirmed for c in after.components if c.unconfirmed} == {
        "asterisk": ("sha256",)}


def test_without_confirm_nothing_is_written_and_strict_changes_only_the_status(
    tree: Path, tmp_path: Path,
) -> None:
    recording = tmp_path / "recording"
    record(tree, recording)
    before = (tree / "versions.yaml").read_bytes()
    fetching = Fetching(replay_dir=recording)
    lax = verify_online_flow(tree, OnlineOptions(fetching=fetching, only=("redis", "kamailio")))
    strict = verify_online_flow(
        tree, OnlineOptions(fetching=fetching, only=("redis", "kamailio"), strict=True))
    assert (tree / "versions.yaml").read_bytes() == before
    assert lax.confirmed is None
    assert strict.confirmed is None
    assert {v.component for v in lax.online.verdicts} == {"redis", "kamailio"}
    assert lax.online == strict.online
    assert lax.status == strict.status == 0

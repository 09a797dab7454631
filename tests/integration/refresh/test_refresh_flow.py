"""The flows of `release.refresh.flow` called directly, answered by the recorded demo run.

What `check`, `refresh` and `pin` return, with no CLI and no console: the report values the
CLI renders, the progress steps, and the order of `refresh`'s stages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import git
import pytest

from release.errors import PinError
from release.manifest.load import load_manifest
from release.refresh.decide import PinRequest, Status, Update
from release.refresh.flow import (
    CheckOptions,
    Fetching,
    PinOptions,
    Progress,
    RefreshOptions,
    RefreshReport,
    Stage,
    check,
    pin,
    refresh,
)
from release.trust.steps import TRUST
from release.versioning import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"
TODAY = dt.date(2026, 11, 26)
OPTIONS = CheckOptions(today=TODAY, fetching=Fetching(replay_dir=REPLAY))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def test_check_returns_every_result_and_reports_its_progress(tree: Path) -> None:
    steps: list[Progress] = []
    before = snapshot(tree)
    report = check(tree, OPTIONS, trust=TRUST, progress=steps.append)
    names = [c.name for c in load_manifest(tree / "versions.yaml").manifest.components]
    assert [r.component for r in report.outcome.results] == names
    assert report.outcome.errors == ()
    assert report.severe == ()
    assert report.status == 0
    assert report.outcome.updates == ()  # check resolves nothing
    assert sorted(r.component for r in report.outcome.results if r.status is Status.CURRENT) == [
        "actions-cache", "actions-download-artifact", "actions-upload-artifact",
        "aws-configure-aws-credentials", "binfmt", "buildkit", "clickhouse",
        "docker-setup-buildx-action", "docker-setup-qemu-action", "pjproject", "python", "signoz", "signoz-otel-collector", "sigstore-cosign-installer",
        "zookeeper"]
    total = len(names)
    assert steps[0] == Progress(total=total, done=0)
    assert [s.done for s in steps[1:-1]] == list(range(1, total + 1))
    assert sorted(s.result.component for s in steps[1:-1] if s.result is not None) == sorted(names)
    assert steps[-1] == Progress(total=total, done=total, finished=True)
    assert snapshot(tree) == before


def test_refresh_dry_run_plans_and_writes_nothing(tree: Path) -> None:
    stages: list[tuple[Stage, RefreshReport]] = []
    before = snapshot(tree)
    report = refresh(tree, RefreshOptions(check=OPTIONS, dry_run=True), trust=TRUST,
                     on_stage=lambda stage, so_far: stages.append((stage, so_far)))
    assert [s for s, _ in stages] == [Stage.CHECKED, Stage.PLANNED, Stage.STOPS]
    assert stages[0][1].changes == ()
    assert stages[-1][1] == report
    assert len(report.outcome.updates) == 18  # caddy-arm64 and histogram-quantile-arm64 included
    assert report.pinned.alarms == 0
    assert report.status == 0
    assert not report.all_failed
    assert (report.written, report.branch, report.commit) == (False, None, None)
    paths = [c.path for c in report.changes]
    assert paths[-1] == "versions.yaml"
    assert ".github/workflows/ci.yml" in paths
    assert snapshot(tree) == before


def test_refresh_writes_and_commits_on_a_branch(tree: Path) -> None:
    repo = git.Repo.init(tree)
    repo.git.add(A=True)
    repo.index.commit("the tree")
    stages: list[Stage] = []
    report = refresh(tree, RefreshOptions(check=OPTIONS, commit=True), trust=TRUST,
                     on_stage=lambda stage, _report: stages.append(stage))
    assert stages == [Stage.CHECKED, Stage.PLANNED, Stage.STOPS, Stage.WRITTEN]
    assert report.written
    assert report.branch == "refresh/2026-11-26"
    assert report.commit == repo.head.commit.hexsha
    assert repo.active_branch.name == report.branch
    assert sorted(map(str, repo.head.commit.stats.files)) == sorted(c.path for c in report.changes)
    assert not repo.is_dirty(untracked_files=True)
    again = refresh(tree, RefreshOptions(check=OPTIONS), trust=TRUST)
    assert (again.outcome.updates, again.changes, again.written) == ((), (), False)


def test_pin_reports_its_update_and_what_it_wrote(tree: Path) -> None:
    manifest = load_manifest(tree / "versions.yaml").manifest
    asterisk = manifest.require("asterisk")
    same = pin(tree, PinOptions(request=PinRequest(component="asterisk",
                                                   version=str(asterisk.version))), trust=TRUST)
    assert (same.update, same.changes, same.written) == (None, (), False)

    checksum = "ab" * 32  # made up: the pin goes to a copy of the tree, never committed
    request = PinRequest(component="asterisk", version=str(asterisk.version),
                         checksum=f"sha256:{checksum}")
    before = snapshot(tree)
    dry = pin(tree, PinOptions(request=request, dry_run=True), trust=TRUST)
    expected = Update(component="asterisk", version=Version(asterisk.version), sha256=checksum)
    assert (dry.update, dry.written) == (expected, False)
    assert [c.path for c in dry.changes] == ["images/asterisk/Dockerfile", "versions.yaml"]
    assert snapshot(tree) == before

    done = pin(tree, PinOptions(request=request), trust=TRUST)
    assert (done.update, done.changes, done.written) == (expected, dry.changes, True)
    assert [(tree / c.path).read_text(encoding="utf-8") for c in dry.changes] == [
        c.new for c in dry.changes]


def test_refresh_reports_the_check_before_planning_fails(tree: Path) -> None:
    dockerfile = tree / "images" / "asterisk" / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(text.replace("ARG ASTERISK_VERSION=", "ARG ASTERISK_RELEASE="),
                          encoding="utf-8")
    before = snapshot(tree)
    stages: list[tuple[Stage, RefreshReport]] = []
    with pytest.raises(PinError) as info:
        refresh(tree, RefreshOptions(check=OPTIONS), trust=TRUST,
                on_stage=lambda stage, so_far: stages.append((stage, so_far)))
    assert info.value.message == "images/asterisk/Dockerfile: no ARG ASTERISK_VERSION"
    assert [s for s, _ in stages] == [Stage.CHECKED]
    assert len(stages[0][1].outcome.updates) == 18  # caddy-arm64 and histogram-quantile-arm64 included
    assert snapshot(tree) == before

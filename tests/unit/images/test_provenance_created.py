"""`created` comes from the commit unless SOURCE_DATE_EPOCH is set (issue 15, reproducibility)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import git
import pytest

from release.cli import main
from release.images.provenance import read_provenance

COMMIT_DATE = "1787134272 +0000"  # 2026-08-19T10:11:12Z, git's internal date format


def _repo(tmp_path: Path) -> Path:
    repo = git.Repo.init(tmp_path)
    (tmp_path / "versions.yaml").write_text("schema: 1\n", encoding="utf-8")
    repo.index.add(["versions.yaml"])
    actor = git.Actor("Test", "test@example.invalid")
    repo.index.commit("one", author=actor, committer=actor, author_date=COMMIT_DATE,
                      commit_date=COMMIT_DATE)
    return tmp_path


def test_created_is_the_commit_time_without_source_date_epoch(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    later = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    first = read_provenance(root, {}, now=later)
    second = read_provenance(root, {}, now=later + dt.timedelta(hours=5))
    assert first.created == "2026-08-19T10:11:12Z"
    assert second == first


def test_source_date_epoch_wins_over_the_commit_time(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    provenance = read_provenance(root, {"SOURCE_DATE_EPOCH": "1767225600"})
    assert provenance.created == "2026-01-01T00:00:00Z"


def test_outside_git_created_is_now(tmp_path: Path) -> None:
    now = dt.datetime(2026, 9, 16, 8, 30, tzinfo=dt.UTC)
    assert read_provenance(tmp_path, {}, now=now).created == "2026-09-16T08:30:00Z"


def test_the_plan_of_one_commit_is_the_same_every_time(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build --plan --json` (and the bake file) twice, hours apart: byte for byte the same."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = git.Repo.init(tree)
    repo.git.add(A=True)
    actor = git.Actor("Test", "test@example.invalid")
    repo.index.commit("tree", author=actor, committer=actor, author_date=COMMIT_DATE,
                      commit_date=COMMIT_DATE)
    outputs = []
    for run in range(2):
        capsys.readouterr()
        bake = tree / f"bake-{run}.json"
        assert main(["build", "--plan", "--json", "--root", str(tree), "--bake", str(bake)]) == 0
        outputs.append((capsys.readouterr().out, bake.read_text(encoding="utf-8")))
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0][0])
    assert document["created"] == "2026-08-19T10:11:12Z"
    assert {i["labels"]["org.opencontainers.image.created"] for i in document["images"]} == {
        "2026-08-19T10:11:12Z"}

"""What a new user meets first: a run from a subfolder, and a refresh that could check nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.cli import main

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.integration


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_refresh_that_checked_nothing_says_so_with_a_hint(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty-recording"  # a recording that answers nothing: every host fails
    empty.mkdir()
    (empty / "index.json").write_text('{"format": 1, "responses": []}\n')
    before = _files(tree)
    code = main(["refresh", "--root", str(tree), "--replay", str(empty), "--today", "2026-11-26",
                 "--no-cache", "--only", "redis", "squid"])
    err = capsys.readouterr().err
    assert code == 1
    assert "refresh: nothing could be checked: all 2 upstreams failed (first: redis: " in err
    assert "every pin is at its candidate" not in err
    assert "hint: with no network, replay a recording (--replay tests/data/replay)" in err
    assert _files(tree) == before


def test_a_command_run_from_a_subfolder_finds_the_root(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = main(["verify", "--root", str(tree)])
    from_root = capsys.readouterr().err
    monkeypatch.chdir(tree / "images" / "redis")
    assert main(["verify"]) == expected
    assert capsys.readouterr().err == from_root


def test_no_versions_yaml_anywhere_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["verify"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == "error: versions.yaml: no such file"


def test_a_current_directory_that_was_deleted_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert main(["verify"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: the current directory no longer exists (deleted or moved away): cd into the "
        "repository again, or pass --root",
    ]

"""The job summary: appended Markdown, and a summary that cannot be written only warns."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.stepsummary import append


def test_markdown_is_appended_with_a_newline(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    append("| a | b |", {"GITHUB_STEP_SUMMARY": str(summary)})
    append("second", {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text() == "before\n| a | b |\nsecond\n"


def test_outside_github_actions_nothing_is_written(tmp_path: Path) -> None:
    append("x", {})
    assert list(tmp_path.iterdir()) == []


def test_a_summary_that_cannot_be_written_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "no-such-dir" / "summary.md"
    append("x", {"GITHUB_STEP_SUMMARY": str(target)})
    assert capsys.readouterr().err == (
        f"warning: cannot append to GITHUB_STEP_SUMMARY ({target}): No such file or directory\n")

"""Atomic multi-file writes: parents created, OS errors reported, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.errors import ReleaseError
from release.fsutil import FileChange, write_files


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    write_files(tmp_path, [FileChange(path="docs/examples/new.md", old="", new="x\r\n")])
    assert (tmp_path / "docs/examples/new.md").read_bytes() == b"x\r\n"


def test_an_unwritable_target_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a\n")
    (tmp_path / "blocker").write_text("a file where a directory would be\n")
    changes = [
        FileChange(path="a.txt", old="old a\n", new="new a\n"),
        FileChange(path="blocker/b.txt", old="", new="new b\n"),
    ]
    with pytest.raises(ReleaseError) as info:
        write_files(tmp_path, changes)
    assert "nothing was changed" in info.value.message
    assert (tmp_path / "a.txt").read_text() == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "blocker"]


def test_file_mode_is_kept(tmp_path: Path) -> None:
    script = tmp_path / "entry.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    write_files(tmp_path, [FileChange(path="entry.sh", old="#!/bin/sh\n", new="#!/bin/sh\n:\n")])
    assert script.stat().st_mode & 0o777 == 0o755

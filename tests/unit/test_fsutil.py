"""Atomic multi-file writes: parents created, OS errors reported, nothing half-written."""

from __future__ import annotations

import shutil
import subprocess
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


def _two_changes(tmp_path: Path) -> list[FileChange]:
    (tmp_path / "a.txt").write_text("old a\n")
    return [FileChange(path="a.txt", old="old a\n", new="new a\n"),
            FileChange(path="new.txt", old="", new="new file\n"),
            FileChange(path="versions.yaml", old="old v\n", new="new v\n")]


def test_a_directory_in_a_target_s_place_is_found_before_any_replace(tmp_path: Path) -> None:
    changes = _two_changes(tmp_path)
    (tmp_path / "versions.yaml").mkdir()
    with pytest.raises(ReleaseError) as info:
        write_files(tmp_path, changes)
    assert info.value.message == ("cannot replace versions.yaml: it is a directory; "
                                  "nothing was changed")
    assert (tmp_path / "a.txt").read_text() == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "versions.yaml"]


def test_an_immutable_target_is_found_before_any_replace(tmp_path: Path) -> None:
    changes = _two_changes(tmp_path)
    target = tmp_path / "versions.yaml"
    target.write_text("old v\n")
    if shutil.which("chattr") is None or subprocess.run(
        ["chattr", "+i", str(target)], capture_output=True, check=False,
    ).returncode != 0:
        pytest.skip("chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE)")
    try:
        with pytest.raises(ReleaseError) as info:
            write_files(tmp_path, changes)
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert info.value.message == ("cannot replace versions.yaml: it is immutable (chattr +i); "
                                  "`chattr -i` it first; nothing was changed")
    assert (tmp_path / "a.txt").read_text() == "old a\n"
    assert target.read_text() == "old v\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "versions.yaml"]


def test_a_replace_that_fails_half_way_puts_the_replaced_files_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What no check can see beforehand (a file system that refuses one rename): os.replace
    # fails for the last target only.
    changes = _two_changes(tmp_path)
    (tmp_path / "versions.yaml").write_text("old v\n")
    real = Path.replace

    def refuse_versions(self: Path, target: str | Path) -> Path:
        if Path(target).name == "versions.yaml":
            raise PermissionError(1, "Operation not permitted", str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "replace", refuse_versions)
    with pytest.raises(ReleaseError) as info:
        write_files(tmp_path, changes)
    monkeypatch.undo()
    assert info.value.message == ("cannot replace versions.yaml: Operation not permitted; "
                                  "nothing was changed")
    assert (tmp_path / "a.txt").read_text() == "old a\n"
    assert (tmp_path / "versions.yaml").read_text() == "old v\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "versions.yaml"]


def test_write_if_changed_leaves_a_file_that_holds_the_text(tmp_path: Path) -> None:
    from release.fsutil import write_if_changed

    assert write_if_changed(tmp_path, "d/page.md", "one\r\n") is True
    assert (tmp_path / "d/page.md").read_bytes() == b"one\r\n"
    assert write_if_changed(tmp_path, "d/page.md", "one\r\n") is False
    assert write_if_changed(tmp_path, "d/page.md", "one\n") is True  # CRLF is a difference
    assert (tmp_path / "d/page.md").read_bytes() == b"one\n"


def test_replace_bytes_replaces_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    from release.fsutil import replace_bytes

    target = tmp_path / "entry"
    target.write_bytes(b"old")
    replace_bytes(target, b"new\x00bytes")
    replace_bytes(tmp_path / "cached", b"x", durable=False)
    assert target.read_bytes() == b"new\x00bytes"
    assert (tmp_path / "cached").read_bytes() == b"x"
    assert (target.stat().st_mode & 0o777, sorted(p.name for p in tmp_path.iterdir())) == (
        0o600, ["cached", "entry"])
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        replace_bytes(tmp_path / "dir", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cached", "dir", "entry"]

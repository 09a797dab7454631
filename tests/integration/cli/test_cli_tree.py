"""Every managed file is checked before any work: a pin naming a missing file, or a file that
resolves outside the repository, is invalid input (exit 2) before any network request, and
nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from release.cli import main

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"

pytestmark = pytest.mark.integration

FIRST_PIN = "file: images/kamailio/Dockerfile, image: debian, stage: build}"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _commands(root: Path, replay: Path) -> list[list[str]]:
    # A --replay directory that does not exist: had any command reached its network phase, it
    # would fail on that instead of on the pin.
    common = ["--root", str(root), "--no-cache", "--today", "2026-11-26"]
    return [
        ["verify", "--root", str(root)],
        ["check", *common, "--replay", str(replay)],
        ["refresh", *common, "--replay", str(replay), "--dry-run"],
        ["refresh", *common, "--replay", str(replay)],
        ["pin", "--root", str(root), "redis", "8.2.3"],
    ]


def test_a_pin_naming_a_missing_file_stops_every_command_before_the_network(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = tree / "versions.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace(FIRST_PIN, FIRST_PIN.replace("kamailio", "kamailo"), 1))
    line = _line_of(text, FIRST_PIN)
    before = _files(tree)
    for argv in _commands(tree, tmp_path / "no-such-recording"):
        assert main(argv) == 2, argv
        assert capsys.readouterr().err.splitlines() == [
            "error: versions.yaml: 1 pin location cannot be used",
            f"  versions.yaml:{line}: components.debian.pins[0].file: "
            "images/kamailo/Dockerfile: file does not exist (dockerfile-from debian (stage build))",
        ], argv
    assert _files(tree) == before


def test_versions_yaml_linked_from_outside_the_repository_is_refused(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    outside = tmp_path / "elsewhere" / "versions.yaml"
    outside.parent.mkdir()
    shutil.move(tree / "versions.yaml", outside)
    (tree / "versions.yaml").symlink_to(outside)
    before = outside.read_bytes()
    for argv in _commands(tree, tmp_path / "no-such-recording"):
        assert main(argv) == 2, argv
        assert capsys.readouterr().err.splitlines()[0] == (
            f"error: versions.yaml is a symlink to {outside}, outside the repository; refusing "
            "to read or write a managed file there (copy the file into the repository instead)"
        ), argv
    assert outside.read_bytes() == before


def test_a_pinned_file_linked_from_outside_the_repository_is_refused(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    outside = tmp_path / "elsewhere" / "Dockerfile"
    outside.parent.mkdir()
    dockerfile = tree / "images" / "redis" / "Dockerfile"
    shutil.move(dockerfile, outside)
    dockerfile.symlink_to(outside)
    before = outside.read_bytes()
    text = (tree / "versions.yaml").read_text()
    for argv in _commands(tree, tmp_path / "no-such-recording"):
        assert main(argv) == 2, argv
        lines = capsys.readouterr().err.splitlines()
        assert lines[0].startswith("error: versions.yaml: "), argv
        problems = [line for line in lines[1:] if "images/redis/Dockerfile" in line]
        assert problems, lines
        assert all(f"images/redis/Dockerfile: resolves to {outside}, outside the repository ("
                   in line for line in problems), problems
    first = next(line for line in text.splitlines() if "file: images/redis/Dockerfile" in line)
    assert f"versions.yaml:{_line_of(text, first)}: " in problems[0]
    assert outside.read_bytes() == before


def test_a_pin_naming_a_directory_is_invalid(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = tree / "versions.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace(FIRST_PIN, FIRST_PIN.replace("kamailio/Dockerfile",
                                                                  "kamailio"), 1))
    assert main(["verify", "--root", str(tree)]) == 2
    assert capsys.readouterr().err.splitlines()[1] == (
        f"  versions.yaml:{_line_of(text, FIRST_PIN)}: components.debian.pins[0].file: "
        "images/kamailio: is not a regular file (dockerfile-from debian (stage build))"
    )

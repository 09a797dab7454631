"""The cache of validated manifests (`release.manifest.fastload`)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest import fastload
from release.manifest.fastload import cached, parse_cache
from release.manifest.load import load_manifest, parse_manifest
from release.manifest.model import Manifest

REPO = Path(__file__).resolve().parents[3]
TEXT = (REPO / "versions.yaml").read_text()


class Counting:
    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def __call__(self) -> Manifest:
        self.calls += 1
        return parse_manifest(self.text)


def entries(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def test_the_same_text_validates_once(tmp_path: Path) -> None:
    parse = Counting(TEXT)
    with parse_cache(tmp_path / "m"):
        first = cached(TEXT, "versions.yaml", parse)
        second = cached(TEXT, "versions.yaml", parse)
    assert parse.calls == 1
    assert second == first == parse_manifest(TEXT)
    assert len(entries(tmp_path / "m")) == 1
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o700


def test_off_unless_a_command_turns_it_on(tmp_path: Path) -> None:
    parse = Counting(TEXT)
    cached(TEXT, "versions.yaml", parse)
    cached(TEXT, "versions.yaml", parse)
    with parse_cache(None):
        cached(TEXT, "versions.yaml", parse)
    assert parse.calls == 3


def test_any_change_of_the_text_or_the_code_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = TEXT.replace("schema: 1", "schema: 1 ", 1)
    parse, other = Counting(TEXT), Counting(edited)
    with parse_cache(tmp_path):
        cached(TEXT, "versions.yaml", parse)
        cached(edited, "versions.yaml", other)
        cached(TEXT, "other.yaml", parse)
        cached(TEXT, "versions.yaml", parse, sets=False)
        monkeypatch.setattr(fastload, "_fingerprint", lambda: b"the validator changed")
        cached(TEXT, "versions.yaml", parse)
    assert (parse.calls, other.calls) == (4, 1)


def test_an_invalid_manifest_is_located_as_without_the_cache_and_never_stored(
    tmp_path: Path,
) -> None:
    bad = TEXT.replace("schema: 1", "schema: 2", 1)
    with pytest.raises(ProblemsFound) as plain:
        parse_manifest(bad)
    with parse_cache(tmp_path), pytest.raises(ProblemsFound) as through_cache:
        cached(bad, "versions.yaml", Counting(bad))
    assert through_cache.value.problems == plain.value.problems
    assert str(through_cache.value) == str(plain.value)
    assert entries(tmp_path) == []


def test_an_entry_others_could_write_is_ignored(tmp_path: Path) -> None:
    parse = Counting(TEXT)
    with parse_cache(tmp_path):
        cached(TEXT, "versions.yaml", parse)
        (entry,) = entries(tmp_path)
        entry.chmod(0o664)
        cached(TEXT, "versions.yaml", parse)
        assert parse.calls == 2  # and it was written again, private
        assert entry.stat().st_mode & 0o777 == 0o600
        tmp_path.chmod(0o777)
        cached(TEXT, "versions.yaml", parse)
        tmp_path.chmod(0o700)
    assert parse.calls == 3


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /dev/null",))


def test_an_entry_naming_anything_but_the_model_is_refused(tmp_path: Path) -> None:
    parse = Counting(TEXT)
    with parse_cache(tmp_path):
        cached(TEXT, "versions.yaml", parse)
        (entry,) = entries(tmp_path)
        head = entry.read_bytes().split(b"\n", 2)
        entry.write_bytes(head[0] + b"\n" + head[1] + b"\n" + pickle.dumps(Boom()))
        again = cached(TEXT, "versions.yaml", parse)
        # A truncated or foreign file is a miss too.
        entry.write_bytes(b"delphi-manifest-cache 1\n")
        cached(TEXT, "versions.yaml", parse)
    assert parse.calls == 3
    assert again == parse_manifest(TEXT)


def test_load_manifest_through_the_cache(tmp_path: Path) -> None:
    with parse_cache(tmp_path):
        first = load_manifest(REPO / "versions.yaml")
        second = load_manifest(REPO / "versions.yaml")
    assert second.manifest == first.manifest
    assert second.text == first.text == TEXT
    assert len(entries(tmp_path)) == 1


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    with parse_cache(tmp_path):
        for n in range(10):
            text = TEXT + f"# edit {n}\n"
            cached(text, "versions.yaml", Counting(text))
    assert len(entries(tmp_path)) == 8


def test_check_reads_the_manifest_through_the_cache_unless_no_cache(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from release.cli import main

    def check(*extra: str) -> str:
        capsys.readouterr()
        main(
            [
                "check",
                "--root",
                str(tree),
                "--replay",
                str(REPO / "tests" / "data" / "replay"),
                "--json",
                "--today",
                "2026-09-16",
                *extra,
            ]
        )
        return capsys.readouterr().out

    cache = tmp_path / "cache"
    first = check("--cache-dir", str(cache))
    assert len(entries(cache / "manifest")) == 1
    assert check("--cache-dir", str(cache)) == first
    assert check("--cache-dir", str(tmp_path / "other"), "--no-cache") == first
    assert not (tmp_path / "other").exists()

    # An edit that breaks the manifest is reported as without the cache (exit 2, located).
    text = (tree / "versions.yaml").read_text()
    (tree / "versions.yaml").write_text(text.replace("schema: 1", "schema: 2", 1))
    assert (
        main(
            [
                "check",
                "--root",
                str(tree),
                "--replay",
                str(REPO / "tests" / "data" / "replay"),
                "--cache-dir",
                str(cache),
            ]
        )
        == 2
    )
    assert "versions.yaml:" in capsys.readouterr().err

"""Edits of a test's copy of the repository (the `tree` fixture) that put it in the state a
test is about, whatever the real versions.yaml says today."""

from __future__ import annotations

from pathlib import Path

from world.signatures import without_signature


def unsigned(tree: Path, component: str) -> None:
    """Drop the `archive.signature` versions.yaml declares for `component` (its sums file is
    then what verify reads)."""
    manifest = tree / "versions.yaml"
    manifest.write_text(without_signature(manifest.read_text(), component))


def mark_unconfirmed(tree: Path, *names: str) -> None:
    """Mark the archive sha256 of each of `names` unconfirmed in the tree, as a value recorded
    offline is (whatever the real versions.yaml says of it today)."""
    manifest = tree / "versions.yaml"
    text = manifest.read_text()
    for name in names:
        start = text.index(f"\n  {name}:\n")
        pins = text.index("\n    pins:\n", start)
        assert "\n    unconfirmed:" not in text[start:pins], name
        text = text[:pins] + "\n    unconfirmed: [sha256]  # recorded offline" + text[pins:]
    manifest.write_text(text)

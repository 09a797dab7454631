"""Writing the manifest back: only the changed scalar moves, every other byte stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.manifest.load import load_manifest, parse_manifest
from release.manifest.write import reads_as_string, set_scalar

REPO = Path(__file__).resolve().parents[3]


def test_round_trip_of_the_real_manifest_is_byte_identical() -> None:
    loaded = load_manifest(REPO / "versions.yaml")
    text = loaded.text
    for component in loaded.manifest.components:
        text = set_scalar(text, f"components.{component.name}.version", component.version)
    assert text == loaded.text
    assert parse_manifest(text) == loaded.manifest


@pytest.mark.parametrize(
    ("before", "value", "after"),
    [
        ("a:\n  version: 6.1.4  # note\n", "6.1.5", "a:\n  version: 6.1.5  # note\n"),
        ('a:\n  version: "17.11"\n', "17.12", 'a:\n  version: "17.12"\n'),
        ("a:\n  version: '7.6'\n", "7.10", "a:\n  version: '7.10'\n"),
        ("a:\n  version: 6.1.4\n", "7.0", 'a:\n  version: "7.0"\n'),
        ("a:\n  version: 6.1.4\n", "20260901", 'a:\n  version: "20260901"\n'),
        ("a:\r\n  version: 6.1.4\r\n  b: 1\r\n", "6.1.5", "a:\r\n  version: 6.1.5\r\n  b: 1\r\n"),
        ("a: {version: 1.2.3, b: x}\n", "1.2.4", "a: {version: 1.2.4, b: x}\n"),
    ],
    ids=["plain-with-comment", "double-quoted", "single-quoted", "needs-quotes", "date-like",
         "crlf", "flow-mapping"],
)
def test_set_scalar(before: str, value: str, after: str) -> None:
    assert set_scalar(before, "a.version", value) == after


@pytest.mark.parametrize(
    ("value", "expected"),
    [("6.1.4", True), ("7.0", False), ("17", False), ("true", False), ("v1.2", True),
     ("2026-01-01", False), ("trixie-20260803-slim", True), ("null", False)],
)
def test_reads_as_string(value: str, expected: bool) -> None:
    assert reads_as_string(value) is expected

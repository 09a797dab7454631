"""The check table on a terminal: readable at 80 columns without losing a version (#14)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from release.cli import main
from release.refresh import report

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"
ARGS = ["check", "--root", str(REPO), "--replay", str(REPLAY), "--no-cache",
        "--today", "2026-09-16"]


def _render(monkeypatch: pytest.MonkeyPatch, width: int, *extra: str) -> str:
    out = io.StringIO()
    monkeypatch.setattr(report, "stderr_console", lambda: Console(
        file=out, width=width, highlight=False, soft_wrap=False, color_system=None))
    main([*ARGS, *extra])
    return out.getvalue()


@pytest.fixture(scope="module")
def components() -> list[dict[str, object]]:
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main([*ARGS, "--json"])
    doc = json.loads(buffer.getvalue())
    return list(doc["components"])


def _tokens(text: str) -> set[str]:
    return set(re.split(r"[\s│┃]+", text))


def test_at_80_columns_nothing_is_cut_and_the_notes_follow_the_table(
    monkeypatch: pytest.MonkeyPatch, components: list[dict[str, object]],
) -> None:
    text = _render(monkeypatch, 80)
    # Only a URL alone on its line may be longer (one string, never cut).
    long = [line for line in text.splitlines() if len(line) > 80]
    assert all(re.fullmatch(r"    https://\S+", line) for line in long), long
    assert "…" not in text
    tokens = _tokens(text)
    for c in components:
        for key in ("name", "pinned", "candidate", "newest_beyond_policy", "status"):
            if c[key]:
                assert str(c[key]) in tokens, (c["name"], key)
    notes = text.split("\nnotes:\n", 1)[1]
    for c in components:
        if c["release_notes"] and c["candidate"]:
            assert (f"  {c['name']}: {c['release_notes']}\n" in notes
                    or f"  {c['name']}:\n    {c['release_notes']}\n" in notes), c["name"]
    assert "    GHSA-wwww-0000-0001 (high): fixed by the candidate\n" in notes


def test_narrower_than_the_compact_table_one_line_per_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _render(monkeypatch, 50)
    assert "…" not in text
    assert "  rtpengine 13.5.1.25 -> 13.5.1.26 (beyond policy: 26.2.1.3) update\n" in text
    assert "  python 3.14.7 current\n" in text


def test_from_140_columns_and_with_wide_the_notes_are_a_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for text in (_render(monkeypatch, 200), _render(monkeypatch, 80, "--wide")):
        header = next(line for line in text.splitlines() if "component" in line)
        assert re.search(r"component\s+┃ pinned\s+┃ candidate\s+┃ beyond policy ┃ status\s+┃ "
                         r"notes", header), header
        assert "\nnotes:\n" not in text
        assert "…" not in text.split("┃ notes")[0]

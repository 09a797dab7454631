"""Unified diffs of planned file changes, as `git diff` shows them.

`difflib.unified_diff` treats a line that occurs in more than 1% of a file over 200 lines as
junk (its autojunk heuristic), so in `versions.yaml` or a long Dockerfile unchanged lines were
shown removed and re-added. Here the matcher runs with autojunk off, hunks keep git's three
lines of context, a missing final newline is marked as git marks it, and on a terminal the
lines are coloured as git colours them (headers bold, hunk ranges cyan, removals red, additions
green). The output applies with `git apply` and `patch -p1`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

CONTEXT = 3
NO_NEWLINE = "\\ No newline at end of file\n"

_BOLD, _CYAN, _RED, _GREEN, _RESET = "\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[m"


class Change(Protocol):
    """A file's old and new text (`release.fsutil.FileChange`)."""

    @property
    def path(self) -> str: ...
    @property
    def old(self) -> str: ...
    @property
    def new(self) -> str: ...


def color_wanted(stream_is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it (https://no-color.org)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream_is_tty and env.get("TERM") != "dumb"


def unified_diff(changes: Sequence[Change], *, color: bool = False) -> str:
    """One unified diff of every change, `a/`/`b/` prefixed like git (new files from /dev/null)."""
    out: list[str] = []
    for change in changes:
        out.extend(_file_diff(change, color=color))
    return "".join(out)


def _file_diff(change: Change, *, color: bool) -> Iterable[str]:
    old = change.old.splitlines(keepends=True)
    new = change.new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(CONTEXT))
    if not groups:
        return
    source = "/dev/null" if not old else f"a/{change.path}"
    yield _paint(f"--- {source}\n", _BOLD, color)
    yield _paint(f"+++ b/{change.path}\n", _BOLD, color)
    for group in groups:
        first, last = group[0], group[-1]
        yield _paint(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n",
                     _CYAN, color)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from _lines(" ", old[i1:i2], "", color)
                continue
            if tag in ("replace", "delete"):
                yield from _lines("-", old[i1:i2], _RED, color)
            if tag in ("replace", "insert"):
                yield from _lines("+", new[j1:j2], _GREEN, color)


def _range(start: int, stop: int) -> str:
    """git's hunk range: `start,count`, 1-based; `start` alone when count is 1; `start-1,0`
    (the line before) when the side is empty."""
    count = stop - start
    if count == 0:
        return f"{start},0"
    if count == 1:
        return str(start + 1)
    return f"{start + 1},{count}"


def _lines(prefix: str, lines: Sequence[str], style: str, color: bool) -> Iterable[str]:
    for line in lines:
        if line.endswith("\n"):
            yield _paint(prefix + line, style, color)
        else:
            yield _paint(prefix + line + "\n", style, color)
            yield NO_NEWLINE


def _paint(line: str, style: str, color: bool) -> str:
    if not color or not style:
        return line
    return f"{style}{line[:-1]}{_RESET}\n"

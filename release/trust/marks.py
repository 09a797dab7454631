"""The `unconfirmed:` marks of versions.yaml: dropped once upstream has confirmed a value, set
when a value is typed in.

`pin` and `refresh` drop the mark of a value they obtained from upstream; `verify --online
--confirm` drops the mark of a value it verified; `pin --checksum` marks the value it was given
(nobody checked it against upstream). The edit is textual, like every write of versions.yaml:
the `unconfirmed: [...]` line (flow style, as docs/manifest.md writes it) loses the confirmed
names, or goes away when none is left, gains a typed-in one, or is added before the
component's `pins:`; comments elsewhere stay byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from release.errors import InvalidInput
from release.fsutil import FileChange
from release.manifest.load import make_yaml, parse_manifest
from release.manifest.model import MANIFEST
from release.refresh.decide import Update

_FLOW = re.compile(r"(?P<indent>\s*)unconfirmed:\s*\[(?P<items>[^\]]*)\](?P<rest>.*)")


def _flow_line(component: Any, lines: Sequence[str], name: str, filename: str,
               why: str) -> tuple[int, re.Match[str]]:
    """The index and match of `component`'s `unconfirmed: [...]` line (refused unless it is
    one flow list on one line: the edits are textual)."""
    line = int(component.lc.key("unconfirmed")[0])
    match = _FLOW.fullmatch(lines[line].rstrip("\r\n"))
    if match is None:
        raise InvalidInput(
            f"{filename}:{line + 1}: components.{name}.unconfirmed: write it as a flow list on "
            f"one line (unconfirmed: [sha256]) {why}")
    return line, match


def without_marks(text: str, drops: Mapping[str, Sequence[str]], *,
                  filename: str = MANIFEST) -> str:
    """`text` with each component's `drops` (value names) removed from its `unconfirmed:`."""
    doc: Any = make_yaml().load(text)
    lines = text.splitlines(keepends=True)
    removals: list[tuple[int, str | None]] = []
    for name, values in drops.items():
        component = doc["components"].get(name)
        if component is None or "unconfirmed" not in component or not values:
            continue
        line, match = _flow_line(component, lines, name, filename,
                                 "so confirmed values can be dropped")
        kept = [i.strip() for i in match["items"].split(",") if i.strip() and
                i.strip() not in values]
        if kept:
            ending = lines[line][len(lines[line].rstrip("\r\n")):]
            kept_line = f"{match['indent']}unconfirmed: [{', '.join(kept)}]{match['rest']}"
            removals.append((line, kept_line + ending))
        else:
            removals.append((line, None))
    for line, replacement in sorted(removals, reverse=True):
        if replacement is None:
            del lines[line]
        else:
            lines[line] = replacement
    new = "".join(lines)
    parse_manifest(new, filename)  # still valid (raises ProblemsFound otherwise)
    return new


def with_marks(text: str, adds: Mapping[str, Sequence[str]], *,
               filename: str = MANIFEST) -> str:
    """`text` with each component's `adds` (value names) in its `unconfirmed:` list."""
    doc: Any = make_yaml().load(text)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, str, bool]] = []  # (line, text, insert before it rather than replace)
    for name, values in adds.items():
        component = doc["components"].get(name)
        if component is None or not values:
            continue
        if "unconfirmed" in component:
            line, match = _flow_line(component, lines, name, filename,
                                     "so typed-in values can be marked")
            items = [i.strip() for i in match["items"].split(",") if i.strip()]
            items += [v for v in values if v not in items]
            ending = lines[line][len(lines[line].rstrip("\r\n")):]
            marked = f"{match['indent']}unconfirmed: [{', '.join(items)}]{match['rest']}{ending}"
            edits.append((line, marked, False))
            continue
        line = int(component.lc.key("pins")[0])
        indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
        ending = "\r\n" if lines[line].endswith("\r\n") else "\n"
        added = f"{indent}unconfirmed: [{', '.join(values)}]  # typed in with pin --checksum"
        edits.append((line, added + ending, True))
    for line, replacement, insert in sorted(edits, reverse=True):
        if insert:
            lines.insert(line, replacement)
        else:
            lines[line] = replacement
    new = "".join(lines)
    parse_manifest(new, filename)  # still valid (raises ProblemsFound otherwise)
    return new


def _in_changes(changes: Sequence[FileChange], manifest_path: str,
                edit: Callable[[str, str], str]) -> tuple[FileChange, ...]:
    """`changes` with `edit(text, filename)` applied to the manifest's new text."""
    return tuple(FileChange(path=c.path, old=c.old, new=edit(c.new, c.path))
                 if c.path == manifest_path else c for c in changes)


def mark_in_changes(changes: Sequence[FileChange], manifest_path: str,
                    adds: Mapping[str, Sequence[str]]) -> tuple[FileChange, ...]:
    """`changes` with the manifest's new text also marking the typed-in values."""
    return _in_changes(changes, manifest_path,
                       lambda text, filename: with_marks(text, adds, filename=filename))


def typed_values(update: Update) -> dict[str, list[str]]:
    """The values of a `pin --checksum` update that were typed in: the archive checksum or
    the image digest (a commit is resolved from upstream)."""
    names = [n for n in set_values(update) if n in ("sha256", "digest")]
    return {update.component: names} if names else {}


def confirm_in_changes(changes: Sequence[FileChange], manifest_path: str,
                       drops: Mapping[str, Sequence[str]]) -> tuple[FileChange, ...]:
    """`changes` with the manifest's new text also dropping the confirmed marks."""
    return _in_changes(changes, manifest_path,
                       lambda text, filename: without_marks(text, drops, filename=filename))


def set_values(update: Update) -> list[str]:
    """The value names an update sets (`sha256`, `digest`, `commit`)."""
    return [name for name, value in (("sha256", update.sha256), ("digest", update.digest),
                                     ("commit", update.commit)) if value is not None]


def drops_for(updates: Sequence[Update]) -> dict[str, list[str]]:
    """Every value the updates set, by component: they came from upstream."""
    return {u.component: set_values(u) for u in updates if set_values(u)}

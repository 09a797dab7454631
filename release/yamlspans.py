"""Where a value is written in a text: located spans, line numbers, and YAML scalars' spans.

Neutral ground for `release.pins` (which rewrites pins) and `release.manifest` (which edits
versions.yaml in place): both need to find a scalar's exact span in a YAML text, and neither
should import the other for it. ruamel.yaml's round-trip loader finds the scalar and its line
and column (`lc`); the text is then read here, so comments, quoting, key order and line endings
stay as written. Only single-line scalars are found: plain, "double" or 'single' quoted,
optionally after an `&anchor` or `!tag`. Block scalars, multi-line scalars, aliases (`*name`)
and keys that come from a merge (`<<`) are refused.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from release.errors import PinError


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """Where a pin's value is written: `text[start:end] == value`, on 1-based `line`.

    Quotes are outside the span. `start == end` is an empty span: the value is absent (`ARG X`,
    `FROM debian`) and rewriting inserts it there, with its separator.
    """

    line: int
    start: int
    end: int
    value: str


class LineIndex:
    """Where each line of a text starts, to turn character offsets into 1-based lines."""

    __slots__ = ("starts",)

    def __init__(self, text: str, breaks: re.Pattern[str] | None = None) -> None:
        pattern = breaks if breaks is not None else re.compile(r"\n")
        self.starts = [0, *(m.end() for m in pattern.finditer(text))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


YAML_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_PROPERTIES_RE = re.compile(r"(?:[&!]\S*[ \t]+)+")
_PLAIN_END_RE = re.compile(r"[ \t]#")
_FLOW_END_RE = re.compile(r"[,\]}]")
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scalar:
    """A scalar's text span (inside its quotes) and its 1-based line."""

    line: int
    start: int
    end: int


def load_yaml(text: str, file: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}" if mark is not None else file
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise PinError(f"{where}: not valid YAML: {what}") from None
    except YAMLError as exc:
        raise PinError(f"{file}: not valid YAML: {exc}") from None


def find_scalar(doc: Any, segments: list[str], *, text: str, file: str, what: str) -> Scalar:
    """Find the scalar at `segments` in `doc` and its exact span in `text`."""
    node: Any = doc
    parent: Any = None
    key: Any = None
    walked: list[str] = []
    for segment in segments:
        here = ".".join(walked) or "the document"
        if isinstance(node, CommentedMap):
            key = next((k for k in node if str(k) == segment), None)
            if key is None:
                raise PinError(f"{file}: no {what} ({here} has no key {segment!r})")
        elif isinstance(node, CommentedSeq):
            if not segment.isdigit() or int(segment) >= len(node):
                raise PinError(
                    f"{file}: no {what} ({here} is a list of {len(node)} items; "
                    f"{segment!r} is not one of its indexes)"
                )
            key = int(segment)
        else:
            raise PinError(f"{file}: no {what} ({here} is not a mapping or a list)")
        parent, node = node, node[key]
        walked.append(segment)
    if node is None:  # ruamel.yaml places a missing value at the next token: use the key's line
        data = parent.lc.data or {}
        line = data[key][0] if key in data else parent.lc.line
        raise PinError(f"{file}:{line + 1}: {what} has no value")
    line, col = _position(parent, key, file=file, what=what)
    if isinstance(node, CommentedMap | CommentedSeq):
        kind = "mapping" if isinstance(node, CommentedMap) else "list"
        raise PinError(f"{file}:{line + 1}: {what} is a {kind}, not a scalar")
    return _span(text, line, col, node, flow=bool(parent.fa.flow_style()), file=file, what=what)


def _position(parent: Any, key: Any, *, file: str, what: str) -> tuple[int, int]:
    """The 0-based line and column where the value of `parent[key]` is written."""
    data: dict[Any, Any] = parent.lc.data or {}
    if key not in data:
        raise PinError(
            f"{file}:{parent.lc.line + 1}: {what} comes from a merge key (<<); "
            "pin the value where it is written"
        )
    if isinstance(parent, CommentedMap):
        key_line, key_col, line, col = data[key]
        after = (key_line, key_col)
    else:
        line, col = data[key]
        after = (parent.lc.line, parent.lc.col) if key == 0 else tuple(data[key - 1][:2])
    # ruamel.yaml gives an alias the position of the node it refers to, which comes earlier.
    if (line, col) < after or (isinstance(parent, CommentedSeq) and (line, col) == after):
        raise PinError(
            f"{file}:{line + 1}: {what} is an alias (*name) of the value written here; "
            "pin that value instead"
        )
    return line, col


def _span(
    text: str, line: int, col: int, value: Any, *, flow: bool, file: str, what: str
) -> Scalar:
    index = LineIndex(text, YAML_BREAKS)
    if line >= len(index.starts):  # pragma: no cover - ruamel's lines are the text's lines
        raise PinError(f"{file}: {what} is past the end of the file")
    line_start = index.starts[line]
    brk = YAML_BREAKS.search(text, line_start)
    content = text[line_start : brk.start() if brk is not None else len(text)]
    if line == 0 and content.startswith(_BOM):  # ruamel.yaml's columns do not count a BOM
        col += 1
    props = _PROPERTIES_RE.match(content, col)
    if props is not None:
        col = props.end()
    number = line + 1
    first = content[col : col + 1]
    if first in ('"', "'"):
        close = _closing_quote(content, col)
        if close is None:
            raise PinError(
                f"{file}:{number}: {what} is a quoted scalar that goes on past its line; "
                "write it on one line to pin it"
            )
        start, end = col + 1, close
    elif first in ("|", ">"):
        raise PinError(
            f"{file}:{number}: {what} is a block scalar ({first}); write it as a one-line scalar "
            "to pin it"
        )
    elif first in ("", "#", "*"):
        raise PinError(f"{file}:{number}: {what} is not a scalar written on this line")
    else:
        stop = len(content)
        comment = _PLAIN_END_RE.search(content, col)
        if comment is not None:
            stop = comment.start()
        if flow:
            comma = _FLOW_END_RE.search(content, col, stop)
            if comma is not None:
                stop = comma.start()
        start, end = col, col + len(content[col:stop].rstrip(" \t"))
        if isinstance(value, str) and content[start:end] != value:
            raise PinError(
                f"{file}:{number}: {what} is a plain scalar that goes on past its line; "
                "write it on one line to pin it"
            )
    return Scalar(line=number, start=line_start + start, end=line_start + end)


def _closing_quote(content: str, col: int) -> int | None:
    """The index of the quote that closes the one at `content[col]`, on the same line."""
    quote = content[col]
    i = col + 1
    while i < len(content):
        ch = content[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and content[i + 1 : i + 2] == "'":  # '' is a quote inside '...'
                i += 2
                continue
            return i
        i += 1
    return None



def yaml_key_spans(text: str, keys: list[str], *, file: str) -> dict[str, Located]:
    """Where the scalar at each dotted key path is written, parsing `text` once.

    For editing many scalars of one document (the manifest) without re-parsing it per key.
    """
    doc = load_yaml(text, file)
    spans: dict[str, Located] = {}
    for key in keys:
        scalar = find_scalar(doc, key.split("."), text=text, file=file, what=f"key {key}")
        spans[key] = Located(
            line=scalar.line, start=scalar.start, end=scalar.end,
            value=text[scalar.start : scalar.end],
        )
    return spans

"""The one set of typed, located getters every reader of a YAML or JSON document uses.

`versions.yaml`, the checklist files, the required stops and the sample notes' inputs are read
with ruamel.yaml's round-trip loader, whose nodes know their lines; a bill of materials is JSON,
whose plain dicts do not (its problems say line 0: the file without a line). A reader subclasses
`LocatedChecker`, walks the parsed document with these getters and raises what they collected
together: like `pylock.py` of pypa/packaging (`_get`, `_get_required`, `_get_sequence`,
`_get_object`), each getter checks one key's type and says where it is, but here no getter
raises: every problem is recorded as `file:line: path.to.key: message` and the walk goes on, so
one run lists them all.

The getters share one vocabulary: a missing required key is `path: missing required key 'k'`,
a value of the wrong type is `path.k: expected a string, found the number 13`, a value outside
a closed set is `unknown <what> 'x' (did you mean 'y'?); valid: ...` (or, for an enumeration,
`'x' is not a valid <key>...`), a value of the wrong form is `'x' is not <what>`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from release.errors import Problem

E = TypeVar("E", bound=str)
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def describe(value: Any) -> str:
    """What a YAML value is, for messages ('the number 13', 'a list')."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def closest(value: str, options: Iterable[str]) -> str | None:
    """The option `value` was most likely meant to be (a typo), or None."""
    close = difflib.get_close_matches(value, list(options), n=1)
    return close[0] if close else None


def iso_date(text: str) -> dt.date | None:
    """`text` as a date when it is written YYYY-MM-DD and is a calendar date, else None.

    Python's fromisoformat also takes 20261231 and 2026-W52-1; the messages (and
    docs/manifest.md) promise YYYY-MM-DD, so only that is accepted."""
    if not ISO_DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class LocatedChecker:
    """Collects located problems of one file while typed getters read its document.

    Nodes are mappings (`CommentedMap` for YAML, with lines; a plain dict for JSON, line 0).
    `text`, when given, is the document's source: a number YAML read from unquoted text is
    then quoted in the message as it was written (`1.10`, not `1.1`).
    """

    def __init__(self, filename: str, text: str | None = None) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self.lines = text.splitlines() if text is not None else []

    def problem(self, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(file=self.file, line=line, path=path, message=message))

    # -- where ---------------------------------------------------------------------------------

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    @staticmethod
    def key_line(node: Any, key: str) -> int:
        """The 1-based line of `key` in `node` (of the node itself when unknown, 0 for JSON)."""
        try:
            return int(node.lc.key(key)[0]) + 1
        except (KeyError, AttributeError, TypeError):
            return int(getattr(getattr(node, "lc", None), "line", -1)) + 1

    @staticmethod
    def node_line(node: Any, default: int) -> int:
        lc = getattr(node, "lc", None)
        return int(lc.line) + 1 if lc is not None else default

    @staticmethod
    def item_line(seq: Any, index: int, default: int) -> int:
        """The 1-based line of the `index`th entry of a YAML list (`default` when unknown)."""
        with contextlib.suppress(KeyError, AttributeError, TypeError, IndexError):
            return int(seq.lc.item(index)[0]) + 1
        return default

    def raw_value(self, node: Any, key: str) -> str | None:
        """The value of `key` as written in the source (for numbers YAML has reinterpreted)."""
        try:
            line, col = node.lc.value(key)
        except (KeyError, AttributeError, TypeError):
            return None
        if line >= len(self.lines):
            return None
        token = re.match(r"[^\s#,\]}]+", self.lines[line][col:])
        return token.group(0) if token else None

    # -- keys ----------------------------------------------------------------------------------

    def missing(self, node: Any, key: str, path: str) -> None:
        self.problem(self.node_line(node, 0), path, f"missing required key {key!r}")

    def check_keys(
        self, node: Mapping[str, Any], path: str, allowed: tuple[str, ...],
        required: tuple[str, ...],
    ) -> None:
        """Unknown keys (with a did-you-mean) and missing required keys are problems."""
        for key in node:
            if key not in allowed:
                close = closest(str(key), allowed)
                hint = f"did you mean {close!r}? " if close else ""
                self.problem(
                    self.key_line(node, key), self.join(path, str(key)),
                    f"unknown key; {hint}valid keys: {', '.join(allowed)}",
                )
        for key in required:
            if key not in node:
                self.missing(node, key, path)

    # -- typed getters -------------------------------------------------------------------------

    def typed(
        self, node: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
        expected: str, *, required: bool = False, nullable: bool = False,
    ) -> Any:
        """`node[key]` when it is a `kind` (a bool is no int); None when absent (a problem when
        `required`), or null and `nullable`, or of another type (a problem)."""
        if key not in node:
            if required:
                self.missing(node, key, path)
            return None
        value = node[key]
        if value is None and nullable:
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            self.problem(self.key_line(node, key), self.join(path, key),
                         f"expected {expected}, found {describe(value)}")
            return None
        return value

    def mapping(self, value: Any, path: str, line: int) -> Any:
        """`value` when it is a mapping (a problem at `path`, and None, when it is not)."""
        if isinstance(value, dict):
            return value
        self.problem(line, path, f"expected a mapping, found {describe(value)}")
        return None

    def section(
        self, node: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> tuple[str, Any] | None:
        """The mapping `node[key]` with its path, its keys checked (`check_keys`); None when
        the key is absent or holds no mapping (a problem)."""
        if key not in node:
            return None
        sub = self.join(path, key)
        found = self.mapping(node[key], sub, self.key_line(node, key))
        if found is None:
            return None
        self.check_keys(found, sub, allowed, required)
        return sub, found

    def string(
        self, node: Mapping[str, Any], key: str, path: str, *, required: bool = True,
        nullable: bool = False,
    ) -> str | None:
        """A non-empty string; numbers and booleans YAML produced from unquoted text are
        refused (a number is quoted back as it was written)."""
        if key not in node:
            if required:
                self.missing(node, key, path)
            return None
        value = node[key]
        line = self.key_line(node, key)
        full = self.join(path, key)
        if isinstance(value, str):
            if not value.strip():
                self.problem(line, full, "must not be empty")
                return None
            return str(value)
        if value is None and nullable:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            raw = self.raw_value(node, key) or str(value)
            self.problem(
                line, full,
                f'expected a string, found the number {raw}; quote it ("{raw}") so YAML keeps '
                "it as written",
            )
            return None
        self.problem(line, full, f"expected a string, found {describe(value)}")
        return None

    def text(self, node: Mapping[str, Any], key: str, path: str, *,
             required: bool = False) -> str | None:
        """A `string`, without its surrounding whitespace (prose: titles, steps, reasons)."""
        value = self.string(node, key, path, required=required)
        return value.strip() if value is not None else None

    def boolean(self, node: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in node:
            return default
        value = node[key]
        if isinstance(value, bool):
            return value
        self.problem(
            self.key_line(node, key), self.join(path, key),
            f"expected true or false, found {describe(value)}",
        )
        return default

    def flag(self, node: Mapping[str, Any], key: str, path: str) -> bool:
        """A key that is `true` or left out."""
        if key not in node:
            return False
        value = node[key]
        if value is True:
            return True
        self.problem(self.key_line(node, key), self.join(path, key),
                     f"expected true (leave the key out otherwise), found {describe(value)}")
        return False

    def formed(self, value: str | None, line: int, path: str, regex: re.Pattern[str],
               what: str) -> str | None:
        """`value` when it has the form of `what` (a problem, and None, when it has not)."""
        if value is not None and not regex.fullmatch(value):
            self.problem(line, path, f"{value!r} is not {what}")
            return None
        return value

    def matching(
        self, node: Mapping[str, Any], key: str, path: str, regex: re.Pattern[str], what: str,
        *, required: bool = True, nullable: bool = False,
    ) -> str | None:
        """A `string` of the form `regex` fully matches (`what` names the form)."""
        value = self.string(node, key, path, required=required, nullable=nullable)
        return self.formed(value, self.key_line(node, key), self.join(path, key), regex, what)

    def one_of(self, value: str, line: int, path: str, valid: Iterable[str], what: str) -> bool:
        """Whether `value` is one of `valid`; when not, `unknown <what> 'x'` with the valid
        values (and the one it was most likely meant to be)."""
        options = list(valid)
        if value in options:
            return True
        close = closest(value, options)
        hint = f" (did you mean {close!r}?)" if close else ""
        self.problem(line, path, f"unknown {what} {value!r}{hint}; valid: {', '.join(options)}")
        return False

    def enum(self, node: Mapping[str, Any], key: str, path: str, cls: type[E]) -> E | None:
        """A required member of the string enumeration `cls`."""
        raw = self.string(node, key, path)
        if raw is None:
            return None
        valid = [str(m) for m in cls.__members__.values()]  # type: ignore[attr-defined]
        if raw not in valid:
            close = closest(raw, valid)
            hint = f" (did you mean {close!r}?)" if close else ""
            self.problem(
                self.key_line(node, key), self.join(path, key),
                f"{raw!r} is not a valid {key}{hint}; valid: {', '.join(valid)}",
            )
            return None
        return cls(raw)

    def date(self, node: Mapping[str, Any], key: str, path: str, *,
             required: bool = False) -> dt.date | None:
        """A `YYYY-MM-DD` date (None when absent or invalid, which is reported)."""
        if key not in node:
            if required:
                self.missing(node, key, path)
            return None
        raw = node[key]
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        day = iso_date(str(raw))
        if day is None:
            self.problem(
                self.key_line(node, key), self.join(path, key),
                f"{raw!r} is not a date; write it as YYYY-MM-DD",
            )
        return day

    # -- lists ---------------------------------------------------------------------------------

    def sequence(
        self, node: Mapping[str, Any], key: str, path: str, expected: str = "a list", *,
        nonempty: bool = False, required: bool = False,
    ) -> Sequence[Any] | None:
        """The list `node[key]` (None when absent, or not a list, or empty and `nonempty`:
        `expected <expected>, found ...`)."""
        if key not in node:
            if required:
                self.missing(node, key, path)
            return None
        value = node[key]
        if not isinstance(value, list) or (nonempty and not value):
            self.problem(self.key_line(node, key), self.join(path, key),
                         f"expected {expected}, found {describe(value)}")
            return None
        return value

    def objects(
        self, node: Mapping[str, Any], key: str, path: str, expected: str = "a list", *,
        nonempty: bool = False, required: bool = False,
    ) -> Iterator[tuple[str, Any]]:
        """Each mapping of the list `node[key]`, with its path (`key[3]`); an entry that is no
        mapping is a problem."""
        seq = self.sequence(node, key, path, expected, nonempty=nonempty, required=required)
        line = self.key_line(node, key)
        for index, entry in enumerate(seq or ()):
            where = f"{self.join(path, key)}[{index}]"
            mapped = self.mapping(entry, where,
                                  self.node_line(entry, self.item_line(seq, index, line)))
            if mapped is not None:
                yield where, mapped

    def strings(self, node: Mapping[str, Any], key: str, path: str,
                expected: str = "a list of strings", *, required: bool = False) -> tuple[str, ...]:
        """A list of strings (each entry that is not one is a problem)."""
        seq = self.sequence(node, key, path, expected, required=required)
        found: list[str] = []
        line = self.key_line(node, key)
        for index, entry in enumerate(seq or ()):
            if isinstance(entry, str):
                found.append(entry)
            else:
                self.problem(self.item_line(seq, index, line),
                             f"{self.join(path, key)}[{index}]",
                             f"expected a string, found {describe(entry)}")
        return tuple(found)

    def names(self, node: Mapping[str, Any], key: str, path: str) -> list[tuple[str, int]]:
        """A list of names (a lone string is a one-element list), each with its line."""
        value = node[key]
        line = self.key_line(node, key)
        if isinstance(value, str):
            return [(value, line)]
        if not isinstance(value, list) or not value:
            self.problem(
                line, self.join(path, key), f"expected a list of names, found {describe(value)}"
            )
            return []
        result: list[tuple[str, int]] = []
        for index, entry in enumerate(value):
            entry_line = self.item_line(value, index, line)
            if isinstance(entry, str):
                result.append((entry, entry_line))
            else:
                self.problem(entry_line, f"{self.join(path, key)}[{index}]",
                             f"expected a name, found {describe(entry)}")
        return result

    def enum_names(
        self, node: Mapping[str, Any], key: str, path: str, cls: type[E], what: str
    ) -> tuple[E, ...]:
        """`names` that are members of the string enumeration `cls` (`one_of` each)."""
        valid = [str(m) for m in cls.__members__.values()]  # type: ignore[attr-defined]
        return tuple(
            cls(v) for v, line in self.names(node, key, path)
            if self.one_of(v, line, self.join(path, key), valid, what)
        )

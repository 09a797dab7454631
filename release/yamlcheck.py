"""What every validator of a hand-edited YAML file shares: located problems and typed checks.

`versions.yaml` and the checklist files are read with ruamel.yaml's round-trip loader, whose
nodes know their lines. A validator walks the parsed document, collects every problem with its
file, line and key path, and raises them together; these are the pieces they all use.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from ruamel.yaml.comments import CommentedMap

from release.errors import Problem


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


class LocatedChecker:
    """Collects located problems of one file; subclasses add the checks of their format."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []

    def problem(self, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(file=self.file, line=line, path=path, message=message))

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    @staticmethod
    def key_line(node: CommentedMap, key: str) -> int:
        """The 1-based line of `key` in `node` (of the node itself when unknown)."""
        try:
            return int(node.lc.key(key)[0]) + 1
        except (KeyError, AttributeError, TypeError):
            return int(getattr(getattr(node, "lc", None), "line", -1)) + 1

    @staticmethod
    def node_line(node: Any, default: int) -> int:
        lc = getattr(node, "lc", None)
        return int(lc.line) + 1 if lc is not None else default

    def mapping(self, value: Any, path: str, line: int) -> CommentedMap | None:
        if isinstance(value, CommentedMap):
            return value
        self.problem(line, path, f"expected a mapping, found {describe(value)}")
        return None

    def check_keys(
        self, node: CommentedMap, path: str, allowed: tuple[str, ...], required: tuple[str, ...]
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
                self.problem(self.node_line(node, 0), path, f"missing required key {key!r}")

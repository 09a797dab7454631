"""The exception family of this project.

Every expected failure is one of these; `release.cli` is the one place that turns them into
messages and exit codes. Third-party exceptions are translated into these at the adapter that
called the third-party code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, with where it is.

    `file` and `line` locate it (line is 1-based, 0 when unknown); `path` is the dotted key path
    inside a YAML document (`components.asterisk.policy`), empty when the problem is not in one.
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ReleaseError(Exception):
    """Base of every expected failure. `exit_code` is what the CLI returns for it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(ReleaseError):  # noqa: N818 - it is an error by family, named by what it is
    """Bad usage or invalid input: nothing was changed (exit code 2)."""

    exit_code = 2


class ProblemsFound(InvalidInput):
    """Several located problems with one input, reported together."""

    def __init__(self, summary: str, problems: list[Problem], *, hint: str | None = None) -> None:
        super().__init__(summary, hint=hint)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(p) for p in self.problems)])


class PinError(InvalidInput):
    """A pin location does not match exactly one place in its file."""

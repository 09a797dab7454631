"""What every command's arguments share: the parser that raises instead of exiting, the usage
error, the `--root` and upstream options, argument types, and the small helpers the commands
use to print (colour, the GitHub step summary)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from release.errors import ReleaseError

Handler = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so bad usage goes through the error path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        choice = re.match(r"argument \S+: invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice is not None:
            from release.yamlcheck import closest

            options = re.findall(r"'?([\w-]+)'?", choice.group(2))
            guess = closest(choice.group(1), options)
            if guess is not None:
                message = f"{message}; did you mean {guess!r}?"
        raise UsageError(f"{self.prog}: {message}")


class UsageError(ReleaseError):
    exit_code = 2


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[Parser]


def root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=None,
        help="repository root holding versions.yaml and images/ (default: the nearest folder "
        "holding versions.yaml, from the current directory upwards, as git finds .git)",
    )


def date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def positive_seconds(value: str) -> float:
    """A bound in seconds: finite and above zero (`-1`, `0`, `nan`, `inf` are usage errors)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds above 0")
    return seconds


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def bom_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bom", metavar="FILE", type=Path, required=True,
                        help="the bill of materials (releases/<version>.json)")


def fetching_options(parser: argparse.ArgumentParser) -> None:
    """Where upstream answers come from and are kept: `--record`/`--replay`, the HTTP cache
    (`Fetching` of every command that asks upstream)."""
    recording = parser.add_mutually_exclusive_group()
    recording.add_argument(
        "--record", metavar="DIR", type=Path, help="record every upstream response into DIR"
    )
    recording.add_argument(
        "--replay", metavar="DIR", type=Path,
        help="answer every upstream request from a recording in DIR (no network at all)",
    )
    parser.add_argument(
        "--cache-dir", metavar="DIR", type=Path, default=default_cache(),
        help="persistent HTTP cache, revalidated with ETag/Last-Modified (default: %(default)s)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")


def upstream_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only", metavar="NAME", nargs="+", action="extend",
        help="check only these components",
    )
    fetching_options(parser)
    parser.add_argument(
        "--wide", action="store_true",
        help="the check table with its notes column at any width (default: from 140 columns; "
        "narrower, the notes follow the table)",
    )
    parser.add_argument(
        "--timeout", metavar="SECONDS", type=positive_seconds, default=600.0,
        help="bound on the whole run; unfinished components are reported (default: %(default)s)",
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", type=date_arg, default=None,
        help="evaluate holds and name the branch as of this date (default: today)",
    )
    parser.add_argument(
        "--no-advisories", action="store_true",
        help="do not ask OSV and GitHub for the advisories of the pinned versions",
    )
    parser.add_argument(
        "--no-eol", action="store_true",
        help="do not ask endoflife.date when the pinned release lines reach their end of life",
    )
    parser.add_argument(
        "--refresh-advisories", action="store_true",
        help="ask OSV, GitHub and endoflife.date again even when their answers kept in the "
        "cache are younger than 6 hours",
    )


def today() -> dt.date:
    """Today in UTC: holds expire and refresh branches are named by the UTC date."""
    return dt.datetime.now(tz=dt.UTC).date()


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "delphi-release" / "http"


def color_stdout() -> bool:
    from release.textdiff import color_wanted

    return color_wanted(sys.stdout.isatty())


def step_summary(markdown: str) -> None:
    from release.stepsummary import append

    append(markdown)


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number

"""Delphi's release version: CalVer `YYYY.MM.N` (month without a leading zero, N from 0).

The release version lives in `versions.yaml` (`release:`); a release is the tag `v<release>`.
`next_release` proposes the version the next release should carry: the first of this month
(`2026.12.0`), or the one after the newest release tag when this month already has one
(`2026.12.1`). `python -m release version` shows it and `--set next` writes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from release.errors import InvalidInput

CALVER_RE = re.compile(r"(\d{4})\.(0?[1-9]|1[0-2])\.(\d{1,3})")  # month 1-12
TAG_PREFIX = "v"


@dataclass(frozen=True, slots=True, order=True)
class CalVer:
    year: int
    month: int
    number: int

    def __str__(self) -> str:
        return f"{self.year}.{self.month}.{self.number}"

    @property
    def tag(self) -> str:
        return f"{TAG_PREFIX}{self}"


def parse(text: str) -> CalVer | None:
    """`2026.11.0` (or `2026.09.0`) as a CalVer; None for anything else, an impossible month
    included."""
    match = CALVER_RE.fullmatch(text)
    if match is None:
        return None
    year, month, number = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return None
    return CalVer(year, month, number)


def parse_or_fail(text: str, what: str) -> CalVer:
    found = parse(text)
    if found is None:
        raise InvalidInput(f"{what}: {text!r} is not a release version (YYYY.MM.N, such as "
                           "2026.12.0)")
    return found


def release_tags(tags: Iterable[str]) -> list[CalVer]:
    """The release versions among git tag names (`v2026.11.0`), oldest first; other tags are
    ignored."""
    found = {parse(t[len(TAG_PREFIX):]) for t in tags if t.startswith(TAG_PREFIX)}
    return sorted(v for v in found if v is not None)


def next_release(tagged: Iterable[CalVer], today: dt.date) -> CalVer:
    """The version of the next release: this month's first, or one after the newest tag."""
    first_of_month = CalVer(today.year, today.month, 0)
    latest = max(tagged, default=None)
    if latest is None or latest < first_of_month:
        return first_of_month
    return CalVer(latest.year, latest.month, latest.number + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseState:
    """Where the release version stands: what `versions.yaml` says, the newest release tag,
    and what the next release should be called."""

    current: CalVer
    latest_tag: CalVer | None
    proposed: CalVer

    @property
    def released(self) -> bool:
        """Whether `versions.yaml`'s release is already tagged (so it must move before the next
        release is tagged)."""
        return self.latest_tag is not None and self.current <= self.latest_tag

    def describe(self) -> str:
        if self.latest_tag is None:
            return (f"release {self.current}: no release tag yet; the first release is tagged "
                    f"{self.current.tag}")
        if not self.released:
            return (f"release {self.current} is not tagged yet (newest tag {self.latest_tag.tag})"
                    f": tag {self.current.tag} when it ships")
        return (f"release {self.current} was released ({self.latest_tag.tag} is the newest tag):"
                f" the next release is {self.proposed}; move it with `nox -s version -- --set "
                "next`")


def release_state(current: str, tags: Iterable[str], today: dt.date) -> ReleaseState:
    version = parse_or_fail(current, "versions.yaml: release")
    tagged = release_tags(tags)
    latest = tagged[-1] if tagged else None
    return ReleaseState(current=version, latest_tag=latest, proposed=next_release(tagged, today))

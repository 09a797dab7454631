"""The advisories a release fixes, as its refresh commits recorded them (pure).

`refresh --commit` ends its message with a `Security fixes:` section (`release.refresh.report.
commit_message`): one line per advisory the refresh fixes, `- coturn 4.18.0 fixes
GHSA-... (high)`. The notes read those lines from the commits of the release's range and keep
the ones whose component is at that version in the new manifest (a later pin may have moved
it again). A component whose move fixes one is a `security` change (when the move is a minor,
patch or rebuild), which checklist conditions can select.

Likewise its `End of life:` section (`- redis 7.4 ends 2026-11-30`): the release lines near or
past their end of life when the refresh ran, which the notes state as of the release's date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from release.manifest.model import Manifest
from release.notes.changelog import RawCommit

_FIX = re.compile(
    r"^- (?P<component>[a-z][a-z0-9-]{0,40}) (?P<version>[A-Za-z0-9._+~-]{1,128}) fixes "
    r"(?P<id>[A-Za-z0-9._:-]{1,80}) \((?P<severity>[a-z]{1,16})\)$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityFix:
    component: str
    version: str
    id: str
    severity: str


def security_fixes(commits: Iterable[RawCommit], new: Manifest) -> tuple[SecurityFix, ...]:
    found: dict[tuple[str, str], SecurityFix] = {}
    for commit in commits:
        if not commit.subject.startswith("refresh:") or "Security fixes:" not in commit.body:
            continue
        section = commit.body.split("Security fixes:", 1)[1]
        for line in section.splitlines():
            match = _FIX.fullmatch(line.strip())
            if match is None:
                continue
            component = new.component(match["component"])
            if component is None or component.version != match["version"]:
                continue
            fix = SecurityFix(component=match["component"], version=match["version"],
                              id=match["id"], severity=match["severity"])
            found.setdefault((fix.component, fix.id), fix)
    return tuple(sorted(found.values(), key=lambda f: (f.component, f.id)))


_EOL = re.compile(
    r"^- (?P<component>[a-z][a-z0-9-]{0,40}) (?P<line>[A-Za-z0-9._+~-]{1,64}) ends "
    r"(?P<date>\d{4}-\d{2}-\d{2})$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LineEnd:
    component: str
    line: str
    date: dt.date

    def text(self, today: dt.date) -> str:
        where = "the pinned line" if self.line == "pinned" else f"the {self.line} line"
        if self.date <= today:
            return f"{self.component}: {where} ended on {self.date.isoformat()}"
        days = (self.date - today).days
        return f"{self.component}: {where} ends on {self.date.isoformat()} (in {days} days)"


def line_ends(commits: Iterable[RawCommit], new: Manifest) -> tuple[LineEnd, ...]:
    """The newest recorded end of life of each component still in `new` (commits newest first)."""
    found: dict[str, LineEnd] = {}
    for commit in commits:
        if not commit.subject.startswith("refresh:") or "End of life:" not in commit.body:
            continue
        for line in commit.body.split("End of life:", 1)[1].splitlines():
            match = _EOL.fullmatch(line.strip())
            if match is None or new.component(match["component"]) is None:
                continue
            try:
                day = dt.date.fromisoformat(match["date"])
            except ValueError:
                continue
            found.setdefault(match["component"], LineEnd(
                component=match["component"], line=match["line"], date=day))
    return tuple(sorted(found.values(), key=lambda e: (e.date, e.component)))

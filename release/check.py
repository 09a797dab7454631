"""Deciding, for each component, which upstream version its policy allows (pure).

Input: the component and what its source listed. Output: a `CheckResult` value: the candidate
within policy (never a downgrade), the newest stable version beyond policy (so operators see
when a new major or LTS line exists), and a status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from packaging.specifiers import SpecifierSet

from release.manifest.model import Component
from release.upstream.interface import Listing, RejectedTag, UpstreamRelease
from release.versioning import BumpKind, Version, bump_kind, sort_key


class Status(StrEnum):
    CURRENT = "current"
    UPDATE = "update"
    HELD = "held"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    component: str
    pinned: Version
    status: Status
    candidate: Version | None = None  # newer than pinned, within policy
    newest: Version | None = None  # newest stable upstream, when beyond policy
    bump: BumpKind | None = None
    notes_url: str | None = None
    reason: str | None = None  # why held / why an error
    rejected: tuple[RejectedTag, ...] = field(default=())
    releases_seen: int = 0


def _allowed(component: Component, release: UpstreamRelease) -> bool:
    policy = component.policy
    if release.prerelease and not policy.prereleases:
        return False
    if policy.lts and release.lts is not True:
        return False
    if not policy.specifier:
        return True
    return SpecifierSet(policy.specifier).contains(release.version, prereleases=policy.prereleases)


def choose(component: Component, listing: Listing, *, today: dt.date) -> CheckResult:
    """The check result of one component whose source answered."""
    pinned = component.version
    stable = [r for r in listing.releases if not r.prerelease or component.policy.prereleases]
    within = [r for r in stable if _allowed(component, r)]
    best = max(within, key=lambda r: sort_key(r.version), default=None)
    newest = max(stable, key=lambda r: sort_key(r.version), default=None)

    candidate = best if best is not None and sort_key(best.version) > sort_key(pinned) else None
    beyond = None
    if newest is not None:
        floor = candidate.version if candidate is not None else pinned
        if sort_key(newest.version) > sort_key(floor) and (best is None or newest is not best):
            beyond = newest.version
    base = CheckResult(
        component=component.name, pinned=pinned, status=Status.CURRENT, newest=beyond,
        rejected=listing.rejected, releases_seen=len(listing.releases),
    )
    if not listing.releases:
        return replace(base, status=Status.ERROR,
                       reason="upstream listed no version of this component (check the tag "
                       "pattern and the source)")
    if candidate is None:
        return base
    result = replace(
        base, status=Status.UPDATE, candidate=candidate.version,
        bump=bump_kind(pinned, candidate.version), notes_url=candidate.notes_url,
    )
    hold = component.hold
    if hold is not None and hold.active(today):
        until = f" until {hold.until.isoformat()}" if hold.until else ""
        return replace(result, status=Status.HELD, reason=f"held{until}: {hold.reason}")
    return result


def failed(component: Component, reason: str) -> CheckResult:
    return CheckResult(
        component=component.name, pinned=component.version, status=Status.ERROR, reason=reason
    )


def apply_groups(components: Sequence[Component], results: list[CheckResult]) -> list[CheckResult]:
    """Members of a compatibility group move together or not at all.

    When any member of a group could not be checked, or is held, the group's updates are held
    back with that reason, so SigNoz never runs against a ClickHouse or collector it was not
    released with.
    """
    by_name = {r.component: r for r in results}
    groups: dict[str, list[str]] = {}
    for component in components:
        if component.policy.group:
            groups.setdefault(component.policy.group, []).append(component.name)
    group_of = {c.name: c.policy.group for c in components}
    out: list[CheckResult] = []
    for result in results:
        group = group_of[result.component]
        if group is None or result.status is not Status.UPDATE:
            out.append(result)
            continue
        blockers = [
            by_name[m] for m in groups[group]
            if m in by_name and by_name[m].status in (Status.ERROR, Status.HELD)
        ]
        if blockers:
            first = blockers[0]
            out.append(replace(
                result, status=Status.HELD,
                reason=f"group {group}: {first.component} is {first.status.value} "
                f"({first.reason}); the group moves together",
            ))
        else:
            out.append(result)
    return out

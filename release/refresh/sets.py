"""Coherent sets (pure): a group's followers take the versions its leader pins.

The leader (`policy.group-pins`) is decided like any component; each follower
(`policy.follow-leader`) then moves to the version the leader's file pins at the leader's
candidate tag (or its pinned tag when the leader stays), so the set moves to a combination
upstream released together, never to each member's own newest tag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from packaging.specifiers import SpecifierSet

from release.manifest.model import Component
from release.refresh.decide import CheckResult, Status
from release.upstream.interface import Listing
from release.upstream.leader import repository_of
from release.versioning import Version, move_kind, sort_key


def follow(
    component: Component, own: CheckResult, listing: Listing, *, leader: Component,
    leader_version: Version, pins: Mapping[str, str] | None, error: str | None, today: dt.date,
) -> CheckResult:
    """The follower's result, from its own (`own`, from its listing) and what the leader pins."""
    group = component.policy.group
    at = f"{leader.name} {leader_version}"
    if own.status is Status.ERROR:
        return own
    if error is not None or pins is None:
        return replace(own, status=Status.ERROR, candidate=None, bump=None,
                       reason=f"group {group}: what {at} pins could not be read: {error}")
    assert component.image is not None  # validated: a follower has an image
    tag = pins.get(repository_of(component.image.repository))
    if tag is None:
        return replace(own, status=Status.ERROR, candidate=None, bump=None,
                       reason=f"group {group}: {at} pins no {component.image.repository}")
    target = component.versioning.version_for(tag)
    if target is None:
        return replace(own, status=Status.ERROR, candidate=None, bump=None,
                       reason=f"group {group}: {at} pins {component.image.repository}:{tag}, "
                       "which is not a version of this component")
    beyond = own.newest or (own.candidate if own.candidate != target else None)
    if beyond is not None and sort_key(beyond) <= sort_key(target):
        beyond = None
    base = replace(own, candidate=None, bump=None, newest=beyond, waiting=None,
                   waiting_published=None, waiting_eligible_from=None, published=None,
                   eligible_from=None, security=False, notes_url=None, status=Status.CURRENT,
                   reason=None)
    pinned = component.version
    if sort_key(target) == sort_key(pinned):
        return base
    if sort_key(target) < sort_key(pinned):
        return replace(base, reason=f"{at} pins {target}, older than this pin; kept")
    release = next((r for r in listing.releases if r.version == target), None)
    if release is None:
        return replace(base, status=Status.ERROR,
                       reason=f"group {group}: {at} pins {target}, which upstream does not list")
    spec = component.policy.specifier
    if spec and not SpecifierSet(spec).contains(target, prereleases=True):
        return replace(base, status=Status.HELD, candidate=target,
                       bump=move_kind(pinned, target),
                       reason=f"group {group}: {at} pins {target}, outside the policy ({spec})")
    result = replace(base, status=Status.UPDATE, candidate=target, bump=move_kind(pinned, target),
                     notes_url=release.notes_url, published=release.published,
                     reason=f"pinned by {at}")
    hold = component.hold
    if hold is not None and hold.active(today):
        until = f" until {hold.until.isoformat()}" if hold.until else ""
        return replace(result, status=Status.HELD, reason=f"held{until}: {hold.reason}")
    return result

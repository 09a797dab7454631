"""The deciders of check, refresh and pin (pure): which version each component moves to.

`choose`: for a component and what its source listed, a `CheckResult` value: the candidate
within policy (never a downgrade), the newest stable version beyond policy (so operators see
when a new major or LTS line exists), and a status. `apply_groups` holds back a compatibility
group that cannot move together. `decide_pin` checks a hand-made pin request (`pin COMPONENT
VERSION`, a hotfix or a rollback) against the manifest. Both end in `Update` values, which
`release.refresh.plan` turns into file changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from packaging.specifiers import SpecifierSet

from release.errors import InvalidInput
from release.manifest.model import Component, Manifest
from release.refresh.age import eligible_from
from release.risk.advisories import Advisory, Finding, affecting, findings, fixes
from release.risk.eol import EndOfLife
from release.template import fill_template
from release.upstream.interface import Listing, RejectedTag, UpstreamRelease
from release.upstream.resolve import Resolved
from release.versioning import (
    SHA256_RE,
    BumpKind,
    Digest,
    UnsafeValueError,
    Version,
    bump_kind,
    check_safe_value,
    move_kind,
    sort_key,
)

CHECKSUM_ARG = re.compile(r"(?P<algo>[A-Za-z0-9]+):(?P<hex>.*)", re.DOTALL)


class Status(StrEnum):
    CURRENT = "current"
    UPDATE = "update"
    WAITING = "waiting"  # every newer version within policy is younger than its release-age gate
    HELD = "held"
    OFF_POLICY = "off-policy"  # nothing newer within policy, and the pin itself is beyond it
    ERROR = "error"


SecurityTest = Callable[[Version], bool]


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
    published: str | None = None  # the candidate's publish date, as the source gave it
    eligible_from: dt.date | None = None  # the candidate's first day past its release-age gate
    security: bool = False  # the candidate fixes an advisory of the pinned version
    waiting: Version | None = None  # the newest version within policy still inside its gate
    waiting_published: str | None = None
    waiting_eligible_from: dt.date | None = None
    advisories: tuple[Finding, ...] = ()  # published advisories of the pinned version
    eol: EndOfLife | None = None  # the end of life of the pinned line, when known


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """A component's new pinned values. `sha256`/`digest` None: keep the manifest's value."""

    component: str
    version: Version
    sha256: str | None = None
    digest: Digest | None = None
    commit: str | None = None
    security: bool = False  # the new version fixes an advisory of the pinned one


def _allowed(component: Component, release: UpstreamRelease) -> bool:
    policy = component.policy
    if release.prerelease and not policy.prereleases:
        return False
    if policy.lts and release.lts is not True:
        return False
    if not policy.specifier:
        return True
    return SpecifierSet(policy.specifier).contains(release.version, prereleases=policy.prereleases)


def admits(component: Component, version: Version) -> bool:
    """Whether the component's own policy specifier admits `version` (what `pin` checks and
    `check` reports as `off-policy`; LTS-ness is only known from a listing)."""
    policy = component.policy
    if not policy.specifier:
        return True
    return SpecifierSet(policy.specifier).contains(version, prereleases=True)


def off_policy_reason(component: Component) -> str:
    return (f"the pinned {component.version} is outside its own policy "
            f"({component.policy.specifier}); pinned with --beyond-policy, or the policy changed")


def undated_newer(component: Component, listing: Listing, limit: int) -> list[UpstreamRelease]:
    """The newest `limit` versions within policy, newer than the pin, that carry no publish
    date: what a release-age gate needs dated before it can decide."""
    newer = [r for r in listing.releases
             if r.published is None and (not r.prerelease or component.policy.prereleases)
             and _allowed(component, r) and sort_key(r.version) > sort_key(component.version)]
    return sorted(newer, key=lambda r: sort_key(r.version), reverse=True)[:limit]


def _never(_version: Version) -> bool:
    return False


def choose(
    component: Component, listing: Listing, *, today: dt.date,
    advisories: Sequence[Advisory] = (), security: SecurityTest | None = None,
) -> CheckResult:
    """The check result of one component whose source answered.

    `advisories` are the component's published advisories; a version that fixes one that
    affects the pinned version is a security release (`security` overrides that test). The
    candidate is the newest version within policy that is newer than the pin and past its
    release-age gate (`policy.min_age_days`, or `min_age_security_days` for a version that
    `security` says fixes an advisory of the pinned one); the newest one still inside its gate
    is reported as `waiting`, with the day it becomes eligible.
    """
    pinned = component.version
    policy = component.policy
    if security is None:
        open_ones = affecting(advisories, pinned)
        security = (lambda v: any(fixes(a, pinned, v) for a in open_ones)) if open_ones \
            else _never
    stable = [r for r in listing.releases if not r.prerelease or policy.prereleases]
    within = [r for r in stable if _allowed(component, r)]
    best = max(within, key=lambda r: sort_key(r.version), default=None)
    newest = max(stable, key=lambda r: sort_key(r.version), default=None)

    newer = sorted((r for r in within if sort_key(r.version) > sort_key(pinned)),
                   key=lambda r: sort_key(r.version), reverse=True)
    candidate: UpstreamRelease | None = None
    candidate_from: dt.date | None = None
    waiting: tuple[UpstreamRelease, dt.date] | None = None
    for release in newer:
        gate = policy.min_age_security_days if security(release.version) else policy.min_age_days
        eligible = eligible_from(release.published, gate)
        if gate > 0 and eligible is not None and eligible > today:
            if waiting is None:
                waiting = (release, eligible)
            continue
        candidate, candidate_from = release, eligible
        break

    beyond = None
    if newest is not None:
        floor = best.version if best is not None and newer else pinned
        if sort_key(newest.version) > sort_key(floor) and (best is None or newest is not best):
            beyond = newest.version
    base = CheckResult(
        component=component.name, pinned=pinned, status=Status.CURRENT, newest=beyond,
        rejected=listing.rejected, releases_seen=len(listing.releases),
        advisories=findings(component, advisories, candidate.version if candidate else None,
                            [r.version for r in stable]),
    )
    if waiting is not None:
        base = replace(base, waiting=waiting[0].version, waiting_published=waiting[0].published,
                       waiting_eligible_from=waiting[1])
    if not listing.releases:
        return replace(base, status=Status.ERROR,
                       reason="upstream listed no version of this component (check the tag "
                       "pattern and the source)")
    if candidate is None and waiting is None:
        if not admits(component, pinned):
            return replace(base, status=Status.OFF_POLICY, reason=off_policy_reason(component))
        return base
    if candidate is None:
        assert waiting is not None
        result = replace(
            base, status=Status.WAITING,
            reason=f"{waiting[0].version} waits for its release age "
            f"({_gate_words(component, waiting[0].version, security)}) until "
            f"{waiting[1].isoformat()}",
        )
    else:
        result = replace(
            base, status=Status.UPDATE, candidate=candidate.version,
            bump=move_kind(pinned, candidate.version, security=security(candidate.version)),
            notes_url=candidate.notes_url,
            published=candidate.published, eligible_from=candidate_from,
            security=security(candidate.version),
        )
    hold = component.hold
    if hold is not None and hold.active(today):
        until = f" until {hold.until.isoformat()}" if hold.until else ""
        return replace(result, status=Status.HELD, reason=f"held{until}: {hold.reason}")
    return result


def with_advisories(
    component: Component, result: CheckResult, advisories: Sequence[Advisory],
    listed: Sequence[Version],
) -> CheckResult:
    """`result` (decided without advisories) with the advisories of the pinned version, and its
    candidate marked as a security release when it fixes one. Only for a component without a
    release-age gate, whose candidate the advisories cannot change."""
    if not advisories:
        return result
    pinned = component.version
    open_ones = affecting(advisories, pinned)
    candidate = result.candidate
    security = candidate is not None and any(fixes(a, pinned, candidate) for a in open_ones)
    bump = result.bump
    if candidate is not None and bump is not None:
        bump = move_kind(pinned, candidate, security=security)
    return replace(result, advisories=findings(component, advisories, candidate, listed),
                   security=security, bump=bump)


def _gate_words(component: Component, version: Version, security: SecurityTest) -> str:
    if security(version):
        return f"min-age-security {component.policy.min_age_security_days}d"
    return f"min-age {component.policy.min_age_days}d"


def failed(
    component: Component, reason: str, advisories: Sequence[Advisory] = ()
) -> CheckResult:
    return CheckResult(
        component=component.name, pinned=component.version, status=Status.ERROR, reason=reason,
        advisories=findings(component, advisories, None),
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
            if m in by_name and by_name[m].status in (Status.ERROR, Status.HELD, Status.WAITING)
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


def select(manifest: Manifest, only: Sequence[str] | None) -> list[Component]:
    """The components named by `--only` (all when None); unknown names are bad usage.

    Naming a member of a coherent set (a group with a leader) selects the whole set: it moves
    as one.
    """
    if not only:
        return list(manifest.components)
    try:
        wanted = {manifest.require(name).name for name in only}
    except InvalidInput as exc:
        raise InvalidInput(f"--only: {exc.message}") from None
    sets = {c.policy.group for c in manifest.components if c.policy.group_pins}
    groups = {c.policy.group for c in manifest.components if c.name in wanted} & sets
    return [c for c in manifest.components if c.name in wanted or c.policy.group in groups]


def resolved_update(
    component: Component, version: Version, resolved: Resolved, *, security: bool = False
) -> Update:
    """The update of `component` to the candidate `version`, with what upstream resolved."""
    return Update(component=component.name, version=version, sha256=resolved.sha256,
                  digest=resolved.digest, commit=resolved.commit, security=security)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinRequest:
    component: str
    version: str
    checksum: str | None = None
    allow_downgrade: bool = False
    beyond_policy: bool = False
    commit: str | None = None  # the tag's commit, resolved from upstream (GitHub Actions)
    break_set: bool = False  # allow moving one member of a coherent set alone


def parse_checksum(raw: str) -> str:
    """`sha256:<64 hex>` → the hex. Anything else is refused with what would be valid."""
    match = CHECKSUM_ARG.fullmatch(raw)
    if match is None:
        raise InvalidInput(f"--checksum {raw!r} is not ALGO:HEX (for example sha256:<64 hex>)")
    if match["algo"].lower() != "sha256":  # `SHA256:` is the same algorithm, not a new one
        raise InvalidInput(f"--checksum algorithm {match['algo']!r} is not supported; use sha256")
    hexdigest = match["hex"].lower()
    if not SHA256_RE.fullmatch(hexdigest):
        raise InvalidInput("--checksum sha256 value must be 64 hex digits")
    return hexdigest


def decide_pin(manifest: Manifest, request: PinRequest) -> Update | None:
    """The update a pin request makes, or None when the component is already there."""
    component = manifest.require(request.component)
    group = component.policy.group
    if group is not None and not request.break_set:
        members = [c.name for c in manifest.components if c.policy.group == group]
        leader = next((c.name for c in manifest.components
                       if c.policy.group == group and c.policy.group_pins), None)
        if len(members) > 1 and leader is not None:
            raise InvalidInput(
                f"{component.name} is in the set {group!r} ({', '.join(members)}), which moves "
                f"as one to the versions {leader} pins: use refresh --only {' '.join(members)}, "
                "or pass --break-set to move it alone"
            )
    try:
        version = check_safe_value(request.version, what="version")
    except UnsafeValueError as exc:
        raise InvalidInput(f"{component.name}: refused: {exc}") from None
    if not component.versioning.is_version(version):
        raise InvalidInput(
            f"{component.name}: {version!r} is not a version of this component "
            f"(pattern {component.versioning.pattern!r}, tag {component.versioning.tag!r}; "
            f"currently {component.version})"
        )
    if not request.beyond_policy and not admits(component, Version(version)):
        raise InvalidInput(
            f"{component.name}: {version} is outside its policy ({component.policy.specifier}); "
            "pass --beyond-policy to pin it anyway (and consider changing the policy)"
        )
    checksum = parse_checksum(request.checksum) if request.checksum is not None else None
    kind = bump_kind(component.version, Version(version))
    if kind is BumpKind.DOWNGRADE and not request.allow_downgrade:
        raise InvalidInput(
            f"{component.name}: {version} is older than the pinned {component.version}; "
            "pass --allow-downgrade to roll back"
        )
    sha256: str | None = None
    digest: Digest | None = None
    if component.image is not None:
        if checksum is not None:
            digest = Digest(f"sha256:{checksum}")
        elif kind is not BumpKind.NONE:
            raise InvalidInput(
                f"{component.name} is pinned by image digest; pass --checksum sha256:<index "
                f"digest> of {component.image.repository}:"
                f"{component.image.tag.replace('{version}', version)}"
            )
    elif component.archive is not None:
        if checksum is not None:
            sha256 = checksum
        elif kind is not BumpKind.NONE and component.policy.checksum_required:
            tag = component.versioning.tag_for(Version(version))
            url = fill_template(component.archive.url, version=version, tag=tag)
            raise InvalidInput(
                f"{component.name} pins the sha256 of {url}; "
                "pass --checksum sha256:<hex> for that file"
            )
    elif checksum is not None:
        raise InvalidInput(f"{component.name} pins no checksum or digest; drop --checksum")
    same_sha = sha256 is None or (
        component.archive is not None and sha256 == component.archive.sha256
    )
    same_digest = digest is None or (
        component.image is not None and digest == component.image.digest
    )
    same_commit = request.commit is None or request.commit == component.commit
    unchanged = kind is BumpKind.NONE and same_sha and same_digest and same_commit
    if unchanged:
        return None
    return Update(component=component.name, version=Version(version), sha256=sha256, digest=digest,
                  commit=request.commit)

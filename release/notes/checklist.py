"""The operator rollout checklist: items, the conditions that select them, and selection (pure).

The items live in `checklists/*.yaml` (validated by `release.notes.checklist_load`). Each has a
phase; phases come in the order operators roll a release out (shared reference
`rollout-notes.md`): pre-flight checks, backup, drain, the ordered rollout (egress, then the
stateful services, then the app services, then the edge), verification, rollback.

A condition selects an item from the facts of one release (`ReleaseFacts`). Its keys are ANDed:

- `always: true`: every release that replaces anything (a release that replaces nothing has no
  checklist at all);
- `components: [...]` (with `bump: [...]`): one of these components changed (by one of these
  kinds: major, minor, patch, downgrade, new, removed, held); CI tooling (GitHub Actions) cannot
  be named, since it runs in no deployment;
- `services: [...]`: an image of one of these services changed;
- `images: [...]`: one of these image folders changed;
- `base-image: true`: a base image (Debian, Node.js, Python) changed;
- `any: [...]`: one of the nested conditions holds;
- `unless: {...}`: and the nested condition does not hold.

Every item of a rollout phase says how it is rolled back (`rollback:`): `same-steps` (the
rollback phase runs its steps again with the previous release's values: `@{release}` becomes
the previous release and each component's `old` and `new` swap), or the id of a rollback item
that undoes it (an item that cannot be undone by running it again, such as a migration). The
rollback phase holds, in this order: the rollback items no rollout item names (the decision and
what rollback can no longer undo), then each selected rollout item's rollback, the roles in
reverse order (edge, app, stateful, egress) and the items of one role in rollout order (so that
pgbouncer still restarts after PostgreSQL), then the rollback items marked `last: true`.

Step texts may use placeholders, written `@{name}` so they never clash with shell or Go-template
braces: `@{release}`, `@{previous}`, `@{services}` (the services this release replaces), and per
component `@{postgresql.old}`, `@{postgresql.new}`, `@{postgresql.old_major}`,
`@{postgresql.new_major}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from release.manifest.model import Service
from release.notes.diff import CHANGED, ChangeKind
from release.notes.stops import RequiredStop

SAME_STEPS = "same-steps"


class Phase(StrEnum):
    """Rollout phases, in order (iteration order is rollout order)."""

    PRE_FLIGHT = "pre-flight"
    BACKUP = "backup"
    DRAIN = "drain"
    ROLLOUT_EGRESS = "rollout-egress"
    ROLLOUT_STATEFUL = "rollout-stateful"
    ROLLOUT_APP = "rollout-app"
    ROLLOUT_EDGE = "rollout-edge"
    VERIFICATION = "verification"
    ROLLBACK = "rollback"


ROLLOUT_PHASES = (
    Phase.ROLLOUT_EGRESS, Phase.ROLLOUT_STATEFUL, Phase.ROLLOUT_APP, Phase.ROLLOUT_EDGE,
)

PHASE_TITLES = {
    Phase.PRE_FLIGHT: "Pre-flight checks (read-only)",
    Phase.BACKUP: "Backup",
    Phase.DRAIN: "Drain and maintenance",
    Phase.ROLLOUT_EGRESS: "Rollout: egress (Squid)",
    Phase.ROLLOUT_STATEFUL: "Rollout: stateful services (Database, Media, SigNoz)",
    Phase.ROLLOUT_APP: "Rollout: app services (API, Voice, Ops)",
    Phase.ROLLOUT_EDGE: "Rollout: edge (TelPro, Web)",
    Phase.VERIFICATION: "Verification",
    Phase.ROLLBACK: "Rollback",
}

SERVICE_TITLES = {
    Service.TELPRO: "TelPro",
    Service.WEB: "Web",
    Service.API: "API",
    Service.VOICE: "Voice",
    Service.OPS: "Ops",
    Service.DATABASE: "Database",
    Service.MEDIA: "Media",
    Service.SIGNOZ: "SigNoz",
    Service.SQUID: "Squid",
}


class NoticeWhen(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    always: bool = False
    components: tuple[str, ...] = ()
    bumps: tuple[ChangeKind, ...] = ()
    services: tuple[Service, ...] = ()
    images: tuple[str, ...] = ()
    base_image: bool = False
    any_of: tuple[Condition, ...] = ()
    unless: Condition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One thing to do: `text` is Markdown prose, `run` the exact commands (a shell block)."""

    text: str
    run: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """An action-required note: what to know and do, and whether before, during or after."""

    when: NoticeWhen
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One checklist item. `services` empty means every service of the release.

    `downtime` says what users lose while the item runs; `irreversible` says how to recover
    once the item has run (rolling back by image alone no longer works from it on). `rollback`
    (rollout items only) is `same-steps` or the id of the rollback item that undoes it; `last`
    (rollback items only) places the item after every service's rollback.
    """

    id: str
    phase: Phase
    title: str
    when: Condition
    steps: tuple[Step, ...]
    services: tuple[Service, ...] = ()
    why: str | None = None
    notice: Notice | None = None
    downtime: str | None = None
    irreversible: str | None = None
    rollback: str | None = None
    last: bool = False
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Checklist:
    """The items, and the required stops (`checklists/required-stops.yaml`) the notes check."""

    items: tuple[Item, ...] = ()
    stops: tuple[RequiredStop, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseFacts:
    """What one release changes, as the conditions see it."""

    components: Mapping[str, ChangeKind] = field(default_factory=dict)
    images: frozenset[str] = frozenset()
    services: frozenset[Service] = frozenset()
    base_image: bool = False

    @property
    def rollout(self) -> bool:
        """Whether the release replaces anything running in a deployment."""
        return bool(self.images or self.services)


def matches(condition: Condition, facts: ReleaseFacts) -> bool:
    checks: list[bool] = []
    if condition.always:
        checks.append(facts.rollout)
    if condition.components:
        kinds = set(condition.bumps) if condition.bumps else set(CHANGED)
        checks.append(any(facts.components.get(c) in kinds for c in condition.components))
    if condition.services:
        checks.append(any(s in facts.services for s in condition.services))
    if condition.images:
        checks.append(any(i in facts.images for i in condition.images))
    if condition.base_image:
        checks.append(facts.base_image)
    if condition.any_of:
        checks.append(any(matches(c, facts) for c in condition.any_of))
    if condition.unless is not None:
        checks.append(not matches(condition.unless, facts))
    return bool(checks) and all(checks)


def select(checklist: Checklist, facts: ReleaseFacts) -> tuple[Item, ...]:
    """The items this release needs, in phase order (file order within a phase).

    Nothing is selected for a release that replaces nothing: it needs no operator action.
    """
    if not facts.rollout:
        return ()
    order = list(Phase)
    chosen = [item for item in checklist.items if matches(item.when, facts)]
    return tuple(sorted(chosen, key=lambda item: order.index(item.phase)))


PLACEHOLDER = re.compile(r"@\{([^{}\s]*)\}")
GLOBAL_PLACEHOLDERS = ("release", "previous", "services")
COMPONENT_FIELDS = ("old", "new", "old_major", "new_major")


def placeholder_error(name: str, components: frozenset[str] | set[str]) -> str | None:
    """Why `@{name}` is not a valid placeholder, or None when it is."""
    if name in GLOBAL_PLACEHOLDERS:
        return None
    component, dot, attribute = name.partition(".")
    if not dot:
        return (
            f"unknown placeholder @{{{name}}}; valid: "
            + ", ".join(f"@{{{g}}}" for g in GLOBAL_PLACEHOLDERS)
            + ", @{<component>.old|new|old_major|new_major}"
        )
    if component not in components:
        return f"placeholder @{{{name}}} names an unknown component {component!r}"
    if attribute not in COMPONENT_FIELDS:
        return (
            f"placeholder @{{{name}}}: unknown field {attribute!r}; valid: "
            + ", ".join(COMPONENT_FIELDS)
        )
    return None


def rollback_values(values: Mapping[str, str], previous_label: str) -> dict[str, str]:
    """The placeholder values of a rollback: the release and the previous one swap, and so do
    each component's old and new versions (and majors)."""
    swapped = dict(values)
    swapped["release"] = values.get("previous", previous_label)
    swapped["previous"] = values.get("release", "")
    for name, value in values.items():
        component, dot, attribute = name.partition(".")
        if not dot:
            continue
        other = {"old": "new", "new": "old", "old_major": "new_major",
                 "new_major": "old_major"}.get(attribute)
        if other is not None:
            swapped[f"{component}.{other}"] = value
    return swapped


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every `@{name}` by its value (names were validated when the file was loaded)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

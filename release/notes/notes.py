"""The release notes: inputs (read), the notes (decided, pure), Markdown (rendered).

`NotesInputs` holds everything read for one release: both manifests, the commits, the paths git
reports as changed, the checklist, the bill of materials. `decide` turns them into
`ReleaseNotes`, plain values with every number, placeholder and selection worked out;
`render_notes` prints them with the Jinja2 template `notes.md.j2`. Same inputs, same bytes.

The first release (no `v*` tag before it) has no previous release: `from_label` is None, the
notes cover the whole history, every component is new, and there is no rollout checklist (its
steps upgrade, back up and roll back to a previous release). CI tooling (GitHub Actions) is
listed in a table of its own and selects no checklist item: operators do not run it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import git

from release.errors import InvalidInput, ProblemsFound
from release.manifest.load import load_manifest, parse_manifest
from release.manifest.model import MANIFEST, Manifest, Service
from release.notes import gitlog
from release.notes.bom import ImagesTable, bom_path, read_bom
from release.notes.changelog import GROUP_TITLES, Changelog, Entry, RawCommit, build_changelog
from release.notes.checklist import (
    PHASE_TITLES,
    ROLLOUT_PHASES,
    SAME_STEPS,
    SERVICE_TITLES,
    Checklist,
    Item,
    NoticeWhen,
    Phase,
    ReleaseFacts,
    fill,
    rollback_values,
    select,
)
from release.notes.checklist_load import load_checklist
from release.notes.diff import (
    ChangeKind,
    ComponentChange,
    diff_manifests,
    image_services,
    is_ci_tooling,
    touched,
)
from release.notes.markdown import Trusted, render
from release.notes.security import SecurityFix, line_ends, security_fixes
from release.notes.stops import SkippedStop, skipped
from release.notes.upstream_notes import UpstreamAttention

CHECKLISTS = "checklists"
TEMPLATE = "notes.md.j2"
OFF_CALL_PATH = frozenset({Service.SIGNOZ})


@dataclass(frozen=True, slots=True, kw_only=True)
class NotesInputs:
    """`from_label` is None for the first release: the commits are the whole history."""

    release: str
    previous: str | None
    from_label: str | None
    to_label: str
    date: dt.date
    old_manifest: Manifest | None
    new_manifest: Manifest
    commits: tuple[RawCommit, ...]
    changed_paths: tuple[str, ...]
    checklist: Checklist
    bom: ImagesTable | None
    bom_file: str
    repo_url: str | None
    generated_by: str = "python -m release notes"
    # Read from upstream by `--upstream-notes` (release.notes.upstream_notes); empty otherwise.
    upstream_attention: tuple[UpstreamAttention, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedStep:
    text: Trusted
    run: Trusted | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedItem:
    number: str
    id: str
    title: Trusted
    services: str
    why: Trusted | None
    downtime: Trusted | None
    irreversible: Trusted | None
    steps: tuple[RenderedStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseSection:
    number: int
    title: str
    phase: Phase
    items: tuple[RenderedItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """An action-required note from the checklist (trusted prose) with the step it belongs to."""

    when: NoticeWhen
    text: Trusted
    step: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseNotes:
    release: str
    previous: str | None
    from_label: str | None
    to_label: str
    date: dt.date
    action_required: bool
    breaking: tuple[Entry, ...]
    services: tuple[str, ...]
    downtime: tuple[tuple[str, Trusted], ...]
    risk: str
    risk_reason: str
    notices: tuple[Notice, ...]
    skipped_stops: tuple[SkippedStop, ...]
    upstream_attention: tuple[UpstreamAttention, ...]
    upstream_notes: tuple[ComponentChange, ...]
    changelog: Changelog
    components: tuple[ComponentChange, ...]
    unchanged: tuple[str, ...]
    ci_components: tuple[ComponentChange, ...]
    ci_unchanged: tuple[str, ...]
    phases: tuple[PhaseSection, ...]
    irreversible: tuple[RenderedItem, ...]
    rollback_step: str | None
    bom: ImagesTable | None
    bom_file: str
    repo_url: str | None
    generated_by: str
    security_fixes: tuple[SecurityFix, ...] = ()  # advisories the release's refreshes fixed
    line_ends: tuple[str, ...] = ()  # release lines near or past their end of life

    @property
    def first_release(self) -> bool:
        """No earlier release: the notes cover the whole history, nothing is upgraded."""
        return self.from_label is None

    @property
    def action_section(self) -> bool:
        """Whether the notes have an "Action required" section."""
        return bool(self.notices or self.breaking or self.upstream_notes or self.skipped_stops)

    def notes_url(self, component: str) -> str | None:
        """The upstream release-notes link of a component of the versions table."""
        return next((c.notes_url for c in self.components if c.name == component), None)

    def notices_when(self, when: str) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.when == when)

    def commit_url(self, sha: str) -> str | None:
        return f"{self.repo_url}/commit/{sha}" if self.repo_url else None

    def pr_url(self, number: int) -> str | None:
        return f"{self.repo_url}/pull/{number}" if self.repo_url else None


# -- decide ------------------------------------------------------------------------------------


def _major(version: str | None) -> str:
    return version.split(".")[0] if version else "none"


def placeholder_values(
    release: str, previous: str | None, services: Sequence[Service],
    changes: Sequence[ComponentChange],
) -> dict[str, str]:
    values = {
        "release": release,
        "previous": previous or "the previous release",
        "services": ", ".join(SERVICE_TITLES[s] for s in services) or "none",
    }
    for change in changes:
        values[f"{change.name}.old"] = change.old or "none"
        values[f"{change.name}.new"] = change.new or "none"
        values[f"{change.name}.old_major"] = _major(change.old)
        values[f"{change.name}.new_major"] = _major(change.new)
    return values


def _render_item(item: Item, number: str, values: Mapping[str, str], default: str) -> RenderedItem:
    def text(value: str | None) -> Trusted | None:
        return Trusted(fill(value, values)) if value is not None else None

    services = ", ".join(SERVICE_TITLES[s] for s in item.services) if item.services else default
    return RenderedItem(
        number=number,
        id=item.id,
        title=Trusted(fill(item.title, values)),
        services=services,
        why=text(item.why),
        downtime=text(item.downtime),
        irreversible=text(item.irreversible),
        steps=tuple(
            RenderedStep(text=Trusted(fill(s.text, values)), run=text(s.run)) for s in item.steps
        ),
    )


def _rollback_sequence(
    selected: Sequence[Item], numbers: Mapping[str, str],
) -> list[tuple[Item, str | None]]:
    """The rollback phase: (item, number of the rollout step it undoes by running it again).

    The rollback items no rollout item names come first, then every selected rollout item's
    rollback (its own steps again, or the rollback item it names, once) with the rollout roles
    in reverse order and the items of one role in rollout order, then the rollback items marked
    `last`.
    """
    rollbacks = [i for i in selected if i.phase is Phase.ROLLBACK]
    named = {i.rollback for i in selected if i.phase in ROLLOUT_PHASES}
    by_id = {i.id: i for i in rollbacks}
    sequence: list[tuple[Item, str | None]] = [
        (i, None) for i in rollbacks if i.id not in named and not i.last
    ]
    placed: set[str] = set()
    # Roles in reverse (edge, app, stateful, egress); within a role, rollout order, which keeps
    # "pgbouncer after PostgreSQL" true on the way back too.
    ordered = [i for phase in reversed(ROLLOUT_PHASES) for i in selected if i.phase is phase]
    for item in ordered:
        if item.rollback == SAME_STEPS:
            sequence.append((item, numbers[item.id]))
        elif item.rollback in by_id and item.rollback not in placed:
            placed.add(item.rollback)
            sequence.append((by_id[item.rollback], None))
    sequence.extend((i, None) for i in rollbacks if i.id not in named and i.last)
    return sequence


def _rerun_item(
    item: Item, number: str, of: str, values: Mapping[str, str], default: str
) -> RenderedItem:
    """A rollout item rendered as its own rollback: the same steps, with the previous values."""
    base = _render_item(item, number, values, default)
    rollback_id = "rollback-" + item.id.removeprefix("rollout-")
    why = (f"The steps of step {of} again, with {values['release']} in place of "
           f"{values['previous']}. Skip this item if step {of} has not started; if it ran for "
           "some instances only, run it for those.")
    return dataclasses.replace(
        base, id=rollback_id, title=Trusted(f"Back to {values['release']}: {base.title}"),
        why=Trusted(why), irreversible=None,
    )


def _steps(numbers: Sequence[str]) -> str:
    """`step 5.1`, `steps 4.1 and 5.1`, `steps 4.1, 5.1 and 7.1`."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {', '.join(numbers[:-1])} and {numbers[-1]}"


def decide(inputs: NotesInputs) -> ReleaseNotes:
    """Work out everything the notes say, from the inputs alone (no I/O)."""
    manifests = [m for m in (inputs.old_manifest, inputs.new_manifest) if m is not None]
    changes = diff_manifests(inputs.old_manifest, inputs.new_manifest, today=inputs.date)
    fixes = security_fixes(inputs.commits, inputs.new_manifest)
    fixed = {f.component for f in fixes}
    changes = tuple(
        replace(c, kind=ChangeKind.SECURITY)
        if c.name in fixed and c.kind in (ChangeKind.MINOR, ChangeKind.PATCH, ChangeKind.REBUILD)
        else c
        for c in changes
    )
    first_release = inputs.from_label is None
    touch = touched(changes, inputs.changed_paths, image_services(manifests))
    facts = ReleaseFacts(
        components={c.name: c.kind for c in changes
                    if c.kind is not ChangeKind.UNCHANGED and not c.ci_tooling},
        images=frozenset(touch.images),
        services=frozenset(touch.services),
        base_image=any(c.base_image and c.changed for c in changes),
    )
    # The first release upgrades nothing: every step of the checklist assumes a previous
    # release to back up, replace and roll back to.
    selected = () if first_release else select(inputs.checklist, facts)
    values = placeholder_values(inputs.release, inputs.previous, touch.services, changes)
    every = ", ".join(SERVICE_TITLES[s] for s in touch.services)

    phases: list[PhaseSection] = []
    rendered: list[tuple[Item, RenderedItem]] = []
    rollback_step: str | None = None
    step_of: dict[str, str] = {}
    back = rollback_values(values, "the previous release")
    for phase in Phase:
        number = len(phases) + 1
        section_items = []
        if phase is Phase.ROLLBACK:
            for index, (item, of) in enumerate(_rollback_sequence(selected, step_of), start=1):
                step = f"{number}.{index}"
                if of is None:
                    section_items.append(_render_item(item, step, values, every))
                else:
                    section_items.append(_rerun_item(item, step, of, back, every))
        else:
            for index, item in enumerate((i for i in selected if i.phase is phase), start=1):
                ri = _render_item(item, f"{number}.{index}", values, every)
                section_items.append(ri)
                rendered.append((item, ri))
                step_of[item.id] = ri.number
        if not section_items:
            continue
        phases.append(PhaseSection(
            number=number, title=PHASE_TITLES[phase], phase=phase, items=tuple(section_items)
        ))
        if phase is Phase.ROLLBACK:
            rollback_step = section_items[0].number

    changelog = build_changelog(inputs.commits)
    notices = tuple(
        Notice(when=item.notice.when, text=Trusted(fill(item.notice.text, values)),
               step=ri.number)
        for item, ri in rendered if item.notice is not None
    )
    downtime = tuple((ri.number, ri.downtime) for _, ri in rendered if ri.downtime is not None)
    irreversible = tuple(ri for _, ri in rendered if ri.irreversible is not None)
    # An irreversible step off the call path (SigNoz's migrations) is not what makes a release
    # risky for operators: calls go on whatever happens to it.
    call_path = [ri for item, ri in rendered
                 if item.irreversible is not None and set(item.services) - OFF_CALL_PATH]
    upstream_notes = tuple(
        c for c in changes
        if c.kind in (ChangeKind.MAJOR, ChangeKind.NEW_LINE, ChangeKind.DOWNGRADE)
        and not c.ci_tooling
    )
    breaking = () if first_release else changelog.breaking
    stops = () if first_release else skipped(inputs.checklist.stops, changes)
    if first_release:
        risk, reason = "none", "the first release: nothing is upgraded"
    elif stops:
        names = ", ".join(f"{s.stop.component} {s.stop.version}" for s in stops)
        risk, reason = "high", f"it skips a required stop ({names}): see Action required"
    elif call_path:
        numbers = [r.number for r in call_path]
        risk, reason = "high", f"{_steps(numbers)} cannot be rolled back by image alone"
    elif irreversible:
        numbers = [r.number for r in irreversible]
        risk, reason = "medium", (
            f"{_steps(numbers)} cannot be rolled back by image alone, but "
            f"{'is' if len(numbers) == 1 else 'are'} off the call path"
        )
    elif downtime:
        numbers = [n for n, _ in downtime]
        verb = "interrupts" if len(numbers) == 1 else "interrupt"
        risk, reason = "medium", f"{_steps(numbers)} {verb} service (see Expected downtime)"
    elif breaking or upstream_notes:
        risk, reason = "medium", "breaking or major changes (see Action required)"
    elif selected:
        risk, reason = "low", "every service is replaced by image, without interruption"
    else:
        risk, reason = "none", "nothing in a deployment changes"

    listed = tuple(c for c in changes if c.changed or c.kind is ChangeKind.HELD)
    unchanged = tuple(c for c in changes if c.kind is ChangeKind.UNCHANGED)
    return ReleaseNotes(
        release=inputs.release,
        previous=inputs.previous,
        from_label=inputs.from_label,
        to_label=inputs.to_label,
        date=inputs.date,
        action_required=bool(selected or breaking or stops),
        breaking=breaking,
        services=tuple(SERVICE_TITLES[s] for s in touch.services),
        downtime=downtime,
        risk=risk,
        risk_reason=reason,
        notices=notices,
        skipped_stops=stops,
        upstream_attention=tuple(a for a in inputs.upstream_attention if a.releases or a.error),
        upstream_notes=upstream_notes,
        changelog=changelog,
        components=tuple(c for c in listed if not c.ci_tooling),
        unchanged=tuple(c.name for c in unchanged if not c.ci_tooling),
        ci_components=tuple(c for c in listed if c.ci_tooling),
        ci_unchanged=tuple(c.name for c in unchanged if c.ci_tooling),
        phases=tuple(phases),
        irreversible=irreversible,
        rollback_step=rollback_step,
        bom=inputs.bom,
        bom_file=inputs.bom_file,
        repo_url=inputs.repo_url,
        generated_by=inputs.generated_by,
        security_fixes=fixes,
        line_ends=tuple(e.text(inputs.date) for e in line_ends(inputs.commits,
                                                               inputs.new_manifest)),
    )


def services_label(services: Sequence[Service]) -> str:
    return ", ".join(SERVICE_TITLES[s] for s in services)


def change_label(change: ComponentChange) -> str:
    if change.kind is ChangeKind.HELD:
        return f"held: {change.hold}"
    label = change.kind.value
    return f"{label}; held: {change.hold}" if change.hold else label


def render_notes(notes: ReleaseNotes) -> str:
    return render(
        TEMPLATE, notes=notes, groups=notes.changelog.groups(), group_titles=GROUP_TITLES,
        services_label=services_label, change_label=change_label,
    )


# -- read --------------------------------------------------------------------------------------


def _manifest_at(repo: git.Repo, sha: str, label: str) -> Manifest | None:
    text = gitlog.read_file(repo, sha, MANIFEST)
    if text is None:
        return None
    try:
        # The set rules say how the next refresh may move pins; a manifest of history was valid
        # when it was written.
        return parse_manifest(text, f"{label}:{MANIFEST}", sets=False)
    except ProblemsFound as exc:
        raise ProblemsFound(
            f"{MANIFEST} at {label} is not valid: {exc.message}", list(exc.problems),
            hint="pass another --from/--to",
        ) from None


def load_checklist_for(root: Path, manifests: Sequence[Manifest]) -> Checklist:
    components = {c.name for m in manifests for c in m.components}
    ci_tooling = {c.name for m in manifests for c in m.components if is_ci_tooling(c)}
    images = {p.name for p in (root / "images").iterdir() if p.is_dir()} if (
        root / "images").is_dir() else set()
    images |= set(image_services(manifests))
    return load_checklist(
        root / CHECKLISTS, components=components, images=images, ci_tooling=ci_tooling
    )


def read_git_inputs(
    root: Path, *, version: str | None, from_ref: str | None, to_ref: str | None,
    date: dt.date | None, repo_url: str | None, env: Mapping[str, str] | None = None,
) -> NotesInputs:
    """Everything the notes of `from_ref..to_ref` need, read from the repository at `root`.

    `versions.yaml` is read at both refs; the checklist and the bill of materials from the
    working tree (they describe how to roll out, and what was built, for the release at hand).
    """
    repo = gitlog.open_repository(root)
    span = gitlog.resolve_range(repo, from_ref, to_ref)
    new = _manifest_at(repo, span.to_sha, span.to_label)
    if new is None:
        raise InvalidInput(f"{span.to_label} has no {MANIFEST}; nothing to write notes about")
    old = None
    if span.from_sha is not None and span.from_label is not None:
        old = _manifest_at(repo, span.from_sha, span.from_label)
    release = version or new.release
    if old is not None and release == old.release:
        given = "--version" if version else f"{MANIFEST} at {span.to_label}"
        raise InvalidInput(
            f"{given} says release {release}, the release of {span.from_label} too: the notes "
            f"would tell operators to upgrade from {release} to {release}",
            hint="move the release version (`nox -s version -- --set next`, then commit), or "
            "pass --version",
        )
    checklist = load_checklist_for(root, [m for m in (old, new) if m is not None])
    return NotesInputs(
        release=release,
        previous=old.release if old is not None else None,
        from_label=span.from_label,
        to_label=span.to_label,
        date=date or span.to_date,
        old_manifest=old,
        new_manifest=new,
        commits=gitlog.read_commits(repo, span),
        changed_paths=gitlog.changed_paths(repo, span),
        checklist=checklist,
        bom=read_bom(root, release),
        bom_file=bom_path(Path(), release).as_posix(),
        repo_url=gitlog.repository_url(repo, os.environ if env is None else env, repo_url),
    )


def read_tree_manifest(root: Path) -> Manifest:
    return load_manifest(root / MANIFEST).manifest

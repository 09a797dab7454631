"""The daily flows, `check`, `refresh` and `pin`: each runs its steps and returns a report value.

Shaped like `release.images.build.execute`: plain arguments in (the repository root, the
options as a small frozen dataclass, a console-free progress callback), a report out, which the
CLI only renders. Nothing here prints.

* `check`: load the tree, read upstream (`execute.run_check`), mark the images upstream rebuilt.
* `refresh`: refuse a dirty tree (with `commit`), check and resolve, re-derive the pinned values
  of the components that stay, plan the edits (`plan.plan_updates`), write, commit on a branch.
  Its `on_stage` callback is called as each step ends, with the report so far, so the CLI can
  show the check before a later step fails, exactly as it did when it ran the flow itself.
* `pin`: load the tree, complete the request with upstream's values, decide, plan, write.

The pinned-value steps (rebuilt images, changed archives, the signed resolver, dropping
`unconfirmed:` marks) belong to `release.trust`, which builds on this package: they reach the
flow as a `Trust` collaborator (`release.trust.steps.TRUST`), the way `build.execute` receives
its Docker client, so `release.refresh` imports nothing of `release.trust`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from release.fsutil import FileChange, write_files
from release.manifest.load import LoadedManifest
from release.manifest.model import Manifest
from release.manifest.tree import load_tree
from release.refresh.decide import CheckResult, PinRequest, Update, decide_pin, select
from release.refresh.execute import DEFAULT_RUN_TIMEOUT, Outcome, run_check
from release.refresh.report import commit_message, severe_findings
from release.risk.fresh import DEFAULT_TTL, Answers
from release.upstream.common import gather_pair
from release.upstream.http import GitHubAuth, open_fetcher
from release.upstream.interface import Fetcher
from release.upstream.resolve import Resolver
from release.upstream.sources import Endpoints


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetching:
    """How upstream is read: the HTTP cache (None: none; `serve_fresh`: its entries the server
    calls fresh are served without a request, else each is revalidated), a recording, and the
    environment (`GITHUB_TOKEN`, `GITHUB_API_URL`); the CLI passes `os.environ`."""

    cache_dir: Path | None = None
    record_dir: Path | None = None
    replay_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    serve_fresh: bool = False

    def open(self) -> AbstractAsyncContextManager[Fetcher]:
        return open_fetcher(github=GitHubAuth.from_env(self.environ), cache_dir=self.cache_dir,
                            record_dir=self.record_dir, replay_dir=self.replay_dir,
                            serve_fresh=self.serve_fresh)

    def endpoints(self) -> Endpoints:
        return Endpoints.from_environ(self.environ)

    def answers(self, *, refresh: bool = False) -> Answers | None:
        """Where advisory and end-of-life answers are kept (`release.risk.fresh`): beside the
        HTTP cache, off with it and while recording or replaying; `refresh` asks them all again."""
        if self.cache_dir is None or self.record_dir is not None or self.replay_dir is not None:
            return None
        return Answers(self.cache_dir / "answers", ttl=0.0 if refresh else DEFAULT_TTL)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """What `check` (and the check of `refresh`) reads, and as of which day."""

    today: dt.date
    fetching: Fetching = field(default_factory=Fetching)
    only: tuple[str, ...] | None = None
    timeout: float = DEFAULT_RUN_TIMEOUT
    advisories: bool = True
    end_of_life: bool = True
    refresh_advisories: bool = False  # ask every advisory and end-of-life source again
    fail_on: str | None = None  # `check --fail-on SEVERITY`


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshOptions:
    check: CheckOptions
    dry_run: bool = False
    commit: bool = False
    accept_changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PinOptions:
    request: PinRequest
    fetching: Fetching = field(default_factory=Fetching)
    dry_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """One step of the check: `result` is the component just decided (None at the start and
    when `finished`)."""

    total: int
    done: int
    result: CheckResult | None = None
    finished: bool = False


OnProgress = Callable[[Progress], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pinned:
    """What the trust step found on the pinned values of the components that stay."""

    lines: tuple[str, ...] = ()  # its report, in order (rebuilt, accepted, alarms, ...)
    alarms: int = 0  # changed upstream and not accepted: nothing applied, the run fails


class Trust(Protocol):
    """The steps of `release.trust` the flows run (`release.trust.steps.TrustSteps`)."""

    def resolver(self, root: Path, endpoints: Endpoints) -> Resolver:
        """What resolves a candidate (checking upstream signatures)."""
        ...

    async def rebuilt_images_on(self, root: Path, manifest: Manifest, fetcher: Fetcher, *,
                                endpoints: Endpoints, only: Sequence[str] | None,
                                run_timeout: float) -> Callable[[Outcome], Outcome]:
        """Run next to the version lookups on their fetcher: looks up the pinned digest of every
        selected image, and returns what marks, in the check's outcome, the images of staying
        components that upstream rebuilt."""
        ...

    def pinned_changes(self, root: Path, manifest: Manifest, outcome: Outcome,
                       options: CheckOptions, accept: Sequence[str]) -> tuple[Outcome, Pinned]:
        """`outcome` with the digest updates and accepted changes of the staying components."""
        ...

    def confirmed(self, changes: Sequence[FileChange], manifest_file: str,
                  updates: Sequence[Update]) -> tuple[FileChange, ...]:
        """`changes` with the `unconfirmed:` marks of the values `updates` set dropped."""
        ...

    def typed_in(self, changes: Sequence[FileChange], manifest_file: str,
                 update: Update) -> tuple[FileChange, ...]:
        """`changes` with the values `pin --checksum` was given marked `unconfirmed:`."""
        ...

    def pin_request(self, root: Path, manifest: Manifest, request: PinRequest,
                    fetching: Fetching) -> PinRequest:
        """`request` with upstream's checksum, digest and commit when it gives none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    loaded: LoadedManifest
    outcome: Outcome
    severe: tuple[str, ...] = ()  # findings at or above `fail_on`

    @property
    def status(self) -> int:
        return 1 if self.outcome.errors or self.severe else 0


class Stage(StrEnum):
    """The steps of `refresh` after which `on_stage` is called."""

    CHECKED = "checked"  # upstream read, pinned values re-derived
    PLANNED = "planned"  # the edits computed and validated
    STOPS = "stops"  # the required stops the updates skip, read from checklists/
    WRITTEN = "written"  # the files written (not with `dry_run`)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshReport:
    loaded: LoadedManifest
    outcome: Outcome
    pinned: Pinned
    changes: tuple[FileChange, ...] = ()  # planned (written unless `dry_run`)
    skipped_stops: tuple[str, ...] = ()
    written: bool = False
    branch: str | None = None
    commit: str | None = None

    @property
    def status(self) -> int:
        return 1 if self.outcome.errors or self.pinned.alarms else 0

    @property
    def all_failed(self) -> bool:
        """Nothing could be checked: every upstream failed (and nothing was changed)."""
        results = self.outcome.results
        return bool(results) and len(self.outcome.errors) == len(results)


OnStage = Callable[[Stage, RefreshReport], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PinReport:
    loaded: LoadedManifest
    update: Update | None  # None: already pinned there, nothing to do
    changes: tuple[FileChange, ...] = ()
    written: bool = False


def _checked(root: Path, loaded: LoadedManifest, options: CheckOptions, trust: Trust, *,
             resolve: bool, progress: OnProgress | None) -> Outcome:
    total = len(select(loaded.manifest, options.only))
    fetching = options.fetching

    async def go() -> Outcome:
        async with fetching.open() as fetcher:
            if progress is not None:
                progress(Progress(total=total, done=0))
            done: list[str] = []

            def one(result: CheckResult) -> None:
                done.append(result.component)
                if progress is not None:
                    progress(Progress(total=total, done=len(done), result=result))

            endpoints = fetching.endpoints()
            try:
                checking = run_check(
                    loaded.manifest, fetcher, today=options.today, endpoints=endpoints,
                    only=options.only, resolver=trust.resolver(root, endpoints),
                    resolve=resolve, run_timeout=options.timeout, on_done=one,
                    advisories=options.advisories, end_of_life=options.end_of_life,
                    answers=fetching.answers(refresh=options.refresh_advisories),
                )
                if resolve:
                    return await checking
                # `check`: the pinned image digests are looked up next to the versions, on
                # the same fetcher (no second connection pool, no round trips after the check)
                outcome, mark = await gather_pair(checking, trust.rebuilt_images_on(
                    root, loaded.manifest, fetcher, endpoints=endpoints, only=options.only,
                    run_timeout=options.timeout))
                return mark(outcome)
            finally:
                if progress is not None:
                    progress(Progress(total=total, done=len(done), finished=True))

    return asyncio.run(go())


def check(root: Path, options: CheckOptions, *, trust: Trust,
          progress: OnProgress | None = None) -> CheckReport:
    """Every component checked against upstream (nothing resolved, nothing written)."""
    loaded = load_tree(root)
    outcome = _checked(root, loaded, options, trust, resolve=False, progress=progress)
    severe = severe_findings(outcome.results, options.fail_on) if options.fail_on else []
    return CheckReport(loaded=loaded, outcome=outcome, severe=tuple(severe))


def skipped_stops(root: Path, manifest: Manifest, updates: Sequence[Update]) -> list[str]:
    """Warnings for the planned updates that skip a required stop (checklists/)."""
    # not on check's path (ruamel.yaml, the checklist model): imported when refresh plans
    from release.notes.stops import load_stops, skipped_moves, warning  # noqa: PLC0415

    stops = load_stops(root / "checklists", manifest.names())
    current = {c.name: str(c.version) for c in manifest.components}
    moves = [(u.component, current[u.component], str(u.version)) for u in updates
             if u.component in current]
    return [warning(skip) for skip in skipped_moves(stops, moves)]


def refresh(root: Path, options: RefreshOptions, *, trust: Trust,
            progress: OnProgress | None = None,
            on_stage: OnStage | None = None) -> RefreshReport:
    """Move every pin to its candidate: check, resolve, plan, write and (with `commit`) commit.

    Stops after the check when every upstream failed or nothing moves, and after planning with
    `dry_run`; the report says how far it went (`changes`, `written`, `commit`)."""

    def stage(name: Stage, report: RefreshReport) -> RefreshReport:
        if on_stage is not None:
            on_stage(name, report)
        return report

    if options.commit and not options.dry_run:
        from release.refresh.commit import ensure_clean  # noqa: PLC0415 - gitpython, --commit only

        ensure_clean(root)
    loaded = load_tree(root)
    outcome = _checked(root, loaded, options.check, trust, resolve=True, progress=progress)
    outcome, pinned = trust.pinned_changes(root, loaded.manifest, outcome, options.check,
                                           options.accept_changed)
    report = stage(Stage.CHECKED, RefreshReport(loaded=loaded, outcome=outcome, pinned=pinned))
    if report.all_failed or not outcome.updates:
        return report
    from release.refresh.plan import plan_updates  # noqa: PLC0415 - not on check's path

    plan = plan_updates(root, loaded, outcome.updates)
    # Every value refresh writes came from upstream: it is no longer unconfirmed.
    changes = trust.confirmed(plan.changes, loaded.path.name, outcome.updates)
    report = stage(Stage.PLANNED, replace(report, changes=tuple(changes)))
    report = stage(Stage.STOPS, replace(report, skipped_stops=tuple(
        skipped_stops(root, loaded.manifest, outcome.updates))))
    if options.dry_run:
        return report
    write_files(root, report.changes)
    report = stage(Stage.WRITTEN, replace(report, written=True))
    if not options.commit:
        return report
    from release.refresh.commit import commit_on_branch  # noqa: PLC0415

    branch, sha = commit_on_branch(
        root, [c.path for c in report.changes],
        commit_message(loaded.manifest, outcome.updates, outcome.results),
        today=options.check.today,
    )
    return replace(report, branch=branch, commit=sha)


def pin(root: Path, options: PinOptions, *, trust: Trust) -> PinReport:
    """Set one component's version: the request completed from upstream, decided, planned and
    (unless `dry_run`) written."""
    loaded = load_tree(root)
    request = trust.pin_request(root, loaded.manifest, options.request, options.fetching)
    update = decide_pin(loaded.manifest, request)
    if update is None:
        return PinReport(loaded=loaded, update=None)
    from release.refresh.plan import plan_updates  # noqa: PLC0415 - not on check's path

    changes = plan_updates(root, loaded, [update]).changes
    if options.request.checksum is None:  # every value pin sets came from upstream: confirmed
        changes = trust.confirmed(changes, loaded.path.name, [update])
    else:  # typed in: nobody checked it against upstream
        changes = trust.typed_in(changes, loaded.path.name, update)
    if options.dry_run:
        return PinReport(loaded=loaded, update=update, changes=tuple(changes))
    write_files(root, changes)
    return PinReport(loaded=loaded, update=update, changes=tuple(changes), written=True)

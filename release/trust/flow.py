"""`verify --online` as a flow: its steps run here and return a report value the CLI renders.

Shaped like `release.refresh.flow` (`check`, `refresh`, `pin`): the repository root and a small
frozen options value in, a console-free progress callback, a report out; nothing here prints.
The steps: load the tree and check the files against it (`release.verify.verify_tree`),
re-derive every pinned value of `only` through the shared fetcher (`online.verify_online`),
and with `confirm` drop the `unconfirmed:` mark of each value that was verified (versions.yaml,
written atomically by `fsutil`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from release.fsutil import FileChange, read_text_exact, write_files
from release.manifest.load import LoadedManifest
from release.manifest.model import MANIFEST
from release.manifest.tree import load_tree
from release.refresh.decide import select
from release.refresh.flow import Fetching
from release.trust.marks import without_marks
from release.trust.online import DEFAULT_RUN_TIMEOUT, OnlineReport, Verdict, verify_online
from release.verify import VerifyReport, verify_tree


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineOptions:
    fetching: Fetching = field(default_factory=Fetching)
    only: tuple[str, ...] | None = None
    timeout: float = DEFAULT_RUN_TIMEOUT
    strict: bool = False  # an unverifiable value fails the run too
    confirm: bool = False  # drop the unconfirmed: mark of every value verified


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineProgress:
    """`done` of `total` components verified; `component` is the one just done (None at the
    start and when `finished`)."""

    total: int
    done: int
    component: str | None = None
    finished: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineVerifyReport:
    loaded: LoadedManifest
    files: VerifyReport  # the offline check of the tree
    online: OnlineReport
    strict: bool
    # With `confirm`: the values whose marks were dropped, by component (empty: none verified).
    confirmed: Mapping[str, tuple[str, ...]] | None = None

    @property
    def status(self) -> int:
        """0 when every value is verified (and the files agree); 1 on a mismatch or move (or
        any unverifiable value with `strict`, or drift in the files)."""
        return 1 if self.files.problems or self.online.exit_code(strict=self.strict) else 0


def verified_unconfirmed(report: OnlineReport) -> dict[str, tuple[str, ...]]:
    """The values marked `unconfirmed:` that this run verified, by component."""
    drops: dict[str, list[str]] = {}
    for v in report.verdicts:
        if v.unconfirmed and v.verdict is Verdict.VERIFIED:
            drops.setdefault(v.component, []).append(v.value)
    return {name: tuple(values) for name, values in drops.items()}


def confirm(root: Path, report: OnlineReport) -> dict[str, tuple[str, ...]]:
    """Drop the `unconfirmed:` mark of every value `report` verified; what was dropped."""
    drops = verified_unconfirmed(report)
    if drops:
        old = read_text_exact(root / MANIFEST)
        write_files(root, [FileChange(path=MANIFEST, old=old,
                                      new=without_marks(old, drops, filename=MANIFEST))])
    return drops


def verify_online_flow(root: Path, options: OnlineOptions, *,
                       progress: Callable[[OnlineProgress], None] | None = None,
                       on_verified: Callable[[OnlineVerifyReport], None] | None = None,
                       ) -> OnlineVerifyReport:
    """`verify --online`: the files, every pinned value against upstream, then `confirm`.

    `on_verified` is called with the report once the verdicts are in, before `confirm` writes,
    so the CLI shows them even when confirming then fails."""
    loaded = load_tree(root)
    files = verify_tree(root, loaded.manifest)
    total = len(select(loaded.manifest, options.only))
    if progress is not None:
        progress(OnlineProgress(total=total, done=0))
    done: list[str] = []

    def on_done(name: str) -> None:
        done.append(name)
        if progress is not None:
            progress(OnlineProgress(total=total, done=len(done), component=name))

    async def go() -> OnlineReport:
        async with options.fetching.open() as fetcher:
            return await verify_online(
                loaded.manifest, fetcher, root=root, endpoints=options.fetching.endpoints(),
                only=options.only, run_timeout=options.timeout, on_done=on_done,
            )

    report = OnlineVerifyReport(loaded=loaded, files=files, online=asyncio.run(go()),
                                strict=options.strict)
    if progress is not None:
        progress(OnlineProgress(total=total, done=len(done), finished=True))
    if on_verified is not None:
        on_verified(report)
    if not options.confirm:
        return report
    return replace(report, confirmed=confirm(root, report.online))

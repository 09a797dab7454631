"""What `refresh` does with the pinned values of components that do not move.

For every component whose version stays (status `current`, `off-policy` or `held`), the
pinned values are re-derived from upstream at the pinned version (`release.trust.online`),
and each verdict means what its kind says:

* an image tag with a new index digest is an upstream rebuild: a `digest` update, applied;
* an archive whose bytes changed for an already released version, or an Action tag that moved
  to another commit, is an alarm: reported, never applied, unless a person names the
  component with `--accept-changed NAME`, and then the change is applied and named;
* a value that cannot be re-derived is counted, never acted on (`verify --online` says why).

Deciding (`decide_pinned`) is pure over the verdicts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from release.manifest.model import Manifest
from release.refresh.decide import CheckResult, Status, Update, select
from release.refresh.execute import Outcome
from release.refresh.flow import CheckOptions
from release.trust.online import OnlineReport, PinVerdict, Verdict, verify_online
from release.upstream.interface import Fetcher
from release.upstream.sources import Endpoints
from release.versioning import BumpKind, Digest, Version

STAYING = (Status.CURRENT, Status.OFF_POLICY, Status.HELD)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedDecision:
    updates: tuple[Update, ...]  # digest updates and accepted changes
    accepted: tuple[PinVerdict, ...]
    rebuilt: tuple[PinVerdict, ...]
    alarms: tuple[PinVerdict, ...]  # changed upstream, not accepted: nothing applied
    unverifiable: tuple[PinVerdict, ...]
    not_changed: tuple[str, ...]  # --accept-changed names with nothing changed upstream


def _update(v: PinVerdict) -> Update:
    upstream = v.upstream or ""
    return Update(
        component=v.component, version=Version(v.version),
        sha256=upstream if v.value == "sha256" else None,
        digest=Digest(upstream) if v.value == "digest" else None,
        commit=upstream if v.value == "commit" else None,
    )


def decide_pinned(report: OnlineReport, accept: Sequence[str]) -> PinnedDecision:
    """The updates and reports of the verdicts on the values of components that stay."""
    accepted: list[PinVerdict] = []
    rebuilt: list[PinVerdict] = []
    alarms: list[PinVerdict] = []
    for v in report.verdicts:
        if v.verdict not in (Verdict.MISMATCH, Verdict.MOVED) or v.upstream is None:
            continue
        if v.value == "digest" and v.verdict is Verdict.MOVED:
            rebuilt.append(v)
        elif v.component in accept:
            accepted.append(v)
        else:
            alarms.append(v)
    changed = {v.component for v in (*accepted, *rebuilt, *alarms)}
    merged: dict[str, Update] = {}
    for v in (*rebuilt, *accepted):
        new = _update(v)
        old = merged.get(v.component)
        merged[v.component] = new if old is None else Update(
            component=old.component, version=old.version, sha256=old.sha256 or new.sha256,
            digest=old.digest or new.digest, commit=old.commit or new.commit)
    return PinnedDecision(
        updates=tuple(merged.values()), accepted=tuple(accepted), rebuilt=tuple(rebuilt),
        alarms=tuple(alarms),
        unverifiable=tuple(v for v in report.verdicts if v.verdict is Verdict.UNVERIFIABLE),
        not_changed=tuple(name for name in accept if name not in changed),
    )


def describe(v: PinVerdict) -> str:
    return (f"{v.component} {v.version} {v.value}: pinned {v.pinned}, upstream {v.upstream} "
            f"({v.how} {v.source})")


def report_lines(decision: PinnedDecision) -> list[str]:
    lines = [f"refresh: {describe(v)}: upstream rebuilt the tag; taken as a digest update"
             for v in decision.rebuilt]
    lines += [f"refresh: accepted the changed {describe(v)}" for v in decision.accepted]
    lines += [f"refresh: alarm: {describe(v)}: {v.reason}; not changed (after review: "
              f"refresh --accept-changed {v.component})" for v in decision.alarms]
    lines += [f"refresh: --accept-changed {name}: nothing changed upstream; nothing accepted"
              for name in decision.not_changed]
    if decision.unverifiable:
        count = len(decision.unverifiable)
        lines.append(f"refresh: {count} pinned value{'s' if count != 1 else ''} of unchanged "
                     "versions could not be re-derived (`verify --online` says why)")
    return lines


def mark_rebuilt(results: Sequence[CheckResult],
                 rebuilt: Sequence[PinVerdict]) -> tuple[CheckResult, ...]:
    """The results with each rebuilt image shown as an `update` of bump kind `digest`."""
    moved = {v.component: v for v in rebuilt}
    out = []
    for result in results:
        v = moved.get(result.component)
        if v is None or result.status not in STAYING:
            out.append(result)
            continue
        out.append(replace(
            result, status=Status.UPDATE, candidate=result.pinned, bump=BumpKind.DIGEST,
            reason=f"upstream rebuilt the tag: index digest {v.pinned} -> {v.upstream}",
        ))
    return tuple(out)


def image_components(manifest: Manifest, only: Sequence[str] | None) -> list[str]:
    """The selected components pinned by image (those whose digest upstream may rebuild)."""
    return [c.name for c in select(manifest, only) if c.image is not None]


async def rebuilt_marker(root: Path, manifest: Manifest, fetcher: Fetcher, *,
                         endpoints: Endpoints, names: Sequence[str],
                         run_timeout: float) -> Callable[[Outcome], Outcome]:
    """`check`'s rebuilt images, on the check's own fetcher next to the version lookups: every
    image of `names` is looked up at once (whether its component stays is known only
    afterwards), and the function returned marks the staying ones that upstream rebuilt."""
    report = await verify_online(manifest, fetcher, root=root, endpoints=endpoints,
                                 only=names, run_timeout=run_timeout,
                                 values=frozenset({"digest"})) if names \
        else OnlineReport(verdicts=())
    rebuilt = decide_pinned(report, ()).rebuilt

    def mark(outcome: Outcome) -> Outcome:
        return replace(outcome, results=mark_rebuilt(outcome.results, rebuilt))

    return mark


def reverify(root: Path, manifest: Manifest, names: Sequence[str], options: CheckOptions, *,
             values: frozenset[str] | None = None) -> OnlineReport:
    fetching = options.fetching

    async def go() -> OnlineReport:
        async with fetching.open() as fetcher:
            return await verify_online(
                manifest, fetcher, root=root, endpoints=fetching.endpoints(),
                only=names, run_timeout=options.timeout, values=values,
            )

    if not names:
        return OnlineReport(verdicts=())
    return asyncio.run(go())


def with_pinned_changes(
    root: Path, manifest: Manifest, outcome: Outcome, options: CheckOptions,
    accept_changed: Sequence[str],
) -> tuple[Outcome, PinnedDecision]:
    """`outcome` with the digest updates and accepted changes of the components that stay."""
    accept = [manifest.require(name).name for name in accept_changed]
    staying = [r.component for r in outcome.results if r.status in STAYING]
    decision = decide_pinned(reverify(root, manifest, staying, options), accept)
    updated = replace(outcome, results=mark_rebuilt(outcome.results, decision.rebuilt),
                      updates=(*outcome.updates, *decision.updates))
    return updated, decision

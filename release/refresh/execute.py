"""The flow of check and refresh: read upstream, decide, between the reads, concurrently.

`run_check` asks each component's source for its releases, all at once (the shared fetcher
limits concurrency per host), decides with `release.refresh.decide`, and, when asked to
resolve, fetches the commit, checksum and image digest of every candidate through the
`Resolver` of `release.upstream.resolve`. One failing upstream never stops the others: it
becomes an `error` result and its pins are left alone. The whole run is bounded in time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from release.manifest.model import Component, Manifest, UpstreamKind
from release.refresh.decide import (
    CheckResult,
    Status,
    Update,
    apply_groups,
    choose,
    failed,
    resolved_update,
    select,
    undated_newer,
    with_advisories,
)
from release.refresh.lookup import SourceFactory, make_lookup
from release.refresh.sets import follow
from release.risk.advisories import Advisory, affecting
from release.risk.eol import ENDOFLIFE_URL, EndOfLife, EolReport, find_lines
from release.risk.eol import end_of_life as end_of_life_of
from release.risk.fresh import Answers
from release.risk.lookup import OSV_API_URL, AdvisoryReport, find_advisories
from release.upstream.common import gather_all
from release.upstream.errors import UpstreamError
from release.upstream.interface import Fetcher, Listing
from release.upstream.leader import RAW_URL, leader_pins
from release.upstream.resolve import DEFAULT_ARCHIVE_MAX_BYTES, Resolver
from release.upstream.sources import Endpoints
from release.upstream.tagdates import tag_date
from release.versioning import Version

DEFAULT_RUN_TIMEOUT = 600.0
DEFAULT_ADVISORY_WAIT = 60.0
DATED_TAGS = 5  # the most tags of one component dated by their commits, newest first
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """Every component's check result (manifest order) and the updates ready to apply."""

    results: tuple[CheckResult, ...]
    updates: tuple[Update, ...]
    #: GitHub rate-limit points the run spent, by resource (`core` for REST, `graphql`).
    rate_limit: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # what could not be learnt besides versions (advisories)

    @property
    def errors(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status is Status.ERROR)


async def run_check(
    manifest: Manifest,
    fetcher: Fetcher,
    *,
    today: dt.date,
    endpoints: Endpoints | None = None,
    sources: SourceFactory | None = None,
    resolver: Resolver | None = None,
    only: Sequence[str] | None = None,
    resolve: bool = False,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES,
    on_done: Callable[[CheckResult], None] | None = None,
    advisories: bool = False,
    osv_url: str = OSV_API_URL,
    advisory_wait: float = DEFAULT_ADVISORY_WAIT,
    end_of_life: bool = False,
    endoflife_url: str = ENDOFLIFE_URL,
    raw_url: str = RAW_URL,
    answers: Answers | None = None,
) -> Outcome:
    """Check `only` (default: every component); with `resolve`, also fetch checksums/digests.

    With `advisories`, OSV and GitHub are asked for the advisories of every pinned version at
    the same time as the versions are listed; a component's decision waits for them at most
    `advisory_wait` seconds after its own listing, and goes on without them after that (a
    warning, like any advisory source that fails). Advisory and end-of-life answers younger
    than `answers.ttl` come from `answers` (`release.risk.fresh`) without a request.
    """
    components = select(manifest, only)
    lookup = make_lookup(fetcher, endpoints=endpoints, sources=sources, resolver=resolver,
                         archive_max_bytes=archive_max_bytes, components=components)
    warnings: list[str] = []
    report_task: asyncio.Task[AdvisoryReport] | None = None
    if advisories:
        report_task = asyncio.create_task(find_advisories(
            components, fetcher, osv_url=osv_url,
            github_api_url=(endpoints or Endpoints()).github_api_url, answers=answers,
        ))

    eol_task: asyncio.Task[EolReport] | None = None
    if end_of_life:
        eol_task = asyncio.create_task(find_lines(components, fetcher, url=endoflife_url,
                                                  answers=answers))

    async def answered(task: asyncio.Task[T] | None, what: str) -> T | None:
        if task is None:
            return None
        done, _ = await asyncio.wait({task}, timeout=advisory_wait)
        if not done:
            note = f"{what}: not answered within {advisory_wait:g} s; versions checked without"
            if note not in warnings:
                warnings.append(note)
            return None
        return task.result()

    async def advisories_of(component: Component) -> tuple[Advisory, ...]:
        report = await answered(report_task, "advisories")
        return report.by_component.get(component.name, ()) if report is not None else ()

    async def eol_of(component: Component) -> EndOfLife | None:
        if component.policy.eol is not None:
            return end_of_life_of(component, None, today)
        report = await answered(eol_task, "end of life")
        if report is None or component.policy.eol_product is None:
            return None
        return end_of_life_of(component, report.products.get(component.policy.eol_product),
                              today)

    leaders = {c.policy.group: c for c in manifest.components if c.policy.group_pins}
    finished: dict[str, asyncio.Future[CheckResult]] = {
        c.name: asyncio.get_running_loop().create_future() for c in components}
    files: dict[tuple[str, str], asyncio.Task[dict[str, str]]] = {}

    async def leader_file(leader: Component, version: Version) -> dict[str, str]:
        key = (leader.name, version)
        if key not in files:
            assert leader.upstream.repo is not None
            assert leader.policy.group_pins is not None
            files[key] = asyncio.create_task(leader_pins(
                fetcher, repo=leader.upstream.repo, tag=leader.versioning.tag_for(version),
                path=leader.policy.group_pins, raw_url=raw_url,
            ))
        return await asyncio.shield(files[key])

    async def following(component: Component, own: CheckResult, listing: Listing) -> CheckResult:
        leader = leaders.get(component.policy.group)
        if leader is None or not component.policy.follow_leader:
            return own
        version = leader.version
        if leader.name in finished:  # checked in this run: its candidate, if it moves
            ready = finished[leader.name]
            await asyncio.wait({ready})
            decided = None if ready.cancelled() else ready.result()
            if decided is not None and decided.status is Status.UPDATE and decided.candidate:
                version = decided.candidate
        pins: dict[str, str] | None = None
        error: str | None = None
        try:
            pins = await leader_file(leader, version)
        except UpstreamError as exc:
            error = exc.message
        return follow(component, own, listing, leader=leader, leader_version=version, pins=pins,
                      error=error, today=today)

    api_url = (endpoints or Endpoints()).github_api_url

    async def dated(component: Component, listing: Listing) -> Listing:
        """`listing` with the tags that could be the candidate dated by their commits."""
        undated = undated_newer(component, listing, DATED_TAGS)
        dates = await gather_all(*(
            tag_date(fetcher, repo=component.upstream.repo, tag=r.tag, api_url=api_url)
            for r in undated
        ))
        by_tag = dict(zip((r.tag for r in undated), dates, strict=True))
        return replace(listing, releases=tuple(
            replace(r, published=by_tag[r.tag]) if r.tag in by_tag else r
            for r in listing.releases))

    resolved: dict[str, Update] = {}

    async def one(component: Component) -> CheckResult:
        try:
            return await decided(component)
        finally:
            if not finished[component.name].done():
                finished[component.name].cancel()

    async def decided(component: Component) -> CheckResult:
        # Advisories can change the candidate only through a release-age gate (a security
        # release has its own gate, `min-age-security`), and only when that gate holds a newer
        # version back (`waiting`) or is longer than the usual one. Every other component
        # decides (and resolves) at once and is annotated at the end, so the advisory lookups
        # run beside the version lookups instead of before them.
        policy = component.policy
        gated = policy.min_age_days > 0 or policy.min_age_security_days > 0
        known: tuple[Advisory, ...] = ()
        waited = False
        listed: list[Version] = []
        listing: Listing | None = None
        try:
            listing = await lookup.releases(component)
            if gated and component.upstream.kind is UpstreamKind.GITHUB_TAGS:
                listing = await dated(component, listing)
            listed = [r.version for r in listing.releases
                      if not r.prerelease or policy.prereleases]
            result = choose(component, listing, today=today)
            if report_task is not None and gated and (
                    result.waiting is not None
                    or policy.min_age_security_days > policy.min_age_days):
                known, waited = await advisories_of(component), True
                result = choose(component, listing, today=today, advisories=known)
            result = await following(component, result, listing)
            if resolve and result.status is Status.UPDATE and result.candidate is not None:
                found = await lookup.candidate(component, result.candidate)
                resolved[component.name] = resolved_update(
                    component, result.candidate, found, security=result.security
                )
        except UpstreamError as exc:
            result = failed(component, exc.message, known)
        finished[component.name].set_result(result)
        if not waited:
            late = await advisories_of(component)
            if gated and listing is not None and result.status is not Status.ERROR \
                    and affecting(late, component.version):
                # The candidate stays (no gate held a version back), but the gate words and
                # dates of a security release are its own: decide again with the advisories.
                result = await following(
                    component, choose(component, listing, today=today, advisories=late),
                    listing)
            else:
                result = with_advisories(component, result, late, listed)
            if component.name in resolved:
                resolved[component.name] = replace(resolved[component.name],
                                                   security=result.security)
        result = replace(result, eol=await eol_of(component))
        if on_done is not None:
            on_done(result)
        return result

    tasks = {asyncio.create_task(one(c)): c for c in components}
    done, pending = await asyncio.wait(tasks, timeout=run_timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    results: dict[str, CheckResult] = {}
    for task, component in tasks.items():
        if task not in done:
            results[component.name] = failed(
                component, f"not finished within the run's bound of {run_timeout:g} s"
            )
            continue
        error = task.exception()
        if error is not None:
            raise error  # a bug, not an upstream failure: let it surface
        results[component.name] = task.result()
    for side in (report_task, eol_task):
        if side is None:
            continue
        if side.done():
            warnings.extend(side.result().warnings)
        else:
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)
    ordered = apply_groups(components, [results[c.name] for c in components])
    updates = tuple(resolved[r.component] for r in ordered if r.status is Status.UPDATE and resolve)
    stats = getattr(fetcher, "stats", None)
    spent = dict(getattr(stats, "rate_limit", {}))
    return Outcome(results=tuple(ordered), updates=updates,
                   rate_limit={"core": spent.get("core", 0), "graphql": spent.get("graphql", 0)},
                   warnings=tuple(warnings))

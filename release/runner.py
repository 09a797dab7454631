"""Checking every component against its upstream, concurrently (the read step of check/refresh).

`run_check` asks each component's source for its releases, all at once (the shared fetcher
limits concurrency per host), decides with `release.check`, and, when asked to resolve, fetches
the checksum and image digest of every candidate. One failing upstream never stops the others:
it becomes an `error` result and its pins are left alone. The whole run is bounded in time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from release.apply import Update
from release.check import CheckResult, Status, apply_groups, choose, failed
from release.errors import InvalidInput
from release.manifest.model import Component, Manifest, UpstreamKind
from release.upstream.checksums import archive_sha256
from release.upstream.errors import UpstreamError
from release.upstream.github import tag_commit
from release.upstream.interface import Fetcher, Source
from release.upstream.registry import image_digest, registry_for
from release.upstream.sources import Endpoints, source_for
from release.versioning import Digest, Version

DEFAULT_RUN_TIMEOUT = 600.0
DEFAULT_ARCHIVE_MAX_BYTES = 512 * 1024 * 1024

SourceFactory = Callable[[UpstreamKind], Source]
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """Every component's check result (manifest order) and the updates ready to apply."""

    results: tuple[CheckResult, ...]
    updates: tuple[Update, ...]

    @property
    def errors(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status is Status.ERROR)


def select(manifest: Manifest, only: Sequence[str] | None) -> list[Component]:
    """The components named by `--only` (all when None); unknown names are bad usage."""
    if not only:
        return list(manifest.components)
    try:
        wanted = {manifest.require(name).name for name in only}
    except InvalidInput as exc:
        raise InvalidInput(f"--only: {exc.message}") from None
    return [c for c in manifest.components if c.name in wanted]


async def run_check(
    manifest: Manifest,
    fetcher: Fetcher,
    *,
    today: dt.date,
    endpoints: Endpoints | None = None,
    sources: SourceFactory | None = None,
    only: Sequence[str] | None = None,
    resolve: bool = False,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES,
    on_done: Callable[[CheckResult], None] | None = None,
) -> Outcome:
    """Check `only` (default: every component); with `resolve`, also fetch checksums/digests."""
    ends = endpoints or Endpoints()
    factory: SourceFactory = sources or (lambda kind: source_for(kind, ends))
    components = select(manifest, only)

    resolved: dict[str, Update] = {}

    async def one(component: Component) -> CheckResult:
        try:
            listing = await factory(component.upstream.kind).list_releases(component, fetcher)
            result = choose(component, listing, today=today)
            if resolve and result.status is Status.UPDATE and result.candidate is not None:
                update = await resolve_update(
                    component, result.candidate, fetcher, ends, archive_max_bytes
                )
                resolved[component.name] = update
        except UpstreamError as exc:
            result = failed(component, exc.message)
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
    ordered = apply_groups(components, [results[c.name] for c in components])
    updates = tuple(resolved[r.component] for r in ordered if r.status is Status.UPDATE and resolve)
    return Outcome(results=tuple(ordered), updates=updates)


async def resolve_update(
    component: Component, version: Version, fetcher: Fetcher, endpoints: Endpoints,
    max_bytes: int,
) -> Update:
    """The update to `version` with its tag commit, archive checksum and image digest.

    The three are independent, so they are fetched at once. Raises an `UpstreamError` saying
    which one could not be fetched (the others are cancelled).
    """

    async def commit() -> str | None:
        if component.commit is None:
            return None
        return await tag_commit(
            fetcher, repo=component.upstream.repo, tag=component.versioning.tag_for(version),
            api_url=endpoints.github_api_url,
        )

    async def sha256() -> str | None:
        if component.archive is None:
            return None
        return await archive_sha256(
            component, version, fetcher, max_bytes=max_bytes,
            github_api_url=endpoints.github_api_url,
        )

    async def digest() -> Digest | None:
        if component.image is None:
            return None
        base, path = registry_for(
            component.image.repository, docker_hub=endpoints.docker_hub_registry,
            registries=endpoints.registries,
        )
        return await image_digest(fetcher, base, path, component.image.tag.replace(
            "{version}", version))

    try:
        async with asyncio.TaskGroup() as group:
            found_commit = group.create_task(_labelled("commit", version, commit()))
            found_sha256 = group.create_task(_labelled("checksum", version, sha256()))
            found_digest = group.create_task(_labelled("image digest", version, digest()))
    except* UpstreamError as failures:
        raise failures.exceptions[0] from None
    return Update(component=component.name, version=version, sha256=found_sha256.result(),
                  digest=found_digest.result(), commit=found_commit.result())


async def _labelled(what: str, version: Version, work: Awaitable[T]) -> T:
    """`work`'s result; its UpstreamError says which part of the candidate it was about."""
    try:
        return await work
    except UpstreamError as exc:
        raise type(exc)(
            f"{version} found, but its {what} could not be fetched: {exc.message}"
        ) from None

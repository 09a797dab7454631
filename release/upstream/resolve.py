"""Resolving a candidate: the commit, archive checksum and image digest of one version.

Listing versions has `interface.Source`; this is its counterpart for what a chosen version
pins besides its number. `Resolver` is the interface the refresh flow depends on;
`UpstreamResolver` is the one that asks the real upstreams (GitHub for the tag's commit, the
archive's URL for its sha256, the image registry for the index digest). A new kind of pinned
fact is added here, not in `release.refresh`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from release.manifest.model import Component
from release.template import fill_template
from release.upstream.checksums import archive_sha256
from release.upstream.errors import UpstreamError
from release.upstream.github import tag_commit
from release.upstream.interface import Fetcher
from release.upstream.registry import image_digest, registry_for
from release.upstream.sources import Endpoints
from release.versioning import Digest, Version

DEFAULT_ARCHIVE_MAX_BYTES = 512 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """What upstream says a version pins; None where the component pins no such thing."""

    commit: str | None = None
    sha256: str | None = None
    digest: Digest | None = None


class Resolver(Protocol):
    """Finds what a candidate version of a component pins, or raises an `UpstreamError`."""

    async def resolve(self, component: Component, version: Version, fetcher: Fetcher) -> Resolved:
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamResolver:
    """The resolver that asks the real upstreams, at `endpoints`."""

    endpoints: Endpoints
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES
    #: (repo, tag) -> the commit a listing of this run already saw (GitHub GraphQL), or None.
    known_commit: Callable[[str, str], str | None] | None = None

    async def resolve(self, component: Component, version: Version, fetcher: Fetcher) -> Resolved:
        """The tag commit, archive checksum and image digest of `version`.

        The three are independent, so they are fetched at once. Raises an `UpstreamError`
        saying which one could not be fetched (the others are cancelled).
        """
        endpoints = self.endpoints

        async def commit() -> str | None:
            if component.commit is None:
                return None
            tag = component.versioning.tag_for(version)
            if self.known_commit is not None and component.upstream.repo is not None:
                known = self.known_commit(component.upstream.repo, tag)
                if known is not None:
                    return known
            return await tag_commit(
                fetcher, repo=component.upstream.repo,
                tag=component.versioning.tag_for(version), api_url=endpoints.github_api_url,
            )

        async def sha256() -> str | None:
            if component.archive is None:
                return None
            # A warm refresh revalidates a computed archive instead of downloading it again.
            return await archive_sha256(
                component, version, fetcher, max_bytes=self.archive_max_bytes,
                github_api_url=endpoints.github_api_url, revalidate=True,
            )

        async def digest() -> Digest | None:
            if component.image is None:
                return None
            base, path = registry_for(
                component.image.repository, docker_hub=endpoints.docker_hub_registry,
                registries=endpoints.registries,
            )
            return await image_digest(fetcher, base, path,
                                      fill_template(component.image.tag, version=version))

        try:
            async with asyncio.TaskGroup() as group:
                found_commit = group.create_task(_labelled("commit", version, commit()))
                found_sha256 = group.create_task(_labelled("checksum", version, sha256()))
                found_digest = group.create_task(_labelled("image digest", version, digest()))
        except* UpstreamError as failures:
            raise failures.exceptions[0] from None
        return Resolved(commit=found_commit.result(), sha256=found_sha256.result(),
                        digest=found_digest.result())


async def _labelled(what: str, version: Version, work: Awaitable[T]) -> T:
    """`work`'s result; its UpstreamError says which part of the candidate it was about."""
    try:
        return await work
    except UpstreamError as exc:
        raise type(exc)(
            f"{version} found, but its {what} could not be fetched: {exc.message}"
        ) from None

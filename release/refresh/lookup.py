"""Reading upstream for the refresh flow: list a component's releases, resolve a candidate.

Two reads, both through interfaces of `release.upstream`: a `Source` (chosen by the
component's upstream kind) lists the versions, a `Resolver` finds what a chosen version pins
(commit, archive checksum, image digest). Nothing here decides; `release.refresh.execute`
runs the reads and the deciders of `release.refresh.decide` between them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from release.manifest.model import Component, UpstreamKind
from release.upstream.github_graphql import graphql_batch, with_graphql
from release.upstream.interface import Fetcher, Listing, Source
from release.upstream.resolve import DEFAULT_ARCHIVE_MAX_BYTES, Resolved, Resolver, UpstreamResolver
from release.upstream.sources import Endpoints, source_for
from release.versioning import Version

SourceFactory = Callable[[UpstreamKind], Source]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """The upstream reads of one run, over one shared fetcher."""

    fetcher: Fetcher
    sources: SourceFactory
    resolver: Resolver

    async def releases(self, component: Component) -> Listing:
        """What the component's source lists (raises an `UpstreamError`)."""
        return await self.sources(component.upstream.kind).list_releases(component, self.fetcher)

    async def candidate(self, component: Component, version: Version) -> Resolved:
        """What `version` of the component pins (raises an `UpstreamError`)."""
        return await self.resolver.resolve(component, version, self.fetcher)


def make_lookup(
    fetcher: Fetcher,
    *,
    endpoints: Endpoints | None = None,
    sources: SourceFactory | None = None,
    resolver: Resolver | None = None,
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES,
    components: Sequence[Component] = (),
) -> Lookup:
    """The lookup of the real upstreams at `endpoints` (default: the public ones).

    With a GitHub token on `fetcher`, the GitHub listings of `components` are read in one
    batched GraphQL query (REST is the fallback), and the tag commits it saw spare the
    resolver its REST requests."""
    ends = endpoints or Endpoints()
    batch = None
    if sources is None and ends.github_graphql:
        batch = graphql_batch(fetcher, api_url=ends.github_api_url, max_pages=ends.max_pages,
                              components=components)
    factory: SourceFactory = sources or (
        lambda kind: with_graphql(source_for(kind, ends), kind, batch)
    )
    return Lookup(
        fetcher=fetcher, sources=factory,
        resolver=resolver or UpstreamResolver(
            endpoints=ends, archive_max_bytes=archive_max_bytes,
            known_commit=batch.commit if batch is not None else None,
        ),
    )

"""Which `Source` implements each `UpstreamKind`, built with the endpoints it talks to.

The CLI builds one `Endpoints` (from `GITHUB_API_URL` and defaults); tests point every endpoint
at a local server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from release.manifest.model import UpstreamKind
from release.upstream.common import DEFAULT_MAX_PAGES
from release.upstream.feeds import NodeDist, PostgresVersions
from release.upstream.github import DEFAULT_API_URL, GithubReleases, GithubTags
from release.upstream.gittags import DEFAULT_TIMEOUT, GitTags
from release.upstream.index import HttpIndex
from release.upstream.interface import Source
from release.upstream.registry import DOCKER_HUB_REGISTRY, DOCKER_HUB_URL, DockerHub, Registry


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """Where the sources send their requests (all replaceable, for GitHub Enterprise and tests).

    `github_api_url`: the GitHub REST API base; `docker_hub_url`: Docker Hub's web API;
    `docker_hub_registry`: Docker Hub's registry (v2 API); `registries`: registry host -> base
    URL overrides (`{"ghcr.io": "http://127.0.0.1:5000"}`); `git_timeout`: seconds one
    `git ls-remote` may take; `max_pages`: the most pages one paginated listing may have;
    `github_graphql`: batch GitHub listings through GraphQL when a token is set.
    """

    github_api_url: str = DEFAULT_API_URL
    docker_hub_url: str = DOCKER_HUB_URL
    docker_hub_registry: str = DOCKER_HUB_REGISTRY
    registries: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    git_timeout: float = DEFAULT_TIMEOUT
    max_pages: int = DEFAULT_MAX_PAGES
    #: With a GitHub token, list GitHub releases and tags through one batched GraphQL query
    #: (`release.upstream.github_graphql`); False keeps REST for everything.
    github_graphql: bool = True

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Endpoints:
        """Defaults, with `GITHUB_API_URL` (set by GitHub Actions, and for GitHub Enterprise)."""
        api = environ.get("GITHUB_API_URL", "").strip()
        return cls(github_api_url=api.rstrip("/") or DEFAULT_API_URL)


SOURCES: Mapping[UpstreamKind, Callable[[Endpoints], Source]] = MappingProxyType({
    UpstreamKind.GITHUB_RELEASES: lambda e: GithubReleases(
        api_url=e.github_api_url, max_pages=e.max_pages
    ),
    UpstreamKind.GITHUB_TAGS: lambda e: GithubTags(api_url=e.github_api_url, max_pages=e.max_pages),
    UpstreamKind.GIT_TAGS: lambda e: GitTags(timeout=e.git_timeout),
    UpstreamKind.DOCKER_HUB: lambda e: DockerHub(hub_url=e.docker_hub_url, max_pages=e.max_pages),
    UpstreamKind.REGISTRY: lambda e: Registry(
        docker_hub=e.docker_hub_registry, registries=e.registries, max_pages=e.max_pages
    ),
    UpstreamKind.HTTP_INDEX: lambda _: HttpIndex(),
    UpstreamKind.NODE_DIST: lambda _: NodeDist(),
    UpstreamKind.POSTGRES_VERSIONS: lambda _: PostgresVersions(),
})


def source_for(kind: UpstreamKind, endpoints: Endpoints | None = None) -> Source:
    """The source that lists releases of upstreams of `kind`, talking to `endpoints`."""
    return SOURCES[kind](endpoints or Endpoints())

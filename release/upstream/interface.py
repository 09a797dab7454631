"""The one small interface every source kind implements.

A source lists the releases upstream has for a component; choosing among them is the pure work
of `release.versioning`/`release.refresh.decide`. Sources talk to the network only through a
`Fetcher` (the shared async HTTP client, see `release.upstream.http`), which tests replace by a
real client pointed at a local server.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from release.manifest.model import Component
from release.template import fill_template
from release.upstream.errors import PermanentUpstreamError
from release.versioning import Tag, UnsafeValueError, Version, check_safe_tag

DEFAULT_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """One HTTP response, body fully read (bounded by the fetcher's size cap)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    from_cache: bool = False

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise PermanentUpstreamError(f"{self.url}: response is not UTF-8 text") from None

    def json(self) -> Any:
        """The body parsed as JSON; HTML or garbage where JSON was expected is permanent, and
        so is JSON nested deeper than the parser's stack (a hostile or broken answer)."""
        try:
            return json.loads(self.body)
        except RecursionError:
            raise PermanentUpstreamError(
                f"{self.url}: JSON nested too deeply to read (an answer no API gives)"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            head = self.body[:60].decode("utf-8", "replace").strip().replace("\n", " ")
            ctype = self.headers.get("content-type", "unknown content type")
            raise PermanentUpstreamError(
                f"{self.url}: expected JSON, got {ctype} starting with {head!r}"
            ) from None


class Fetcher(Protocol):
    """What sources need from the shared HTTP client."""

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ok: tuple[int, ...] = (200,),
    ) -> FetchResult:
        """GET `url`; statuses outside `ok` raise the matching UpstreamError."""
        ...

    async def head(
        self, url: str, *, headers: Mapping[str, str] | None = None, ok: tuple[int, ...] = (200,)
    ) -> FetchResult:
        ...

    async def sha256_of(self, url: str, *, max_bytes: int, revalidate: bool = False) -> str:
        """Stream `url` and return the hex sha256 of its body (refused past `max_bytes`).

        `revalidate`: a digest computed before may be reused when the server says (304) the
        body is unchanged (refresh, pin); never for `verify --online`, which downloads."""
        ...


class PostFetcher(Fetcher, Protocol):
    """A fetcher that can also POST (GitHub GraphQL, OSV's batch query, Rekor's search); the
    shared `HttpFetcher` is one. Callers handed a plain `Fetcher` check for `post` first."""

    async def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ok: tuple[int, ...] = (200,),
    ) -> FetchResult:
        """POST `content` to `url`; never cached, redirects refused."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamRelease:
    """One version upstream has published for a component."""

    version: Version
    tag: Tag
    prerelease: bool = False
    lts: bool | None = None  # None: this source does not know
    published: str | None = None  # ISO date or timestamp, when the source says
    notes_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedTag:
    """An upstream string refused before it could reach a file (and reported)."""

    tag: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    releases: tuple[UpstreamRelease, ...] = ()
    rejected: tuple[RejectedTag, ...] = field(default=())


class Source(ABC):
    """A kind of upstream (GitHub releases, a registry, a JSON feed, ...)."""

    @abstractmethod
    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        """Every release upstream publishes for `component`, pre-releases flagged, unsorted."""


def classify_tags(
    component: Component,
    tags: list[tuple[str, bool]],
    *,
    published: Mapping[str, str] | None = None,
) -> Listing:
    """Turn raw upstream tag names into releases of `component`.

    `tags` holds `(name, prerelease_flag)`. Names that are not well-formed tag strings
    (newlines, quotes, `$`, spaces, absurd length) are rejected and reported; well-formed names
    that are not this component's tags (`docker/4.17.0-r0`, `before_x`, `-rc1` spellings) are
    junk and silently ignored.
    """
    releases: list[UpstreamRelease] = []
    rejected: list[RejectedTag] = []
    seen: set[str] = set()
    for name, prerelease in tags:
        try:
            check_safe_tag(name)
        except UnsafeValueError as exc:
            shown = name[:80].encode("unicode_escape").decode("ascii")
            rejected.append(RejectedTag(tag=shown, reason=str(exc)))
            continue
        version = component.versioning.version_for(name)
        if version is None or version in seen:
            continue
        seen.add(version)
        notes = None
        if component.upstream.release_notes:
            notes = fill_template(component.upstream.release_notes, version=version, tag=name)
        releases.append(
            UpstreamRelease(
                version=version, tag=Tag(name), prerelease=prerelease,
                published=(published or {}).get(name), notes_url=notes,
            )
        )
    return Listing(releases=tuple(releases), rejected=tuple(rejected))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""GitHub sources: a repository's releases or its tags, through the REST API.

Every page is fetched (`Link: <...>; rel="next"`, same origin only) and nothing is taken from
`/releases/latest`: GitHub sorts "latest" by the tagged commit's date, so projects that release
several branches on the same day (Asterisk, Janus, rtpengine) can have it point at an older
branch. Choosing among the listed releases is the job of `release.versioning`.

The API base is injectable (`GITHUB_API_URL` for GitHub Enterprise, a local server in tests);
the `GITHUB_TOKEN` is the shared fetcher's business, never this module's.

This module also holds small helpers the other sources share: `shown`/`shown_url` for values
quoted in messages, `header` and `Pages` (pagination bookkeeping over
`release.upstream.http.checked_next_url`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from release.manifest.model import Component
from release.upstream.common import DEFAULT_MAX_PAGES, Pages, read_once, shown, shown_url
from release.upstream.errors import PermanentUpstreamError
from release.upstream.interface import Fetcher, FetchResult, Listing, Source, classify_tags
from release.versioning import SHA256_RE

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
API_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}
# Enough for the release JSON of a project with many assets (rtpengine: 34 per release).
RELEASE_MAX_BYTES = 8 * 1024 * 1024
_REPO_PART = re.compile(r"[A-Za-z0-9_.-]+")


# --- response shapes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GithubRelease:
    """The fields of one GitHub release object this tool reads."""

    tag: str
    name: str | None
    draft: bool
    prerelease: bool
    published: str | None


def _objects(data: Any, url: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise PermanentUpstreamError(
            f"{shown_url(url)}: expected a JSON list of {what}, got {_kind(data)}"
        )
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index} is {_kind(item)}, not a {what[:-1]} object"
            )
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number"}
    return names.get(type(value), f"a {type(value).__name__}")


def _field(item: dict[str, Any], key: str, types: tuple[type, ...], url: str, index: int) -> Any:
    value = item.get(key)
    if value is not None and not isinstance(value, types):
        raise PermanentUpstreamError(
            f"{shown_url(url)}: item {index}: {key!r} is {_kind(value)}"
        )
    return value


def parse_releases(data: Any, url: str) -> list[GithubRelease]:
    """Validate one page of `GET /repos/{repo}/releases` (raises with `url` on any other shape)."""
    releases: list[GithubRelease] = []
    for index, item in enumerate(_objects(data, url, "releases")):
        tag = item.get("tag_name")
        if not isinstance(tag, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index}: 'tag_name' is {_kind(tag)}, not a string"
            )
        releases.append(
            GithubRelease(
                tag=tag,
                name=_field(item, "name", (str,), url, index),
                draft=bool(_field(item, "draft", (bool,), url, index)),
                prerelease=bool(_field(item, "prerelease", (bool,), url, index)),
                published=_field(item, "published_at", (str,), url, index),
            )
        )
    return releases


def parse_tags(data: Any, url: str) -> list[str]:
    """Validate one page of `GET /repos/{repo}/tags`: the tag names, in the order given."""
    names: list[str] = []
    for index, item in enumerate(_objects(data, url, "tags")):
        name = item.get("name")
        if not isinstance(name, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index}: 'name' is {_kind(name)}, not a string"
            )
        names.append(name)
    return names


def parse_asset_digests(data: Any, url: str) -> dict[str, str | None]:
    """Asset name -> `digest` (`sha256:<hex>`, or None for assets older than June 2025)."""
    if not isinstance(data, dict):
        raise PermanentUpstreamError(
            f"{shown_url(url)}: expected a release object, got {_kind(data)}"
        )
    assets = data.get("assets")
    digests: dict[str, str | None] = {}
    for index, item in enumerate(_objects(assets, url, "assets")):
        name = item.get("name")
        if not isinstance(name, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: asset {index}: 'name' is {_kind(name)}, not a string"
            )
        digests[name] = _field(item, "digest", (str,), url, index)
    return digests


# --- sources ------------------------------------------------------------------------------------


def repo_url(api_url: str, repo: str | None, *path: str) -> str:
    """`{api}/repos/{owner}/{name}/...`, refusing a repo that is not a plain owner/name."""
    if repo is None:
        raise PermanentUpstreamError("upstream.repo is not set (a GitHub owner/name is needed)")
    parts = repo.split("/")
    if len(parts) != 2 or any(
        not _REPO_PART.fullmatch(p) or p in (".", "..") for p in parts
    ):
        raise PermanentUpstreamError(f"{shown(repo)!r} is not a GitHub owner/name")
    return "/".join([api_url.rstrip("/"), "repos", repo, *path])


class _GithubListing(Source):
    def __init__(
        self, *, api_url: str = DEFAULT_API_URL, max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.max_pages = max_pages

    async def _pages(self, fetcher: Fetcher, url: str) -> list[FetchResult]:
        pages = Pages(start=url, max_pages=self.max_pages)
        results: list[FetchResult] = []
        next_url: str | None = url
        while next_url is not None:
            result = await fetcher.get(next_url, headers=API_HEADERS)
            results.append(result)
            next_url = pages.follow_result(result)
        return results


class GithubReleases(_GithubListing):
    """`GET {api}/repos/{repo}/releases`, every page; drafts skipped, `prerelease` honoured."""

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        url = repo_url(self.api_url, component.upstream.repo, "releases") + f"?per_page={PER_PAGE}"
        tags: list[tuple[str, bool]] = []
        published: dict[str, str] = {}
        for page in await self._pages(fetcher, url):
            for release in parse_releases(page.json(), page.url):
                if release.draft:
                    continue
                tags.append((release.tag, release.prerelease))
                if release.published is not None:
                    published.setdefault(release.tag, release.published)
        return classify_tags(component, tags, published=published)


class GithubTags(_GithubListing):
    """`GET {api}/repos/{repo}/tags`, every page. Tags carry no date and no pre-release flag."""

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        url = repo_url(self.api_url, component.upstream.repo, "tags") + f"?per_page={PER_PAGE}"
        tags: list[tuple[str, bool]] = []
        for page in await self._pages(fetcher, url):
            tags.extend((name, False) for name in parse_tags(page.json(), page.url))
        return classify_tags(component, tags)


async def asset_sha256(
    fetcher: Fetcher, *, repo: str | None, tag: str, asset: str, api_url: str = DEFAULT_API_URL
) -> str:
    """The sha256 (hex) GitHub records for the release asset named `asset` of release `tag`.

    Reads `GET {api}/repos/{repo}/releases/tags/{tag}` and the asset's `digest`. The asset name
    is only looked up, never turned into a download URL: GitHub sanitises names (`~` -> `.`).
    """
    url = repo_url(api_url, repo, "releases", "tags", quote(tag, safe=""))
    result = await read_once(fetcher, url, headers=API_HEADERS, max_bytes=RELEASE_MAX_BYTES)
    digests = parse_asset_digests(result.json(), result.url)
    if asset not in digests:
        names = ", ".join(sorted(digests)[:20]) or "none"
        raise PermanentUpstreamError(
            f"{shown_url(result.url)}: release {shown(tag)} has no asset named {shown(asset)!r} "
            f"(assets: {shown(names, 400)})"
        )
    digest = digests[asset]
    if digest is None:
        raise PermanentUpstreamError(
            f"{shown_url(result.url)}: asset {shown(asset)!r} has no digest "
            "(GitHub records digests only for assets uploaded since June 2025)",
            hint="use checksum kind 'compute' for this component",
        )
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or not SHA256_RE.fullmatch(hexdigest):
        raise PermanentUpstreamError(
            f"{shown_url(result.url)}: asset {shown(asset)!r} has digest {shown(digest)!r}, "
            "not sha256:<64 lowercase hex digits>"
        )
    return hexdigest


COMMIT_SHA_RE = re.compile(r"[0-9a-f]{40}")


async def tag_commit(
    fetcher: Fetcher, *, repo: str | None, tag: str, api_url: str = DEFAULT_API_URL
) -> str:
    """The commit SHA tag `tag` points at (annotated tags dereferenced by GitHub).

    `GET {api}/repos/{repo}/commits/{tag}` with `Accept: application/vnd.github.sha` answers the
    40-hex SHA alone, as text.
    """
    url = repo_url(api_url, repo, "commits", quote(tag, safe=""))
    result = await fetcher.get(
        url, headers={"Accept": "application/vnd.github.sha"}, max_bytes=1024
    )
    sha = result.text().strip()
    if not COMMIT_SHA_RE.fullmatch(sha):
        raise PermanentUpstreamError(
            f"{shown_url(result.url)}: expected a 40-hex commit SHA, got {shown(sha, 60)!r}"
        )
    return sha

"""Upstream changes that need attention: what upstream's own release notes ask operators to do.

For each component a release moves forward whose upstream publishes GitHub releases, every
release between the old version (exclusive) and the new one (inclusive) is read from
`GET {api}/repos/{repo}/releases` (every page), and the lines of its body that an operator must
act on are kept: the lines under a heading about breaking changes, removals, deprecations,
migrations, upgrades or security, and any other line that says so itself (breaking, removed,
renamed, deprecated, migration, incompatible, security, a CVE id). Each is quoted with a link to
its release; the notes render it as text (escaped, like every upstream string).

`fetch_attention` does the I/O (`python -m release notes --upstream-notes`); `attention_lines`
and `in_range` are pure. A component whose releases cannot be read is listed with the reason,
never dropped: the operator then reads its release notes (linked in the versions table) alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from release.errors import ReleaseError
from release.manifest.model import Component, Manifest, UpstreamKind
from release.notes.diff import ChangeKind, ComponentChange
from release.upstream.common import Pages
from release.upstream.github import API_HEADERS, DEFAULT_API_URL, PER_PAGE, repo_url
from release.upstream.interface import Fetcher
from release.versioning import sort_key

MAX_LINES = 12
FORWARD = (ChangeKind.MAJOR, ChangeKind.MINOR, ChangeKind.PATCH)
KEYWORDS = re.compile(
    r"\b(?:breaking|backwards?[- ]incompatible|incompatib\w*|removed?|removal|renamed?|"
    r"deprecat\w*|migrat\w*|security|vulnerab\w*|action required|upgrade notes?)\b|"
    r"\bCVE-\d{4}-\d{4,}\b",
    re.IGNORECASE,
)
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamRelease:
    tag: str
    url: str
    lines: tuple[str, ...]
    more: int = 0  # lines left out beyond MAX_LINES


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamAttention:
    """One component's releases in the range that need attention, or why they were not read."""

    component: str
    old: str
    new: str
    releases: tuple[UpstreamRelease, ...] = ()
    error: str | None = None


def attention_lines(body: str) -> list[str]:
    """The lines of a release body an operator must act on, as plain text (one line each)."""
    lines: list[str] = []
    in_section = False
    for raw in body.replace("\r\n", "\n").split("\n"):
        heading = HEADING.match(raw)
        if heading:
            in_section = bool(KEYWORDS.search(heading.group(1)))
            continue
        text = BULLET.sub("", raw).strip()
        if not text or text.startswith(("<!--", "```")):
            continue
        if in_section or KEYWORDS.search(text):
            lines.append(" ".join(text.split()))
    return lines


def in_range(
    component: Component, releases: Iterable[dict[str, Any]], old: str, new: str
) -> list[tuple[str, str, str]]:
    """(tag, html_url, body) of the published, non-pre-release releases with old < v <= new."""
    chosen: list[tuple[Any, str, str, str]] = []
    low, high = sort_key(old), sort_key(new)
    for release in releases:
        if release.get("draft") or release.get("prerelease"):
            continue
        tag = release.get("tag_name")
        if not isinstance(tag, str):
            continue
        version = component.versioning.version_for(tag)
        if version is None or not low < sort_key(version) <= high:
            continue
        url = release.get("html_url")
        body = release.get("body")
        chosen.append((sort_key(version), tag, url if isinstance(url, str) else "",
                       body if isinstance(body, str) else ""))
    return [(tag, url, body) for _, tag, url, body in sorted(chosen, key=lambda c: c[0])]


async def _releases(fetcher: Fetcher, api_url: str, repo: str | None) -> list[dict[str, Any]]:
    url = repo_url(api_url, repo, "releases") + f"?per_page={PER_PAGE}"
    pages = Pages(start=url)
    found: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url is not None:
        result = await fetcher.get(next_url, headers=API_HEADERS)
        data = result.json()
        if not isinstance(data, list):
            raise ReleaseError(f"{result.url}: expected a list of releases")
        found.extend(item for item in data if isinstance(item, dict))
        next_url = pages.follow_result(result)
    return found


async def fetch_attention(
    changes: Sequence[ComponentChange], manifest: Manifest, fetcher: Fetcher, *,
    api_url: str = DEFAULT_API_URL,
) -> tuple[UpstreamAttention, ...]:
    """What upstream's releases between each forward change's versions ask operators to do."""
    components = {c.name: c for c in manifest.components}
    result = []
    for change in changes:
        component = components.get(change.name)
        if (component is None or change.ci_tooling or change.kind not in FORWARD
                or change.old is None or change.new is None
                or component.upstream.kind is not UpstreamKind.GITHUB_RELEASES):
            continue
        old, new = str(change.old), str(change.new)
        try:
            raw = await _releases(fetcher, api_url, component.upstream.repo)
        except ReleaseError as exc:
            result.append(UpstreamAttention(component=change.name, old=old, new=new,
                                            error=str(exc)))
            continue
        releases = []
        for tag, url, body in in_range(component, raw, old, new):
            lines = attention_lines(body)
            if lines:
                releases.append(UpstreamRelease(tag=tag, url=url, lines=tuple(lines[:MAX_LINES]),
                                                more=max(0, len(lines) - MAX_LINES)))
        result.append(UpstreamAttention(component=change.name, old=old, new=new,
                                        releases=tuple(releases)))
    return tuple(result)

"""JSON release feeds: Node.js `dist/index.json` and PostgreSQL `versions.json`.

* Node.js: one object per release, `version` spelled `v24.19.0`, `lts` either `false` or the
  LTS codename (`"Krypton"`), `date` `YYYY-MM-DD` (absent on very old entries). Whether a line
  is LTS is read from `lts`, never guessed from major parity (Node's schedule is changing).
* PostgreSQL: one object per major, `major` a string (`"17"`, and `"9.6"` for the old two-part
  majors), `latestMinor` a string compared as a number, `supported` a boolean. Only majors of
  10 and up are listed (`f"{major}.{latestMinor}"`): before 10 the major itself had two parts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from release.manifest.model import Component
from release.upstream.common import shown, shown_url
from release.upstream.errors import PermanentUpstreamError
from release.upstream.interface import Fetcher, Listing, Source, classify_tags
from release.versioning import Version

FEED_MAX_BYTES = 16 * 1024 * 1024
_OLD_MAJOR = re.compile(r"\d+\.\d+")
_NUMBER = re.compile(r"\d+")


def _objects(data: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise PermanentUpstreamError(f"{shown_url(url)}: expected a JSON list of releases")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise PermanentUpstreamError(f"{shown_url(url)}: item {index} is not an object")
    return data


def _feed_url(component: Component) -> str:
    if not component.upstream.url:
        raise PermanentUpstreamError("upstream.url is not set (the feed's URL is needed)")
    return component.upstream.url


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeEntry:
    version: str  # as Node spells it: v24.19.0
    lts: bool
    codename: str | None
    date: str | None


def parse_node_index(data: Any, url: str) -> list[NodeEntry]:
    """Validate `dist/index.json`."""
    entries: list[NodeEntry] = []
    for index, item in enumerate(_objects(data, url)):
        version, lts, date = item.get("version"), item.get("lts"), item.get("date")
        if not isinstance(version, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index}: 'version' is not a string"
            )
        if not isinstance(lts, bool | str | None):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index} ({shown(version)}): 'lts' is neither false "
                "nor a codename"
            )
        if date is not None and not isinstance(date, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index} ({shown(version)}): 'date' is not a string"
            )
        codename = lts if isinstance(lts, str) and lts else None
        entries.append(
            NodeEntry(version=version, lts=bool(lts), codename=codename, date=date)
        )
    return entries


class NodeDist(Source):
    """Node.js releases from `component.upstream.url` (https://nodejs.org/dist/index.json).

    The feed's `version` is the tag (`v24.19.0`), so the component's tag template is `v{version}`.
    Each release's `lts` is set from the feed.
    """

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        result = await fetcher.get(_feed_url(component), max_bytes=FEED_MAX_BYTES)
        entries = parse_node_index(result.json(), result.url)
        lts = {e.version: e.lts for e in entries}
        published = {e.version: e.date for e in entries if e.date is not None}
        tags = [(e.version, False) for e in entries]
        listing = classify_tags(component, tags, published=published)
        releases = tuple(dataclasses.replace(r, lts=lts[r.tag]) for r in listing.releases)
        return dataclasses.replace(listing, releases=releases)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PostgresMajor:
    major: str
    latest_minor: str
    supported: bool
    released: str | None  # relDate: when latest_minor came out
    eol: str | None


def _string_or_number(item: dict[str, Any], key: str, url: str, index: int) -> str:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PermanentUpstreamError(f"{shown_url(url)}: item {index}: {key!r} is not a string")
    return value


def parse_postgres_versions(data: Any, url: str) -> list[PostgresMajor]:
    """Validate `versions.json`."""
    majors: list[PostgresMajor] = []
    for index, item in enumerate(_objects(data, url)):
        supported = item.get("supported", False)
        if not isinstance(supported, bool):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: item {index}: 'supported' is not a boolean"
            )
        released, eol = item.get("relDate"), item.get("eolDate")
        majors.append(
            PostgresMajor(
                major=_string_or_number(item, "major", url, index),
                latest_minor=_string_or_number(item, "latestMinor", url, index),
                supported=supported,
                released=released if isinstance(released, str) else None,
                eol=eol if isinstance(eol, str) else None,
            )
        )
    return majors


def postgres_version(entry: PostgresMajor) -> str | None:
    """`17.11` for major 17 with latest minor 11; None for the pre-10 two-part majors (`9.6`).

    Anything else is passed on as is so the versioning check can ignore or reject it.
    """
    if _OLD_MAJOR.fullmatch(entry.major):
        return None
    if _NUMBER.fullmatch(entry.major) and int(entry.major) < 10:
        return None
    return f"{entry.major}.{entry.latest_minor}"


class PostgresVersions(Source):
    """The newest minor of each PostgreSQL major, from `component.upstream.url` (versions.json).

    Majors the feed marks `supported: false` (end of life) are left out unless
    `include_unsupported`: a pin should never move onto an unsupported major.
    """

    def __init__(self, *, include_unsupported: bool = False) -> None:
        self.include_unsupported = include_unsupported

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        result = await fetcher.get(_feed_url(component), max_bytes=FEED_MAX_BYTES)
        tags: list[tuple[str, bool]] = []
        published: dict[str, str] = {}
        for entry in parse_postgres_versions(result.json(), result.url):
            version = postgres_version(entry)
            if version is None or not (entry.supported or self.include_unsupported):
                continue
            tag = component.versioning.tag_for(Version(version))
            tags.append((tag, False))
            if entry.released is not None:
                published[tag] = entry.released
        return classify_tags(component, tags, published=published)

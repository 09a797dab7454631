"""The downloads a Dockerfile makes, and whether a component's archive claims each one.

A download is a URL given to `curl` or `wget` in a `RUN` command, or the source of an `ADD`.
URLs merely mentioned (a `sed` that rewrites apt's sources, a `HEALTHCHECK` probe) are not
downloads. `${NAME}` and `$NAME` in a URL stand for the file's `ARG`/`ENV` values (the pinned ones
where versions.yaml pins them); a name set
only in shell (`SQUID_TAG_NAME=...` inside the `RUN`) matches any one path segment.

A download is claimed when the URL it fetches, with those values, is the rendered
`archive.url` of a component: so every byte a build fetches has a version and a checksum in
`versions.yaml` (apt's packages come from the pinned snapshot, see `debian-snapshot`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from release.pins.dockerfile import Keyword, logical_instructions, scan_dockerfile

_URL = re.compile(r"""(?:https?|ftp)://[^\s"'`\\|;&()<>]+""")
_FETCHERS = frozenset({"curl", "wget"})
_SEPARATORS = re.compile(r"&&|\|\||[;|\n]")
_VARIABLE = re.compile(
    r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """One URL a Dockerfile fetches: as written, and as a pattern over the file's values."""

    line: int
    url: str
    pattern: re.Pattern[str]

    def claimed_by(self, urls: Iterable[str]) -> bool:
        return any(self.pattern.fullmatch(url) for url in urls)


def downloads(
    text: str, *, file: str = "Dockerfile", pinned: Mapping[str, str] | None = None,
) -> list[Download]:
    """Every download of a Dockerfile, in file order.

    `pinned` are the values `versions.yaml` gives the file's ARG/ENV pins: they stand for those
    names instead of what the file says, so a drifted pin is reported once (as drift), not
    also as a download nobody claims.
    """
    values = {**_values(text, file), **(pinned or {})}
    found: list[Download] = []
    for line, keyword, body in logical_instructions(text, file=file):
        command = body[len(keyword):]
        if keyword == "RUN":
            urls = [u for segment in _SEPARATORS.split(command) if _fetches(segment)
                    for u in _URL.findall(segment)]
        elif keyword == "ADD":
            urls = _URL.findall(command)
        else:
            continue
        found.extend(Download(line=line, url=url, pattern=_pattern(url, values)) for url in urls)
    return found


def _fetches(segment: str) -> bool:
    """Whether a shell command runs curl or wget (after any `NAME=value` assignments)."""
    try:
        words = shlex.split(segment)
    except ValueError:  # an unbalanced quote (the segment was cut inside `$(...)`)
        words = segment.split()
    while words and _ASSIGNMENT.fullmatch(words[0]):
        words.pop(0)
    return bool(words) and words[0].rsplit("/", 1)[-1] in _FETCHERS


def _values(text: str, file: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for ins in scan_dockerfile(text, file=file):
        if ins.keyword in (Keyword.ARG, Keyword.ENV) and ins.value is not None:
            values.setdefault(ins.name, ins.value)
    return values


def _pattern(url: str, values: Mapping[str, str]) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for m in _VARIABLE.finditer(url):
        parts.append(re.escape(url[position:m.start()]))
        name = m.group("braced") or m.group("bare")
        parts.append(re.escape(values[name]) if name in values else "[^/]+")
        position = m.end()
    parts.append(re.escape(url[position:]))
    return re.compile("".join(parts))

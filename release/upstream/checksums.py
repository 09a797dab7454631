"""The sha256 of a component's source archive, for a given version, from wherever upstream keeps it.

One function per `ChecksumKind`, behind `archive_sha256`:

* `file`: a sums file at `checksum.url`. `sha256sum` lines (`<hex>  <name>`, `<hex> *<name>`),
  BSD lines (`SHA256 (<name>) = <hex>`), a bare hash, or a list of many files (Node's
  `SHASUMS256.txt`): the line naming the archive's file name (the basename of `archive.url`) is
  used. A one-line file naming a *different* file is refused: Asterisk's
  `asterisk-22-current.sha256` names the versioned tarball, not the `-current` one.
* `hashes-readme`: redis-hashes style lines `hash <file> sha256 <hex> <url>` (unsorted; sha1
  lines are older releases and are ignored).
* `asset-digest`: the GitHub release asset's `digest` (`checksum.asset` names the asset).
* `compute`: upstream publishes nothing; the archive is downloaded (size-capped) and hashed.

Whatever the kind, the result is checked to be 64 lowercase hex digits before it is returned.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from release.manifest.model import ChecksumKind, Component
from release.template import fill_template
from release.upstream.common import header, read_once, shown, shown_url
from release.upstream.errors import PermanentUpstreamError
from release.upstream.github import DEFAULT_API_URL, asset_sha256
from release.upstream.interface import Fetcher, FetchResult
from release.versioning import SHA256_RE, UnsafeValueError, Version, check_safe_value

SUMS_MAX_BYTES = 4 * 1024 * 1024
_SUM_LINE = re.compile(r"(?P<hex>[0-9A-Fa-f]{16,})(?:[ \t]+\*?(?P<name>\S.*?))?")
_BSD_LINE = re.compile(r"(?P<algo>[A-Z0-9-]+) \((?P<name>.+)\) = (?P<hex>[0-9A-Fa-f]{16,})")
_README_LINE = re.compile(
    r"hash\s+(?P<name>\S+)\s+(?P<algo>[a-z0-9]+)\s+(?P<hex>[0-9A-Fa-f]+)(?:\s+(?P<url>\S+))?"
)
_ALGORITHMS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 96: "SHA-384", 128: "SHA-512"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SumLine:
    """One hash of a sums file; `name` is None in a file holding nothing but the hash."""

    hexdigest: str
    name: str | None
    line: int


def fill(template: str, version: str, tag: str) -> str:
    return fill_template(template, version=version, tag=tag)


def file_name(url: str) -> str:
    """The file name a URL downloads: the percent-decoded last segment of its path."""
    return unquote(posixpath.basename(urlsplit(url).path))


def checked_sha256(value: str, where: str) -> str:
    """`value` lowercased if it is a sha256 (64 hex digits), else a permanent error naming it."""
    lowered = value.strip().lower()
    if SHA256_RE.fullmatch(lowered):
        return lowered
    algorithm = _ALGORITHMS.get(len(lowered)) if re.fullmatch(r"[0-9a-f]+", lowered) else None
    guess = f" (looks like {algorithm})" if algorithm else ""
    raise PermanentUpstreamError(
        f"{where}: {shown(value, 140)!r} is not a sha256 (64 hex digits){guess}"
    )


def parse_sums_file(text: str) -> list[SumLine]:
    """The hashes of a sums file; lines that are not hash lines (PGP armour, blanks) are skipped."""
    entries: list[SumLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        bsd = _BSD_LINE.fullmatch(line)
        if bsd is not None:
            entries.append(SumLine(hexdigest=bsd.group("hex"), name=bsd.group("name"), line=number))
            continue
        match = _SUM_LINE.fullmatch(line)
        if match is not None:
            name = match.group("name")
            entries.append(SumLine(hexdigest=match.group("hex"), name=name, line=number))
    return entries


def _names(name: str | None, target: str) -> bool:
    if name is None:
        return False
    return name == target or posixpath.basename(name.removeprefix("./")) == target


def pick_sha256(entries: list[SumLine], target: str, url: str) -> str:
    """The sha256 that the sums file at `url` gives for the file named `target`."""
    where = shown_url(url)
    if not entries:
        raise PermanentUpstreamError(f"{where}: not a checksum file (no hash lines)")
    named = [e for e in entries if _names(e.name, target)]
    if named:
        hashes = {e.hexdigest.lower() for e in named}
        if len(hashes) > 1:
            raise PermanentUpstreamError(f"{where}: lists {shown(target)} with different hashes")
        return checked_sha256(named[0].hexdigest, f"{where}:{named[0].line}")
    if len(entries) == 1:
        only = entries[0]
        if only.name is None:
            return checked_sha256(only.hexdigest, f"{where}:{only.line}")
        raise PermanentUpstreamError(
            f"{where}: the checksum is for {shown(only.name)!r}, not for {shown(target)!r}",
            hint="point archive.url and checksum.url at the same, versioned file "
            "(a '-current' sums file names the versioned tarball)",
        )
    raise PermanentUpstreamError(
        f"{where}: lists {len(entries)} files, none of them {shown(target)!r}"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadmeHash:
    name: str
    algorithm: str
    hexdigest: str
    line: int


def parse_hashes_readme(text: str) -> list[ReadmeHash]:
    """The `hash <file> <algorithm> <hex> <url>` lines of a redis-hashes style README."""
    hashes: list[ReadmeHash] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _README_LINE.fullmatch(raw.strip())
        if match is not None:
            hashes.append(
                ReadmeHash(
                    name=match.group("name"), algorithm=match.group("algo"),
                    hexdigest=match.group("hex"), line=number,
                )
            )
    return hashes


def pick_readme_sha256(hashes: list[ReadmeHash], target: str, url: str) -> str:
    """The sha256 line for `target` (lines are in publish order, not sorted; sha1 ignored)."""
    where = shown_url(url)
    found = [h for h in hashes if h.name == target and h.algorithm == "sha256"]
    if not found:
        raise PermanentUpstreamError(
            f"{where}: no sha256 line for {shown(target)!r} (the README may not list it yet)"
        )
    if len({h.hexdigest.lower() for h in found}) > 1:
        raise PermanentUpstreamError(f"{where}: lists {shown(target)!r} with different hashes")
    return checked_sha256(found[0].hexdigest, f"{where}:{found[0].line}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """A sha256 re-derived from upstream, with how: `how` is one of `sums file`,
    `hashes README`, `GitHub asset digest`, `computed`; `source` is the URL it was read from
    (the sums file, the release, or the archive that was downloaded and hashed)."""

    hexdigest: str
    how: str
    source: str
    body: bytes | None = None  # the sums file's bytes (a signature of it is checked on these)


async def archive_sha256(
    component: Component,
    version: Version,
    fetcher: Fetcher,
    *,
    max_bytes: int,
    github_api_url: str = DEFAULT_API_URL,
    revalidate: bool = False,
) -> str:
    """The sha256 (64 lowercase hex digits) of `component`'s archive at `version`.

    `max_bytes` caps the download when the archive itself has to be hashed (`compute`);
    `github_api_url` is where `asset-digest` reads release assets; `revalidate` lets a
    `compute` reuse the digest of an unchanged download (`Fetcher.sha256_of`).
    """
    derived = await derive_sha256(component, version, fetcher, max_bytes=max_bytes,
                                  github_api_url=github_api_url, revalidate=revalidate)
    return derived.hexdigest


async def derive_sha256(
    component: Component,
    version: Version,
    fetcher: Fetcher,
    *,
    max_bytes: int,
    github_api_url: str = DEFAULT_API_URL,
    revalidate: bool = False,
) -> Derived:
    """`archive_sha256`, saying how the value was obtained and from where (`verify --online`
    leaves `revalidate` off: its `computed` is always a full download)."""
    archive = component.archive
    if archive is None:
        raise PermanentUpstreamError(f"component {component.name!r} has no archive")
    try:
        check_safe_value(version, what="version")
    except UnsafeValueError as exc:
        raise PermanentUpstreamError(f"component {component.name!r}: {exc}") from None
    tag = component.versioning.tag_for(version)
    archive_url = fill(archive.url, version, tag)
    checksum = archive.checksum
    match checksum.kind:
        case ChecksumKind.FILE:
            url = fill(_required(checksum.url, "checksum.url", component), version, tag)
            result = await read_once(fetcher, url, max_bytes=SUMS_MAX_BYTES)
            text = sums_text(result)
            hexdigest = pick_sha256(parse_sums_file(text), file_name(archive_url), result.url)
            return Derived(hexdigest=hexdigest, how="sums file", source=url, body=result.body)
        case ChecksumKind.HASHES_README:
            url = fill(_required(checksum.url, "checksum.url", component), version, tag)
            result = await fetcher.get(url, max_bytes=SUMS_MAX_BYTES)
            hexdigest = pick_readme_sha256(
                parse_hashes_readme(sums_text(result)), file_name(archive_url), result.url
            )
            return Derived(hexdigest=hexdigest, how="hashes README", source=url, body=result.body)
        case ChecksumKind.ASSET_DIGEST:
            asset = fill(_required(checksum.asset, "checksum.asset", component), version, tag)
            hexdigest = await asset_sha256(
                fetcher, repo=component.upstream.repo, tag=tag, asset=asset,
                api_url=github_api_url,
            )
            return Derived(
                hexdigest=checked_sha256(hexdigest, f"GitHub asset {asset}"),
                how="GitHub asset digest", source=f"{github_api_url}/repos/"
                f"{component.upstream.repo}/releases/tags/{tag} (asset {asset})",
            )
        case ChecksumKind.COMPUTE:
            hexdigest = await fetcher.sha256_of(archive_url, max_bytes=max_bytes,
                                                revalidate=revalidate)
            return Derived(hexdigest=checked_sha256(hexdigest, shown_url(archive_url)),
                           how="computed", source=archive_url)


def sums_text(result: FetchResult) -> str:
    """The text of a sums file; an HTML page (an error page, a login wall) is refused even when
    a 64-hex string happens to be in it."""
    ctype = (header(result, "content-type") or "").split(";")[0].strip().lower()
    head = result.body[:512].lstrip().lower()
    if ctype in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype", b"<html")):
        raise PermanentUpstreamError(
            f"{shown_url(result.url)}: is an HTML page ({ctype or 'no content type'}), "
            "not a checksum file"
        )
    return result.text()


def _required(value: str | None, key: str, component: Component) -> str:
    if value is None:
        raise PermanentUpstreamError(f"component {component.name!r}: archive.{key} is not set")
    return value

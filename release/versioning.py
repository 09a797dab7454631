"""Versions, tags and the mapping between them.

A component's *version* is what we pin (`17.11`); its *tag* is how upstream spells it
(`REL_17_11`). The mapping is a template with one `{version}` field plus the separator upstream
uses in place of the version's dots. Every value that can reach a file goes through
`check_safe_value` first, so nothing from a manifest or an upstream can inject text into a
Dockerfile or a YAML file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from release.template import fill_template

Version = NewType("Version", str)
Tag = NewType("Tag", str)
Digest = NewType("Digest", str)

MAX_VALUE_LENGTH = 128
_SAFE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~-]*")
_SAFE_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~/-]*")
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
# An image tag, as the OCI distribution spec (and Docker) allow it.
IMAGE_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# One `/`-separated part of an image repository path (`library`, `debian`).
IMAGE_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
SHA256_RE = re.compile(r"[0-9a-f]{64}")
# A GitHub repository named `owner/name` (versions.yaml's `upstream.repo`, `bom diff --repo`).
# GitHub's own rules: an owner is 1-39 letters, digits and hyphens, not starting with a hyphen;
# a name is 1-100 letters, digits, '.', '-' and '_', and never '.' or '..' (which a URL would
# resolve as a path: `../x` must not reach `/repos/../x/...`).
GITHUB_REPOSITORY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?\Z)[A-Za-z0-9_.-]{1,100}")
# The OIDC issuer of GitHub Actions' keyless certificates (cosign verify --certificate-oidc-issuer).
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"


class UnsafeValueError(ValueError):
    """A value that must not be written into a file."""


def check_safe_value(value: str, *, what: str = "value") -> str:
    """Return `value` if it is safe to write into a Dockerfile or YAML scalar, else raise.

    Safe means: 1 to 128 characters from `A-Z a-z 0-9 . _ + ~ -`, starting with a letter or
    digit. That excludes newlines, quotes, `$`, spaces, `;`, `/`, `#`, `@` and `:`.
    """
    if not value:
        raise UnsafeValueError(f"{what} is empty")
    if len(value) > MAX_VALUE_LENGTH:
        raise UnsafeValueError(
            f"{what} is {len(value)} characters long (at most {MAX_VALUE_LENGTH})"
        )
    if not _SAFE_VALUE.fullmatch(value):
        bad = sorted({c for c in value if not re.fullmatch(r"[A-Za-z0-9._+~-]", c)})
        shown = ", ".join(repr(c) for c in bad) if bad else "its first character"
        raise UnsafeValueError(
            f"{what} {value!r} contains characters that are not allowed ({shown}); "
            "allowed are letters, digits and . _ + ~ -"
        )
    return value


def check_safe_tag(tag: str) -> str:
    """Like `check_safe_value`, but a tag may also contain `/` (`docker/4.17.0-r0`)."""
    if not tag or len(tag) > MAX_VALUE_LENGTH or not _SAFE_TAG.fullmatch(tag):
        raise UnsafeValueError(f"tag {tag[:80]!r} is not a well-formed tag name")
    return tag


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> Pep440Version:
    """The ordering of versions: PEP 440 (every pinned version is validated to parse).

    Cached: a run compares tens of thousands of upstream versions, and parsing dominates.
    """
    return Pep440Version(version)


def parses(version: str) -> bool:
    try:
        sort_key(version)
    except InvalidVersion:
        return False
    return True


class BumpKind(StrEnum):
    """How a pin moves: the one vocabulary of check, refresh, the release notes and checklists.

    `bump_kind` classifies two versions (major, minor, patch, rebuild, downgrade, none);
    `move_kind` adds what only the caller knows:

    - `DIGEST`: the same version under a new image index digest (docker-library rebuilds a tag
      for OS security fixes), taken by refresh as its own kind, as Renovate does for digest pins;
    - `REBUILD`: a date-numbered version moving forward (Debian's `trixie-20260803` ->
      `trixie-20261117`): a rebuild of one release, not a major;
    - `SECURITY`: the new version fixes a published advisory of the old one;
    - `NEW_LINE`: the tag template changed (`trixie-{version}` -> `forky-{version}`): another
      release line of the same software.
    """

    DIGEST = "digest"
    REBUILD = "rebuild"
    SECURITY = "security"
    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    NEW_LINE = "new line"
    DOWNGRADE = "downgrade"
    NONE = "none"


_DATE_NUMBER = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def is_date_number(version: str) -> bool:
    """A version that is a date, YYYYMMDD (Debian's image rebuilds)."""
    return _DATE_NUMBER.fullmatch(version) is not None


def bump_kind(old: Version, new: Version) -> BumpKind:
    """Classify the move from `old` to `new` by the first release segment that differs.

    Two date-numbered versions (`20260803` -> `20261117`) are a `REBUILD`.
    """
    a, b = Pep440Version(old), Pep440Version(new)
    if a == b:
        return BumpKind.NONE
    if b < a:
        return BumpKind.DOWNGRADE
    if is_date_number(old) and is_date_number(new):
        return BumpKind.REBUILD
    ra, rb = a.release, b.release
    if ra[:1] != rb[:1]:
        return BumpKind.MAJOR
    if ra[1:2] != rb[1:2]:
        return BumpKind.MINOR
    return BumpKind.PATCH


def move_kind(
    old: Version, new: Version, *, new_line: bool = False, digest_changed: bool = False,
    security: bool = False,
) -> BumpKind:
    """The kind of a pin's move, with what the caller knows besides the two versions.

    `new_line`: the tag template changed; `digest_changed`: the image index digest changed;
    `security`: `new` fixes an advisory of `old`. A new line wins; a major and a downgrade stay
    what they are even when they fix an advisory (they select the checklist's upgrade and
    rollback steps); a security fix names a minor, patch or rebuild; an unchanged version with
    a new digest is `DIGEST`.
    """
    kind = bump_kind(old, new)
    if new_line:
        return BumpKind.NEW_LINE
    if kind is BumpKind.NONE:
        return BumpKind.DIGEST if digest_changed else BumpKind.NONE
    if security and kind in (BumpKind.MINOR, BumpKind.PATCH, BumpKind.REBUILD):
        return BumpKind.SECURITY
    return kind


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    # `re.compile`'s own cache is a dict lookup plus flag checks per call: per tag, it showed.
    return re.compile(pattern)


@functools.lru_cache(maxsize=1024)
def _tag_re(tag: str, pattern: str, separator: str) -> re.Pattern[str]:
    # Sources classify thousands of tags per run: build each component's regex once.
    before, _, after = tag.partition("{version}")
    inner = pattern if separator == "." else pattern.replace(r"\.", re.escape(separator))
    return re.compile(f"{re.escape(before)}(?P<v>{inner}){re.escape(after)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Versioning:
    """How a component's versions look and how they map to upstream tags.

    `tag` is a template such as `REL_{version}`; `separator` replaces the version's dots in the
    tag (`_` for `REL_17_11`); `pattern` is a regular expression a version must match in full.
    """

    tag: str = "{version}"
    pattern: str = r"\d+\.\d+\.\d+"
    separator: str = "."

    def version_re(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    def tag_re(self) -> re.Pattern[str]:
        """A regex that matches a tag in full and captures the version part as `v`."""
        return _tag_re(self.tag, self.pattern, self.separator)

    def is_version(self, value: str) -> bool:
        return self.version_re().fullmatch(value) is not None and parses(value)

    def tag_for(self, version: Version) -> Tag:
        spelled = version if self.separator == "." else version.replace(".", self.separator)
        return Tag(fill_template(self.tag, version=spelled))

    def version_for(self, tag: str) -> Version | None:
        """The version a tag stands for, or None when the tag is not one of this component's."""
        m = self.tag_re().fullmatch(tag)
        if m is None:
            return None
        raw = m.group("v")
        value = raw if self.separator == "." else raw.replace(self.separator, ".")
        if not self.is_version(value):
            return None
        try:
            check_safe_value(value)
        except UnsafeValueError:
            return None
        return Version(value)

"""GitHub Actions pins: every `uses: owner/repo@<sha> # vX.Y.Z` of one action in a workflow.

A workflow usually checks out the repository in several jobs, so this kind selects every use
of `pin.action` in the file (at least one; all are rewritten together and must all agree).
The value is the commit SHA and the version comment as written: `<40 hex> # v4.2.2`.
"""

from __future__ import annotations

import re

from release.errors import PinError
from release.manifest.model import Pin
from release.pins.interface import Site, require
from release.versioning import UnsafeValueError, check_safe_value
from release.yamlspans import Located

_USES_RE = re.compile(
    r"""^[ \t]*(?:-[ \t]+)?uses:[ \t]*(?P<q>['"]?)(?P<action>[^@\s'"#]+)@(?P<ref>[^\s'"#]+)(?P=q)"""
    r"""(?P<comment>[ \t]+\#[ \t]*(?P<version>[^\s#]+))?[ \t]*\r?$""",
    re.MULTILINE,
)
_SHA_RE = re.compile(r"[0-9a-f]{40}")


def action_uses(text: str) -> list[tuple[int, str, str, str | None]]:
    """Every `uses:` line: (1-based line, action, ref, version comment or None)."""
    found = []
    for m in _USES_RE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        found.append((line, m["action"], m["ref"], m["version"]))
    return found


def action_sites(text: str, pin: Pin) -> list[Site]:
    """The sites of a `github-action` pin: every use of the action, in file order."""
    action = require(pin.action, "action", file=pin.file, kind=pin.kind.value)
    sites = []
    for m in _USES_RE.finditer(text):
        if m["action"].lower() != action.lower():
            continue
        line = text.count("\n", 0, m.start()) + 1
        if m["q"]:
            raise PinError(
                f"{pin.file}:{line}: quoted 'uses:' value; write it unquoted so the SHA and its "
                "version comment can be kept in step"
            )
        start = m.start("ref")
        end = m.end("version") if m["version"] is not None else m.end("ref")
        located = Located(line=line, start=start, end=end, value=text[start:end])
        sites.append(Site(located=located, edit_start=start, edit_end=end))
    if not sites:
        raise PinError(f"{pin.file}: no 'uses: {action}@...' line")
    return sites


def check_action_value(value: str) -> str:
    """`<40 hex>` or `<40 hex> # <version>`; nothing else is ever written after `@`."""
    sha, sep, version = value.partition(" # ")
    if not _SHA_RE.fullmatch(sha):
        raise UnsafeValueError(f"action ref {sha[:60]!r} is not a full 40-hex commit SHA")
    if sep:
        check_safe_value(version, what="action version comment")
    return value

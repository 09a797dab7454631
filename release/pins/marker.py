"""Marker pins: the one line that carries a marker text, such as `# delphi-pin: node`.

For files no other kind understands (shell scripts, Makefiles, docs). The value is the single
version-like token on the marked line outside the marker text (`MARKER_TOKEN_RE`); a line
with none or several is refused rather than guessed at.
"""

from __future__ import annotations

import re

from release.errors import PinError
from release.manifest.model import Pin
from release.pins.interface import (
    MARKER_TOKEN_RE,
    Site,
    ambiguous,
    require,
)
from release.yamlspans import Located


def _marker_re(marker: str) -> re.Pattern[str]:
    """The marker as a pattern; one ending in a name character must end there too.

    So `# delphi-pin: node` does not also mark the line of `# delphi-pin: node-app`.
    """
    tail = r"(?![A-Za-z0-9_.-])" if re.match(r"[A-Za-z0-9_.-]", marker[-1]) else ""
    return re.compile(re.escape(marker) + tail)


def marker_site(text: str, pin: Pin) -> Site:
    """The site of a `marker` pin."""
    marker = require(pin.marker, "marker", file=pin.file, kind=pin.kind.value)
    pattern = _marker_re(marker)
    hits: list[tuple[int, int, str]] = []  # line number, offset of the line, its text
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.removesuffix("\r")
        if pattern.search(content):
            hits.append((number, offset, content))
        offset += len(raw) + 1
    what = f"the marker {marker!r}"
    if not hits:
        raise PinError(f"{pin.file}: no line contains {what}")
    if len(hits) > 1:
        raise ambiguous(
            pin.file, what, [h[0] for h in hits], "a marker must mark exactly one line"
        )
    number, line_start, content = hits[0]
    # Tokens are searched in the pieces around the marker, so the marker text never holds one
    # and its edges count as boundaries.
    tokens: list[tuple[int, int]] = []
    previous = 0
    for m in [*pattern.finditer(content), None]:
        piece_end = m.start() if m is not None else len(content)
        piece = content[previous:piece_end]
        tokens.extend((previous + t.start(), previous + t.end()) for t in
                      MARKER_TOKEN_RE.finditer(piece))
        if m is not None:
            previous = m.end()
    if len(tokens) != 1:
        found = ", ".join(repr(content[s:e]) for s, e in tokens)
        count = (
            f"{len(tokens)} version-like tokens ({found})" if tokens else "no version-like token"
        )
        raise PinError(
            f"{pin.file}:{number}: the line marked with {marker!r} holds {count}; "
            "it must hold exactly one"
        )
    start, end = (line_start + tokens[0][0], line_start + tokens[0][1])
    located = Located(line=number, start=start, end=end, value=text[start:end])
    return Site(located=located, edit_start=start, edit_end=end)

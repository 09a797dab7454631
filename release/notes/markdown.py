"""GitHub Markdown output: escaping, and the Jinja2 environment every page is rendered with.

Everything a template prints is escaped unless it is `Trusted`: the environment's `finalize`
hook runs `inline` on every plain string, so text from commits, upstreams or a bill of materials
can neither break the Markdown structure (headings, lists, tables, links, emphasis, code) nor
inject HTML, whatever template prints it. Only this repository's own prose (the checklist files)
and the markup built by the filters below are trusted.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

# ASCII punctuation that starts or ends an inline construct anywhere in a line: backslash,
# code, emphasis, links/images/footnotes, table cells, strikethrough, GitHub's $math$. An `_`
# inside a word (`topos_redis`) is the exception: it cannot delimit emphasis (see `_intraword`).
_ESCAPED = frozenset("\\`*_[]|~$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Constructs that only count at the start of a line (the text may start a list item's content):
# ATX headings, bullet and ordered list markers (each needs a space or the end after it), and a
# line of only `-`/`=` (a setext underline or thematic break).
_HEADING = re.compile(r"^(#{1,6})(?=\s|$)")
_BULLET = re.compile(r"^([+-])(?=\s|$)")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_RULE = re.compile(r"[-=][-= ]*")
# A GitHub @mention (user or team) notifies people; a zero-width space after "@" keeps the
# text as written without the mention (the same trick Renovate uses in its PR bodies).
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_CODE_SAFE = re.compile(r"[A-Za-z0-9._:/@+~=,<>-]+")
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"


def _intraword(line: str, index: int) -> bool:
    """Whether the `_` at `index` is inside a run of `_` between two ASCII letters or digits.

    Such a run is both left- and right-flanking and preceded and followed by an alphanumeric,
    so by CommonMark's emphasis rules (which GitHub's cmark-gfm follows) it can neither open nor
    close emphasis: `topos_redis` renders as written without the backslash. Every other `_`
    (at either end of the text, or next to a space or punctuation) is escaped.
    """
    start = end = index
    while start > 0 and line[start - 1] == "_":
        start -= 1
    while end < len(line) - 1 and line[end + 1] == "_":
        end += 1
    return (
        start > 0 and end < len(line) - 1
        and _ALNUM.fullmatch(line[start - 1]) is not None
        and _ALNUM.fullmatch(line[end + 1]) is not None
    )


class Trusted(str):
    """Markdown that is printed as is (this repository's prose, or markup built here)."""

    __slots__ = ()


def inline(text: object) -> str:
    """`text` as one line of literal Markdown text: renders exactly as the characters given.

    Control and format characters (newlines, tabs, zero-width and bidi controls) become spaces
    and runs of whitespace collapse, so the text cannot start a new block.
    """
    if isinstance(text, Trusted):
        return str(text)
    raw = "".join(c if c.isprintable() else " " for c in str(text))
    line = " ".join(raw.split())
    out: list[str] = []
    for index, ch in enumerate(line):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch == "_" and _intraword(line, index):
            out.append(ch)
        elif ch in _ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    if _RULE.fullmatch(escaped):
        escaped = "\\" + escaped
    escaped = _HEADING.sub(r"\\\1", escaped)
    escaped = _BULLET.sub(r"\\\1", escaped)
    escaped = _ORDERED.sub(r"\1\\\2", escaped)
    return _MENTION.sub("@&#8203;", escaped)


def safe_url(url: str) -> str | None:
    """`url` percent-encoded for a Markdown link destination, or None unless it is http(s)."""
    if any(not c.isprintable() or c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    encoded = quote(url, safe=_URL_SAFE)
    return encoded.replace("(", "%28").replace(")", "%29")


def link(text: object, url: str | None) -> Trusted:
    """A Markdown link; only the text when the URL is missing or not http(s)."""
    label = inline(text)
    target = safe_url(url) if url else None
    return Trusted(f"[{label}]({target})" if target else label)


def code(value: object) -> Trusted:
    """A code span for identifier-like values (versions, digests, paths); else escaped text."""
    text = str(value)
    if _CODE_SAFE.fullmatch(text):
        return Trusted(f"`{text}`")
    return Trusted(inline(text))


def indent(text: object, width: int = 2) -> Trusted:
    """Trusted multi-line Markdown with every line after the first indented by `width`."""
    pad = " " * width
    lines = str(text).rstrip("\n").split("\n")
    return Trusted("\n".join([lines[0], *(pad + line if line else "" for line in lines[1:])]))


def trusted(text: object) -> Trusted:
    return Trusted(str(text))


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Trusted):
        return value
    if isinstance(value, str):
        return inline(value)
    if isinstance(value, int | float):
        return value
    return inline(str(value))


_BLANK_RUNS = re.compile(r"\n{3,}")


def environment() -> jinja2.Environment:
    """Templates of `release/notes/templates`, escaping every printed value by default."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("release.notes", "templates"),
        autoescape=False,  # noqa: S701 - Markdown, not HTML: `finalize` escapes every value
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(
        {"link": link, "code": code, "indent_md": indent, "trusted": trusted, "md": inline}
    )
    return env


def tidy(markdown: str) -> str:
    """Collapse runs of blank lines and end with exactly one newline (stable, diff-friendly)."""
    lines = [line.rstrip() for line in markdown.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def render(template: str, **context: Any) -> str:
    return tidy(environment().get_template(template).render(**context))

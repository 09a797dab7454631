"""Escaping of text from commits and upstreams: exact output, and what a Markdown parser sees."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from release.notes.markdown import Trusted, code, indent, inline, link, safe_url, tidy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", "plain words"),
        ("2026.11.0 and 17.11", "2026.11.0 and 17.11"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("a | b", "a \\| b"),
        ("~~gone~~ $x$", "\\~\\~gone\\~\\~ \\$x\\$"),
        ("# heading", "\\# heading"),
        ("#68 is an issue", "#68 is an issue"),
        ("- item", "\\- item"),
        ("-flag", "-flag"),
        ("1. first", "1\\. first"),
        ("12) twelve", "12\\) twelve"),
        ("---", "\\---"),
        ("= =", "\\= ="),
        ("ping @everyone and @org/team", "ping @&#8203;everyone and @&#8203;org/team"),
        ("mail a@b.example", "mail a@&#8203;b.example"),
        ("two\nlines\r\n\tand tab", "two lines and tab"),
        ("bidi \u202e override \u200b zero-width", "bidi override zero-width"),
        ("a & b &amp; c", "a &amp; b &amp;amp; c"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_inline(text: str, expected: str) -> None:
    assert inline(text) == expected


def test_trusted_passes_through() -> None:
    assert inline(Trusted("**kept**")) == "**kept**"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.postgresql.org/docs/release/17.12/", "https://www.postgresql.org/docs/release/17.12/"),
        ("https://example.com/a b", None),
        ("https://example.com/a(b)", "https://example.com/a%28b%29"),
        ("https://example.com/<x>", "https://example.com/%3Cx%3E"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("//example.com/x", None),
        ("http://", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_link_and_code() -> None:
    assert link("17.12", "https://x.example/17.12") == "[17.12](https://x.example/17.12)"
    assert link("*x*", "javascript:alert(1)") == "\\*x\\*"
    assert link("x", None) == "x"
    assert code("sha256:ab12") == "`sha256:ab12`"
    assert code("a`b") == "a\\`b"
    assert code("a | b") == "a \\| b"


def test_indent_and_tidy() -> None:
    assert indent("one\ntwo\n\nthree\n", 2) == "one\n  two\n\n  three"
    assert tidy("a  \n\n\n\nb\n\n") == "a\n\nb\n"


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<!-- hidden --> text",
    "[click](javascript:alert(1)) ![img](https://evil.example/x.png)",
    "# Heading",
    "1. list",
    "| a | b |",
    "```",
    "<https://evil.example>",
    "&lt;b&gt;",
    "text\n\n## injected heading\n\n- injected item",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_itself(text: str) -> None:
    """A list item and a table cell holding escaped text render as exactly that text."""
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    document = f"- {inline(text)}\n\n| h |\n|---|\n| {inline(text)} |\n"
    tokens = md.parse(document)
    kinds = [t.type for t in tokens]
    assert "html_block" not in kinds
    assert kinds.count("list_item_open") == 1
    assert kinds.count("td_open") == 1
    assert "heading_open" not in kinds
    assert "fence" not in kinds
    inlines = [t for t in tokens if t.type == "inline"]
    for token in inlines[:1] + inlines[-1:]:
        children = token.children or []
        assert all(c.type in ("text", "softbreak") for c in children), children
        assert "".join(c.content for c in children) == " ".join(text.split())

"""Escaping of text from commits and upstreams: exact output, and what a Markdown parser sees."""

from __future__ import annotations

import itertools

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


# -- underscores inside words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topos_redis", "topos_redis"),
        ("REDIS_PASSWORD_FILE", "REDIS_PASSWORD_FILE"),
        ("a__b 1_000", "a__b 1_000"),
        ("_private", "\\_private"),
        ("trailing_", "trailing\\_"),
        ("__init__", "\\_\\_init\\_\\_"),
        ("_a_b_", "\\_a_b\\_"),
        ("a _b_ c", "a \\_b\\_ c"),
        ("a_ b", "a\\_ b"),
        ("a_*b*_c", "a\\_\\*b\\*\\_c"),
        ("x._y", "x.\\_y"),
        ("é_é", "é\\_é"),
        ("a_\nb", "a\\_ b"),
    ],
)
def test_inline_keeps_underscores_inside_words(text: str, expected: str) -> None:
    assert inline(text) == expected


MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
# How the templates place escaped values (X, Y) next to their own markup.
CONTEXTS = [
    "- X",
    "| h |\n|---|\n| X |",
    "- **X:** Y (#1, `abc1234`)",
    "*Services: X* · `id`",
    "#### 1.1 X",
    "- [X](https://example.com/x) Y",
    "X Y",
    "Y X Y",
    "_X_ *Y* __X__",  # emphasis of trusted prose around escaped values
]


def _shape(document: str) -> tuple[list[str], str]:
    """The token types of a parsed document (text tokens left out), and all the text it shows."""
    types: list[str] = []
    texts: list[str] = []
    for token in MD.parse(document):
        types.append(token.type)
        for child in token.children or []:
            if child.type == "text":
                texts.append(child.content)
            else:
                types.append(child.type)
                if child.type == "code_inline":
                    texts.append(child.content)
    return types, "".join(texts)


# Each context with plain words for X and Y: what every escaped text must parse like.
PLAIN = {context: _shape(context.replace("X", "Q").replace("Y", "Z")) for context in CONTEXTS}


def assert_renders_as_itself(text: str) -> None:
    """In every context, escaped `text` parses to the same tokens as a plain word would, and
    shows exactly `text` (whitespace collapsed)."""
    shown = " ".join(text.split())
    for context, (plain_types, plain_text) in PLAIN.items():
        document = context.replace("X", inline(text)).replace("Y", inline(text + " y"))
        types, rendered = _shape(document)
        assert types == plain_types, (text, document)
        assert rendered == plain_text.replace("Q", shown).replace("Z", f"{shown} y"), (
            text, document)


@pytest.mark.parametrize(
    "text",
    ["topos_redis", "a__b", "_a_b_", "a_*b*_c", "**a_b**", "__a_b__", "a_b_c_", "*a_b*",
     "_a*_b*", "a_`b`_c", "x_<b>_y", "[a_b](https://e.example/_x_)", "1_000_000", "é_é"],
)
def test_underscores_inside_words_inject_nothing(text: str) -> None:
    assert_renders_as_itself(text)


@pytest.mark.parametrize(("alphabet", "longest"), [("a_* .", 4), ("a_*", 6)])
def test_no_short_string_of_words_underscores_and_stars_injects_markup(
    alphabet: str, longest: int
) -> None:
    """Every string of up to `longest` characters of `alphabet` renders as exactly itself in
    every context the templates give it: no emphasis, whatever its neighbours."""
    for length in range(1, longest + 1):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            if text.strip():
                assert_renders_as_itself(text)

"""`unconfirmed:` marks: a confirmed name leaves the line, a typed-in one joins it (or adds the
line); nothing else moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from release.errors import InvalidInput
from release.manifest.load import parse_manifest
from release.trust.marks import with_marks, without_marks

REPO = Path(__file__).resolve().parents[3]
TEXT = (REPO / "versions.yaml").read_text(encoding="utf-8")
MARK = "    unconfirmed: [sha256]  # recorded offline; see the header\n"


def test_the_last_confirmed_name_removes_the_line_and_nothing_else() -> None:
    new = without_marks(TEXT, {"rtpengine": ["sha256"]})
    assert TEXT.count(MARK) == 3
    assert new.count(MARK) == 2
    assert TEXT.replace(MARK, "", 1) == new  # rtpengine's is the first one
    manifest = parse_manifest(new)
    assert manifest.require("rtpengine").unconfirmed == ()
    assert manifest.require("janus").unconfirmed == ("sha256",)


def test_a_partly_confirmed_list_keeps_the_others_and_its_comment() -> None:
    text = TEXT.replace("    unconfirmed: [digest]  # recorded offline; see the header\n",
                        "    unconfirmed: [digest, commit]  # recorded offline\n", 1)
    text = text.replace("    image:\n      repository: signoz/signoz\n",
                        "    commit: " + "a" * 40 + "\n    image:\n      repository: signoz/signoz\n")
    new = without_marks(text, {"signoz": ["digest"]})
    assert "    unconfirmed: [commit]  # recorded offline\n" in new
    assert parse_manifest(new).require("signoz").unconfirmed == ("commit",)


@pytest.mark.parametrize(
    ("edit", "why"),
    [(without_marks, "so confirmed values can be dropped"),
     (with_marks, "so typed-in values can be marked")],
    ids=["drop", "mark"],
)
def test_a_block_list_is_refused_with_where(edit: Callable[..., str], why: str) -> None:
    text = TEXT.replace(MARK, "    unconfirmed:\n      - sha256\n", 1)
    line = text.splitlines().index("    unconfirmed:") + 1
    with pytest.raises(InvalidInput) as caught:
        edit(text, {"rtpengine": ["sha256"]})
    assert caught.value.message == (
        f"versions.yaml:{line}: components.rtpengine.unconfirmed: write it as a flow list on one "
        f"line (unconfirmed: [sha256]) {why}")


TYPED = "    unconfirmed: [sha256]  # typed in with pin --checksum\n"


def test_a_typed_in_value_adds_the_line_before_pins_and_nothing_else() -> None:
    new = with_marks(TEXT, {"kamailio": ["sha256"]})
    start = TEXT.index("\n  kamailio:\n")
    pins = TEXT.index("    pins:\n", start)
    assert new == TEXT[:pins] + TYPED + TEXT[pins:]
    assert parse_manifest(new).require("kamailio").unconfirmed == ("sha256",)


def test_a_typed_in_value_joins_an_existing_list_once() -> None:
    assert with_marks(TEXT, {"rtpengine": ["sha256"]}) == TEXT  # already marked
    text = TEXT.replace("    image:\n      repository: signoz/signoz\n",
                        "    commit: " + "a" * 40 + "\n    image:\n      repository: signoz/signoz\n")
    new = with_marks(text, {"signoz": ["commit"]})
    assert "    unconfirmed: [digest, commit]  # recorded offline; see the header\n" in new
    assert parse_manifest(new).require("signoz").unconfirmed == ("digest", "commit")


def test_marking_keeps_crlf_line_endings() -> None:
    text = TEXT.replace("\n", "\r\n")
    new = with_marks(text, {"kamailio": ["sha256"]})
    assert TYPED.replace("\n", "\r\n") in new
    assert "\n" not in new.replace("\r\n", "")

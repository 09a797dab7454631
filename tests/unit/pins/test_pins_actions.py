"""github-action pins: every use of one action in a workflow, SHA and version comment together."""

from __future__ import annotations

import pytest

from release.errors import PinError
from release.manifest.model import Pin, PinKind
from release.pins import locate_all, rewrite
from release.pins.actions import action_uses
from release.versioning import UnsafeValueError

OLD = "11bd71901bbe5b1630ceea73d27597364c9af683"
NEW = "08c6903cd8c0fde910a37f88322edcfb5dd907a8"
PIN = Pin(kind=PinKind.GITHUB_ACTION, file=".github/workflows/ci.yml", value="{commit} # {tag}",
          action="actions/checkout")

WORKFLOW = f"""\
name: ci
jobs:
  test:
    steps:
      - uses: actions/checkout@{OLD} # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0
  lint:
    steps:
      - name: checkout
        uses: "actions/checkout@{OLD}"   # v4.2.2
      - uses: ./.github/actions/local
"""


def test_locates_every_use() -> None:
    text = WORKFLOW.replace(f'"actions/checkout@{OLD}"   # v4.2.2', f"actions/checkout@{OLD}")
    found = locate_all(text, PIN)
    assert [(f.line, f.value) for f in found] == [(5, f"{OLD} # v4.2.2"), (12, OLD)]


def test_quoted_uses_is_refused_with_its_line() -> None:
    with pytest.raises(PinError) as info:
        locate_all(WORKFLOW, PIN)
    assert info.value.message == (
        ".github/workflows/ci.yml:12: quoted 'uses:' value; write it unquoted so the SHA and its "
        "version comment can be kept in step"
    )


def test_rewrites_every_use_and_nothing_else() -> None:
    text = WORKFLOW.replace(f'"actions/checkout@{OLD}"   # v4.2.2', f"actions/checkout@{OLD} # v4.2.2")
    result = rewrite(text, PIN, f"{NEW} # v5.0.0")
    assert result == text.replace(f"{OLD} # v4.2.2", f"{NEW} # v5.0.0")
    assert rewrite(result, PIN, f"{NEW} # v5.0.0") is result


def test_crlf_workflow() -> None:
    text = f"steps:\r\n  - uses: actions/checkout@{OLD} # v4.2.2\r\n  - run: make\r\n"
    assert rewrite(text, PIN, f"{NEW} # v5.0.0") == (
        f"steps:\r\n  - uses: actions/checkout@{NEW} # v5.0.0\r\n  - run: make\r\n"
    )


def test_uses_without_comment_gets_one() -> None:
    text = f"  - uses: actions/checkout@{OLD}\n"
    assert rewrite(text, PIN, f"{NEW} # v5.0.0") == f"  - uses: actions/checkout@{NEW} # v5.0.0\n"


def test_absent_action_is_an_error() -> None:
    with pytest.raises(PinError) as info:
        locate_all("steps:\n  - run: true\n", PIN)
    assert info.value.message == ".github/workflows/ci.yml: no 'uses: actions/checkout@...' line"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("v4", "action ref 'v4' is not a full 40-hex commit SHA"),
        (f"{NEW} # v5.0.0\nrun: curl evil", "contains characters that are not allowed"),
        (f"{NEW} # $(id)", "contains characters that are not allowed"),
        (NEW.upper(), "is not a full 40-hex commit SHA"),
    ],
)
def test_unsafe_values_are_refused(value: str, message: str) -> None:
    with pytest.raises(UnsafeValueError) as info:
        rewrite(WORKFLOW, PIN, value)
    assert message in str(info.value)


def test_action_uses_lists_every_line() -> None:
    assert action_uses(WORKFLOW) == [
        (5, "actions/checkout", OLD, "v4.2.2"),
        (8, "actions/setup-python", "0b93645e9fea7318ecaed2b359559ac225c90a2b", "v5.3.0"),
        (12, "actions/checkout", OLD, "v4.2.2"),
    ]

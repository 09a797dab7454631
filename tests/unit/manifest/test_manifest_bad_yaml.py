"""YAML that the parser itself refuses: located problems (exit 2 upstream), never a traceback.

`parse_yaml` is shared by versions.yaml, the checklists and the notes' reading of old versions,
so each case here holds for all of them.
"""

from __future__ import annotations

import pytest

from release.errors import ProblemsFound
from release.manifest.load import parse_yaml


def _problems(text: str) -> list[str]:
    with pytest.raises(ProblemsFound) as caught:
        parse_yaml(text, "versions.yaml")
    return [str(p) for p in caught.value.problems]


def test_nul_byte_is_located() -> None:
    assert _problems("schema: 1\nrelease: 2026\x0011.0\n") == [
        "versions.yaml:2: invalid YAML: unacceptable character #x0000: special characters are "
        "not allowed"
    ]


def test_nesting_too_deep_is_a_problem_not_a_recursion_error() -> None:
    assert _problems("a: " + "[" * 10_000 + "]" * 10_000 + "\n") == [
        "versions.yaml: invalid YAML: nested too deeply to read"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "schema: 1\nhold:\n  until: 2026-02-30\n",
            "versions.yaml:3: invalid YAML: '2026-02-30' is not a real date (day is out of range "
            "for month); fix it, or quote it",
        ),
        (
            "- id: x\n  title: 2026-13-01\n",
            "versions.yaml:2: invalid YAML: '2026-13-01' is not a real date (month must be in "
            "1..12); fix it, or quote it",
        ),
    ],
)
def test_impossible_unquoted_date_is_located(text: str, expected: str) -> None:
    assert _problems(text) == [expected]

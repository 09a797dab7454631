"""The C parser path of `parse_yaml` gives exactly what the pure round-trip parser gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from release.errors import ProblemsFound
from release.manifest import load
from release.manifest.load import make_yaml, parse_yaml

ROOT = Path(__file__).resolve().parents[3]
FILES = ["versions.yaml", "tests/data/notes/versions.yaml", "docs/examples/sample-release.yaml"]


def walk(a: Any, b: Any, path: str = "$") -> list[str]:
    """Every difference of value, type or line/column mark between two loaded documents."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} vs {type(b).__name__}"]
    if isinstance(a, CommentedMap):
        out = [] if list(a) == list(b) else [f"{path}: keys differ"]
        if (a.lc.line, a.lc.col) != (b.lc.line, b.lc.col):
            out.append(f"{path}: position")
        for key in a:
            if (a.lc.key(key), a.lc.value(key)) != (b.lc.key(key), b.lc.value(key)):
                out.append(f"{path}.{key}: position")
            out += walk(a[key], b.get(key), f"{path}.{key}")
        return out
    if isinstance(a, CommentedSeq):
        out = [] if len(a) == len(b) else [f"{path}: length"]
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            if a.lc.item(index) != b.lc.item(index):
                out.append(f"{path}[{index}]: position")
            out += walk(x, y, f"{path}[{index}]")
        return out
    return [] if (a == b and str(a) == str(b)) else [f"{path}: {a!r} vs {b!r}"]


def test_the_c_parser_is_installed() -> None:
    load._fast_load("a: 1\n")  # raises LookupError when ruamel.yaml.clibz is missing


@pytest.mark.parametrize("name", FILES)
def test_c_and_pure_parsers_load_the_same_document(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert walk(load._fast_load(text), make_yaml().load(text)) == []


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",  # a duplicate key
    "a: [1, 2\n",  # unclosed flow sequence
    "released: 2026-02-30\n",  # an impossible date
])
def test_what_the_c_parser_refuses_the_pure_parser_explains(text: str) -> None:
    with pytest.raises(LookupError):
        load._fast_load(text)
    with pytest.raises(ProblemsFound) as caught:
        parse_yaml(text, "x.yaml")
    assert caught.value.problems[0].message.startswith("invalid YAML: ")

"""The tests mirror the package: tests/unit/<sub>/ and tests/integration/<sub>/ are named after a
subpackage of release/ (tests of a top-level module, or of the whole, sit at the folder's root),
and every test folder is a package, so two folders may hold test modules of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = sorted(p.parent.name for p in (ROOT / "release").glob("*/__init__.py"))
KINDS = ("unit", "integration")


def folders(kind: str) -> list[Path]:
    return sorted(p for p in (ROOT / "tests" / kind).rglob("*")
                  if p.is_dir() and p.name != "__pycache__")


@pytest.mark.parametrize("kind", KINDS)
def test_every_test_folder_is_a_subpackage_of_release(kind: str) -> None:
    assert SUBPACKAGES
    assert [p.name for p in folders(kind) if p.name not in SUBPACKAGES] == [], SUBPACKAGES
    assert [p for p in folders(kind) if p.parent != ROOT / "tests" / kind] == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_test_folder_is_a_package(kind: str) -> None:
    base = ROOT / "tests" / kind
    assert (base / "__init__.py").is_file()
    assert [p for p in folders(kind) if not (p / "__init__.py").is_file()] == []


def test_the_fake_world_is_one_package() -> None:
    tests = ROOT / "tests"
    assert (tests / "world" / "__init__.py").is_file()
    strays = [p.name for p in tests.glob("*.py")
              if p.name in {"fake_world.py", "upstream_server.py"} or p.name.startswith("world_")]
    assert strays == [], "world parts live in tests/world/<area>.py (from world.<area> import ...)"

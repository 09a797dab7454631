"""A warm release session runs without nox: noxfile.release_commands records, scripts/nox runs.

`scripts/nox` is run for real (bash) in a copy of the tree whose environments hold fake
interpreters that print what they were asked, so the test needs neither nox nor a network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_noxfile() -> ModuleType:
    """The noxfile, executed once per test process (nox refuses a session registered twice;
    tests/unit/test_noxfile.py loads it under the same name)."""
    if "noxfile_under_test" in sys.modules:
        return sys.modules["noxfile_under_test"]
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["noxfile_under_test"] = module
    return module


class FakeSession:
    def __init__(self, location: Path | None, posargs: list[str]) -> None:
        self.virtualenv = SimpleNamespace(location=str(location) if location else None)
        self.posargs = posargs
        self.runs: list[tuple[str, ...]] = []

    def run(self, *args: str, **_kwargs: Any) -> None:
        self.runs.append(args)


def test_release_commands_records_then_runs(tmp_path: Path) -> None:
    noxfile = load_noxfile()
    session = FakeSession(tmp_path, ["--json", "--only", "redis"])
    noxfile.release_commands(session, ("verify", noxfile.POSARGS), ("docs", "--check"))
    assert session.runs == [
        ("python", "-m", "release", "verify", "--json", "--only", "redis"),
        ("python", "-m", "release", "docs", "--check"),
    ]
    recorded = (tmp_path / noxfile.FAST).read_text()
    assert recorded == f"{noxfile.fast_key()}\nverify\n{{posargs}}\n\ndocs\n--check\n\n"
    key = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "noxfile.py").read_bytes()
    ).hexdigest()
    assert noxfile.fast_key() == key


def test_no_environment_of_its_own_records_nothing(tmp_path: Path) -> None:
    noxfile = load_noxfile()
    session = FakeSession(None, [])
    noxfile.release_commands(session, ("check", noxfile.POSARGS))
    assert session.runs == [("python", "-m", "release", "check")]
    assert list(tmp_path.iterdir()) == []


FAKE_PYTHON = """#!/usr/bin/env bash
echo "$(basename "$(dirname "$(dirname "$0")")") python $*"
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """scripts/nox, pyproject.toml and noxfile.py, a warm `check` and `verify` environment, and
    a nox stand-in in the tools environment (what runs when the fast path does not apply)."""
    if shutil.which("sha256sum") is None:
        pytest.skip("no sha256sum")
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "nox", root / "scripts" / "nox")
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy2(ROOT / "noxfile.py", root / "noxfile.py")
    (root / ".github").mkdir()
    (root / ".github" / "ci-tools.txt").write_text("nox==0\n")
    tools = root / ".cache" / "tools" / "venv"
    stamp = hashlib.sha256(
        (root / ".github" / "ci-tools.txt").read_bytes() + (root / "scripts" / "nox").read_bytes()
    ).hexdigest()[:16]
    for env in (tools, root / ".nox" / "check", root / ".nox" / "verify"):
        (env / "bin").mkdir(parents=True)
        (env / "bin" / "python").write_text(FAKE_PYTHON)
        (env / "bin" / "python").chmod(0o755)
    (tools / f".ci-tools-{stamp}").touch()
    key = hashlib.sha256(
        (root / "pyproject.toml").read_bytes() + (root / "noxfile.py").read_bytes()
    ).hexdigest()
    (root / ".nox" / "check" / ".delphi-release-fast").write_text(f"{key}\ncheck\n{{posargs}}\n\n")
    (root / ".nox" / "verify" / ".delphi-release-fast").write_text(
        f"{key}\nverify\n{{posargs}}\n\ndocs\n--check\n\n"
    )
    return root


def nox(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "nox"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=root / "scripts",
        check=False,
        timeout=60,
    )


def test_a_warm_session_runs_its_commands_directly(tree: Path) -> None:
    done = nox(tree, "-s", "check", "--", "--json", "--only", "a b")
    assert done.returncode == 0
    assert done.stdout == "check python -m release check --json --only a b\n"
    assert done.stderr.startswith("nox > python -m release check --json --only a b\n")

    done = nox(tree, "-s", "verify")
    assert done.stdout == (
        "verify python -m release verify\nverify python -m release docs --check\n"
    )


def test_a_failure_stops_the_session_and_exits_1_as_nox_does(tree: Path) -> None:
    done = nox(tree, "-s", "verify", FAKE_EXIT="2")
    assert done.returncode == 1
    assert done.stdout == "verify python -m release verify\n"
    assert "Session verify failed" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("-s", "check", "-r"),  # any nox option: nox
        ("-s", "tests"),  # no recorded commands
        ("-l",),
        ("-s", "../check"),
    ],
)
def test_anything_else_goes_to_nox(tree: Path, args: tuple[str, ...]) -> None:
    done = nox(tree, *args)
    assert done.stdout.startswith("venv python -m nox --noxfile ")


def test_a_changed_noxfile_or_pyproject_or_the_switch_goes_to_nox(tree: Path) -> None:
    assert nox(tree, "-s", "check", DELPHI_NOX_FAST="0").stdout.startswith("venv python -m nox")
    with (tree / "pyproject.toml").open("a") as file:
        file.write("\n")
    assert nox(tree, "-s", "check").stdout.startswith("venv python -m nox")

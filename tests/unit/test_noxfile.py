"""noxfile.py: a warm session installs nothing, and a command's stderr stays stderr."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["noxfile_under_test"] = module
    return module


def load_noxfile() -> ModuleType:
    """The noxfile, executed once (nox refuses a session registered twice)."""
    return sys.modules.get("noxfile_under_test") or _load()


class FakeSession:
    def __init__(self, location: Path) -> None:
        self.virtualenv = SimpleNamespace(location=str(location))
        self.installs: list[tuple[str, ...]] = []
        self.runs: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def install(self, *args: str) -> None:
        self.installs.append(args)

    def run(self, *args: str, **kwargs: Any) -> None:
        self.runs.append((args, kwargs))


def test_install_runs_once_until_pyproject_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    noxfile = load_noxfile()
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    monkeypatch.setattr(noxfile, "ROOT", project)
    session = FakeSession(tmp_path / "venv")
    (tmp_path / "venv").mkdir()

    noxfile.install(session, "test")
    noxfile.install(session, "test")
    assert session.installs == [("-e", ".[test]")]

    noxfile.install(session)  # other extras: a new install
    assert session.installs == [("-e", ".[test]"), ("-e", ".")]

    (project / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    noxfile.install(session)
    assert session.installs == [("-e", ".[test]"), ("-e", "."), ("-e", ".")]
    assert len(list((tmp_path / "venv").glob(".delphi-release-installed-*"))) == 1


def test_no_environment_of_its_own_always_installs(tmp_path: Path) -> None:
    noxfile = load_noxfile()
    session = FakeSession(tmp_path)
    session.virtualenv = SimpleNamespace(location=None)
    noxfile.install(session)
    noxfile.install(session)
    assert session.installs == [("-e", "."), ("-e", ".")]


def test_release_keeps_stderr_apart() -> None:
    noxfile = load_noxfile()
    session = FakeSession(Path())
    noxfile.release(session, "check", "--json")
    assert session.runs == [(("python", "-m", "release", "check", "--json"), {"stderr": None})]

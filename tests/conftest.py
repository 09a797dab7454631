"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from world.server import UpstreamServer
from world.signatures import use_world_keys

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def upstream_server() -> Iterator[UpstreamServer]:
    """A real HTTP server on 127.0.0.1 playing an upstream; stopped after the test."""
    with UpstreamServer() as server:
        yield server


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the files the pin, refresh and verify commands read and write."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(REPO / "versions.yaml", root / "versions.yaml")
    shutil.copytree(REPO / "images", root / "images")
    shutil.copytree(REPO / ".github" / "workflows", root / ".github" / "workflows")
    use_world_keys(root)  # the fake world signs with its own key, not upstream's
    return root

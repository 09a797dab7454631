"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from world.cosign import trust
from world.server import UpstreamServer
from world.signatures import use_world_keys

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The commands' default caches (HTTP, parsed manifests) in a folder of the test run, never
    in the user's ~/.cache: a test that does not pass --cache-dir still leaves nothing there."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


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
    trust(root)  # keys/sigstore/: the fake world's Fulcio CA, which signs Caddy's checksums
    return root

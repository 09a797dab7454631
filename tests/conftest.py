"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from upstream_server import UpstreamServer


@pytest.fixture
def upstream_server() -> Iterator[UpstreamServer]:
    """A real HTTP server on 127.0.0.1 playing an upstream; stopped after the test."""
    with UpstreamServer() as server:
        yield server

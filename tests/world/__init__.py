"""The fake upstream world of the tests: every upstream of `versions.yaml` on one local server.

Tests import the world from here (`from world import FakeWorld, serve_world, world_fetcher`),
the plain server from `world.server` (`UpstreamServer`, `Reply`) and an area's helpers from its
module (`from world.trust import make_key`).
"""

from world.fakeworld import (
    EVIL,
    GITHUB_API,
    TODAY,
    TRANSIENT,
    Exchange,
    FakeWorld,
    Fault,
    FaultKind,
    GhRelease,
    GhRepo,
    HostRoutingTransport,
    HubRepo,
    HubTag,
    Override,
    Role,
    commit_sha,
    fake_bytes,
    record_check,
    registry_token,
    routed_client,
    serve_world,
    sha256,
    world_fetcher,
)

__all__ = [
    "EVIL",
    "GITHUB_API",
    "TODAY",
    "TRANSIENT",
    "Exchange",
    "FakeWorld",
    "Fault",
    "FaultKind",
    "GhRelease",
    "GhRepo",
    "HostRoutingTransport",
    "HubRepo",
    "HubTag",
    "Override",
    "Role",
    "commit_sha",
    "fake_bytes",
    "record_check",
    "registry_token",
    "routed_client",
    "serve_world",
    "sha256",
    "world_fetcher",
]

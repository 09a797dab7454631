"""The fake upstream world of the tests: every upstream of `versions.yaml` on one local server.

Tests import the world from here (`from world import FakeWorld, serve_world, world_fetcher`),
the plain server from `world.server` (`UpstreamServer`, `Reply`) and an area's helpers from its
module (`from world.trust import make_key`). One module per job:

- `server`: `UpstreamServer`, a real HTTP server on 127.0.0.1 (routes, sequences, handlers, the
  request log), used alone by tests of one client and under the whole world;
- `catalogue`: what each upstream publishes as of `TODAY` (plain data);
- `fakedata`: deterministic bytes, digests and ids; `replies`: the shapes of a reply;
- `faults`: `Role`, `FaultKind`, `Fault`, `Override` and what each fault answers;
- `routing`: real URLs to the one server (`HostRoutingTransport`, `routed_client`) and each
  request to the endpoint that answers it (`Routes`, the request log);
- one module per protocol family: `github` (REST API, assets, archives), `registry` (Docker
  Hub, registry-1.docker.io, auth.docker.io), `sites` (Node and PostgreSQL feeds, projects'
  download servers and sums files);
- `fakeworld`: `FakeWorld`, all of the above plus the areas, each hooked into
  `FakeWorld.__init__` with one line (`supply` first: it extends `world.repos`), `graphql`,
  `advisories`, `gitrefs`, `eol`, `sets`, `cosign` (Caddy's cosign-signed checksums, a
  Fulcio-shaped test CA); `trust` holds helpers for the trust tests;
- `shortcuts`: `serve_world`, `world_fetcher`, `record_check`.
"""

from world.catalogue import TODAY, GhRelease, GhRepo, HubRepo, HubTag, commit_sha
from world.fakedata import fake_bytes, sha256
from world.fakeworld import FakeWorld
from world.faults import EVIL, TRANSIENT, Fault, FaultKind, Override, Role
from world.github import GITHUB_API
from world.registry import registry_token
from world.routing import Exchange, HostRoutingTransport, routed_client
from world.shortcuts import record_check, serve_world, world_fetcher

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

"""The registry token flow across one run and from one run to the next, against the fake world's
Docker Hub (registry-1.docker.io behind auth.docker.io): a repository's token is fetched once
per run, and a run that starts knowing a registry's realm (the note an earlier run left in the
cache directory) asks for the token before the first request instead of after its 401."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from world import serve_world
from world.registry import registry_token
from world.routing import routed_client
from world.server import UpstreamServer

from release.upstream.cache import HttpCache
from release.upstream.http import FetchSettings, HttpFetcher
from release.upstream.registry import DOCKER_HUB_REGISTRY, REALMS_NOTE, image_digest
from release.versioning import Digest

pytestmark = pytest.mark.integration

T = TypeVar("T")
SIGNOZ = "/v2/signoz/signoz/manifests/"
COLLECTOR = "/v2/signoz/signoz-otel-collector/manifests/"
REALM = {"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}
NOTE = f"note-{REALMS_NOTE}.json"


def run(server: UpstreamServer, cache_dir: Path | None,
        call: Callable[[HttpFetcher], Awaitable[T]]) -> T:
    async def main() -> T:
        async with routed_client(server.url) as client:
            fetcher = HttpFetcher(client, settings=FetchSettings(max_attempts=1),
                                  cache=HttpCache(cache_dir) if cache_dir else None)
            return await call(fetcher)

    return asyncio.run(main())


def digests(*wanted: tuple[str, str]) -> Callable[[HttpFetcher], Awaitable[list[Digest]]]:
    async def call(fetcher: HttpFetcher) -> list[Digest]:
        return list(await asyncio.gather(*(image_digest(fetcher, DOCKER_HUB_REGISTRY, repo, tag)
                                           for repo, tag in wanted)))
    return call


def sent(server: UpstreamServer) -> list[tuple[str, str, bool]]:
    """(method, host and path, carried a token) of every request, in order."""
    return [(r.method, r.path, "authorization" in r.headers) for r in server.requests]


def tokens_asked(server: UpstreamServer) -> list[str]:
    return [r.target.split("scope=", 1)[1] for r in server.requests
            if r.path == "/auth.docker.io/token"]


def unauthorized(server: UpstreamServer) -> int:
    return sum(1 for method, path, token in sent(server)
               if path.startswith("/registry-1.docker.io/") and not token)


def test_one_token_per_repository_in_a_run_however_many_lookups_need_it(tmp_path: Path) -> None:
    with serve_world() as (server, _world):
        found = run(server, tmp_path, digests(("signoz/signoz", "v0.138.0"),
                                              ("signoz/signoz", "v0.137.1"),
                                              ("signoz/signoz", "v0.137.0"),
                                              ("signoz/signoz-otel-collector", "v0.144.7")))
        assert len(set(found)) == 4
        assert sorted(tokens_asked(server)) == ["repository%3Asignoz%2Fsignoz%3Apull",
                                                "repository%3Asignoz%2Fsignoz-otel-collector%3Apull"]


def test_a_later_lookup_of_a_repository_uses_the_runs_token_without_a_401(tmp_path: Path) -> None:
    with serve_world() as (server, _world):
        async def call(fetcher: HttpFetcher) -> None:
            await image_digest(fetcher, DOCKER_HUB_REGISTRY, "signoz/signoz", "v0.138.0")
            server.requests.clear()
            await image_digest(fetcher, DOCKER_HUB_REGISTRY, "signoz/signoz", "v0.137.1")

        run(server, None, call)
        assert sent(server) == [("HEAD", "/registry-1.docker.io" + SIGNOZ + "v0.137.1", True)]


def test_the_next_run_asks_the_remembered_realm_first_and_gets_no_401(tmp_path: Path) -> None:
    wanted = (("signoz/signoz", "v0.138.0"), ("signoz/signoz-otel-collector", "v0.144.7"))
    with serve_world() as (server, _world):
        first = run(server, tmp_path, digests(*wanted))
        assert unauthorized(server) == 2  # a first run learns the realm from the 401s
        assert json.loads((tmp_path / NOTE).read_text()) == {DOCKER_HUB_REGISTRY: REALM}
        server.requests.clear()

        second = run(server, tmp_path, digests(*wanted))
        assert second == first
        assert unauthorized(server) == 0
        assert sorted(sent(server)) == [
            ("GET", "/auth.docker.io/token", False), ("GET", "/auth.docker.io/token", False),
            ("HEAD", "/registry-1.docker.io" + COLLECTOR + "v0.144.7", True),
            ("HEAD", "/registry-1.docker.io" + SIGNOZ + "v0.138.0", True)]
    # the note holds where to ask, never what was given
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert registry_token("signoz/signoz").encode() not in stored
    assert b"Bearer" not in stored


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ({DOCKER_HUB_REGISTRY: {"realm": "https://auth.docker.io/moved", "service": "x"}},
         "a realm that no longer answers"),
        ({DOCKER_HUB_REGISTRY: {"realm": "http://auth.docker.io/token",
                                "service": "registry.docker.io"}},
         "a plain-http realm for an https registry (refused, never asked)"),
        ({DOCKER_HUB_REGISTRY: "https://auth.docker.io/token"}, "not an object"),
        ([1, 2], "not a JSON object"),
    ],
    ids=["moved", "http", "shape", "list"],
)
def test_a_remembered_realm_that_fails_falls_back_to_the_401(tmp_path: Path, note: object,
                                                             why: str) -> None:
    (tmp_path / NOTE).write_text(json.dumps(note))
    with serve_world() as (server, _world):
        found = run(server, tmp_path, digests(("signoz/signoz", "v0.138.0")))
        assert found[0].startswith("sha256:"), why
        assert unauthorized(server) == 1
        assert not any(r.target.startswith("/auth.docker.io/token?") and "http:" in r.target
                       for r in server.requests)
    # and the next run starts from what the registry said this time
    assert json.loads((tmp_path / NOTE).read_text()) == {DOCKER_HUB_REGISTRY: REALM}


def test_a_corrupt_note_is_ignored(tmp_path: Path) -> None:
    (tmp_path / NOTE).write_bytes(b"\xff{ not json")
    with serve_world() as (server, _world):
        found = run(server, tmp_path, digests(("signoz/signoz", "v0.138.0")))
    assert found[0].startswith("sha256:")
    assert json.loads((tmp_path / NOTE).read_text()) == {DOCKER_HUB_REGISTRY: REALM}


def test_a_token_the_registry_refuses_is_replaced_once(tmp_path: Path) -> None:
    """A remembered realm that still answers, with a token the registry no longer takes: the
    401 that follows names the right realm, and the run fetches a new token from there."""
    (tmp_path / NOTE).write_text(json.dumps(
        {DOCKER_HUB_REGISTRY: {"realm": "https://auth.docker.io/old", "service": "old"}}))
    with serve_world() as (server, _world):
        server.route("GET", "/auth.docker.io/old", json={"token": "expired.token.value"})
        found = run(server, tmp_path, digests(("signoz/signoz", "v0.138.0")))
        assert found[0].startswith("sha256:")
        assert [(m, p) for m, p, _token in sent(server)] == [
            ("GET", "/auth.docker.io/old"),
            ("HEAD", "/registry-1.docker.io" + SIGNOZ + "v0.138.0"),  # 401: refused
            ("GET", "/auth.docker.io/token"),
            ("HEAD", "/registry-1.docker.io" + SIGNOZ + "v0.138.0")]
    assert json.loads((tmp_path / NOTE).read_text()) == {DOCKER_HUB_REGISTRY: REALM}


def test_without_a_cache_nothing_is_remembered(tmp_path: Path) -> None:
    with serve_world() as (server, _world):
        run(server, None, digests(("signoz/signoz", "v0.138.0")))
        server.requests.clear()
        run(server, None, digests(("signoz/signoz", "v0.138.0")))
        assert unauthorized(server) == 1
    assert list(tmp_path.iterdir()) == []

"""The live client of `open_fetcher` is built at its first request; one SSL context a command."""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

import pytest

from release.errors import InvalidInput
from release.upstream import http
from release.upstream.cache import CacheEntry, HttpCache
from release.upstream.http import build_client, open_fetcher, shared_ssl_context

URL = "https://api.github.com/repos/a/b/tags"


def counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return loads


def test_a_run_served_from_fresh_entries_builds_no_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    HttpCache(tmp_path).store(
        CacheEntry(
            method="GET",
            url=URL,
            accept="",
            status=200,
            headers={"etag": '"1"'},
            body=b"[]",
            stored_at=time.time() - 1,
            fresh_until=time.time() + 600,
        )
    )
    built: list[object] = []

    def counting(*args: object, **kwargs: object) -> object:
        built.append((args, kwargs))
        return build_client()

    monkeypatch.setattr(http, "build_client", counting)

    async def go() -> bytes:
        async with open_fetcher(cache_dir=tmp_path, serve_fresh=True) as fetcher:
            return (await fetcher.get(URL)).body

    assert asyncio.run(go()) == b"[]"
    assert built == []


def test_bad_proxy_settings_are_invalid_input_not_a_component_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://squid.internal:notaport")

    async def go() -> None:
        async with open_fetcher() as fetcher:
            await fetcher.get(URL)

    with pytest.raises(InvalidInput, match="cannot set up the HTTP client") as caught:
        asyncio.run(go())
    assert caught.value.hint is not None
    assert "HTTPS_PROXY" in caught.value.hint


def test_one_ssl_context_within_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = counting_loads(monkeypatch)
    with shared_ssl_context():
        build_client()
        build_client()
        with shared_ssl_context():  # nested: the same contexts
            build_client()
    assert len(loads) == 1
    build_client()  # outside: each client reads the bundle itself
    assert len(loads) == 2


def test_a_changed_bundle_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    loads = counting_loads(monkeypatch)
    with shared_ssl_context():
        build_client()
        with bundle.open("ab") as file:
            file.write(b"\n")
        build_client()
        build_client()
    assert len(loads) == 2

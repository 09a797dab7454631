"""`refresh` re-derives the values of components that stay: an image rebuilt upstream is a
`digest` update; a changed archive of a released version is an alarm, applied only with
`--accept-changed NAME`, which names what changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from world import TODAY, FakeWorld, world_fetcher
from world.trust import align, repush_image, serve_changed, tamper_archive

from release.cli import main
from release.manifest.load import load_manifest
from release.refresh.execute import run_check
from release.trust.online import verify_online

pytestmark = pytest.mark.integration

PGBOUNCER = "https://www.pgbouncer.org/downloads/files/1.25.3/pgbouncer-1.25.3.tar.gz"
ONLY = ["python", "pgbouncer"]


def test_a_rebuilt_image_is_taken_and_a_changed_archive_is_an_alarm(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    world = FakeWorld()
    old_sha = world.sha256_for("pgbouncer", "1.25.3")
    assert main(["pin", "--root", str(tree), "pgbouncer", "1.25.3", "--checksum",
                 f"sha256:{old_sha}"]) == 0
    tampered: list[bytes] = []
    pushed: list[str] = []
    recording = tmp_path / "rec"
    with serve_changed(
        lambda w: align(w, tree),
        lambda w: tampered.append(tamper_archive(w, PGBOUNCER, "pgbouncer",
                                                 sums_url=f"{PGBOUNCER}.sha256")),
        lambda w: pushed.append(repush_image(w, "library/python", "3.14.7-slim-trixie")),
    ) as (server, _world):
        manifest = load_manifest(tree / "versions.yaml").manifest

        async def go() -> None:
            async with world_fetcher(server.url, record_dir=recording) as fetcher:
                await run_check(manifest, fetcher, today=TODAY, only=ONLY, resolve=True)
                await verify_online(manifest, fetcher, root=tree, only=ONLY)

        asyncio.run(go())
    capsys.readouterr()
    new_sha = hashlib.sha256(tampered[0]).hexdigest()
    python_old = load_manifest(tree / "versions.yaml").manifest.require("python").image
    assert python_old is not None
    argv = ["refresh", "--root", str(tree), "--replay", str(recording), "--today",
            TODAY.isoformat(), "--no-cache", "--only", *ONLY]

    assert main(["check", "--root", str(tree), "--replay", str(recording), "--today",
                 TODAY.isoformat(), "--no-cache", "--json", "--only", *ONLY]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["status"], c["candidate"], c["bump"], c["reason"])
            for c in doc["components"]] == [
        ("python", "update", "3.14.7", "digest",
         f"upstream rebuilt the tag: index digest {python_old.digest} -> {pushed[0]}"),
        ("pgbouncer", "current", None, None, None)]

    assert main(argv) == 1
    err = capsys.readouterr().err
    python = load_manifest(tree / "versions.yaml").manifest.require("python")
    assert python.image is not None
    assert (python.version, python.image.digest) == ("3.14.7", pushed[0])
    assert (f"refresh: python 3.14.7 digest: pinned {python_old.digest}, upstream {pushed[0]} "
            "(registry https://registry-1.docker.io/v2/library/python/manifests/"
            "3.14.7-slim-trixie): upstream rebuilt the tag; taken as a digest update") in err
    assert "│ python    │ 3.14.7 │ 3.14.7 │ digest │" in err
    assert (f"refresh: alarm: pgbouncer 1.25.3 sha256: pinned {old_sha}, upstream {new_sha} "
            f"(sums file {PGBOUNCER}.sha256): the archive of a released version is not what "
            "was pinned") in err
    assert "not changed (after review: refresh --accept-changed pgbouncer)" in err
    pgbouncer = load_manifest(tree / "versions.yaml").manifest.require("pgbouncer")
    assert pgbouncer.archive is not None
    assert pgbouncer.archive.sha256 == old_sha

    assert main([*argv, "--accept-changed", "pgbouncer"]) == 0
    err = capsys.readouterr().err
    assert (f"refresh: accepted the changed pgbouncer 1.25.3 sha256: pinned {old_sha}, "
            f"upstream {new_sha} (sums file {PGBOUNCER}.sha256)\n") in err
    pgbouncer = load_manifest(tree / "versions.yaml").manifest.require("pgbouncer")
    assert pgbouncer.archive is not None
    assert pgbouncer.archive.sha256 == new_sha
    assert pgbouncer.unconfirmed == ()  # the accepted value came from upstream
    assert f"ARG PGBOUNCER_SHA256={new_sha}\n" in (tree / "images/pgbouncer/Dockerfile").read_text()
    assert main(["verify", "--root", str(tree)]) == 0

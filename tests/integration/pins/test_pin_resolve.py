"""`pin` without `--checksum` resolves from upstream (the fake world, recorded, then replayed
through the CLI), and `pin` respects the component's policy unless `--beyond-policy`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tree_edit import mark_unconfirmed
from world import FakeWorld, serve_world, world_fetcher

from release.cli import main
from release.manifest.load import load_manifest
from release.upstream.resolve import UpstreamResolver
from release.upstream.sources import Endpoints
from release.versioning import Version

pytestmark = pytest.mark.integration


def record(tree: Path, directory: Path, pins: list[tuple[str, str]]) -> FakeWorld:
    """Resolve each (component, version) against the world, recording into `directory`."""
    manifest = load_manifest(tree / "versions.yaml").manifest

    async def go(url: str) -> None:
        async with world_fetcher(url, record_dir=directory) as fetcher:
            for name, version in pins:
                await UpstreamResolver(endpoints=Endpoints()).resolve(
                    manifest.require(name), Version(version), fetcher)

    with serve_world() as (server, world):
        asyncio.run(go(server.url))
    return world


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def pin(tree: Path, *argv: str) -> int:
    return main(["pin", "--root", str(tree), "--no-cache", *argv])


def test_pin_without_checksum_writes_the_worlds_values(tree: Path, tmp_path: Path) -> None:
    recording = tmp_path / "rec"
    world = record(tree, recording, [("kamailio", "6.1.5"), ("debian", "20260901"),
                                     ("actions-checkout", "6.0.2")])
    for name, version in (("kamailio", "6.1.5"), ("debian", "20260901"),
                          ("actions-checkout", "6.0.2")):
        assert pin(tree, name, version, "--replay", str(recording)) == 0
    manifest = load_manifest(tree / "versions.yaml").manifest
    kamailio = manifest.require("kamailio")
    assert kamailio.archive is not None
    assert kamailio.archive.sha256 == world.sha256_for("kamailio", "6.1.5")
    assert kamailio.unconfirmed == ()  # obtained from upstream: the mark is dropped
    assert (f"ARG KAMAILIO_SHA256={world.sha256_for('kamailio', '6.1.5')}\n"
            in (tree / "images/kamailio/Dockerfile").read_text())
    debian = manifest.require("debian")
    assert debian.image is not None
    assert debian.image.digest == world.digest_for("library/debian", "trixie-20260901-slim")
    checkout = manifest.require("actions-checkout")
    assert (checkout.version, checkout.commit) == (
        "6.0.2", world.commit_for("actions/checkout", "v6.0.2"))
    assert (f"actions/checkout@{world.commit_for('actions/checkout', 'v6.0.2')} # v6.0.2"
            in (tree / ".github/workflows/ci.yml").read_text())
    assert main(["verify", "--root", str(tree)]) == 0


def test_pin_offline_says_what_could_not_be_fetched_and_changes_nothing(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    other = tmp_path / "other"  # a recording that holds nothing about kamailio
    record(tree, other, [("redis", "7.4.11")])
    before = snapshot(tree)
    assert pin(tree, "kamailio", "6.1.5", "--replay", str(other)) == 1
    assert snapshot(tree) == before
    err = capsys.readouterr().err
    assert err.startswith("error: pin kamailio 6.1.5: 6.1.5 found, but its checksum could not "
                          "be fetched: ")
    assert ("nothing was changed\nhint: with no network, replay a recording (--replay DIR), or "
            "pass the value you checked yourself (--checksum sha256:<hex>)\n") in err


def test_pin_beyond_policy_is_refused_then_allowed(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(tree)
    assert pin(tree, "redis", "8.0.0", "--checksum", "sha256:" + "a" * 64) == 2
    assert snapshot(tree) == before
    assert capsys.readouterr().err == (
        "error: redis: 8.0.0 is outside its policy (>=7.4,<7.5); pass --beyond-policy to pin "
        "it anyway (and consider changing the policy)\n")
    recording = tmp_path / "rec"
    world = record(tree, recording, [("redis", "8.0.0")])
    assert pin(tree, "redis", "8.0.0", "--beyond-policy", "--replay", str(recording)) == 0
    redis = load_manifest(tree / "versions.yaml").manifest.require("redis")
    assert redis.archive is not None
    assert (redis.version, redis.archive.sha256) == ("8.0.0", world.sha256_for("redis", "8.0.0"))


def test_a_checksum_given_by_hand_stays_unconfirmed(tree: Path) -> None:
    mark_unconfirmed(tree, "kamailio")
    assert pin(tree, "kamailio", "6.1.5", "--checksum", "sha256:" + "1" * 64) == 0
    kamailio = load_manifest(tree / "versions.yaml").manifest.require("kamailio")
    assert (kamailio.version, kamailio.unconfirmed) == ("6.1.5", ("sha256",))

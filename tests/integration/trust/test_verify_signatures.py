"""`verify --online` checks upstream's OpenPGP signatures (real ones, made here with keys this
test generates, served by the fake world) before it trusts a checksum."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

import pytest
from world import TODAY, FakeWorld, Role, fake_bytes, world_fetcher
from world.signatures import without_signature
from world.trust import (
    SigningKey,
    align,
    file_reply,
    make_key,
    serve,
    serve_changed,
    tamper_archive,
)

from release.cli import main
from release.manifest.load import load_manifest
from release.refresh.execute import run_check
from release.trust.online import OnlineReport, PinVerdict, Verdict, verify_online
from release.trust.signed import SignedResolver
from release.upstream.sources import Endpoints

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                       reason="gpg and gpgv are needed to make and check real signatures"),
]

RELEASES = "https://downloads.asterisk.org/pub/telephony/asterisk/releases"
ARCHIVE = f"{RELEASES}/asterisk-22.10.1.tar.gz"
SIGNATURE = f"{ARCHIVE}.asc"
PGBOUNCER_SUMS = ("https://www.pgbouncer.org/downloads/files/1.25.2/"
                  "pgbouncer-1.25.2.tar.gz.sha256")
SUMS_SIGNATURE = f"{PGBOUNCER_SUMS}.asc"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, SigningKey]:
    root = tmp_path_factory.mktemp("gpg")
    return make_key(root, "upstream"), make_key(root, "stranger")


def sign_in_tree(tree: Path, key: SigningKey, *, component: str, anchor: str, url: str,
                 of: str, with_key_file: bool = True) -> None:
    """Add `archive.signature` to `component` (after the line `anchor`), pinning `key`."""
    manifest = tree / "versions.yaml"
    text = without_signature(manifest.read_text(), component)  # the one versions.yaml declares
    assert text.count(anchor) == 1
    block = (f"      signature:\n        url: {url}\n        of: {of}\n"
             f"        keys: [{key.fingerprint}]\n")
    manifest.write_text(text.replace(anchor, anchor + block))
    if with_key_file:
        folder = tree / "keys" / component
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{key.fingerprint}.asc").write_bytes(key.armored)


ASTERISK_ANCHOR = f"        url: {RELEASES}/asterisk-{{version}}.sha256\n"
PGBOUNCER_ANCHOR = ("        url: https://www.pgbouncer.org/downloads/files/{version}/"
                    "pgbouncer-{version}.tar.gz.sha256\n")


def run(tree: Path, *changes: object) -> dict[tuple[str, str], PinVerdict]:
    with serve_changed(lambda w: align(w, tree), *changes) as (server, _world):  # type: ignore[arg-type]
        manifest = load_manifest(tree / "versions.yaml").manifest

        async def go() -> OnlineReport:
            async with world_fetcher(server.url) as fetcher:
                return await verify_online(manifest, fetcher, root=tree)

        report = asyncio.run(go())
    verdicts = {(v.component, v.value): v for v in report.verdicts}
    assert len(verdicts) == sum((c.archive is not None) + (c.image is not None)
                                + (c.commit is not None) for c in manifest.components)
    return verdicts


def others_verified(verdicts: dict[tuple[str, str], PinVerdict], key: tuple[str, str]) -> None:
    assert {v.verdict for k, v in verdicts.items() if k != key} == {Verdict.VERIFIED}


def asterisk_signed(tree: Path, key: SigningKey, *, with_key_file: bool = True) -> None:
    sign_in_tree(tree, key, component="asterisk", anchor=ASTERISK_ANCHOR,
                 url=f"{RELEASES}/asterisk-{{version}}.tar.gz.asc", of="archive",
                 with_key_file=with_key_file)


def serve_signature(world: FakeWorld, url: str, component: str, signature: bytes) -> None:
    serve(world, url, component, Role.CHECKSUM, file_reply(signature, "application/pgp-signature"))


def test_a_good_signature_by_the_pinned_key_verifies_the_archive(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    asterisk_signed(tree, upstream)
    signature = upstream.sign(fake_bytes(ARCHIVE), tmp_path)
    verdicts = run(tree, lambda w: serve_signature(w, SIGNATURE, "asterisk", signature))
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert (verdict.verdict, verdict.how, verdict.source) == (
        Verdict.VERIFIED, f"signature by key {upstream.fingerprint} on {ARCHIVE}; computed "
        "from the signed archive", ARCHIVE)


def test_a_signature_by_an_unknown_key_is_unverifiable_naming_key_and_file(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, stranger = keys
    asterisk_signed(tree, upstream)
    signature = stranger.sign(fake_bytes(ARCHIVE), tmp_path)
    verdicts = run(tree, lambda w: serve_signature(w, SIGNATURE, "asterisk", signature))
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"{SIGNATURE}: signed by key {stranger.fingerprint}, which is not pinned in keys/; "
        "nothing else vouches for the bytes")


def test_a_valid_signature_over_other_bytes_is_a_mismatch(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    asterisk_signed(tree, upstream)
    signature = upstream.sign(b"another release's bytes\n", tmp_path)
    verdicts = run(tree, lambda w: serve_signature(w, SIGNATURE, "asterisk", signature))
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert verdict.verdict is Verdict.MISMATCH
    assert verdict.reason == (
        f"{SIGNATURE}: BAD signature (key {upstream.fingerprint[-16:]}): the file is not what "
        f"was signed; the signed file {ARCHIVE} was changed")


def test_a_compromised_mirror_is_caught_by_the_signature(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    asterisk_signed(tree, upstream)
    signature = upstream.sign(fake_bytes(ARCHIVE), tmp_path)  # upstream signed the real bytes
    tampered: list[bytes] = []
    verdicts = run(tree, lambda w: serve_signature(w, SIGNATURE, "asterisk", signature),
                   lambda w: tampered.append(tamper_archive(
                       w, ARCHIVE, "asterisk", sums_url=f"{RELEASES}/asterisk-22.10.1.sha256")))
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert (verdict.verdict, verdict.upstream) == (
        Verdict.MISMATCH, hashlib.sha256(tampered[0]).hexdigest())
    assert verdict.reason is not None
    assert verdict.reason.startswith(f"{SIGNATURE}: BAD signature")


def test_a_pinned_key_without_its_key_file_is_unverifiable(
    tree: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    asterisk_signed(tree, upstream, with_key_file=False)
    verdicts = run(tree)
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"no key file for the pinned fingerprints ({upstream.fingerprint}) in keys/; the "
        f"signature {SIGNATURE} cannot be checked")


def test_a_signed_sums_file_is_checked_before_its_hash_is_trusted(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    sign_in_tree(tree, upstream, component="pgbouncer", anchor=PGBOUNCER_ANCHOR,
                 url="https://www.pgbouncer.org/downloads/files/{version}/"
                 "pgbouncer-{version}.tar.gz.sha256.asc", of="checksum")
    world = FakeWorld()
    sums = (f"{world.sha256_for('pgbouncer', '1.25.2')}  pgbouncer-1.25.2.tar.gz\n").encode()
    signature = upstream.sign(sums, tmp_path)
    verdicts = run(tree, lambda w: serve_signature(w, SUMS_SIGNATURE, "pgbouncer", signature))
    others_verified(verdicts, ("pgbouncer", "sha256"))
    verdict = verdicts[("pgbouncer", "sha256")]
    assert (verdict.verdict, verdict.how) == (
        Verdict.VERIFIED, f"signature by key {upstream.fingerprint} on {PGBOUNCER_SUMS}; "
        "sums file")


def refresh_signed(tree: Path, tmp_path: Path, signature: bytes,
                   capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Record refresh's reads of asterisk and kamailio (asterisk 22.11.0 carrying `signature`),
    then run `refresh` through the CLI on the recording."""
    recording = tmp_path / "rec"
    candidate_signature = f"{RELEASES}/asterisk-22.11.0.tar.gz.asc"
    with serve_changed(lambda w: serve_signature(w, candidate_signature, "asterisk",
                                                 signature)) as (server, _world):
        manifest = load_manifest(tree / "versions.yaml").manifest

        async def go() -> None:
            async with world_fetcher(server.url, record_dir=recording) as fetcher:
                await run_check(manifest, fetcher, today=TODAY, only=["asterisk", "kamailio"],
                                resolve=True, resolver=SignedResolver(
                                    endpoints=Endpoints(), keys_dir=tree / "keys"))

        asyncio.run(go())
    capsys.readouterr()
    code = main(["refresh", "--root", str(tree), "--replay", str(recording), "--today",
                 TODAY.isoformat(), "--no-cache", "--only", "asterisk", "kamailio"])
    return code, capsys.readouterr().err


def test_refresh_takes_a_candidate_only_on_a_good_signature(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    upstream, stranger = keys
    asterisk_signed(tree, upstream)
    candidate = f"{RELEASES}/asterisk-22.11.0.tar.gz"
    code, err = refresh_signed(tree, tmp_path, stranger.sign(fake_bytes(candidate), tmp_path),
                               capsys)
    assert code == 1
    manifest = load_manifest(tree / "versions.yaml").manifest
    assert (manifest.require("asterisk").version, manifest.require("kamailio").version) == (
        "22.10.1", "6.1.5")
    assert (f"| asterisk | 22.10.1 |  |  | error | 22.11.0 found, but its signature does not "
            f"vouch for it: {candidate}.asc: signed by key {stranger.fingerprint}, which is not "
            "pinned in keys/; nothing else vouches for the bytes; nothing of asterisk was "
            "changed |") in summary.read_text()
    assert "refresh: 1 update · 0 held · 0 current · 1 error" in err

    good = tmp_path / "good"
    good.mkdir()
    code, err = refresh_signed(tree, good, upstream.sign(fake_bytes(candidate), good), capsys)
    assert code == 0, err
    asterisk = load_manifest(tree / "versions.yaml").manifest.require("asterisk")
    assert asterisk.archive is not None
    assert (asterisk.version, asterisk.archive.sha256) == (
        "22.11.0", FakeWorld().sha256_for("asterisk", "22.11.0"))


def test_a_broken_key_file_is_unverifiable_naming_it(
    tree: Path, tmp_path: Path, keys: tuple[SigningKey, SigningKey],
) -> None:
    upstream, _ = keys
    asterisk_signed(tree, upstream)
    key_file = tree / "keys" / "asterisk" / f"{upstream.fingerprint}.asc"
    key_file.write_text("not a key\n")
    signature = upstream.sign(fake_bytes(ARCHIVE), tmp_path)
    verdicts = run(tree, lambda w: serve_signature(w, SIGNATURE, "asterisk", signature))
    others_verified(verdicts, ("asterisk", "sha256"))
    verdict = verdicts[("asterisk", "sha256")]
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"the signature {SIGNATURE} cannot be checked: {key_file}: holds no armoured OpenPGP "
        "public key block")

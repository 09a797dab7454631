"""Caddy's cosign keyless signature of its checksums file is checked before its checksum is
trusted: in `verify --online`, in `refresh` and `pin` (the signed resolver). The fake world
serves real signatures and Fulcio-shaped certificates made by test CAs (`world.cosign`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from world import Role, fake_bytes, world_fetcher
from world.cosign import (
    CADDY_DOWNLOADS,
    GITHUB_ISSUER,
    REKOR,
    caddy_urls,
    logged_entry,
    make_authority,
    sign_caddy,
    workflow_identity,
    world_authority,
)
from world.server import Reply
from world.trust import align, file_reply, serve, serve_changed

from release.cli import main
from release.manifest.load import load_manifest
from release.trust.online import OnlineReport, PinVerdict, Verdict, verify_online
from release.trust.signed import SignedResolver
from release.upstream.errors import UpstreamError
from release.upstream.sources import Endpoints
from release.versioning import Version

pytestmark = pytest.mark.integration

PINNED = "2.11.4"
SUMS, SIG, PEM = caddy_urls(PINNED)
ARCHIVE = f"{CADDY_DOWNLOADS}/v{PINNED}/caddy_{PINNED}_linux_amd64.tar.gz"
IDENTITY = workflow_identity("caddyserver/caddy", f"v{PINNED}")
NOT_CHECKED = "not checked: that Rekor shows everyone the same log (no witnessed checkpoint)"
RETRIEVE = f"{REKOR}/api/v1/log/entries/retrieve"


def run(tree: Path, *changes: object,
        rekor_asked: int | None = None) -> dict[tuple[str, str], PinVerdict]:
    """verify --online of `tree`, after checking (when given) that Rekor was asked
    `rekor_asked` times."""
    with serve_changed(lambda w: align(w, tree), *changes) as (server, world):  # type: ignore[arg-type]
        manifest = load_manifest(tree / "versions.yaml").manifest

        async def go() -> OnlineReport:
            async with world_fetcher(server.url) as fetcher:
                report = await verify_online(manifest, fetcher, root=tree)
            # nothing of the run is left running (it would still be connecting when the event
            # loop closes: a random never-awaited failure somewhere later)
            assert [t for t in asyncio.all_tasks()
                    if t is not asyncio.current_task() and not t.done()] == []
            return report

        report = asyncio.run(go())
        if rekor_asked is not None:
            assert len(world.exchanges(role=Role.LOG)) == rekor_asked
    return {(v.component, v.value): v for v in report.verdicts}


SIGNED = (("caddy", "sha256"), ("caddy-arm64", "sha256"))  # both vouched for by one signed file


def caddy(verdicts: dict[tuple[str, str], PinVerdict], *, arm64: Verdict | None = None
          ) -> PinVerdict:
    """Caddy's sha256 verdict, after checking that caddy-arm64's, from the same signed checksums
    file, came out the same (or `arm64`) and every other pinned value is still verified."""
    others = {v.verdict for k, v in verdicts.items() if k not in SIGNED}
    assert others == {Verdict.VERIFIED}
    amd64 = verdicts[SIGNED[0]]
    assert verdicts[SIGNED[1]].verdict is (amd64.verdict if arm64 is None else arm64)
    return amd64


def test_a_signature_by_caddys_release_workflow_verifies_the_archive(tree: Path) -> None:
    verdict = caddy(run(tree, rekor_asked=1))  # once for caddy and caddy-arm64: one signature
    assert verdict.verdict is Verdict.VERIFIED
    # the world logs a signature 40 s after its leaf was issued (Caddy 2.11.4: 2026-06-02)
    logged = re.fullmatch(
        re.escape(f"cosign signature by {IDENTITY} (issuer {GITHUB_ISSUER}) on {SUMS}, logged "
                  "in Rekor at ") + r"(\S+) \(entry \d+\)" + re.escape(
            f"; the downloaded archive matches the checksum it lists; sha256 computed from it; "
            f"{NOT_CHECKED}"), verdict.how or "")
    assert logged is not None, verdict.how
    assert dt.datetime.fromisoformat(logged.group(1)).date() == dt.date(2026, 6, 2)
    assert verdict.source == ARCHIVE
    assert verdict.upstream == hashlib.sha256(fake_bytes(ARCHIVE, 2048)).hexdigest()


def test_the_world_serves_goreleasers_sha512_checksums_file() -> None:
    with serve_changed() as (server, _world):
        async def get(url: str) -> bytes:
            async with world_fetcher(server.url) as fetcher:
                return (await fetcher.get(url, max_bytes=1 << 20)).body

        body = asyncio.run(get(SUMS))
    lines = body.decode().splitlines()
    line = next(x for x in lines if x.endswith("  caddy_2.11.4_linux_amd64.tar.gz"))
    assert line.split()[0] == hashlib.sha512(fake_bytes(ARCHIVE, 2048)).hexdigest()
    assert len(lines) == 3  # the two archives and the source tarball; not the file itself


def test_another_repositorys_workflow_is_refused_naming_the_identity(tree: Path) -> None:
    other = workflow_identity("caddy-fork/caddy", f"v{PINNED}")
    # refused on the certificate: Rekor is not asked
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, identity=other), rekor_asked=0))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"{SUMS}: the certificate {PEM} is for {other} (issuer {GITHUB_ISSUER}), not the pinned "
        f"{IDENTITY} (issuer {GITHUB_ISSUER}); nothing else vouches for the bytes")


def test_another_branch_of_caddys_own_workflow_is_refused(tree: Path) -> None:
    branch = "https://github.com/caddyserver/caddy/.github/workflows/release.yml@refs/heads/master"
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, identity=branch)))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert f"is for {branch} (issuer {GITHUB_ISSUER}), not the pinned {IDENTITY}" in (
        verdict.reason or "")


def test_another_oidc_issuer_is_refused_naming_it(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED,
                                                   issuer="https://accounts.google.com")))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert (f"is for {IDENTITY} (issuer https://accounts.google.com), not the pinned "
            f"{IDENTITY} (issuer {GITHUB_ISSUER})") in (verdict.reason or "")


def test_a_certificate_not_from_the_pinned_fulcio_ca_is_refused(tree: Path) -> None:
    rogue = make_authority("rogue-fulcio")
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, authority=rogue)))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"{SUMS}: the certificate {PEM} (for {IDENTITY} (issuer {GITHUB_ISSUER})) is not "
        "vouched for by the Fulcio CA and CT log pinned in keys/sigstore/: no pinned CA issued "
        "the leaf "
        "(issuer CN=rogue-fulcio-intermediate,O=sigstore.test); nothing else vouches for "
        "the bytes")


def test_a_certificate_that_is_not_for_code_signing_is_refused(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, code_signing=False)))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert "the certificate is not for code signing" in (verdict.reason or "")


def test_a_valid_signature_over_other_bytes_is_a_mismatch(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, signed=b"another file\n")))
    assert verdict.verdict is Verdict.MISMATCH
    assert verdict.reason == (
        f"{SUMS}: BAD cosign signature (certificate {PEM} for {IDENTITY} (issuer "
        f"{GITHUB_ISSUER})): the file is not what was signed; the signed file {SUMS} was "
        "changed")


def test_a_checksums_file_changed_after_signing_is_a_mismatch(tree: Path) -> None:
    tampered = hashlib.sha512(b"evil").hexdigest() + "  caddy_2.11.4_linux_amd64.tar.gz\n"

    def change(world: object) -> None:
        true = sign_caddy(world, PINNED)  # type: ignore[arg-type]
        sign_caddy(world, PINNED, sums=true + tampered.encode(), signed=true)  # type: ignore[arg-type]

    verdict = caddy(run(tree, change))
    assert verdict.verdict is Verdict.MISMATCH
    assert verdict.reason is not None
    assert verdict.reason.startswith(f"{SUMS}: BAD cosign signature")
    assert verdict.reason.endswith(f"the signed file {SUMS} was changed")


def test_an_archive_that_is_not_what_the_signed_file_lists_is_a_mismatch(tree: Path) -> None:
    evil = fake_bytes(f"{ARCHIVE}#tampered", 2048)
    verdict = caddy(run(tree, lambda w: serve(w, ARCHIVE, "caddy", Role.ASSET,
                                              file_reply(evil))),
                    arm64=Verdict.VERIFIED)  # its own archive is still what the file lists
    assert verdict.verdict is Verdict.MISMATCH
    assert verdict.upstream == hashlib.sha256(evil).hexdigest()
    assert verdict.reason is not None
    assert verdict.reason.startswith(
        f"{ARCHIVE} is not what the signed {SUMS} lists: sha512 "
        f"{hashlib.sha512(fake_bytes(ARCHIVE, 2048)).hexdigest()} there, "
        f"{hashlib.sha512(evil).hexdigest()} downloaded; the archive of a released version "
        "is not what was pinned")


def test_without_a_pinned_fulcio_ca_the_signature_cannot_be_checked(tree: Path) -> None:
    shutil.rmtree(tree / "keys" / "sigstore")
    verdict = caddy(run(tree))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        "no Fulcio CA certificate (*.pem) in keys/sigstore/; a cosign signature cannot be "
        f"checked; the signature {SIG} cannot be checked")


# --- refresh and pin: the signed resolver refuses, naming the identity and the file ---------


def resolve(tree: Path, version: str, *changes: object) -> str:
    """What the signed resolver says about Caddy `version`: its sha256, or the refusal."""
    manifest = load_manifest(tree / "versions.yaml").manifest
    with serve_changed(*changes) as (server, _world):  # type: ignore[arg-type]
        async def go() -> str:
            async with world_fetcher(server.url) as fetcher:
                resolver = SignedResolver(endpoints=Endpoints(), keys_dir=tree / "keys")
                try:
                    resolved = await resolver.resolve(manifest.require("caddy"),
                                                      Version(version), fetcher)
                except UpstreamError as exc:
                    return exc.message
                return resolved.sha256 or ""

        return asyncio.run(go())


def test_refresh_takes_a_candidate_signed_by_caddys_workflow(tree: Path) -> None:
    url = f"{CADDY_DOWNLOADS}/v2.11.5/caddy_2.11.5_linux_amd64.tar.gz"
    assert resolve(tree, "2.11.5") == hashlib.sha256(fake_bytes(url, 2048)).hexdigest()


def test_refresh_refuses_a_candidate_signed_by_another_identity(tree: Path) -> None:
    other = workflow_identity("caddy-fork/caddy", "v2.11.5")
    message = resolve(tree, "2.11.5", lambda w: sign_caddy(w, "2.11.5", identity=other))
    sums, _, pem = caddy_urls("2.11.5")
    assert message == (
        f"2.11.5 found, but its signature does not vouch for it: {sums}: the certificate "
        f"{pem} is for {other} (issuer {GITHUB_ISSUER}), not the pinned "
        f"{workflow_identity('caddyserver/caddy', 'v2.11.5')} (issuer {GITHUB_ISSUER}); "
        "nothing else vouches for the bytes; nothing of caddy was changed")


def test_refresh_refuses_a_candidate_whose_checksums_file_was_changed(tree: Path) -> None:
    def change(world: object) -> None:
        true = sign_caddy(world, "2.11.5")  # type: ignore[arg-type]
        sign_caddy(world, "2.11.5", sums=true.replace(b"linux_arm64", b"linux_arm65"),  # type: ignore[arg-type]
                   signed=true)

    message = resolve(tree, "2.11.5", change)
    assert message.startswith("2.11.5 found, but its signature does not vouch for it: ")
    assert "BAD cosign signature" in message
    assert message.endswith("nothing of caddy was changed")


def record(tree: Path, directory: Path, *changes: object) -> None:
    """Resolve caddy 2.11.5 and kamailio 6.1.5 as `pin` does, recording into `directory`."""
    manifest = load_manifest(tree / "versions.yaml").manifest
    with serve_changed(*changes) as (server, _world):  # type: ignore[arg-type]
        async def go() -> None:
            async with world_fetcher(server.url, record_dir=directory) as fetcher:
                resolver = SignedResolver(endpoints=Endpoints(), keys_dir=tree / "keys")
                for name, version in (("caddy", "2.11.5"), ("kamailio", "6.1.5")):
                    with contextlib.suppress(UpstreamError):  # a refusal records its requests
                        await resolver.resolve(manifest.require(name), Version(version),
                                               fetcher)

        asyncio.run(go())


def test_pin_refuses_caddy_signed_by_another_identity_and_pins_the_others(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recording = tmp_path / "rec"
    other = workflow_identity("caddy-fork/caddy", "v2.11.5")
    record(tree, recording, lambda w: sign_caddy(w, "2.11.5", identity=other))
    before = (tree / "versions.yaml").read_bytes(), (tree / "images/caddy/Dockerfile").read_bytes()
    code = main(["pin", "--root", str(tree), "--no-cache", "caddy", "2.11.5",
                 "--replay", str(recording)])
    err = capsys.readouterr().err
    assert code == 1
    assert other in err
    assert "caddy_2.11.5_checksums.txt" in err
    assert ((tree / "versions.yaml").read_bytes(),
            (tree / "images/caddy/Dockerfile").read_bytes()) == before
    assert main(["pin", "--root", str(tree), "--no-cache", "kamailio", "6.1.5",
                 "--replay", str(recording)]) == 0
    assert load_manifest(tree / "versions.yaml").manifest.require("kamailio").version == "6.1.5"


def test_pin_writes_caddy_when_its_workflow_signed_it(tree: Path, tmp_path: Path) -> None:
    recording = tmp_path / "rec"
    record(tree, recording)
    assert main(["pin", "--root", str(tree), "--no-cache", "caddy", "2.11.5",
                 "--replay", str(recording)]) == 0
    caddy_pin = load_manifest(tree / "versions.yaml").manifest.require("caddy")
    url = f"{CADDY_DOWNLOADS}/v2.11.5/caddy_2.11.5_linux_amd64.tar.gz"
    assert caddy_pin.version == "2.11.5"
    assert caddy_pin.archive is not None
    assert caddy_pin.archive.sha256 == hashlib.sha256(fake_bytes(url, 2048)).hexdigest()


def test_the_world_ca_is_what_the_tree_pins(tree: Path) -> None:
    pinned = sorted(p.read_bytes() for p in (tree / "keys" / "sigstore").iterdir())
    assert pinned == sorted(world_authority().pem.values())


def test_a_release_without_its_signature_files_is_unverifiable_saying_so(tree: Path) -> None:
    gone = Reply(status=404, body=b"Not Found", headers={"Content-Type": "text/plain"})
    # the certificate is still on its way when the signature's 404 ends the check: its read is
    # cancelled, not left running (run() asserts nothing is)
    slow = Reply(status=200, body=b"not read", delay=0.5)
    verdict = caddy(run(tree, lambda w: serve(w, SIG, "caddy", Role.ASSET, gone),
                        lambda w: serve(w, PEM, "caddy", Role.ASSET, slow)))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason is not None
    assert verdict.reason.startswith(f"no cosign signature and certificate for {SUMS}: ")
    assert "404" in verdict.reason


def test_a_certificate_without_an_sct_is_refused(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, sct=False)))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert ("is not vouched for by the Fulcio CA and CT log pinned in keys/sigstore/: the "
            "certificate carries no certificate-transparency SCT") in (verdict.reason or "")


# --- the Rekor entry: the signature was logged while its certificate was valid ----------------


UNLOGGED = (f"{SUMS}: the cosign signature (certificate {PEM} for {IDENTITY} (issuer "
            f"{GITHUB_ISSUER})) is not proven to be made while the certificate was valid: ")


def test_a_signature_never_logged_in_rekor_is_refused(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, logged="no")))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (UNLOGGED + "Rekor has no entry for this signature (it was never "
                              "logged); nothing else vouches for the bytes")


def test_rekor_answering_404_for_the_search_means_never_logged(tree: Path) -> None:
    def change(world: object) -> None:
        world._add(RETRIEVE, "caddy", Role.LOG,  # type: ignore[attr-defined]
                   lambda _r, _f: Reply.of_json({"code": 404, "message": "entry not found"},
                                                status=404), method="POST")

    verdict = caddy(run(tree, change, rekor_asked=1))  # a 404 is an answer: not retried
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (UNLOGGED + "Rekor has no entry for this signature (it was never "
                              "logged); nothing else vouches for the bytes")


def test_a_signature_logged_after_its_certificate_expired_is_refused(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, logged="late")))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason is not None
    assert verdict.reason.startswith(UNLOGGED + "entry ")
    assert re.search(r"it was logged at 2026-06-02T\S+, outside the certificate's validity "
                     r"\(2026-06-02T\S+ to 2026-06-02T\S+\)", verdict.reason), verdict.reason


def test_a_signature_logged_by_a_rekor_that_is_not_pinned_is_refused(tree: Path) -> None:
    verdict = caddy(run(tree, lambda w: sign_caddy(w, PINNED, logged="unpinned")))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert "is not a Rekor log pinned in keys/sigstore/" in (verdict.reason or "")


def served_entries(world: object, entries: list[object]) -> None:
    body = json.dumps(entries).encode()
    world._add(RETRIEVE, "caddy", Role.LOG,  # type: ignore[attr-defined]
               lambda _r, _f: Reply(body=body, headers={"Content-Type": "application/json"}),
               method="POST")


def forged_time(anon: dict[str, Any]) -> dict[str, Any]:
    return dict(anon, integratedTime=anon["integratedTime"] + 1)


def broken_proof(anon: dict[str, Any]) -> dict[str, Any]:
    proof = dict(anon["verification"]["inclusionProof"], hashes=["00" * 32] * 3)
    return dict(anon, verification=dict(anon["verification"], inclusionProof=proof))


@pytest.mark.parametrize(("change_entry", "said"), [
    (forged_time, "its signed entry timestamp does not verify with the pinned Rekor key"),
    (broken_proof, "its inclusion proof does not lead to the root hash it names"),
], ids=["forged-time", "broken-proof"])
def test_an_entry_that_does_not_hold_is_refused(
    tree: Path, change_entry: Callable[[dict[str, Any]], dict[str, Any]], said: str,
) -> None:
    def change(world: object) -> None:
        uuid, anon = logged_entry(world, sign_caddy(world, PINNED))  # type: ignore[arg-type]
        served_entries(world, [{uuid: change_entry(anon)}])

    verdict = caddy(run(tree, change))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert said in (verdict.reason or "")


def test_an_entry_of_another_signature_is_refused(tree: Path) -> None:
    def change(world: object) -> None:
        # what Rekor holds for 2.11.5's checksums file, answered for 2.11.4's signature
        uuid, anon = logged_entry(world, sign_caddy(world, "2.11.5"))  # type: ignore[arg-type]
        served_entries(world, [{uuid: anon}])

    verdict = caddy(run(tree, change))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert "it is for another file (sha256)" in (verdict.reason or "")


@pytest.mark.parametrize(("reply", "said"), [
    (Reply(status=503, body=b"busy"), "HTTP 503"),
    (Reply(body=b"<html>login</html>", headers={"Content-Type": "text/html"}), "not JSON"),
    (Reply(body=b'{"entries": []}', headers={"Content-Type": "application/json"}),
     "not a list of log entries"),
    (Reply(body=b'[{"u": {"body": "x"}}]', headers={"Content-Type": "application/json"}),
     "lacks its body, integratedTime, logID, logIndex"),
], ids=["unavailable", "html", "not-a-list", "incomplete-entry"])
def test_rekor_down_or_garbage_means_unverifiable_and_the_rest_is_checked(
    tree: Path, reply: Reply, said: str,
) -> None:
    def change(world: object) -> None:
        world._add(RETRIEVE, "caddy", Role.LOG, lambda _r, _f: reply,  # type: ignore[attr-defined]
                   method="POST")

    verdict = caddy(run(tree, change))  # every other pinned value verified
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason is not None
    assert verdict.reason.startswith(f"no usable answer from Rekor (POST {RETRIEVE}")
    assert said in verdict.reason
    assert f"the signing time of {SIG} cannot be checked" in verdict.reason


def test_without_a_pinned_rekor_key_the_signing_time_cannot_be_checked(tree: Path) -> None:
    for path in (tree / "keys" / "sigstore").glob("*rekor*.pub"):
        path.unlink()
    verdict = caddy(run(tree, rekor_asked=0))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        "no Rekor log key (*rekor*.pub) in keys/sigstore/; the signing time of a cosign "
        f"signature cannot be checked; the signing time of {SIG} cannot be checked")


def test_refresh_refuses_a_candidate_that_was_never_logged(tree: Path) -> None:
    message = resolve(tree, "2.11.5", lambda w: sign_caddy(w, "2.11.5", logged="no"))
    sums, _, pem = caddy_urls("2.11.5")
    assert message == (
        f"2.11.5 found, but its signature does not vouch for it: {sums}: the cosign signature "
        f"(certificate {pem} for {workflow_identity('caddyserver/caddy', 'v2.11.5')} (issuer "
        f"{GITHUB_ISSUER})) is not proven to be made while the certificate was valid: Rekor "
        "has no entry for this signature (it was never logged); nothing else vouches for the "
        "bytes; nothing of caddy was changed")

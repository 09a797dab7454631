"""`release.upstream.rekor` and `cosign.check_logged`: a Rekor entry proves a cosign signature
was logged while its certificate was valid. Checked on real Sigstore staging material (the
entry of `bundle.txt`, signed by the staging Rekor: `tests/data/sigstore-staging/`) and on
entries made by a test log (`world.cosign`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from world.cosign import (
    GITHUB_ISSUER,
    Signed,
    make_authority,
    merkle_path,
    merkle_root,
    workflow_identity,
)

from release.upstream.cosign import (
    CosignCheck,
    CosignVerdict,
    SignedBlob,
    check_keyless,
    check_logged,
    rekor_query,
)
from release.upstream.errors import PermanentUpstreamError
from release.upstream.rekor import (
    LogEntry,
    checkpoint_problem,
    entry_problem,
    inclusion_problem,
    leaf_hash,
    load_logs,
    parse_answer,
    proposed_entry,
    root_from_proof,
)

REPO = Path(__file__).resolve().parents[3]
STAGING = REPO / "tests" / "data" / "sigstore-staging"


def staging_answer() -> dict[str, Any]:
    """The Rekor entry of `bundle.txt` as the API serves it (`{uuid: LogEntryAnon}`, hashes in
    hex), from the real bundle's tlog entry: the same body, time, index, log, signed entry
    timestamp, inclusion proof and checkpoint."""
    tlog = json.loads((STAGING / "bundle.txt.sigstore").read_text())[
        "verificationMaterial"]["tlogEntries"][0]
    proof = tlog["inclusionProof"]
    return {"staging": {
        "body": tlog["canonicalizedBody"], "integratedTime": int(tlog["integratedTime"]),
        "logID": base64.b64decode(tlog["logId"]["keyId"]).hex(),
        "logIndex": int(tlog["logIndex"]),
        "verification": {
            "signedEntryTimestamp": tlog["inclusionPromise"]["signedEntryTimestamp"],
            "inclusionProof": {
                "logIndex": int(proof["logIndex"]), "treeSize": int(proof["treeSize"]),
                "rootHash": base64.b64decode(proof["rootHash"]).hex(),
                "hashes": [base64.b64decode(h).hex() for h in proof["hashes"]],
                "checkpoint": proof["checkpoint"]["envelope"]}}}}


def staging_entry() -> LogEntry:
    (entry,) = parse_answer(json.dumps([staging_answer()]).encode(), "staging")
    return entry


LEAF = x509.load_pem_x509_certificate((STAGING / "bundle.txt.crt").read_bytes())
SIGNATURE = base64.b64decode((STAGING / "bundle.txt.sig").read_bytes())
DIGEST = hashlib.sha256((STAGING / "bundle.txt").read_bytes()).hexdigest()


def staging_logs(tmp_path: Path) -> dict[str, object]:
    folder = tmp_path / "sigstore"
    folder.mkdir()
    (folder / "rekor-staging.pub").write_bytes((STAGING / "rekor-staging.pub").read_bytes())
    return dict(load_logs(folder))


def problem(entry: LogEntry, logs: dict[str, object], **changes: object) -> str | None:
    expected: dict[str, object] = {"data_sha256": DIGEST, "signature": SIGNATURE, "leaf": LEAF}
    expected.update(changes)
    return entry_problem(entry, logs=logs, **expected)  # type: ignore[arg-type]


def test_the_real_staging_entry_proves_its_signature_was_logged_in_time(tmp_path: Path) -> None:
    logs = staging_logs(tmp_path)
    entry = staging_entry()
    assert entry.log_id in logs  # the log id is the sha256 of the pinned key
    assert problem(entry, logs) is None
    assert LEAF.not_valid_before_utc <= entry.integrated <= LEAF.not_valid_after_utc


def test_a_changed_field_breaks_the_real_signed_entry_timestamp(tmp_path: Path) -> None:
    logs = staging_logs(tmp_path)
    entry = staging_entry()
    for changed in (replace(entry, integrated_time=entry.integrated_time + 1),
                    replace(entry, log_index=entry.log_index + 1)):
        assert problem(changed, logs) == (
            "its signed entry timestamp does not verify with the pinned Rekor key")


def test_the_real_inclusion_proof_and_checkpoint_hold_and_a_change_breaks_them(
    tmp_path: Path,
) -> None:
    key = staging_logs(tmp_path)[staging_entry().log_id]
    entry = staging_entry()
    assert entry.proof is not None
    assert (entry.proof.log_index, entry.proof.tree_size) == (7376158, 7376159)
    assert inclusion_problem(entry, key) is None  # type: ignore[arg-type]
    hashes = list(entry.proof.hashes)
    hashes[3] = bytes(32)
    broken = replace(entry, proof=replace(entry.proof, hashes=tuple(hashes)))
    assert inclusion_problem(broken, key) == (  # type: ignore[arg-type]
        "its inclusion proof does not lead to the root hash it names")
    moved = replace(entry, proof=replace(entry.proof, log_index=entry.proof.log_index - 1))
    assert inclusion_problem(moved, key) == (  # type: ignore[arg-type]
        "its inclusion proof does not lead to the root hash it names")
    unsigned = replace(entry, proof=replace(
        entry.proof, checkpoint=entry.proof.checkpoint.replace("Timestamp: 1", "Timestamp: 2")))
    assert inclusion_problem(unsigned, key) == (  # type: ignore[arg-type]
        "its checkpoint is not signed by the pinned Rekor key")
    assert inclusion_problem(replace(entry, proof=None), key) == (  # type: ignore[arg-type]
        "it comes without an inclusion proof")


@pytest.mark.parametrize("size", range(1, 18))
def test_every_leaf_of_trees_of_many_sizes_has_a_proof_only_at_its_index(size: int) -> None:
    # the world builds trees the way RFC 6962 defines them (recursive MTH and PATH); the check
    # verifies the way RFC 9162 walks a proof: two implementations, one answer
    leaves = [f"leaf {i}".encode() for i in range(size)]
    root = merkle_root(leaves)
    for index in range(size):
        path = merkle_path(index, leaves)
        assert root_from_proof(leaf_hash(leaves[index]), index, size, path) == root
        if size > 1:
            other = (index + 1) % size
            assert root_from_proof(leaf_hash(leaves[index]), other, size, path) != root
    assert root_from_proof(leaf_hash(leaves[0]), size, size, []) is None  # index past the end


def test_a_checkpoint_of_another_tree_or_not_a_note_is_refused() -> None:
    ca = make_authority("unit-checkpoint")
    key = ca.rekor_key.public_key()
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    log_id = hashlib.sha256(spki).hexdigest()
    root = hashlib.sha256(b"root").digest()
    note = ca.checkpoint(root, 7)
    assert checkpoint_problem(note, log_id=log_id, key=key, root=root, size=7) is None
    assert checkpoint_problem(note, log_id=log_id, key=key, root=root, size=8) == (
        "its checkpoint is of another tree ('7' leaves) than its inclusion proof (8 leaves)")
    assert checkpoint_problem(note, log_id=log_id, key=key, root=bytes(32), size=7) is not None
    forged = ca.checkpoint(root, 7, key=make_authority("elsewhere").rekor_key)
    assert checkpoint_problem(forged, log_id=log_id, key=key, root=root, size=7) == (
        "its checkpoint is not signed by the pinned Rekor key")
    assert checkpoint_problem("just text", log_id=log_id, key=key, root=root, size=7) == (
        "its checkpoint is not a signed note (origin, tree size, root hash, signature)")


def test_the_real_entry_is_not_one_of_another_file_signature_or_certificate(
    tmp_path: Path,
) -> None:
    logs = staging_logs(tmp_path)
    entry = staging_entry()
    other_leaf = x509.load_pem_x509_certificate((STAGING / "a.txt.crt").read_bytes())
    assert problem(entry, logs, data_sha256="0" * 64) == "it is for another file (sha256)"
    assert problem(entry, logs, signature=b"\x30\x00") == "it is for another signature"
    assert problem(entry, logs, leaf=other_leaf) == "it is for another certificate"


def test_an_entry_by_a_log_that_is_not_pinned_is_refused() -> None:
    production = load_logs(REPO / "keys" / "sigstore")  # the real rekor.sigstore.dev key
    assert list(production) == [
        "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"]
    assert problem(staging_entry(), dict(production)) == (
        "its log 'd32f30a3c32d639c2b762205a21c7bb07788e68283a4ae6f42118723a1bea496' is not a "
        "Rekor log pinned in keys/sigstore/")


def test_no_pinned_rekor_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PermanentUpstreamError, match=r"no Rekor log key \(\*rekor\*\.pub\)"):
        load_logs(tmp_path)
    (tmp_path / "x-rekor.pub").write_text("not a key")
    with pytest.raises(PermanentUpstreamError, match=r"x-rekor\.pub: not a PEM public key"):
        load_logs(tmp_path)


def test_the_proposed_entry_is_what_the_real_entry_logged() -> None:
    logged = json.loads(base64.b64decode(staging_entry().body))
    asked = proposed_entry(DIGEST, SIGNATURE, LEAF)
    assert asked["kind"] == logged["kind"] == "hashedrekord"
    assert asked["spec"]["data"] == logged["spec"]["data"]
    assert asked["spec"]["signature"]["content"] == logged["spec"]["signature"]["content"]
    certificate = base64.b64decode(asked["spec"]["signature"]["publicKey"]["content"])
    assert x509.load_pem_x509_certificate(certificate) == LEAF


# --- parsing Rekor's answer -------------------------------------------------------------------


GOOD = {"body": "e30=", "integratedTime": 1, "logID": "ab", "logIndex": 2,
        "verification": {"signedEntryTimestamp": "MEU="}}


@pytest.mark.parametrize(("body", "count"), [
    (b"[]", 0), (b"[{}]", 0), (json.dumps([{"u1": GOOD}, {"u2": GOOD}]).encode(), 2),
], ids=["none", "empty-object", "two"])
def test_an_answer_lists_its_entries(body: bytes, count: int) -> None:
    entries = parse_answer(body, "POST rekor")
    assert len(entries) == count
    if entries:
        assert (entries[0].uuid, entries[0].log_index) == ("u1", 2)


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>", "POST rekor: not JSON"),
    (b'{"entries": []}', "POST rekor: not a list of log entries"),
    (b"[1]", "POST rekor: not a list of log entries"),
    (json.dumps([{"u": dict(GOOD, integratedTime=True)}]).encode(),
     "POST rekor: log entry 'u' lacks its body, integratedTime, logID, logIndex or "
     "verification.signedEntryTimestamp"),
    (json.dumps([{"u": dict(GOOD, logIndex=-1)}]).encode(), "lacks its body"),
    (json.dumps([{"u": dict(GOOD, integratedTime=10**20)}]).encode(), "lacks its body"),
    (b"[" * 100_000 + b"]" * 100_000, "POST rekor: JSON nested too deeply to read"),
    (json.dumps([{"u": {k: v for k, v in GOOD.items() if k != "verification"}}]).encode(),
     "lacks its body"),
    (json.dumps([{"u": dict(GOOD, verification={"signedEntryTimestamp": "MEU=",
                                                "inclusionProof": {"logIndex": 1}})}]).encode(),
     "log entry 'u' has an inclusion proof without its logIndex, treeSize, rootHash, hashes "
     "(hex SHA-256) or checkpoint"),
    (json.dumps([{"u": dict(GOOD, verification={"signedEntryTimestamp": "MEU=", "inclusionProof": {
        "logIndex": 1, "treeSize": 2, "rootHash": "ab" * 32, "hashes": ["zz" * 32],
        "checkpoint": "x"}})}]).encode(), "has an inclusion proof without"),
    (json.dumps([{"u": dict(GOOD, verification={"signedEntryTimestamp": "MEU=", "inclusionProof": {
        "logIndex": 1, "treeSize": 2, "rootHash": "ab" * 32, "hashes": ["ab" * 32] * 65,
        "checkpoint": "x"}})}]).encode(), "has an inclusion proof without"),
], ids=["html", "object", "not-objects", "bool-time", "negative-index", "huge-time", "nested",
        "no-set", "proof-fields", "proof-not-hex", "proof-too-long"])
def test_a_malformed_answer_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(PermanentUpstreamError) as caught:
        parse_answer(body, "POST rekor")
    assert message in caught.value.message


# --- check_logged on a test log ---------------------------------------------------------------


CA = make_authority("unit-rekor")
_SPKI = CA.rekor_key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
LOGS = {hashlib.sha256(_SPKI).hexdigest(): CA.rekor_key.public_key()}
DATA = b"0123  caddy_2.11.4_linux_amd64.tar.gz\n"
ISSUED = dt.datetime(2026, 6, 2, 14, 5, tzinfo=dt.UTC)


def good(made: Signed) -> CosignCheck:
    """What `check_keyless` says of a good signature `made` over DATA."""
    return CosignCheck(verdict=CosignVerdict.GOOD, identity="x", issuer=GITHUB_ISSUER,
                       signed=SignedBlob(sha256=hashlib.sha256(DATA).hexdigest(),
                                         signature=base64.b64decode(made.sig),
                                         leaf=made.certificate))


def logged(after: dt.timedelta) -> tuple[CosignCheck, list[LogEntry]]:
    made = CA.sign(DATA, identity=workflow_identity("caddyserver/caddy", "v2.11.4"),
                   when=ISSUED)
    raw = CA.log_entry(DATA, made, when=ISSUED + after, index=7)
    entries = parse_answer(json.dumps([raw]).encode(), "test")
    return check_logged(good(made), entries, logs=LOGS), entries


def test_a_signature_logged_within_its_certificates_validity_stays_good() -> None:
    check, _ = logged(dt.timedelta(seconds=40))
    assert check.verdict is CosignVerdict.GOOD
    assert check.logged == "logged in Rekor at 2026-06-02T14:05:40+00:00 (entry 7)"


@pytest.mark.parametrize("after", [dt.timedelta(minutes=11), dt.timedelta(seconds=-1)],
                         ids=["after-expiry", "before-issue"])
def test_a_signature_logged_outside_its_certificates_validity_is_unlogged(
    after: dt.timedelta,
) -> None:
    check, _ = logged(after)
    assert check.verdict is CosignVerdict.UNLOGGED
    assert "outside the certificate's validity" in (check.detail or "")


def test_no_entry_means_unlogged_and_a_bad_check_is_left_as_it_is() -> None:
    made = CA.sign(DATA, identity="x", when=ISSUED)
    none = check_logged(good(made), [], logs=LOGS)
    assert (none.verdict, none.detail) == (
        CosignVerdict.UNLOGGED, "Rekor has no entry for this signature (it was never logged)")
    bad = replace(good(made), verdict=CosignVerdict.BAD)
    assert check_logged(bad, [], logs=LOGS) is bad


def test_one_good_entry_among_bad_ones_is_enough() -> None:
    _, entries = logged(dt.timedelta(seconds=40))
    forged = replace(entries[0], integrated_time=entries[0].integrated_time + 1, log_index=8)
    made = CA.sign(DATA, identity=workflow_identity("caddyserver/caddy", "v2.11.4"),
                   when=ISSUED)
    check = check_logged(good(made), [forged, *entries], logs=LOGS)
    assert check.verdict is CosignVerdict.GOOD
    alone = check_logged(good(made), [forged], logs=LOGS)
    assert alone.detail == ("entry 8: its signed entry timestamp does not verify with the "
                            "pinned Rekor key")


def test_rekor_query_names_what_check_keyless_verified_and_nothing_else() -> None:
    identity = workflow_identity("caddyserver/caddy", "v2.11.4")
    made = CA.sign(DATA, identity=identity, when=ISSUED)
    ct = CA.ct_key.public_key()
    ct_logs = {hashlib.sha256(ct.public_bytes(serialization.Encoding.DER, serialization.
                                              PublicFormat.SubjectPublicKeyInfo)).digest(): ct}

    def keyless(data: bytes, certificate: bytes) -> CosignCheck:
        return check_keyless(data, made.sig, certificate, roots=[CA.root, CA.intermediate],
                             ct_logs=ct_logs, identity=identity, issuer=GITHUB_ISSUER)

    query = rekor_query(keyless(DATA, made.pem))
    assert query is not None
    assert query["spec"]["data"]["hash"] == {"algorithm": "sha256",
                                             "value": hashlib.sha256(DATA).hexdigest()}
    assert query == proposed_entry(hashlib.sha256(DATA).hexdigest(),
                                   base64.b64decode(made.sig), made.certificate)
    assert rekor_query(keyless(DATA, b"not a certificate")) is None  # malformed
    assert rekor_query(keyless(b"other bytes", made.pem)) is None  # a bad signature

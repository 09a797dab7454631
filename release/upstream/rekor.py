"""The Rekor transparency-log entry of a cosign keyless signature, checked with `cryptography`.

A Fulcio certificate is valid for ten minutes, and a cosign `.sig`/`.pem` pair carries no time:
only the log proves that the signature was made while the certificate was valid (and so by the
workflow run the certificate names, with the key it threw away after). `cosign sign-blob`
uploads every signature to Rekor (`https://rekor.sigstore.dev`) as a `hashedrekord` entry (the
sha256 of the signed file, the signature, the certificate), and Rekor answers with a *signed
entry timestamp* (SET): its signature over the entry's body, log index and integration time.

`find_entries` asks Rekor for the entries of exactly this signature (`POST
/api/v1/log/entries/retrieve` with the proposed entry: one round trip, no index search), and
`entry_problem` checks one of them, all of it:

1. its `logID` is the sha256 of a Rekor key pinned in `keys/sigstore/` (`*rekor*.pub`);
2. the SET verifies with that key over the canonical JSON of `body`, `integratedTime`,
   `logID` and `logIndex` (what Rekor signs, RFC 8785: sorted keys, no whitespace);
3. its inclusion proof holds: the leaf hash of the body (RFC 6962: SHA-256 of 0x00 and the
   body), chained with the proof's hashes by its index and tree size (RFC 9162 §2.1.3.2),
   gives the proof's root hash, and the proof's checkpoint, a signed note by the same pinned
   key (`— <origin> base64(key id[:4] + signature)` over its text), states that root hash and
   tree size: the entry is in the log Rekor signs, not only promised;
4. the body is a `hashedrekord` 0.0.1 of this file's sha256, these signature bytes and this
   certificate;
5. `integratedTime` lies within the certificate's validity.

Not checked: that the checkpoint is the one everyone else sees (consistency with a witness or
an earlier checkpoint; nothing here keeps one between runs).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from release.upstream.common import post_once
from release.upstream.errors import PermanentUpstreamError
from release.upstream.interface import PostFetcher

REKOR_URL = "https://rekor.sigstore.dev"
RETRIEVE_PATH = "/api/v1/log/entries/retrieve"
#: An answer naming a few entries is a few KiB; anything near this is not Rekor's.
ANSWER_MAX_BYTES = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionProof:
    """`verification.inclusionProof` as Rekor's API serves it: hashes in hex, the checkpoint a
    signed note, `log_index` the entry's index in the tree the proof is of."""

    log_index: int
    tree_size: int
    root_hash: bytes
    hashes: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One entry of a Rekor answer (`LogEntryAnon`), its fields as served."""

    uuid: str
    body: str
    integrated_time: int
    log_id: str
    log_index: int
    signed_entry_timestamp: str
    proof: InclusionProof | None = None

    @property
    def integrated(self) -> datetime:
        return datetime.fromtimestamp(self.integrated_time, tz=UTC)


def pinned_log_keys(folder: Path, pattern: str, *, missing: str) -> dict[bytes, PublicKeyTypes]:
    """The PEM public keys `folder/pattern` of pinned transparency logs (certificate
    transparency, Rekor) by log id: the sha256 of the key's DER SubjectPublicKeyInfo (RFC 6962
    §3.2; Rekor names itself the same way). None found is an error, with `missing` (where the
    folder is and what cannot be checked without it) as its message."""
    logs: dict[bytes, PublicKeyTypes] = {}
    for path in sorted(folder.glob(pattern)) if folder.is_dir() else []:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise PermanentUpstreamError(f"{path.parent.name}/{path.name}: not a PEM public "
                                         f"key: {exc}") from None
        der = key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        logs[hashlib.sha256(der).digest()] = key
    if not logs:
        raise PermanentUpstreamError(missing.format(pattern=pattern,
                                                    folder=f"{folder.parent.name}/{folder.name}/"))
    return logs


def load_logs(folder: Path) -> dict[str, PublicKeyTypes]:
    """The pinned Rekor keys (`keys/sigstore/*rekor*.pub`) by log id in hex, as Rekor's
    `logID` says it. None is an error."""
    return {log_id.hex(): key for log_id, key in pinned_log_keys(
        folder, "*rekor*.pub", missing="no Rekor log key ({pattern}) in {folder}; the signing "
        "time of a cosign signature cannot be checked").items()}


def proposed_entry(data_sha256: str, signature: bytes, leaf: x509.Certificate) -> dict[str, Any]:
    """The `hashedrekord` 0.0.1 entry cosign uploads for `signature` (DER) over a file whose
    sha256 is `data_sha256`, by `leaf`: what Rekor is asked to find."""
    pem = leaf.public_bytes(serialization.Encoding.PEM)
    return {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "signature": {"content": base64.b64encode(signature).decode("ascii"),
                      "publicKey": {"content": base64.b64encode(pem).decode("ascii")}},
        "data": {"hash": {"algorithm": "sha256", "value": data_sha256}},
    }}


def parse_answer(body: bytes, where: str) -> list[LogEntry]:
    """The entries of a `retrieve` answer: a JSON list of `{uuid: LogEntryAnon}` objects (an
    empty list, or empty objects, when Rekor has none). Anything else is refused, naming
    `where`."""
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PermanentUpstreamError(f"{where}: not JSON ({exc})") from None
    except RecursionError:
        raise PermanentUpstreamError(f"{where}: JSON nested too deeply to read") from None
    if not isinstance(answer, list):
        raise PermanentUpstreamError(f"{where}: not a list of log entries")
    entries: list[LogEntry] = []
    for item in answer:
        if not isinstance(item, dict):
            raise PermanentUpstreamError(f"{where}: not a list of log entries")
        for uuid, value in item.items():
            entries.append(_entry(uuid, value, where))
    return entries


def _entry(uuid: str, value: object, where: str) -> LogEntry:
    fields = value if isinstance(value, dict) else {}
    verification = fields.get("verification")
    stamp = verification.get("signedEntryTimestamp") if isinstance(verification, dict) else None
    body, integrated = fields.get("body"), fields.get("integratedTime")
    log_id, index = fields.get("logID"), fields.get("logIndex")
    if not (isinstance(body, str) and isinstance(log_id, str) and isinstance(stamp, str)
            and _integer(integrated) and _integer(index)):
        raise PermanentUpstreamError(
            f"{where}: log entry {uuid[:80]!r} lacks its body, integratedTime, logID, logIndex "
            "or verification.signedEntryTimestamp")
    assert isinstance(integrated, int)  # _integer said so
    assert isinstance(index, int)
    proof = verification.get("inclusionProof") if isinstance(verification, dict) else None
    return LogEntry(uuid=uuid, body=body, integrated_time=integrated, log_id=log_id,
                    log_index=index, signed_entry_timestamp=stamp,
                    proof=None if proof is None else _proof(uuid, proof, where))


def _proof(uuid: str, value: object, where: str) -> InclusionProof:
    fields = value if isinstance(value, dict) else {}
    index, size = fields.get("logIndex"), fields.get("treeSize")
    root, hashes = fields.get("rootHash"), fields.get("hashes")
    checkpoint = fields.get("checkpoint")
    decoded = [_hex32(h) for h in hashes] if isinstance(hashes, list) else [None]
    if not (_integer(index) and _integer(size) and _hex32(root) is not None
            and all(h is not None for h in decoded) and isinstance(checkpoint, str)
            and len(decoded) <= _MAX_PROOF):
        raise PermanentUpstreamError(
            f"{where}: log entry {uuid[:80]!r} has an inclusion proof without its logIndex, "
            "treeSize, rootHash, hashes (hex SHA-256) or checkpoint")
    assert isinstance(index, int)  # _integer said so
    assert isinstance(size, int)
    assert isinstance(checkpoint, str)
    return InclusionProof(log_index=index, tree_size=size, root_hash=_hex32(root) or b"",
                          hashes=tuple(h for h in decoded if h is not None),
                          checkpoint=checkpoint)


#: A tree of 2**64 leaves has a 64-hash path: a longer proof is not a proof.
_MAX_PROOF = 64


def _hex32(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) != 64:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INT


#: No log index or integration time is larger (9999-12-31 in seconds): a bigger one is not
#: Rekor's, and would not make a date.
_MAX_INT = 253402300799


async def find_entries(fetcher: PostFetcher, proposed: Mapping[str, Any], *,
                       url: str = REKOR_URL) -> list[LogEntry]:
    """Rekor's entries for exactly `proposed` (none when the signature was never logged: an
    empty list, or a 404, as Rekor answers a search that finds nothing)."""
    where = f"{url.rstrip('/')}{RETRIEVE_PATH}"
    # Once per run: caddy and caddy-arm64 are vouched for by one signature.
    result = await post_once(fetcher, where,
                             content=json.dumps({"entries": [proposed]}, sort_keys=True).encode(),
                             headers={"Content-Type": "application/json",
                                      "Accept": "application/json"},
                             max_bytes=ANSWER_MAX_BYTES, ok=(200, 404))
    if result.status == 404:
        return []
    return parse_answer(result.body, f"POST {where}")


def _canonical(entry: LogEntry) -> bytes:
    """What Rekor signs into the SET: RFC 8785 JSON of four fields (strings of base64 and hex
    characters and non-negative integers, for which sorted keys and no whitespace are exact)."""
    return json.dumps({"body": entry.body, "integratedTime": entry.integrated_time,
                       "logID": entry.log_id, "logIndex": entry.log_index},
                      sort_keys=True, separators=(",", ":")).encode()


def signed_by(key: PublicKeyTypes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` over `data` verifies with `key`: ECDSA over SHA-256 (what Rekor and
    cosign sign with, whatever the curve) or Ed25519; any other key type is refused."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _b64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _field(mapping: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = mapping.get(name)
    return value if isinstance(value, dict) else {}


def _body_problem(entry: LogEntry, data_sha256: str, signature: bytes,
                  leaf: x509.Certificate) -> str | None:
    raw = _b64(entry.body)
    try:
        body = json.loads(raw) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        body = None
    if not isinstance(body, dict) or body.get("kind") != "hashedrekord" \
            or body.get("apiVersion") != "0.0.1" or not isinstance(body.get("spec"), dict):
        return "its body is not a hashedrekord 0.0.1 entry"
    spec: dict[str, Any] = body["spec"]
    digest = _field(_field(spec, "data"), "hash")
    if digest.get("algorithm") != "sha256" or digest.get("value") != data_sha256:
        return "it is for another file (sha256)"
    sig = _field(spec, "signature")
    if _b64(sig.get("content")) != signature:
        return "it is for another signature"
    key = _field(sig, "publicKey")
    pem = _b64(key.get("content"))
    try:
        logged = x509.load_pem_x509_certificates(pem) if pem is not None else []
    except ValueError:
        logged = []
    if not logged or logged[0] != leaf:
        return "it is for another certificate"
    return None


def leaf_hash(body: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of a leaf."""
    return hashlib.sha256(b"\x00" + body).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of an inner node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_proof(leaf: bytes, index: int, size: int, hashes: Sequence[bytes]) -> bytes | None:
    """The root hash the audit path `hashes` of the leaf hash `leaf`, at `index` in a tree of
    `size` leaves, leads to (RFC 9162 §2.1.3.2); None when the path cannot be of that tree."""
    if index >= size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in hashes:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def checkpoint_problem(checkpoint: str, *, log_id: str, key: PublicKeyTypes,
                       root: bytes, size: int) -> str | None:
    """Why the signed note `checkpoint` is not the pinned log's statement that its tree of
    `size` leaves has the root hash `root` (None: it is)."""
    text, blank, signatures = checkpoint.partition("\n\n")
    lines = text.split("\n")
    if not blank or len(lines) < 3 or not lines[0]:
        return "its checkpoint is not a signed note (origin, tree size, root hash, signature)"
    hint = bytes.fromhex(log_id)[:4]
    signed = False
    for line in signatures.splitlines():
        name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
        raw = _b64(encoded) if line.startswith("\u2014 ") and name else None
        if raw is not None and raw[:4] == hint and signed_by(key, raw[4:], f"{text}\n".encode()):
            signed = True
            break
    if not signed:
        return "its checkpoint is not signed by the pinned Rekor key"
    if lines[1] != str(size) or _b64(lines[2]) != root:
        return (f"its checkpoint is of another tree ({lines[1][:20]!r} leaves) than its "
                f"inclusion proof ({size} leaves)")
    return None


def inclusion_problem(entry: LogEntry, key: PublicKeyTypes) -> str | None:
    """Why `entry` is not proven to be in the tree the pinned log signed (None: it is)."""
    proof = entry.proof
    if proof is None:
        return "it comes without an inclusion proof"
    body = _b64(entry.body)
    root = root_from_proof(leaf_hash(body or b""), proof.log_index, proof.tree_size,
                           proof.hashes)
    if body is None or root != proof.root_hash:
        return "its inclusion proof does not lead to the root hash it names"
    return checkpoint_problem(proof.checkpoint, log_id=entry.log_id, key=key, root=root,
                              size=proof.tree_size)


def entry_problem(entry: LogEntry, *, data_sha256: str, signature: bytes,
                  leaf: x509.Certificate, logs: Mapping[str, PublicKeyTypes]) -> str | None:
    """Why `entry` does not prove that `signature` (DER) by `leaf` over the file whose sha256
    is `data_sha256` was logged while `leaf` was valid (None: it does)."""
    key = logs.get(entry.log_id)
    if key is None:
        return f"its log {entry.log_id[:64]!r} is not a Rekor log pinned in keys/sigstore/"
    stamp = _b64(entry.signed_entry_timestamp)
    if stamp is None or not signed_by(key, stamp, _canonical(entry)):
        return "its signed entry timestamp does not verify with the pinned Rekor key"
    problem = inclusion_problem(entry, key) or _body_problem(entry, data_sha256, signature, leaf)
    if problem is not None:
        return problem
    when = entry.integrated
    if not leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
        return (f"it was logged at {when.isoformat()}, outside the certificate's validity "
                f"({leaf.not_valid_before_utc.isoformat()} to "
                f"{leaf.not_valid_after_utc.isoformat()})")
    return None


def logged_problem(entries: Sequence[LogEntry], **expected: Any) -> tuple[LogEntry | None, str]:
    """The first entry that proves the signature was logged in time, or (None, why none does)."""
    if not entries:
        return None, "Rekor has no entry for this signature (it was never logged)"
    problems: list[str] = []
    for entry in entries:
        problem = entry_problem(entry, **expected)
        if problem is None:
            return entry, ""
        problems.append(f"entry {entry.log_index}: {problem}")
    return None, "; ".join(problems)

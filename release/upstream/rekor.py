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
3. the body is a `hashedrekord` 0.0.1 of this file's sha256, these signature bytes and this
   certificate;
4. `integratedTime` lies within the certificate's validity.

Not checked: the entry's Merkle inclusion proof against a signed checkpoint (the SET is Rekor's
signed promise that the entry is in the log; cosign accepts it offline as well).
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
class LogEntry:
    """One entry of a Rekor answer (`LogEntryAnon`), its fields as served."""

    uuid: str
    body: str
    integrated_time: int
    log_id: str
    log_index: int
    signed_entry_timestamp: str

    @property
    def integrated(self) -> datetime:
        return datetime.fromtimestamp(self.integrated_time, tz=UTC)


def load_logs(folder: Path) -> dict[str, PublicKeyTypes]:
    """The pinned Rekor keys (`keys/sigstore/*rekor*.pub`) by log id: the hex sha256 of the
    key's DER SubjectPublicKeyInfo, as Rekor names itself in `logID`. None is an error."""
    logs: dict[str, PublicKeyTypes] = {}
    for path in sorted(folder.glob("*rekor*.pub")) if folder.is_dir() else []:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise PermanentUpstreamError(f"{path.parent.name}/{path.name}: not a PEM public "
                                         f"key: {exc}") from None
        der = key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        logs[hashlib.sha256(der).hexdigest()] = key
    if not logs:
        raise PermanentUpstreamError(
            f"no Rekor log key (*rekor*.pub) in {folder.parent.name}/{folder.name}/; the "
            "signing time of a cosign signature cannot be checked",
        )
    return logs


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
    return LogEntry(uuid=uuid, body=body, integrated_time=integrated, log_id=log_id,
                    log_index=index, signed_entry_timestamp=stamp)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INT


#: No log index or integration time is larger (9999-12-31 in seconds): a bigger one is not
#: Rekor's, and would not make a date.
_MAX_INT = 253402300799


async def find_entries(fetcher: PostFetcher, proposed: Mapping[str, Any], *,
                       url: str = REKOR_URL) -> list[LogEntry]:
    """Rekor's entries for exactly `proposed` (none when the signature was never logged)."""
    where = f"{url.rstrip('/')}{RETRIEVE_PATH}"
    # Once per run: caddy and caddy-arm64 are vouched for by one signature.
    result = await post_once(fetcher, where,
                             content=json.dumps({"entries": [proposed]}, sort_keys=True).encode(),
                             headers={"Content-Type": "application/json",
                                      "Accept": "application/json"},
                             max_bytes=ANSWER_MAX_BYTES)
    return parse_answer(result.body, f"POST {where}")


def _canonical(entry: LogEntry) -> bytes:
    """What Rekor signs into the SET: RFC 8785 JSON of four fields (strings of base64 and hex
    characters and non-negative integers, for which sorted keys and no whitespace are exact)."""
    return json.dumps({"body": entry.body, "integratedTime": entry.integrated_time,
                       "logID": entry.log_id, "logIndex": entry.log_index},
                      sort_keys=True, separators=(",", ":")).encode()


def _signed(key: PublicKeyTypes, signature: bytes, data: bytes) -> bool:
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


def entry_problem(entry: LogEntry, *, data_sha256: str, signature: bytes,
                  leaf: x509.Certificate, logs: Mapping[str, PublicKeyTypes]) -> str | None:
    """Why `entry` does not prove that `signature` (DER) by `leaf` over the file whose sha256
    is `data_sha256` was logged while `leaf` was valid (None: it does)."""
    key = logs.get(entry.log_id)
    if key is None:
        return f"its log {entry.log_id[:64]!r} is not a Rekor log pinned in keys/sigstore/"
    stamp = _b64(entry.signed_entry_timestamp)
    if stamp is None or not _signed(key, stamp, _canonical(entry)):
        return "its signed entry timestamp does not verify with the pinned Rekor key"
    problem = _body_problem(entry, data_sha256, signature, leaf)
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

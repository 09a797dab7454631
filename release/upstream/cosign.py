"""cosign keyless signatures (a `.sig` and a Fulcio `.pem`), checked with `cryptography`.

Caddy's goreleaser runs `cosign sign-blob --output-signature=<file>.sig --output-certificate
<file>.pem <file>` in its release workflow (caddyserver/caddy `.goreleaser.yml`, `signs:`), so
each release asset, the checksums file among them, has a base64 ECDSA signature and the
short-lived Fulcio certificate of the key that made it. The certificate binds the key to the
workflow run: the Subject Alternative Name is the workflow identity
(`https://github.com/caddyserver/caddy/.github/workflows/release.yml@refs/tags/v2.11.4`) and the
Fulcio extension 1.3.6.1.4.1.57264.1.8 (and the deprecated .1.1) the OIDC issuer
(`https://token.actions.githubusercontent.com`).

Checked here, all of it, before a signed file is trusted:

1. the certificate chains to a Fulcio CA pinned in `keys/sigstore/` (every step's signature
   verified, every issuer a CA, valid when the leaf was issued, ending at a pinned self-signed
   root); certificates that come with the `.pem` are never trusted;
2. the leaf carries a certificate-transparency SCT signed by a CT log pinned in
   `keys/sigstore/*.pub` (Fulcio logs every certificate it issues; RFC 6962 §3.2, over the
   precertificate), so the certificate was publicly logged;
3. the leaf is for code signing and names exactly the pinned identity (SAN URI) and issuer;
4. the signature verifies over the file's bytes with the leaf's key (ECDSA over SHA-256, as
   cosign's verifier hashes whatever the curve);
5. then (`check_logged`) Rekor holds an entry of exactly this signature, by a Rekor log pinned
   in `keys/sigstore/`, whose signed entry timestamp verifies, whose inclusion proof leads to
   the root of a checkpoint that log signed, and whose time lies within the leaf's ten-minute
   validity: the signature was made while the certificate was valid, and publicly logged
   (`release.upstream.rekor`).

Not checked (say so wherever a verdict is shown): that the checkpoint is the one Rekor shows
everyone (a witness, or a checkpoint kept from an earlier run). Why not sigstore-python: its
`Verifier` verifies bundles, which Caddy's `.sig`/`.pem` assets are not; `cryptography` is the
maintained library sigstore-python itself is built on.

Deciding is pure (`check_keyless`, `check_logged`); the caller fetches the three files and
the Rekor entries (`rekor_query` of the good check is what to ask for).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

from release.upstream.errors import PermanentUpstreamError
from release.upstream.rekor import (
    LogEntry,
    logged_problem,
    pinned_log_keys,
    proposed_entry,
    signed_by,
)

ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # the raw issuer string (deprecated)
ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # a DER UTF8String
MAX_CHAIN = 4
NOT_CHECKED = "not checked: that Rekor shows everyone the same log (no witnessed checkpoint)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# cosign's detached-signature verifier hashes with SHA-256 whatever the curve
# (`LoadVerifier(cert.PublicKey, crypto.SHA256)`); real Fulcio leaves with P-384 keys are
# signed that way too (sigstore-python's test assets, tests/data/sigstore-staging/).
_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})


class CosignVerdict(StrEnum):
    GOOD = "good"  # chains to the pinned CA, the pinned identity and issuer, the bytes signed
    BAD = "bad"  # the signature does not verify over these bytes
    WRONG_IDENTITY = "wrong-identity"  # a valid certificate for another identity or issuer
    UNTRUSTED = "untrusted"  # not chained to the pinned Fulcio CA, or no SCT by a pinned log
    MALFORMED = "malformed"  # the `.sig` or `.pem` cannot be read
    UNLOGGED = "unlogged"  # no Rekor entry by a pinned log proves it was made in time


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedBlob:
    """What a good signature was found to be, read once: the signed file's sha256, the DER
    signature and the leaf certificate (what its Rekor entry must log)."""

    sha256: str
    signature: bytes
    leaf: x509.Certificate


@dataclass(frozen=True, slots=True, kw_only=True)
class CosignCheck:
    """What one cosign signature says about one file; `identity`/`issuer` are the leaf's."""

    verdict: CosignVerdict
    identity: str | None = None
    issuer: str | None = None
    detail: str | None = None
    #: The Rekor entry that proves the signing time (`check_logged`), as shown in verdicts.
    logged: str | None = None
    #: What a GOOD verdict verified (`check_keyless`); None for every other verdict.
    signed: SignedBlob | None = field(default=None, compare=False, repr=False)

    @property
    def signer(self) -> str:
        return f"{self.identity or 'no identity'} (issuer {self.issuer or 'none'})"

    def describe(self, file: str, *, certificate: str, identity: str, issuer: str) -> str:
        match self.verdict:
            case CosignVerdict.GOOD:
                logged = f", {self.logged}" if self.logged else ""
                return f"{file}: good cosign signature by {self.signer}{logged}"
            case CosignVerdict.BAD:
                return (f"{file}: BAD cosign signature (certificate {certificate} for "
                        f"{self.signer}): the file is not what was signed")
            case CosignVerdict.WRONG_IDENTITY:
                return (f"{file}: the certificate {certificate} is for {self.signer}, not the "
                        f"pinned {identity} (issuer {issuer})")
            case CosignVerdict.UNTRUSTED:
                return (f"{file}: the certificate {certificate} (for {self.signer}) is not "
                        "vouched for by the Fulcio CA and CT log pinned in keys/sigstore/: "
                        f"{self.detail}")
            case CosignVerdict.MALFORMED:
                return f"{file}: cannot read the cosign signature or {certificate}: {self.detail}"
            case CosignVerdict.UNLOGGED:
                return (f"{file}: the cosign signature (certificate {certificate} for "
                        f"{self.signer}) is not proven to be made while the certificate was "
                        f"valid: {self.detail}")


def _certificates(raw: bytes) -> list[x509.Certificate]:
    """The certificates of a `.pem`: PEM, or (as Caddy publishes it) base64 of PEM, or DER."""
    text = raw.strip()
    if not text.startswith(b"-----BEGIN"):
        try:
            decoded = base64.b64decode(b"".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            decoded = text
        text = decoded.strip()
    if text.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificates(text)
    return [x509.load_der_x509_certificate(text)]


def load_roots(folder: Path) -> list[x509.Certificate]:
    """The pinned Fulcio CA certificates (`keys/sigstore/*.pem`); none is an error."""
    found: list[x509.Certificate] = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            found.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except ValueError as exc:
            raise PermanentUpstreamError(f"{path.parent.name}/{path.name}: not a PEM "
                                         f"certificate: {exc}") from None
    if not found:
        raise PermanentUpstreamError(
            f"no Fulcio CA certificate (*.pem) in {folder.parent.name}/{folder.name}/; "
            "a cosign signature cannot be checked",
        )
    return found


def load_ct_logs(folder: Path) -> dict[bytes, PublicKeyTypes]:
    """The pinned certificate-transparency log keys (`keys/sigstore/*ctfe*.pub`), by log id (the
    sha256 of the key's DER SubjectPublicKeyInfo, RFC 6962 §3.2); none is an error."""
    return pinned_log_keys(folder, "*ctfe*.pub", missing="no certificate-transparency log key "
                           "({pattern}) in {folder}; a cosign signature cannot be checked")


def _sct_signed(sct: x509.certificate_transparency.SignedCertificateTimestamp,
                issuer_key_hash: bytes, tbs: bytes) -> bytes:
    """What a CT log signs for a precertificate (RFC 6962 §3.2, `digitally-signed struct`)."""
    stamp = (sct.timestamp.replace(tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
    ext = sct.extension_bytes
    return (bytes([0, 0]) + stamp.to_bytes(8, "big") + (1).to_bytes(2, "big")
            + issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs
            + len(ext).to_bytes(2, "big") + ext)


def sct_problem(leaf: x509.Certificate, issuer: x509.Certificate,
                logs: Mapping[bytes, PublicKeyTypes]) -> str | None:
    """Why no SCT embedded in `leaf` is a valid one by a pinned CT log (None: one is)."""
    try:
        scts = leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps).value
    except x509.ExtensionNotFound:
        return "the certificate carries no certificate-transparency SCT"
    spki = issuer.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    issuer_key_hash = hashlib.sha256(spki).digest()
    tbs = leaf.tbs_precertificate_bytes
    for sct in scts:
        key = logs.get(sct.log_id)
        if key is None or not isinstance(sct.signature_hash_algorithm, hashes.SHA256):
            continue
        signed = _sct_signed(sct, issuer_key_hash, tbs)
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(sct.signature, signed, ec.ECDSA(hashes.SHA256()))
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(sct.signature, signed, padding.PKCS1v15(), hashes.SHA256())
            else:
                continue
        except InvalidSignature:
            continue
        return None
    return (f"none of its {len(scts)} certificate-transparency SCT(s) is a valid one by a CT "
            "log pinned in keys/sigstore/")


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _der_utf8(value: bytes) -> str | None:
    """The text of a DER UTF8String (tag 0x0C), else None."""
    if len(value) < 2 or value[0] != 0x0C:
        return None
    length, start = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2 or len(value) < 2 + count:
            return None
        length, start = int.from_bytes(value[2:2 + count], "big"), 2 + count
    if len(value) != start + length:
        return None
    return _text(value[start:])


def leaf_issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer Fulcio wrote into the certificate (.1.8 first, else the older .1.1)."""
    values: dict[x509.ObjectIdentifier, bytes] = {}
    for ext in cert.extensions:
        if ext.oid in (ISSUER_V1, ISSUER_V2) and isinstance(ext.value, x509.UnrecognizedExtension):
            values[ext.oid] = ext.value.value
    v2 = _der_utf8(values[ISSUER_V2]) if ISSUER_V2 in values else None
    v1 = _text(values[ISSUER_V1]) if ISSUER_V1 in values else None
    if ISSUER_V2 in values and ISSUER_V1 in values and v1 != v2:
        return None  # two issuers that disagree: none is trusted
    return v2 if ISSUER_V2 in values else v1


def leaf_identities(cert: x509.Certificate) -> list[str]:
    """The SAN entries a Fulcio certificate can carry (URI for workflows, e-mail for people)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.UniformResourceIdentifier),
            *san.get_values_for_type(x509.RFC822Name)]


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def _parent(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> x509.Certificate | None:
    return next((ca for ca in roots if ca.subject == cert.issuer and _is_ca(ca)
                 and _issued_by(cert, ca)), None)


def chain_problem(leaf: x509.Certificate, roots: Sequence[x509.Certificate]) -> str | None:
    """Why `leaf` does not chain to a pinned self-signed root (None when it does).

    Each issuer must be one of the pinned certificates, a CA, valid when the leaf was issued,
    and its signature over the certificate below must verify.
    """
    issued = leaf.not_valid_before_utc
    current = leaf
    for _ in range(MAX_CHAIN):
        parent = _parent(current, roots)
        if parent is None:
            return (f"no pinned CA issued {current.subject.rfc4514_string() or 'the leaf'} "
                    f"(issuer {current.issuer.rfc4514_string()})")
        if not _valid_at(parent, issued):
            return (f"the pinned CA {parent.subject.rfc4514_string()} was not valid at "
                    f"{issued.isoformat()}")
        if parent.subject == parent.issuer and _issued_by(parent, parent):
            return None
        current = parent
    return f"no pinned self-signed root within {MAX_CHAIN} certificates"


def _verify(cert: x509.Certificate, signature: bytes, data: bytes) -> bool:
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in _CURVES:
        return False
    return signed_by(key, signature, data)


def _signature_bytes(raw: bytes) -> bytes:
    """cosign's `.sig` is the base64 of the DER signature; raw DER is accepted too."""
    text = b"".join(raw.split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return raw


def check_keyless(data: bytes, signature: bytes, certificate: bytes, *,
                  roots: Sequence[x509.Certificate], ct_logs: Mapping[bytes, PublicKeyTypes],
                  identity: str, issuer: str) -> CosignCheck:
    """The verdict of a cosign keyless `signature` (+ its `certificate`) over `data`.

    `roots` are the pinned Fulcio CA certificates, `ct_logs` the pinned CT log keys by log id.
    """
    try:
        leaf = _certificates(certificate)[0]
    except (ValueError, IndexError) as exc:
        return CosignCheck(verdict=CosignVerdict.MALFORMED, detail=f"not a certificate ({exc})")
    names = leaf_identities(leaf)
    found_issuer = leaf_issuer(leaf)
    shown = names[0] if len(names) == 1 else (", ".join(names) or None)
    check = CosignCheck(verdict=CosignVerdict.GOOD, identity=shown, issuer=found_issuer)
    problem = chain_problem(leaf, roots)
    if problem is None:
        parent = _parent(leaf, roots)
        assert parent is not None  # chain_problem found it
        problem = sct_problem(leaf, parent, ct_logs)
    if problem is not None:
        return CosignCheck(verdict=CosignVerdict.UNTRUSTED, identity=shown, issuer=found_issuer,
                           detail=problem)
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        code_signing = ExtendedKeyUsageOID.CODE_SIGNING in usages
    except x509.ExtensionNotFound:
        code_signing = False
    if not code_signing:
        return CosignCheck(verdict=CosignVerdict.UNTRUSTED, identity=shown, issuer=found_issuer,
                           detail="the certificate is not for code signing")
    if names != [identity] or found_issuer != issuer:
        return CosignCheck(verdict=CosignVerdict.WRONG_IDENTITY, identity=shown,
                           issuer=found_issuer)
    der = _signature_bytes(signature)
    if not _verify(leaf, der, data):
        return CosignCheck(verdict=CosignVerdict.BAD, identity=shown, issuer=found_issuer)
    return replace(check, signed=SignedBlob(sha256=hashlib.sha256(data).hexdigest(),
                                            signature=der, leaf=leaf))


def rekor_query(check: CosignCheck) -> dict[str, Any] | None:
    """The Rekor entry to ask for of a good `check` (None for any other verdict)."""
    signed = check.signed
    if check.verdict is not CosignVerdict.GOOD or signed is None:
        return None
    return proposed_entry(signed.sha256, signed.signature, signed.leaf)


def check_logged(check: CosignCheck, entries: Sequence[LogEntry], *,
                 logs: Mapping[str, PublicKeyTypes]) -> CosignCheck:
    """A good `check` stays good only when one of Rekor's `entries` proves the signature was
    logged, by a pinned Rekor log (`logs`), while its certificate was valid; else UNLOGGED.
    Any other verdict is returned as it is."""
    signed = check.signed
    if check.verdict is not CosignVerdict.GOOD or signed is None:
        return check
    entry, problem = logged_problem(entries, data_sha256=signed.sha256,
                                    signature=signed.signature, leaf=signed.leaf, logs=logs)
    if entry is None:
        return replace(check, verdict=CosignVerdict.UNLOGGED, detail=problem)
    return replace(check, logged=f"logged in Rekor at {entry.integrated.isoformat()} "
                                 f"(entry {entry.log_index})")

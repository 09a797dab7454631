"""`release.upstream.cosign.check_keyless`: what one cosign keyless signature says, decided with
certificates and keys made here (`world.cosign`), and the pinned real Fulcio CA."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from world.cosign import GITHUB_ISSUER, make_authority, workflow_identity

from release.upstream.cosign import (
    CosignVerdict,
    check_keyless,
    leaf_issuer,
    load_ct_logs,
    load_roots,
)
from release.upstream.errors import PermanentUpstreamError

REPO = Path(__file__).resolve().parents[3]
CA = make_authority("unit-fulcio")
ROOTS = [CA.root, CA.intermediate]
_CT_DER = CA.ct_key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
LOGS = {hashlib.sha256(_CT_DER).digest(): CA.ct_key.public_key()}
IDENTITY = workflow_identity("caddyserver/caddy", "v2.11.4")
DATA = b"0123  caddy_2.11.4_linux_amd64.tar.gz\n"


def check(data: bytes = DATA, **sign: object) -> CosignVerdict:
    made = CA.sign(DATA, identity=str(sign.pop("identity", IDENTITY)), **sign)  # type: ignore[arg-type]
    return check_keyless(data, made.sig, made.pem, roots=ROOTS, ct_logs=LOGS,
                         identity=IDENTITY, issuer=GITHUB_ISSUER).verdict


def test_a_good_signature() -> None:
    assert check() is CosignVerdict.GOOD


def test_other_bytes() -> None:
    assert check(DATA + b"x") is CosignVerdict.BAD


def test_another_identity_and_another_issuer() -> None:
    assert check(identity=IDENTITY.replace("v2.11.4", "v2.11.5")) is \
        CosignVerdict.WRONG_IDENTITY
    assert check(issuer="https://accounts.google.com") is CosignVerdict.WRONG_IDENTITY


def test_the_pem_may_be_plain_pem_and_the_signature_raw_der() -> None:
    made = CA.sign(DATA, identity=IDENTITY)
    pem = made.certificate.public_bytes(serialization.Encoding.PEM)
    found = check_keyless(DATA, base64.b64decode(made.sig), pem, roots=ROOTS, ct_logs=LOGS,
                          identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert (found.verdict, found.identity, found.issuer) == (
        CosignVerdict.GOOD, IDENTITY, GITHUB_ISSUER)


def test_only_the_pinned_root_is_trusted_not_an_intermediate_alone() -> None:
    made = CA.sign(DATA, identity=IDENTITY)
    found = check_keyless(DATA, made.sig, made.pem, roots=[CA.intermediate], ct_logs=LOGS,
                          identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert found.verdict is CosignVerdict.UNTRUSTED
    assert found.detail == ("no pinned CA issued CN=unit-fulcio-intermediate,O=sigstore.test "
                            "(issuer CN=unit-fulcio-root,O=sigstore.test)")


def test_a_leaf_issued_when_the_ca_was_not_valid_is_untrusted() -> None:
    found = check_keyless(DATA, *_parts(CA.sign(DATA, identity=IDENTITY,
                                                 when=dt.datetime(2019, 6, 1, tzinfo=dt.UTC))),
                          roots=ROOTS, ct_logs=LOGS, identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert found.verdict is CosignVerdict.UNTRUSTED
    assert "was not valid at 2019-06-01" in (found.detail or "")


def _parts(made: object) -> tuple[bytes, bytes]:
    return made.sig, made.pem  # type: ignore[attr-defined]


def test_garbage_is_malformed() -> None:
    found = check_keyless(DATA, b"sig", b"not a certificate", roots=ROOTS, ct_logs=LOGS,
                          identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert found.verdict is CosignVerdict.MALFORMED


def test_the_issuer_is_read_from_the_fulcio_extension() -> None:
    made = CA.sign(DATA, identity=IDENTITY)
    assert leaf_issuer(made.certificate) == GITHUB_ISSUER


def test_the_pinned_sigstore_ca_is_the_public_good_fulcio_chain() -> None:
    roots = load_roots(REPO / "keys" / "sigstore")
    assert sorted(c.subject.rfc4514_string() for c in roots) == [
        "CN=sigstore,O=sigstore.dev", "CN=sigstore-intermediate,O=sigstore.dev"]
    intermediate = next(c for c in roots if "intermediate" in c.subject.rfc4514_string())
    root = next(c for c in roots if c is not intermediate)
    intermediate.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)


def test_no_pinned_ca_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PermanentUpstreamError, match=r"no Fulcio CA certificate \(\*\.pem\)"):
        load_roots(tmp_path / "sigstore")


def test_two_issuer_extensions_that_disagree_name_no_issuer() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    leaf = CA.leaf(key, identity=IDENTITY, issuer=GITHUB_ISSUER,
                   when=dt.datetime(2026, 6, 2, tzinfo=dt.UTC))
    builder = x509.CertificateBuilder(
        issuer_name=leaf.issuer, subject_name=leaf.subject, public_key=key.public_key(),
        serial_number=leaf.serial_number, not_valid_before=leaf.not_valid_before_utc,
        not_valid_after=leaf.not_valid_after_utc)
    for ext in leaf.extensions:
        value = ext.value
        if ext.oid.dotted_string == "1.3.6.1.4.1.57264.1.1":
            value = x509.UnrecognizedExtension(ext.oid, b"https://accounts.google.com")
        builder = builder.add_extension(value, critical=ext.critical)
    forged = builder.sign(CA.intermediate_key, hashes.SHA384())
    assert leaf_issuer(forged) is None


STAGING = REPO / "tests" / "data" / "sigstore-staging"


def test_a_real_fulcio_signature_verifies_against_its_own_ca_and_ct_log() -> None:
    """sigstore-python's staging assets (tests/data/sigstore-staging/README.md)."""
    found = check_keyless((STAGING / "bundle.txt").read_bytes(),
                          (STAGING / "bundle.txt.sig").read_bytes(),
                          (STAGING / "bundle.txt.crt").read_bytes(), roots=load_roots(STAGING),
                          ct_logs=load_ct_logs(STAGING), identity="a@tny.town",
                          issuer="https://github.com/login/oauth")
    assert (found.verdict, found.identity, found.issuer) == (
        CosignVerdict.GOOD, "a@tny.town", "https://github.com/login/oauth")


def test_a_real_sct_by_a_ct_log_that_is_not_pinned_is_untrusted() -> None:
    found = check_keyless((STAGING / "a.txt").read_bytes(), (STAGING / "a.txt.sig").read_bytes(),
                          (STAGING / "a.txt.crt").read_bytes(), roots=load_roots(STAGING),
                          ct_logs=load_ct_logs(STAGING), identity="william@yossarian.net",
                          issuer="https://github.com/login/oauth")
    assert (found.verdict, found.detail) == (
        CosignVerdict.UNTRUSTED, "none of its 1 certificate-transparency SCT(s) is a valid one "
        "by a CT log pinned in keys/sigstore/")


def test_a_leaf_without_an_sct_is_untrusted() -> None:
    made = CA.sign(DATA, identity=IDENTITY, sct=False)
    found = check_keyless(DATA, made.sig, made.pem, roots=ROOTS, ct_logs=LOGS,
                          identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert (found.verdict, found.detail) == (
        CosignVerdict.UNTRUSTED, "the certificate carries no certificate-transparency SCT")


def test_an_sct_by_another_ct_log_is_untrusted() -> None:
    other = make_authority("other-ct")
    made = CA.sign(DATA, identity=IDENTITY)
    der = other.ct_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    found = check_keyless(DATA, made.sig, made.pem, roots=ROOTS,
                          ct_logs={hashlib.sha256(der).digest(): other.ct_key.public_key()},
                          identity=IDENTITY, issuer=GITHUB_ISSUER)
    assert found.verdict is CosignVerdict.UNTRUSTED


def test_the_pinned_ct_log_is_sigstores_2022_log() -> None:
    logs = load_ct_logs(REPO / "keys" / "sigstore")
    assert [base64.b64encode(k).decode() for k in logs] == [
        "3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4="]


def test_a_real_fulcio_signature_over_other_bytes_is_bad() -> None:
    found = check_keyless((STAGING / "bundle.txt").read_bytes() + b"!",
                          (STAGING / "bundle.txt.sig").read_bytes(),
                          (STAGING / "bundle.txt.crt").read_bytes(), roots=load_roots(STAGING),
                          ct_logs=load_ct_logs(STAGING), identity="a@tny.town",
                          issuer="https://github.com/login/oauth")
    assert found.verdict is CosignVerdict.BAD


def test_a_staging_certificate_does_not_chain_to_the_pinned_production_ca() -> None:
    found = check_keyless((STAGING / "a.txt").read_bytes(), (STAGING / "a.txt.sig").read_bytes(),
                          (STAGING / "a.txt.crt").read_bytes(),
                          roots=load_roots(REPO / "keys" / "sigstore"),
                          ct_logs=load_ct_logs(REPO / "keys" / "sigstore"),
                          identity="william@yossarian.net",
                          issuer="https://github.com/login/oauth")
    assert found.verdict is CosignVerdict.UNTRUSTED

"""Detached OpenPGP signatures checked by gpgv, with keys this test session generates.

Each case is a real signature made by `gpg` with a fresh key: good, tampered bytes, a valid
signature over other bytes, a key that is not pinned, a pinned key absent from the keyring,
and a file that holds no signature at all.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from world.trust import SigningKey, make_key

from release.upstream.signatures import (
    SignatureCheck,
    SignatureVerdict,
    check_detached,
    decide,
    normalize_fingerprint,
)

pytestmark = pytest.mark.skipif(
    shutil.which("gpg") is None or shutil.which("gpgv") is None,
    reason="gpg and gpgv are needed to make and check real signatures",
)


@dataclass(frozen=True, slots=True)
class PinnedKey:
    """A test signing key (`world_trust.make_key`) and its public key, exported to a file."""

    key: SigningKey
    public: Path

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint

    def sign(self, data: bytes, where: Path) -> bytes:
        """A detached armoured signature of `data` (made next to `where`)."""
        return self.key.sign(data, where.parent)


def _make_key(root: Path, name: str) -> PinnedKey:
    key = make_key(root, name)
    public = root / f"{name}.asc"
    public.write_bytes(key.armored)
    return PinnedKey(key=key, public=public)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[PinnedKey, PinnedKey]:
    root = tmp_path_factory.mktemp("gpg")
    return _make_key(root, "upstream"), _make_key(root, "stranger")


ARCHIVE = b"squid-7.6 release archive bytes\n" * 64


def test_a_good_signature_names_the_pinned_key(keys: tuple[PinnedKey, PinnedKey],
                                               tmp_path: Path) -> None:
    upstream, _ = keys
    signature = upstream.sign(ARCHIVE, tmp_path / "squid-7.6.tar.xz")
    result = check_detached(ARCHIVE, signature, keys=[upstream.public],
                            pinned=[upstream.fingerprint])
    assert result == SignatureCheck(verdict=SignatureVerdict.GOOD,
                                    fingerprint=upstream.fingerprint)
    assert result.describe("squid-7.6.tar.xz.asc") == (
        f"squid-7.6.tar.xz.asc: good signature by key {upstream.fingerprint}"
    )


def test_text_before_the_armour_is_accepted(keys: tuple[PinnedKey, PinnedKey],
                                            tmp_path: Path) -> None:
    # Squid's .asc files start with File:/Date:/SHA256: lines before the armoured signature.
    upstream, _ = keys
    signature = upstream.sign(ARCHIVE, tmp_path / "squid-7.6.tar.xz")
    prefixed = b"File     : squid-7.6.tar.xz\nSHA256   : 00\n" + signature
    result = check_detached(ARCHIVE, prefixed, keys=[upstream.public],
                            pinned=[upstream.fingerprint])
    assert result.verdict is SignatureVerdict.GOOD


def test_tampered_bytes_are_a_bad_signature(keys: tuple[PinnedKey, PinnedKey],
                                            tmp_path: Path) -> None:
    upstream, _ = keys
    signature = upstream.sign(ARCHIVE, tmp_path / "squid-7.6.tar.xz")
    tampered = ARCHIVE.replace(b"release", b"backdoor")
    result = check_detached(tampered, signature, keys=[upstream.public],
                            pinned=[upstream.fingerprint])
    assert result.verdict is SignatureVerdict.BAD
    assert result.describe("squid-7.6.tar.xz.asc") == (
        f"squid-7.6.tar.xz.asc: BAD signature (key {result.key_id}): "
        "the file is not what was signed"
    )
    assert result.key_id is not None
    assert upstream.fingerprint.endswith(result.key_id)


def test_a_valid_signature_over_other_bytes_is_bad(keys: tuple[PinnedKey, PinnedKey],
                                                   tmp_path: Path) -> None:
    upstream, _ = keys
    other = upstream.sign(b"squid-7.5 archive\n", tmp_path / "squid-7.5.tar.xz")
    result = check_detached(ARCHIVE, other, keys=[upstream.public],
                            pinned=[upstream.fingerprint])
    assert result.verdict is SignatureVerdict.BAD


def test_a_key_in_the_keyring_but_not_pinned_is_unknown(keys: tuple[PinnedKey, PinnedKey],
                                                        tmp_path: Path) -> None:
    upstream, stranger = keys
    signature = stranger.sign(ARCHIVE, tmp_path / "squid-7.6.tar.xz")
    result = check_detached(ARCHIVE, signature, keys=[upstream.public, stranger.public],
                            pinned=[upstream.fingerprint])
    assert result == SignatureCheck(verdict=SignatureVerdict.UNKNOWN_KEY,
                                    fingerprint=stranger.fingerprint)
    assert result.describe("squid-7.6.tar.xz.asc") == (
        f"squid-7.6.tar.xz.asc: signed by key {stranger.fingerprint}, "
        "which is not pinned in keys/"
    )


def test_a_signature_by_a_key_missing_from_the_keyring_is_unknown(
    keys: tuple[PinnedKey, PinnedKey], tmp_path: Path,
) -> None:
    upstream, stranger = keys
    signature = stranger.sign(ARCHIVE, tmp_path / "squid-7.6.tar.xz")
    result = check_detached(ARCHIVE, signature, keys=[upstream.public],
                            pinned=[upstream.fingerprint])
    assert result.verdict is SignatureVerdict.UNKNOWN_KEY
    assert result.fingerprint == stranger.fingerprint


def test_an_html_page_is_no_signature(keys: tuple[PinnedKey, PinnedKey]) -> None:
    upstream, _ = keys
    result = check_detached(ARCHIVE, b"<html><body>404 Not Found</body></html>\n",
                            keys=[upstream.public], pinned=[upstream.fingerprint])
    assert result.verdict is SignatureVerdict.NO_SIGNATURE


def test_decide_without_status_lines_is_no_signature() -> None:
    assert decide([], []) == SignatureCheck(verdict=SignatureVerdict.NO_SIGNATURE)


def test_fingerprints_are_normalized() -> None:
    assert normalize_fingerprint("b068 84ed b779 c89b 044e 64e3 cd6d bf8e f3b1 7d3e") == (
        "B06884EDB779C89B044E64E3CD6DBF8EF3B17D3E"
    )
    with pytest.raises(ValueError, match="is not a full OpenPGP fingerprint"):
        normalize_fingerprint("FF5CF463")

"""OpenPGP detached signatures of upstream files, checked by Debian's `gpgv`.

Why `gpgv` (run as a subprocess) and not a Python library: it is the verifier apt itself uses,
it is maintained with GnuPG, it keeps no key database or trust state (it trusts exactly the
keyring it is given), and its `--status-fd` output is a documented machine-readable protocol
(GnuPG's doc/DETAILS). PGPy is barely maintained and lacks newer key types; pysequoia needs a
native wheel. CI installs `gpgv` from Debian (`.ci/run`).

Deciding is pure: `decide` turns `gpgv`'s status lines and the pinned fingerprints into a
`SignatureCheck`. Running `gpgv` is the edge (`check_detached`). Keys are kept armoured in the
repository; `gpgv` 2.2 reads only binary keyrings, so `dearmor` converts them (RFC 4880 §6).
"""

from __future__ import annotations

import base64
import binascii
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from release.upstream.errors import PermanentUpstreamError

GPGV_TIMEOUT = 60.0
_ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"


class SignatureVerdict(StrEnum):
    GOOD = "good"  # a valid signature by one of the pinned keys
    BAD = "bad"  # the signature does not match the bytes (tampered file, or other bytes)
    UNKNOWN_KEY = "unknown-key"  # made by a key that is not pinned
    NO_SIGNATURE = "no-signature"  # the signature file holds no OpenPGP signature


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureCheck:
    """What one signature says about one file.

    `fingerprint` is the signing key's full fingerprint when `gpgv` names it (VALIDSIG, or the
    issuer fingerprint of an unknown key); `key_id` the 16-hex key id otherwise.
    """

    verdict: SignatureVerdict
    fingerprint: str | None = None
    key_id: str | None = None

    def describe(self, file: str) -> str:
        key = self.fingerprint or self.key_id or "an unnamed key"
        match self.verdict:
            case SignatureVerdict.GOOD:
                return f"{file}: good signature by key {key}"
            case SignatureVerdict.BAD:
                return f"{file}: BAD signature (key {key}): the file is not what was signed"
            case SignatureVerdict.UNKNOWN_KEY:
                return f"{file}: signed by key {key}, which is not pinned in keys/"
            case SignatureVerdict.NO_SIGNATURE:
                return f"{file}: the signature file holds no OpenPGP signature"


def normalize_fingerprint(value: str) -> str:
    """`B068 84ED ...` or `0xb06884...` → 40 (or 64) uppercase hex digits, else ValueError."""
    cleaned = value.replace(" ", "").removeprefix("0x").removeprefix("0X").upper()
    if len(cleaned) not in (40, 64) or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise ValueError(f"{value!r} is not a full OpenPGP fingerprint (40 or 64 hex digits)")
    return cleaned


def decide(status: Iterable[str], pinned: Sequence[str]) -> SignatureCheck:
    """The verdict of `gpgv --status-fd` output, given the fingerprints we pin.

    A VALIDSIG whose primary-key fingerprint (or signing-subkey fingerprint) is not pinned is
    `unknown-key`: `gpgv` trusts every key of its keyring, we trust only the pinned ones.
    """
    wanted = {normalize_fingerprint(f) for f in pinned}
    key_id: str | None = None
    issuer: str | None = None
    seen_signature = False
    for raw in status:
        if not raw.startswith("[GNUPG:] "):
            continue
        words = raw.removeprefix("[GNUPG:] ").split()
        if not words:
            continue
        keyword, args = words[0], words[1:]
        if keyword == "NEWSIG":
            seen_signature = True
        elif keyword == "VALIDSIG" and len(args) >= 1:
            signing = args[0].upper()
            primary = args[9].upper() if len(args) >= 10 else signing
            if primary in wanted or signing in wanted:
                return SignatureCheck(verdict=SignatureVerdict.GOOD, fingerprint=primary)
            return SignatureCheck(verdict=SignatureVerdict.UNKNOWN_KEY, fingerprint=primary)
        elif keyword == "BADSIG" and args:
            return SignatureCheck(verdict=SignatureVerdict.BAD, key_id=args[0].upper())
        elif keyword == "ERRSIG" and args:
            seen_signature = True
            key_id = args[0].upper()
            if len(args) >= 7 and len(args[6]) in (40, 64):
                issuer = args[6].upper()
        elif keyword == "NO_PUBKEY" and args:
            key_id = args[0].upper()
    if key_id is not None or issuer is not None:
        return SignatureCheck(
            verdict=SignatureVerdict.UNKNOWN_KEY, fingerprint=issuer, key_id=key_id
        )
    if seen_signature:
        return SignatureCheck(verdict=SignatureVerdict.BAD)
    return SignatureCheck(verdict=SignatureVerdict.NO_SIGNATURE)


def dearmor(text: str, where: str) -> bytes:
    """The binary key packets of an armoured public key block (every block in `text`)."""
    blocks: list[bytes] = []
    inside = False
    body: list[str] = []
    header = True
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == _ARMOR_BEGIN:
            inside, body, header = True, [], True
            continue
        if not inside:
            continue
        if stripped == _ARMOR_END:
            inside = False
            try:
                blocks.append(base64.b64decode("".join(body), validate=True))
            except (binascii.Error, ValueError):
                raise PermanentUpstreamError(
                    f"{where}: the key block is not valid base64"
                ) from None
            continue
        if header:
            if stripped == "":
                header = False
            elif ":" not in stripped:
                header = False
                body.append(stripped)
            continue
        if stripped.startswith("="):
            continue  # the CRC-24 line; gpgv checks the packets themselves
        body.append(stripped)
    if not blocks:
        raise PermanentUpstreamError(f"{where}: holds no armoured OpenPGP public key block")
    return b"".join(blocks)


def gpgv_path() -> str:
    found = shutil.which("gpgv")
    if found is None:
        raise PermanentUpstreamError(
            "gpgv is not installed; signatures cannot be checked",
            hint="install Debian's gpgv package (apt-get install gpgv)",
        )
    return found


def check_detached(
    data: bytes, signature: bytes, *, keys: Sequence[Path], pinned: Sequence[str],
) -> SignatureCheck:
    """Check `signature` (armoured or binary, detached) over `data` against the pinned keys.

    `keys` are armoured key files (`keys/<upstream>/*.asc`); `pinned` the fingerprints the
    manifest trusts. A signature file with text before the armour (Squid's `.asc` starts with
    `File:`/`SHA256:` lines) is fine: gpgv skips text before `-----BEGIN PGP SIGNATURE-----`.
    """
    gpgv = gpgv_path()
    with tempfile.TemporaryDirectory(prefix="release-gpgv-") as scratch:
        root = Path(scratch)
        keyring = root / "keyring.gpg"
        keyring.write_bytes(b"".join(dearmor(path.read_text("utf-8"), str(path)) for path in keys))
        (root / "data").write_bytes(data)
        (root / "data.sig").write_bytes(signature)
        try:
            done = subprocess.run(  # a fixed argv, no shell
                [gpgv, "--status-fd", "1", "--keyring", str(keyring),
                 str(root / "data.sig"), str(root / "data")],
                capture_output=True, timeout=GPGV_TIMEOUT, check=False,
                env={"GNUPGHOME": str(root), "LC_ALL": "C"},
            )
        except subprocess.TimeoutExpired:
            raise PermanentUpstreamError(
                f"gpgv did not finish within {GPGV_TIMEOUT:g} s"
            ) from None
    return decide(done.stdout.decode("utf-8", "replace").splitlines(), pinned)

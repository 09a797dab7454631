"""`archive.signature`: where upstream's detached signature is, what it signs, the keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import parse_manifest
from release.manifest.model import Signature, SignedFile

REPO = Path(__file__).resolve().parents[3]
TEXT = (REPO / "versions.yaml").read_text(encoding="utf-8")
ANCHOR = '      checksum: {kind: asset-digest, asset: "squid-{version}.tar.xz"}\n'
FPR = "EA31CC5E9488E5168D2DCC5EB268E706FF5CF463"


def with_signature(block: str) -> str:
    assert TEXT.count(ANCHOR) == 1
    return TEXT.replace(ANCHOR, ANCHOR + block)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_signature_block_is_read() -> None:
    text = with_signature(
        "      signature:\n"
        "        url: https://github.com/squid-cache/squid/releases/download/{tag}/"
        "squid-{version}.tar.xz.asc\n"
        f"        of: archive\n        keys: [{FPR}]\n")
    squid = parse_manifest(text).require("squid")
    assert squid.archive is not None
    assert squid.archive.signature == Signature(
        url="https://github.com/squid-cache/squid/releases/download/{tag}/"
        "squid-{version}.tar.xz.asc", of=SignedFile.ARCHIVE, keys=(FPR,))


@pytest.mark.parametrize(
    ("block", "needle", "message"),
    [
        ("      signature:\n        url: https://x/{version}.asc\n        of: tarball\n"
         f"        keys: [{FPR}]\n", "of: tarball",
         "components.squid.archive.signature.of: 'tarball' is not a valid of; valid: archive, "
         "checksum"),
        ("      signature:\n        url: https://x/{version}.asc\n        of: archive\n"
         "        keys: [B068 84ED B779 C89B]\n", "keys: [B068",
         "components.squid.archive.signature.keys: 'B068 84ED B779 C89B' is not a full OpenPGP "
         "fingerprint (40 or 64 uppercase hex digits, no spaces)"),
        ("      signature:\n        url: https://x/{version}.asc\n        of: archive\n"
         "        keys: []\n", "keys: []",
         "components.squid.archive.signature.keys: expected a list of key fingerprints"),
    ],
    ids=["of", "fingerprint", "empty-keys"],
)
def test_a_bad_signature_block_is_located(block: str, needle: str, message: str) -> None:
    text = with_signature(block)
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(text)
    assert [str(p) for p in caught.value.problems] == [
        f"versions.yaml:{line_of(text, needle)}: {message}"]

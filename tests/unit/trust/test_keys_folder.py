"""keys/ holds each upstream's real public keys: every file is the key its name says, and every
fingerprint versions.yaml pins for a signature has its key file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from release.manifest.load import load_manifest
from release.upstream.signatures import dearmor

REPO = Path(__file__).resolve().parents[3]
KEY_FILES = sorted((REPO / "keys").glob("*/*.asc"))


def primary_fingerprint(path: Path) -> str:
    listing = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--show-keys", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    # The first fpr: record follows the pub: record (subkeys come after it).
    pub = next(i for i, line in enumerate(listing) if line.startswith("pub:"))
    return next(line.split(":")[9] for line in listing[pub:] if line.startswith("fpr:"))


def test_there_are_key_files() -> None:
    assert KEY_FILES, "keys/ holds no key file"


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg reads the key files")
@pytest.mark.parametrize("path", KEY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_key_file_is_the_key_its_name_says(path: Path) -> None:
    assert primary_fingerprint(path) == path.stem


@pytest.mark.parametrize("path", KEY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_key_file_is_one_armoured_public_key(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("-----BEGIN PGP PUBLIC KEY BLOCK-----") == 1
    assert "PRIVATE KEY" not in text
    assert dearmor(text, str(path))  # what release.upstream.signatures hands to gpgv


def test_every_pinned_signing_key_has_its_key_file() -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    pinned = {(c.name, fpr) for c in manifest.components
              if c.archive is not None and c.archive.signature is not None
              for fpr in c.archive.signature.keys}
    assert pinned  # asterisk declares its signature
    files = {p.stem for p in KEY_FILES}
    assert {fpr for _, fpr in pinned} <= files
    assert ("asterisk", "F2FC93DB7587BD1FB49E045A5D984BE337191CE7") in pinned

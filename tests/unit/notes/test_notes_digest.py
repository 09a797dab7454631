"""A base image rebuilt upstream (same version, new index digest) is its own kind of change."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from release.manifest.load import load_manifest
from release.notes.diff import CHANGED, ChangeKind, classify
from release.versioning import Digest

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TODAY = dt.date(2026, 11, 26)


def test_a_new_index_digest_of_the_same_version_is_a_digest_change() -> None:
    old = MANIFEST.require("debian")
    assert old.image is not None
    new = replace(old, image=replace(old.image, digest=Digest("sha256:" + "1" * 64)))
    assert classify(old, new, today=TODAY) is ChangeKind.DIGEST
    assert ChangeKind.DIGEST in CHANGED
    assert classify(old, old, today=TODAY) is ChangeKind.UNCHANGED

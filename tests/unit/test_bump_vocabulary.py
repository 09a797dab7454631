"""One bump vocabulary: refresh's table, check --json and the release notes name a move alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.notes.diff import ChangeKind, classify
from release.refresh.decide import Update, choose
from release.refresh.report import refresh_rows
from release.upstream.interface import Listing, UpstreamRelease
from release.versioning import BumpKind, Digest, Tag, Version, bump_kind, move_kind

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TODAY = dt.date(2026, 11, 26)
NEW_DIGEST = Digest("sha256:" + "ab" * 32)


def moved(manifest: Manifest, update: Update) -> Manifest:
    """`manifest` after `update` (what refresh would write), for the notes' diff."""
    old = manifest.require(update.component)
    new = replace(old, version=update.version)
    if update.digest is not None and old.image is not None:
        new = replace(new, image=replace(old.image, digest=update.digest))
    return replace(manifest, components=tuple(
        new if c.name == old.name else c for c in manifest.components))


@pytest.mark.parametrize(("component", "pinned", "to", "digest", "kind"), [
    ("debian", "20260803", "20261117", NEW_DIGEST, "rebuild"),
    ("debian", "20260803", "20260803", NEW_DIGEST, "digest"),
    ("postgresql", "17.11", "17.12", None, "minor"),
    ("postgresql", "17.11", "18.1", None, "major"),
    ("kamailio", "6.1.4", "6.1.5", None, "patch"),
])
def test_refresh_check_and_notes_name_the_same_kind(
    component: str, pinned: str, to: str, digest: Digest | None, kind: str
) -> None:
    base = MANIFEST.require(component)
    before = replace(MANIFEST, components=tuple(
        replace(c, version=Version(pinned)) if c.name == component else c
        for c in MANIFEST.components))
    update = Update(component=component, version=Version(to), digest=digest)
    refresh_kind = refresh_rows(before, [update])[0][3]
    notes_kind = classify(before.require(component), moved(before, update).require(component),
                          today=TODAY)
    assert (refresh_kind, notes_kind.value) == (kind, kind)
    if to != pinned:
        unbounded = before.require(component)
        unbounded = replace(unbounded, policy=replace(unbounded.policy, specifier=""))
        check = choose(unbounded,
                       Listing(releases=(UpstreamRelease(
                           version=Version(to), tag=base.versioning.tag_for(Version(to)),
                           lts=True),)),
                       today=TODAY)
        assert check.bump is not None
        assert check.bump.value == kind


def test_security_is_its_own_kind_in_check_and_refresh() -> None:
    kamailio = replace(MANIFEST.require("kamailio"), version=Version("6.1.4"))
    check = choose(kamailio, Listing(releases=(UpstreamRelease(version=Version("6.1.5"),
                                                               tag=Tag("6.1.5")),)),
                   today=TODAY, security=lambda v: v == "6.1.5")
    manifest = replace(MANIFEST, components=tuple(
        kamailio if c.name == "kamailio" else c for c in MANIFEST.components))
    row = refresh_rows(manifest, [Update(component="kamailio", version=Version("6.1.5"),
                                         security=True)])[0]
    assert (check.bump, row[3]) == (BumpKind.SECURITY, "security")


def test_every_bump_kind_is_a_change_kind_of_the_notes() -> None:
    assert {b.value for b in BumpKind} - {"none"} <= {c.value for c in ChangeKind}


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("20260803", "20261117", BumpKind.REBUILD),
    ("20261117", "20260803", BumpKind.DOWNGRADE),
    ("42", "43", BumpKind.MAJOR),  # a one-part version that is not a date
    ("17.11", "17.11", BumpKind.NONE),
])
def test_bump_kind(old: str, new: str, kind: BumpKind) -> None:
    assert bump_kind(Version(old), Version(new)) is kind


def test_move_kind_order() -> None:
    assert move_kind(Version("20260803"), Version("20270110"), new_line=True) is BumpKind.NEW_LINE
    assert move_kind(Version("6.1.5"), Version("6.1.4"), security=True) is BumpKind.DOWNGRADE
    assert move_kind(Version("6.1.4"), Version("7.0.0"), security=True) is BumpKind.MAJOR
    assert move_kind(Version("6.1.4"), Version("6.2.0"), security=True) is BumpKind.SECURITY
    assert move_kind(Version("6.1.4"), Version("6.1.4"), digest_changed=True) is BumpKind.DIGEST

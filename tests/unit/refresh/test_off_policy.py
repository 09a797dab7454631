"""A pinned version outside its own policy: `check` says `off-policy`, `verify` warns."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.refresh.decide import Status, admits, choose
from release.refresh.report import summary_line
from release.upstream.interface import Listing, UpstreamRelease
from release.verify import render_text, verify_tree
from release.versioning import Tag, Version

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest


def test_check_reports_a_pin_beyond_its_policy_as_off_policy() -> None:
    redis = replace(MANIFEST.require("redis"), version=Version("8.0.0"))
    listing = Listing(releases=tuple(UpstreamRelease(version=Version(v), tag=Tag(v))
                                     for v in ("7.4.10", "7.4.11", "8.0.0")))
    result = choose(redis, listing, today=dt.date(2026, 9, 16))
    assert (result.status, result.candidate, result.reason) == (
        Status.OFF_POLICY, None, "the pinned 8.0.0 is outside its own policy (>=7.4,<7.5); "
        "pinned with --beyond-policy, or the policy changed")
    assert summary_line([result]) == "0 updates · 0 held · 0 current · 1 off-policy · 0 errors"


def test_a_pin_below_its_policy_with_a_candidate_is_an_update() -> None:
    redis = replace(MANIFEST.require("redis"), version=Version("7.2.9"))
    listing = Listing(releases=(UpstreamRelease(version=Version("7.4.11"), tag=Tag("7.4.11")),))
    assert choose(redis, listing, today=dt.date(2026, 9, 16)).status is Status.UPDATE


def test_every_pin_of_versions_yaml_is_within_its_policy() -> None:
    assert [c.name for c in MANIFEST.components if not admits(c, c.version)] == []


def test_verify_warns_about_an_off_policy_pin() -> None:
    components = tuple(replace(c, version=Version("8.0.0")) if c.name == "redis" else c
                       for c in MANIFEST.components)
    manifest = Manifest(schema=MANIFEST.schema, release=MANIFEST.release, components=components)
    report = verify_tree(REPO, manifest)
    line = MANIFEST.require("redis").line
    assert [str(o) for o in report.off_policy] == [
        f"versions.yaml:{line}: warning: redis: off-policy: the pinned 8.0.0 is outside its own "
        "policy (>=7.4,<7.5)"]
    assert f"versions.yaml:{line}: warning: redis: off-policy" in render_text(report)

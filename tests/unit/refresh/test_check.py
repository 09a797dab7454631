"""Choosing candidates within policy: literal listings in, literal results out."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from release.manifest.load import load_manifest
from release.manifest.model import Component, Hold
from release.refresh.decide import CheckResult, Status, apply_groups, choose, failed
from release.upstream.interface import Listing, UpstreamRelease
from release.versioning import BumpKind, Tag, Version

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TODAY = dt.date(2026, 11, 26)


def component(name: str) -> Component:
    found = MANIFEST.component(name)
    assert found is not None
    return found


def listing(*versions: str, pre: tuple[str, ...] = (), lts: dict[str, bool] | None = None) -> Listing:
    releases = [
        UpstreamRelease(version=Version(v), tag=Tag(v), lts=(lts or {}).get(v)) for v in versions
    ]
    releases += [UpstreamRelease(version=Version(v), tag=Tag(v), prerelease=True) for v in pre]
    return Listing(releases=tuple(releases))


def test_asterisk_stays_on_the_lts_line_and_reports_newer_lines() -> None:
    result = choose(component("asterisk"), listing("22.10.1", "22.11.0", "23.5.0", "20.21.0"),
                    today=TODAY)
    assert (result.status, result.candidate, result.newest, result.bump) == (
        Status.UPDATE, "22.11.0", "23.5.0", BumpKind.MINOR
    )


def test_prereleases_are_never_candidates() -> None:
    result = choose(component("asterisk"), listing("22.10.1", pre=("22.12.0",)), today=TODAY)
    assert (result.status, result.candidate, result.newest) == (Status.CURRENT, None, None)


def test_never_a_downgrade() -> None:
    result = choose(component("kamailio"), listing("6.1.3", "6.0.7"), today=TODAY)
    assert (result.status, result.candidate) == (Status.CURRENT, None)


def test_rtpengine_series_not_highest_number() -> None:
    result = choose(
        component("rtpengine"),
        listing("13.5.1.25", "13.5.1.26", "26.2.1.1", "14.1.1.21", "12.5.1.55"),
        today=TODAY,
    )
    assert (result.candidate, result.newest, result.bump) == ("13.5.1.26", "26.2.1.1",
                                                             BumpKind.PATCH)


def test_node_lts_only() -> None:
    result = choose(
        component("node"),
        listing("24.19.0", "24.21.0", "26.7.0", "25.9.0",
                lts={"24.19.0": True, "24.21.0": True, "26.7.0": True, "25.9.0": False}),
        today=TODAY,
    )
    assert (result.candidate, result.newest) == ("24.21.0", "26.7.0")


def test_hold_with_expiry() -> None:
    held = replace(component("kamailio"), hold=Hold(reason="CVE triage", until=dt.date(2026, 12, 1)))
    result = choose(held, listing("6.1.5"), today=TODAY)
    assert (result.status, result.candidate, result.reason) == (
        Status.HELD, "6.1.5", "held until 2026-12-01: CVE triage"
    )
    expired = choose(held, listing("6.1.5"), today=dt.date(2026, 12, 2))
    assert expired.status is Status.UPDATE


def test_empty_listing_is_an_error() -> None:
    result = choose(component("kamailio"), Listing(), today=TODAY)
    assert result.status is Status.ERROR
    assert result.reason is not None
    assert "listed no version" in result.reason


def test_group_moves_together() -> None:
    components = [component(n) for n in ("signoz", "clickhouse", "kamailio")]
    results: list[CheckResult] = [
        CheckResult(component="signoz", pinned=Version("0.138.0"), status=Status.UPDATE,
                    candidate=Version("0.139.0")),
        failed(components[1], "timed out"),
        CheckResult(component="kamailio", pinned=Version("6.1.4"), status=Status.UPDATE,
                    candidate=Version("6.1.5")),
    ]
    out = apply_groups(components, results)
    assert [r.status for r in out] == [Status.HELD, Status.ERROR, Status.UPDATE]
    assert out[0].reason == (
        "group signoz: clickhouse is error (timed out); the group moves together"
    )


@pytest.mark.parametrize("name", [c.name for c in MANIFEST.components])
def test_current_pin_is_current_against_itself(name: str) -> None:
    c = component(name)
    result = choose(c, listing(c.version, lts={c.version: True}), today=TODAY)
    assert result.status is Status.CURRENT

"""The release-age gate: `policy.min-age`, its manifest-wide default and `min-age-security`."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import load_manifest, parse_manifest
from release.manifest.model import Component
from release.refresh.age import eligible_from, published_day
from release.refresh.decide import Status, choose
from release.refresh.report import check_json, summary_line
from release.upstream.interface import Listing, UpstreamRelease
from release.versioning import Tag, Version

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
TODAY = dt.date(2026, 9, 16)


def coturn(days: int, security_days: int = 0) -> Component:
    found = MANIFEST.component("coturn")
    assert found is not None
    return replace(found, policy=replace(found.policy, min_age_days=days,
                                         min_age_security_days=security_days))


def dated(*pairs: tuple[str, str | None]) -> Listing:
    return Listing(releases=tuple(
        UpstreamRelease(version=Version(v), tag=Tag(v), published=p) for v, p in pairs
    ))


COTURN = dated(("4.18.0", "2026-09-14T14:05:02Z"), ("4.17.2", "2026-08-28T14:05:02Z"),
               ("4.17.1", "2026-08-07T14:05:02Z"))


def test_a_two_day_old_release_waits_and_the_older_eligible_one_is_offered() -> None:
    result = choose(coturn(7), COTURN, today=TODAY)
    assert (result.status, result.candidate, result.published, result.eligible_from) == (
        Status.UPDATE, "4.17.2", "2026-08-28T14:05:02Z", dt.date(2026, 9, 4))
    assert (result.waiting, result.waiting_published, result.waiting_eligible_from) == (
        "4.18.0", "2026-09-14T14:05:02Z", dt.date(2026, 9, 21))


def test_nothing_eligible_is_waiting_with_the_day() -> None:
    listing = dated(("4.18.0", "2026-09-14T14:05:02Z"), ("4.17.1", "2026-08-07T14:05:02Z"))
    result = choose(coturn(7), listing, today=TODAY)
    assert (result.status, result.candidate, result.reason) == (
        Status.WAITING, None, "4.18.0 waits for its release age (min-age 7d) until 2026-09-21")


def test_the_gate_opens_on_its_day() -> None:
    result = choose(coturn(7), COTURN, today=dt.date(2026, 9, 21))
    assert (result.status, result.candidate, result.waiting) == (Status.UPDATE, "4.18.0", None)


def test_a_security_release_passes_the_gate() -> None:
    result = choose(coturn(7), COTURN, today=TODAY, security=lambda v: v == "4.18.0")
    assert (result.status, result.candidate, result.security, result.waiting) == (
        Status.UPDATE, "4.18.0", True, None)


def test_min_age_security_gates_security_releases_too() -> None:
    result = choose(coturn(7, security_days=3), COTURN, today=TODAY,
                    security=lambda v: v == "4.18.0")
    assert (result.candidate, result.waiting, result.waiting_eligible_from) == (
        "4.17.2", "4.18.0", dt.date(2026, 9, 17))


def test_no_publish_date_is_not_gated() -> None:
    result = choose(coturn(7), dated(("4.18.0", None)), today=TODAY)
    assert (result.status, result.candidate, result.eligible_from) == (
        Status.UPDATE, "4.18.0", None)


def test_check_json_carries_published_and_eligible_from() -> None:
    result = choose(coturn(7), COTURN, today=TODAY)
    doc = json.loads(check_json([result], MANIFEST))["components"][0]
    assert {k: doc[k] for k in ("candidate", "published", "eligible_from", "security",
                                "waiting")} == {
        "candidate": "4.17.2", "published": "2026-08-28T14:05:02Z",
        "eligible_from": "2026-09-04", "security": False,
        "waiting": {"version": "4.18.0", "published": "2026-09-14T14:05:02Z",
                    "eligible_from": "2026-09-21"},
    }


def test_summary_counts_waiting_only_when_there_are_some() -> None:
    waiting = choose(coturn(7), dated(("4.18.0", "2026-09-14")), today=TODAY)
    assert summary_line([waiting]) == "0 updates · 1 waiting · 0 held · 0 current · 0 errors"
    assert summary_line([]) == "0 updates · 0 held · 0 current · 0 errors"


@pytest.mark.parametrize(("value", "day"), [
    ("2026-09-03", dt.date(2026, 9, 3)),
    ("2026-09-03T23:30:00Z", dt.date(2026, 9, 3)),
    ("2026-09-03T23:30:00-02:00", dt.date(2026, 9, 4)),
    ("2026-09-03T03:12:44.120931Z", dt.date(2026, 9, 3)),
    ("yesterday", None),
    (None, None),
])
def test_published_day(value: str | None, day: dt.date | None) -> None:
    assert published_day(value) == day


def test_eligible_from_adds_the_gate() -> None:
    assert eligible_from("2026-09-14T14:05:02Z", 7) == dt.date(2026, 9, 21)


MANIFEST_TEXT = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    policy:
      min-age: {default}
    components:
      kamailio:
        version: 6.1.4
        versioning: {{tag: "{{version}}"}}
        upstream: {{kind: github-tags, repo: kamailio/kamailio}}
        pins:
          - {{kind: dockerfile-arg, file: images/kamailio/Dockerfile, name: KAMAILIO_VERSION}}
      janus:
        version: 1.4.1
        versioning: {{tag: "v{{version}}"}}
        upstream: {{kind: github-tags, repo: meetecho/janus-gateway}}
        policy: {{min-age: {own}, min-age-security: 1d}}
        pins:
          - {{kind: dockerfile-arg, file: images/janus/Dockerfile, name: JANUS_VERSION}}
    """
)


def test_manifest_wide_default_and_per_component_gate() -> None:
    manifest = parse_manifest(MANIFEST_TEXT.format(default="7d", own="2w"))
    policies = {c.name: (c.policy.min_age_days, c.policy.min_age_security_days)
                for c in manifest.components}
    assert policies == {"kamailio": (7, 0), "janus": (14, 1)}


def test_a_bad_duration_is_located() -> None:
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(MANIFEST_TEXT.format(default="7", own="3 days"))
    assert [str(p) for p in caught.value.problems] == [
        "versions.yaml:4: policy.min-age: 7 is not a duration; write days or weeks such as "
        "7d, 2w (0d: no gate)",
        "versions.yaml:16: components.janus.policy.min-age: '3 days' is not a duration; write days or "
        "weeks such as 7d, 2w (0d: no gate)",
    ]

"""Advisory parsers and verdicts: OSV records, GitHub repository advisories, CVSS scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from release.manifest.load import load_manifest
from release.manifest.model import Component
from release.risk.advisories import (
    Severity,
    findings,
    merge,
    parse_github_advisories,
    parse_osv_batch,
    parse_osv_vuln,
)
from release.risk.cvss import base_score
from release.upstream.errors import PermanentUpstreamError
from release.versioning import Version

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
URL = "https://api.osv.dev/v1/vulns/X"


def component(name: str) -> Component:
    return MANIFEST.require(name)


@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", None),
    ("CVSS:3.1/AV:N", None),
])
def test_cvss_base_score(vector: str, score: float | None) -> None:
    assert base_score(vector) == score


def osv_record(**extra: Any) -> dict[str, Any]:
    return {
        "id": "WORLD-1", "summary": "s", "aliases": ["CVE-2099-1"],
        "affected": [{
            "package": {"name": "https://github.com/asterisk/asterisk.git", "ecosystem": "GIT"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "22.0.0"}, {"fixed": "22.11.0"},
                                                 {"introduced": "23.0.0"}, {"fixed": "23.5.0"}]},
                {"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "a" * 40}]},
            ],
            "versions": ["22.10.1", "not-a-version"],
        }],
        **extra,
    }


def test_osv_ranges_versions_and_fixes() -> None:
    advisory = parse_osv_vuln(component("asterisk"), osv_record(
        database_specific={"severity": "HIGH"}), URL,
        package="https://github.com/asterisk/asterisk")
    assert (advisory.severity, advisory.fixed_in, advisory.versions, advisory.aliases) == (
        Severity.HIGH, ("22.11.0", "23.5.0"), ("22.10.1",), ("CVE-2099-1",))
    assert [advisory.affects(Version(v)) for v in ("21.12.4", "22.10.1", "22.11.0", "23.4.1")] == [
        False, True, False, True]


def test_osv_severity_from_the_cvss_vector() -> None:
    record = osv_record(severity=[{"type": "CVSS_V3",
                                   "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}])
    assert parse_osv_vuln(component("asterisk"), record, URL, package=None).severity is \
        Severity.MODERATE


def test_osv_garbage_is_refused_with_the_url() -> None:
    with pytest.raises(PermanentUpstreamError, match="expected an OSV vulnerability object"):
        parse_osv_vuln(component("asterisk"), ["x"], URL, package=None)
    with pytest.raises(PermanentUpstreamError,
                       match=r"results\[0\]\.vulns is not a list of ids"):
        parse_osv_batch({"results": [{"vulns": "GHSA"}]}, URL, 1)
    assert parse_osv_batch({"results": [{}, {"vulns": [{"id": "A"}]}]}, URL, 2) == [[], ["A"]]


def github_item(**extra: Any) -> dict[str, Any]:
    return {"ghsa_id": "GHSA-wwww-0000-0009", "cve_id": "CVE-2099-9", "summary": "x",
            "severity": "medium", "state": "published",
            "vulnerabilities": [{"vulnerable_version_range": ">= 1.24.0, < 1.25.3",
                                 "patched_versions": "1.25.3"}], **extra}


def test_github_advisories() -> None:
    pgbouncer = component("pgbouncer")
    items = parse_github_advisories(pgbouncer, [
        github_item(), github_item(ghsa_id="GHSA-wwww-0000-0010", state="draft")], "u")
    assert [(a.id, a.severity, a.fixed_in, a.aliases) for a in items] == [
        ("GHSA-wwww-0000-0009", Severity.MODERATE, ("1.25.3",), ("CVE-2099-9",))]
    assert [items[0].affects(Version(v)) for v in ("1.23.9", "1.25.2", "1.25.3")] == [
        False, True, False]


def test_one_vulnerability_from_two_sources_is_one_finding() -> None:
    asterisk = component("asterisk")
    osv = parse_osv_vuln(asterisk, osv_record(id="GHSA-wwww-0000-0009"), URL, package=None)
    github = parse_github_advisories(asterisk, [github_item(
        severity="critical", vulnerabilities=[{"vulnerable_version_range": ">= 22.0.0, < 22.11.0",
                                               "patched_versions": "22.11.0"}])], "u")
    merged = merge([osv, *github])
    assert [(a.id, a.source, a.severity) for a in merged] == [
        ("GHSA-wwww-0000-0009", "github", Severity.CRITICAL)]


def test_fixed_only_beyond_policy_and_by_the_candidate() -> None:
    asterisk = component("asterisk")  # pinned 22.10.1, policy >=22,<23
    only_23 = parse_osv_vuln(asterisk, osv_record(affected=[{"ranges": [{
        "type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "23.5.0"}]}]}]), URL,
        package=None)
    both = parse_osv_vuln(asterisk, osv_record(), URL, package=None)
    shown = findings(asterisk, [only_23, both], Version("22.11.0"))
    assert [(f.fixed_in, f.fixed_by_candidate, f.state) for f in shown] == [
        (("23.5.0",), False, "fixed only beyond policy in 23.5.0"),
        (("22.11.0", "23.5.0"), True, "fixed by the candidate"),
    ]


def test_the_refresh_commit_and_pull_request_list_the_fixes() -> None:
    from release.refresh.decide import CheckResult, Status, Update
    from release.refresh.report import commit_message, refresh_markdown, severe_findings
    from release.risk.advisories import Finding

    def finding(ident: str, severity: Severity, state: str, *, fixed: bool | None) -> Finding:
        return Finding(id=ident, severity=severity, summary="", aliases=(), fixed_in=(),
                       fixed_by_candidate=fixed, state=state, source="github")

    results = [
        CheckResult(component="coturn", pinned=Version("4.17.1"), status=Status.UPDATE,
                    candidate=Version("4.18.0"), advisories=(
                        finding("GHSA-wwww-0000-0001", Severity.HIGH, "fixed by the candidate",
                                fixed=True),)),
        CheckResult(component="asterisk", pinned=Version("22.10.1"), status=Status.CURRENT,
                    advisories=(finding("GHSA-wwww-0000-0003", Severity.MODERATE, "no fix yet",
                                        fixed=None),)),
    ]
    updates = [Update(component="coturn", version=Version("4.18.0"), security=True)]
    from release.risk.eol import EndOfLife

    ending = EndOfLife(line="7.4", date=dt.date(2026, 11, 30), source="endoflife.date",
                       state="near", days_left=75)
    results.append(CheckResult(component="redis", pinned=Version("7.4.10"),
                               status=Status.CURRENT, eol=ending))
    assert commit_message(MANIFEST, updates, results) == (
        "refresh: update 1 component\n\n- coturn 4.17.1 -> 4.18.0 (security)\n\n"
        "Security fixes:\n- coturn 4.18.0 fixes GHSA-wwww-0000-0001 (high)\n\n"
        "End of life:\n- redis 7.4 ends 2026-11-30\n")
    assert refresh_markdown(MANIFEST, updates, results) == (
        "| component | old | new | bump |\n|---|---|---|---|\n"
        "| coturn | 4.17.1 | 4.18.0 | security |\n\n"
        "Advisories this refresh fixes:\n\n"
        "- coturn 4.17.1: GHSA-wwww-0000-0001 (high), fixed in 4.18.0\n\n"
        "Advisories that stay open:\n\n"
        "- asterisk 22.10.1: GHSA-wwww-0000-0003 (moderate): no fix yet\n\n"
        "Lines near or past their end of life:\n\n"
        "- redis 7.4.10: end of life of the 7.4 line in 75 days (2026-11-30)\n")
    assert severe_findings(results, "high") == [
        "coturn 4.17.1: GHSA-wwww-0000-0001 (high): fixed by the candidate"]

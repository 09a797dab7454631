"""`unconfirmed:` marks pinned values recorded offline; verify lists them as warnings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import parse_manifest
from release.verify import Unconfirmed, render_text, unconfirmed_values

GOOD = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      kamailio:
        description: Kamailio SIP proxy
        services: [telpro]
        version: 6.1.4
        versioning:
          tag: "{version}"
        upstream:
          kind: github-tags
          repo: kamailio/kamailio
        policy:
          specifier: ">=6.1,<6.2"
        archive:
          url: https://www.kamailio.org/pub/kamailio/{version}/src/kamailio-{version}_src.tar.gz
          sha256: 3eaa069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98
          checksum: {kind: compute}
        pins:
          - {kind: dockerfile-arg, file: images/kamailio/Dockerfile, name: KAMAILIO_VERSION}
    """
)

PINS = "    pins:\n      - {kind: dockerfile-arg, file: images/kamailio/Dockerfile, name: KAMAILIO"


def _kamailio_with(line: str) -> str:
    return GOOD.replace(PINS, f"    unconfirmed: {line}\n{PINS}", 1)


def test_unconfirmed_values_are_loaded_and_listed() -> None:
    manifest = parse_manifest(_kamailio_with("[sha256]"))
    assert manifest.require("kamailio").unconfirmed == ("sha256",)
    assert list(unconfirmed_values(manifest)) == [
        Unconfirmed(component="kamailio", value="sha256",
                    pinned="3eaa069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98",
                    line=4),
    ]


def test_a_manifest_without_the_key_has_nothing_unconfirmed() -> None:
    assert list(unconfirmed_values(parse_manifest(GOOD))) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[checksum]", "versions.yaml:19: components.kamailio.unconfirmed: 'checksum' is not a "
         "pinned value; valid: sha256, digest, commit"),
        ("[digest]", "versions.yaml:19: components.kamailio.unconfirmed: 'digest' is listed but "
         "the component pins no digest"),
        ("sha256", "versions.yaml:19: components.kamailio.unconfirmed: expected a list, found "
         "str"),
    ],
)
def test_bad_unconfirmed_entries_are_refused(line: str, expected: str) -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_manifest(_kamailio_with(line))
    assert [str(p) for p in info.value.problems] == [expected]


def test_the_repository_manifest_marks_the_offline_values() -> None:
    root = Path(__file__).resolve().parents[3]
    manifest = parse_manifest((root / "versions.yaml").read_text("utf-8"))
    marked = {(u.component, u.value) for u in unconfirmed_values(manifest)}
    # kamailio, caddy, asterisk and pgbouncer were confirmed (docs/pin-provenance.md).
    assert marked == {
        ("rtpengine", "sha256"), ("janus", "sha256"), ("coturn", "sha256"),
        ("signoz", "digest"), ("signoz-otel-collector", "digest"),
        ("buildkit", "digest"), ("binfmt", "digest"), ("histogram-quantile-arm64", "sha256"),  # copied from public pins of it, not read from Docker Hub
    }


def test_render_text_warns_without_failing() -> None:
    from release.verify import VerifyReport

    report = VerifyReport(
        problems=(), pins_checked=1, files_scanned=1,
        unconfirmed=(Unconfirmed(component="caddy", value="sha256", pinned="ab" * 32, line=7),),
    )
    assert render_text(report).splitlines() == [
        "verify: all 1 pins agree with versions.yaml (1 files scanned, no unmanaged pins)",
        f"versions.yaml:7: warning: caddy: sha256 {'ab' * 32} is unconfirmed (recorded offline, "
        "never checked against upstream)",
        "verify: 1 pinned value unconfirmed; a networked run must check them against upstream",
    ]


def test_with_problems_the_count_stays_last() -> None:
    from release.verify import Finding, FindingKind, VerifyReport

    report = VerifyReport(
        problems=(Finding(kind=FindingKind.DRIFT, file="images/x/Dockerfile", line=3,
                          message="x: drifted"),),
        pins_checked=2, files_scanned=1,
        unconfirmed=(Unconfirmed(component="caddy", value="sha256", pinned="ab" * 32, line=7),),
    )
    assert render_text(report).splitlines() == [
        "images/x/Dockerfile:3: x: drifted",
        f"versions.yaml:7: warning: caddy: sha256 {'ab' * 32} is unconfirmed (recorded offline, "
        "never checked against upstream)",
        "verify: 1 pinned value unconfirmed; a networked run must check them against upstream",
        "verify: 1 problem (2 pins checked, 1 files scanned)",
    ]

"""Table-driven tests of versions.yaml validation: the exact message for each kind of problem."""

from __future__ import annotations

import textwrap

import pytest

from release.errors import ProblemsFound
from release.manifest.load import parse_manifest
from release.manifest.model import PinKind, UpstreamKind

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
      debian:
        version: "20260803"
        versioning:
          tag: trixie-{version}-slim
          pattern: '\\d{8}'
        upstream:
          kind: docker-hub
          image: library/debian
        image:
          repository: debian
          tag: trixie-{version}-slim
          digest: sha256:74aac81b6dd30314dc88febf23295b1b352b95ad39bf34733850384b8b6c2807
        hold:
          reason: waiting for the 13.7 point release
          until: 2026-12-31
        pins:
          - {kind: dockerfile-from, file: images/kamailio/Dockerfile, image: debian, stage: build}
    """
)


def test_good_manifest_parses() -> None:
    manifest = parse_manifest(GOOD)
    kamailio = manifest.component("kamailio")
    assert kamailio is not None
    assert kamailio.version == "6.1.4"
    assert kamailio.upstream.kind is UpstreamKind.GITHUB_TAGS
    assert kamailio.pins[0].kind is PinKind.DOCKERFILE_ARG
    assert kamailio.pins[0].line == 20
    debian = manifest.component("debian")
    assert debian is not None
    assert debian.tag == "trixie-20260803-slim"
    assert debian.render(debian.pins[0]) == (
        "trixie-20260803-slim@sha256:74aac81b6dd30314dc88febf23295b1b352b95ad39bf34733850384b8b6c2807"
    )
    assert debian.hold is not None
    assert str(debian.hold.until) == "2026-12-31"


def _replace(old: str, new: str, count: int = 1) -> str:
    assert GOOD.count(old) >= count, old
    return GOOD.replace(old, new, count)


CASES: list[tuple[str, str, list[str]]] = [
    (
        "unknown-top-key",
        _replace("schema: 1\n", "schema: 1\nreleases: x\n"),
        ["versions.yaml:2: releases: unknown key; did you mean 'release'? "
         "valid keys: schema, release, policy, components"],
    ),
    (
        "unsupported-schema",
        _replace("schema: 1", "schema: 2"),
        ["versions.yaml:1: schema: unsupported schema 2; this tool reads schema 1"],
    ),
    (
        "bad-release",
        _replace("release: 2026.11.0", "release: next"),
        ["versions.yaml:2: release: 'next' is not a Delphi release version such as 2026.11.0"],
    ),
    (
        "unknown-component-key",
        _replace("    policy:\n", "    polcy:\n"),
        ["versions.yaml:13: components.kamailio.polcy: unknown key; did you mean 'policy'? "
         "valid keys: description, services, version, versioning, upstream, policy, archive, "
         "image, hold, commit, unconfirmed, pins"],
    ),
    (
        "missing-version",
        _replace("    version: 6.1.4\n", ""),
        ["versions.yaml:5: components.kamailio: missing required key 'version'"],
    ),
    (
        "version-as-number",
        _replace('version: "20260803"', "version: 20260803"),
        ['versions.yaml:22: components.debian.version: expected a string, found the number '
         '20260803; quote it ("20260803") so YAML keeps it as written'],
    ),
    (
        "two-part-version-as-float",
        _replace("version: 6.1.4", "version: 6.10"),
        ['versions.yaml:7: components.kamailio.version: expected a string, found the number '
         '6.10; quote it ("6.10") so YAML keeps it as written'],
    ),
    (
        "version-not-matching-pattern",
        _replace("version: 6.1.4", "version: 6.1.4-rc1"),
        ["versions.yaml:7: components.kamailio.version: '6.1.4-rc1' does not match the "
         "component's version pattern '\\\\d+\\\\.\\\\d+\\\\.\\\\d+'"],
    ),
    (
        "injection-in-version",
        _replace("version: 6.1.4", 'version: "6.1.4; rm -rf /"'),
        ["versions.yaml:7: components.kamailio.version: version '6.1.4; rm -rf /' contains "
         "characters that are not allowed (' ', '/', ';'); allowed are letters, digits and "
         ". _ + ~ -"],
    ),
    (
        "bad-service",
        _replace("services: [telpro]", "services: [telpro, voip]"),
        ["versions.yaml:6: components.kamailio.services: 'voip' is not a Delphi service; "
         "valid: telpro, web, api, voice, ops, database, media, signoz, squid"],
    ),
    (
        "unknown-upstream-kind",
        _replace("kind: github-tags", "kind: github-tag"),
        ["versions.yaml:11: components.kamailio.upstream.kind: 'github-tag' is not a valid kind "
         "(did you mean 'github-tags'?); valid: github-releases, github-tags, git-tags, "
         "docker-hub, registry, http-index, node-dist, postgres-versions"],
    ),
    (
        "upstream-missing-repo",
        _replace("      repo: kamailio/kamailio\n", ""),
        ["versions.yaml:11: components.kamailio.upstream: kind 'github-tags' needs the key 'repo'"],
    ),
    (
        "bad-github-repo",
        _replace("repo: kamailio/kamailio", "repo: kamailio"),
        ["versions.yaml:12: components.kamailio.upstream.repo: 'kamailio' is not a GitHub "
         "owner/name"],
    ),
    (
        "github-repo-path-step",
        _replace("repo: kamailio/kamailio", "repo: kamailio/.."),
        ["versions.yaml:12: components.kamailio.upstream.repo: 'kamailio/..' is not a GitHub "
         "owner/name"],
    ),
    (
        "bad-specifier",
        _replace('specifier: ">=6.1,<6.2"', 'specifier: "6.1.x"'),
        ["versions.yaml:14: components.kamailio.policy.specifier: '6.1.x' is not a PEP 440 "
         "specifier set (for example '>=22,<23')"],
    ),
    (
        "bad-sha256",
        _replace("sha256: 3eaa069b", "sha256: 3EAA069b"),
        ["versions.yaml:17: components.kamailio.archive.sha256: "
         "'3EAA069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98' is not a sha256 "
         "(64 lowercase hex digits)"],
    ),
    (
        "unknown-checksum-kind",
        _replace("checksum: {kind: compute}", "checksum: {kind: md5}"),
        ["versions.yaml:18: components.kamailio.archive.checksum.kind: 'md5' is not a valid kind; "
         "valid: file, asset-digest, hashes-readme, compute"],
    ),
    (
        "unknown-template-field",
        _replace("kamailio-{version}_src", "kamailio-{ver}_src"),
        ["versions.yaml:16: components.kamailio.archive.url: unknown template field {ver}; "
         "valid fields: {version}, {tag}"],
    ),
    (
        "tag-template-without-version",
        _replace('tag: "{version}"', "tag: latest"),
        ["versions.yaml:9: components.kamailio.versioning.tag: template 'latest' must contain "
         "{version}"],
    ),
    (
        "invalid-regex",
        _replace("pattern: '\\d{8}'", "pattern: '(\\d{8}'"),
        ["versions.yaml:25: components.debian.versioning.pattern: invalid regex: missing ), "
         "unterminated subpattern at position 0"],
    ),
    (
        "unknown-pin-kind",
        _replace("kind: dockerfile-arg", "kind: dockerfile-argument"),
        ["versions.yaml:20: components.kamailio.pins[0].kind: 'dockerfile-argument' is not a "
         "valid kind (did you mean 'dockerfile-arg'?); valid: dockerfile-arg, dockerfile-env, "
         "dockerfile-from, compose-image, yaml-key, marker, github-action"],
    ),
    (
        "pin-missing-selector",
        _replace(", name: KAMAILIO_VERSION}", "}"),
        ["versions.yaml:20: components.kamailio.pins[0]: a dockerfile-arg pin needs the key "
         "'name'"],
    ),
    (
        "pin-selector-of-other-kind",
        _replace("name: KAMAILIO_VERSION}", "name: KAMAILIO_VERSION, service: web}"),
        ["versions.yaml:20: components.kamailio.pins[0].service: not used by a dockerfile-arg "
         "pin (it uses: name, stage)"],
    ),
    (
        "pin-path-escape",
        _replace("file: images/kamailio/Dockerfile, name", "file: ../etc/passwd, name"),
        ["versions.yaml:20: components.kamailio.pins[0].file: must not contain '..'"],
    ),
    (
        "pin-value-needs-archive",
        _replace("{kind: dockerfile-from, file: images/kamailio/Dockerfile, image: debian, "
                 "stage: build}",
                 '{kind: dockerfile-arg, file: images/kamailio/Dockerfile, name: X_SHA256, '
                 'value: "{sha256}"}'),
        ["versions.yaml:37: components.debian.pins[0].value: uses {sha256} but the component "
         "declares no 'archive'"],
    ),
    (
        "empty-pins",
        _replace(
            "    pins:\n      - {kind: dockerfile-arg, file: images/kamailio/Dockerfile, "
            "name: KAMAILIO_VERSION}\n",
            "    pins: []\n",
        ),
        ["versions.yaml:19: components.kamailio.pins: a component needs at least one pin "
         "location"],
    ),
    (
        "bad-hold-date",
        _replace("until: 2026-12-31", "until: next week"),
        ["versions.yaml:35: components.debian.hold.until: 'next week' is not a date; write it "
         "as YYYY-MM-DD"],
    ),
    (
        "hold-without-reason",
        _replace("      reason: waiting for the 13.7 point release\n", ""),
        ["versions.yaml:34: components.debian.hold: missing required key 'reason'"],
    ),
    (
        "bad-digest",
        _replace("digest: sha256:74aac81b", "digest: 74aac81b"),
        ["versions.yaml:32: components.debian.image.digest: "
         "'74aac81b6dd30314dc88febf23295b1b352b95ad39bf34733850384b8b6c2807' is not an image "
         "digest (sha256: and 64 hex digits)"],
    ),
    (
        "component-not-a-mapping",
        _replace("  debian:\n", "  debian: 13\n  debian-old:\n"),
        ["versions.yaml:21: components.debian: expected a mapping, found the number 13"],
    ),
    (
        "bad-component-name",
        _replace("  debian:\n", "  Debian_Base:\n"),
        ["versions.yaml:21: components.Debian_Base: a component name is lowercase letters, "
         "digits and '-', starting with a letter"],
    ),
    (
        "same-place-pinned-twice",
        _replace("image: debian, stage: build}",
                 "image: debian, stage: build}\n"
                 "      - {kind: dockerfile-arg, file: images/kamailio/Dockerfile, "
                 "name: KAMAILIO_VERSION}"),
        ["versions.yaml:38: components.debian.pins: images/kamailio/Dockerfile: dockerfile-arg "
         "KAMAILIO_VERSION is already pinned by component 'kamailio'"],
    ),
    (
        "boolean-expected",
        _replace('specifier: ">=6.1,<6.2"', 'specifier: ">=6.1,<6.2"\n      lts: yes-please'),
        ["versions.yaml:15: components.kamailio.policy.lts: expected true or false, found str"],
    ),
    (
        "duplicate-key",
        _replace("    version: 6.1.4\n", "    version: 6.1.4\n    version: 6.1.5\n"),
        ["versions.yaml:8: invalid YAML: duplicate key 'version'"],
    ),
    (
        "yaml-syntax-error",
        _replace("services: [telpro]", "services: [telpro"),
        ["versions.yaml:7: invalid YAML: while parsing a flow sequence expected ',' or ']', "
         "but got ':'"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest_reports_exact_problems(text: str, expected: list[str]) -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_manifest(text)
    assert [str(p) for p in info.value.problems] == expected


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("polic", "polcy").replace("kind: github-tags", "kind: gitlab").replace(
        "version: 6.1.4", "version: 6.1.x"
    )
    with pytest.raises(ProblemsFound) as info:
        parse_manifest(text)
    assert info.value.message == "versions.yaml has 3 problems"
    assert [p.line for p in info.value.problems] == [7, 11, 13]


def test_empty_file() -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_manifest("")
    assert [str(p) for p in info.value.problems] == [
        "versions.yaml:1: the file is empty; expected keys: schema, release, policy, components"
    ]


def test_not_a_mapping() -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_manifest("- a\n- b\n")
    assert [str(p) for p in info.value.problems] == ["versions.yaml:1: expected a mapping, found a list"]


@pytest.mark.parametrize(
    ("until", "shown"),
    [("20261231", "20261231"), ("2026-W52-1", "'2026-W52-1'"), ("'20261231'", "'20261231'")],
)
def test_hold_until_only_takes_yyyy_mm_dd(until: str, shown: str) -> None:
    text = GOOD.replace("until: 2026-12-31", f"until: {until}")
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(text)
    assert [str(p) for p in caught.value.problems] == [
        f"versions.yaml:35: components.debian.hold.until: {shown} is not a date; write it as "
        "YYYY-MM-DD"
    ]

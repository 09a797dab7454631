"""`verify_tree` as a table: a small tree in, every finding (kind and exact text) out."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_tree import DIGEST_OTHER, DIGEST_PINNED, DOCKERFILE, DOCKERFILE_TEXT, MANIFEST, SHA_PINNED

from release.manifest.load import parse_manifest
from release.verify import FindingKind, verify_tree


def tree(root: Path, dockerfile: str | None, manifest: str = MANIFEST) -> None:
    (root / "versions.yaml").write_text(manifest, encoding="utf-8")
    if dockerfile is not None:
        (root / DOCKERFILE).parent.mkdir(parents=True)
        (root / DOCKERFILE).write_text(dockerfile, encoding="utf-8")


FROM = f"FROM debian:trixie-20260803-slim@{DIGEST_PINNED} AS build"

# (Dockerfile text (None: no file), the manifest, the findings: (kind, text))
DRIFT, BROKEN, UNMANAGED = FindingKind.DRIFT, FindingKind.BROKEN_PIN, FindingKind.UNMANAGED
FROM_PIN = "debian: dockerfile-from debian (stage build)"
URL = "https://www.kamailio.org/pub/kamailio/{version}/src/kamailio-{version}_src.tar.gz"

# (Dockerfile text (None: no file), the manifest, the findings: (kind, text), files scanned)
FINDINGS = [
    pytest.param(DOCKERFILE_TEXT, MANIFEST, [], 1, id="clean"),
    pytest.param(DOCKERFILE_TEXT.replace("=6.1.4", "=6.1.3"), MANIFEST, [
        (DRIFT, f"{DOCKERFILE}:1: kamailio: dockerfile-arg KAMAILIO_VERSION: expected '6.1.4', "
                "found '6.1.3'"),
    ], 1, id="arg-drift"),
    pytest.param(DOCKERFILE_TEXT.replace(DIGEST_PINNED, DIGEST_OTHER), MANIFEST, [
        (DRIFT, f"{DOCKERFILE}:2: {FROM_PIN}: expected 'trixie-20260803-slim@{DIGEST_PINNED}', "
                f"found 'trixie-20260803-slim@{DIGEST_OTHER}'"),
    ], 1, id="digest-drift"),
    pytest.param(None, MANIFEST, [
        (BROKEN, f"{DOCKERFILE}: {FROM_PIN}: file does not exist (declared at versions.yaml:32)"),
        (BROKEN, f"{DOCKERFILE}: kamailio: dockerfile-arg KAMAILIO_VERSION: file does not exist "
                 "(declared at versions.yaml:18)"),
    ], 0, id="pinned-file-missing"),
    pytest.param(DOCKERFILE_TEXT.replace(FROM, f"{FROM}\nARG OPENSSL_VERSION=3.5.1"), MANIFEST, [
        (UNMANAGED, f"{DOCKERFILE}:3: ARG OPENSSL_VERSION=3.5.1 looks like a version pin but no "
                    "component in versions.yaml claims it"),
    ], 1, id="unmanaged-version-arg"),
    pytest.param(f"{DOCKERFILE_TEXT}FROM alpine:3.22\n", MANIFEST, [
        (UNMANAGED, f"{DOCKERFILE}:5: FROM alpine:3.22: image alpine is not claimed by any "
                    "component in versions.yaml"),
        (FindingKind.UNPINNED_BASE, f"{DOCKERFILE}:5: FROM alpine:3.22: no digest; pin it as "
                                    "alpine:<tag>@sha256:<index digest>"),
    ], 1, id="unpinned-base"),
    pytest.param(DOCKERFILE_TEXT, MANIFEST.replace(f"      sha256: {SHA_PINNED}\n", ""), [
        (FindingKind.MISSING_CHECKSUM, "versions.yaml:4: kamailio: archive has no sha256 but its "
                                       f"policy requires one (archive.url {URL})"),
    ], 1, id="missing-checksum"),
]


@pytest.mark.parametrize(("dockerfile", "manifest", "expected", "scanned"), FINDINGS)
def test_verify_tree(tmp_path: Path, dockerfile: str | None, manifest: str,
                     expected: list[tuple[FindingKind, str]], scanned: int) -> None:
    tree(tmp_path, dockerfile, manifest)
    report = verify_tree(tmp_path, parse_manifest(manifest))
    assert [(f.kind, str(f)) for f in report.problems] == expected
    assert (report.pins_checked, report.files_scanned) == (2, scanned)


# (the manifest's edit, the warnings: (unconfirmed, off-policy) as printed)
WARNINGS = [
    pytest.param(MANIFEST, [], [], id="none"),
    pytest.param(MANIFEST.replace("      checksum: {kind: compute}\n",
                                  "      checksum: {kind: compute}\n    unconfirmed: [sha256]\n"),
                 [f"versions.yaml:4: warning: kamailio: sha256 {SHA_PINNED} is unconfirmed "
                  "(recorded offline, never checked against upstream)"], [], id="unconfirmed"),
    pytest.param(MANIFEST.replace('specifier: ">=6.1,<6.2"', 'specifier: ">=6.0,<6.1"'), [],
                 ["versions.yaml:4: warning: kamailio: off-policy: the pinned 6.1.4 is outside "
                  "its own policy (>=6.0,<6.1)"], id="off-policy"),
]


@pytest.mark.parametrize(("manifest", "unconfirmed", "off_policy"), WARNINGS)
def test_verify_tree_warnings(tmp_path: Path, manifest: str, unconfirmed: list[str],
                              off_policy: list[str]) -> None:
    tree(tmp_path, DOCKERFILE_TEXT, manifest)
    report = verify_tree(tmp_path, parse_manifest(manifest))
    assert report.problems == ()
    assert [str(u) for u in report.unconfirmed] == unconfirmed
    assert [str(o) for o in report.off_policy] == off_policy

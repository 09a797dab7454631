"""`scan`: the release stops on ECR scan findings at or above a severity (moto's ECR server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from docker_support import MotoEcr

from release.cli import main

pytestmark = pytest.mark.integration
REGION = "us-east-1"
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "0c" * 32, "size": 2},
    "layers": [],
})


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoEcr]:
    server = MotoEcr()
    server.reset()  # moto's state is per process, not per server
    for name, value in {"AWS_ENDPOINT_URL_ECR": server.url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


def bom_with_one_image(tmp_path: Path, server: MotoEcr) -> tuple[Path, str]:
    client = boto3.client("ecr", endpoint_url=server.url, region_name=REGION)
    client.create_repository(repositoryName="delphi/redis",
                             imageScanningConfiguration={"scanOnPush": True})
    pushed = client.put_image(repositoryName="delphi/redis", imageManifest=MANIFEST,
                              imageTag="2026.11.0")
    digest = pushed["image"]["imageId"]["imageDigest"]
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"release": "2026.11.0", "images": [
        {"name": "redis", "repository": "delphi/redis", "digest": digest},
        {"name": "gone", "repository": "delphi/gone", "digest": None},  # failed: no digest
    ]}), encoding="utf-8")
    return bom, digest


def test_a_finding_at_the_threshold_stops_the_release(
    tmp_path: Path, ecr: MotoEcr, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bom, digest = bom_with_one_image(tmp_path, ecr)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    # moto's scan of any image finds one HIGH (CVE-9999-9999).
    assert main(["scan", "--bom", str(bom), "--fail-on", "high"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"scan: delphi/redis@{digest}: high 1",
                   "scan: 1 of 1 images with findings at HIGH or above"]
    assert summary.read_text(encoding="utf-8").splitlines() == [
        "### ECR scan findings (the release stops at HIGH or above)", "",
        "| image | critical | high | medium | low | informational | undefined | gate |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        f"| `delphi/redis@{digest}` | 0 | 1 | 0 | 0 | 0 | 0 | **fails** |",
    ]

    assert main(["scan", "--bom", str(bom), "--fail-on", "CRITICAL"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "scan: 0 of 1 images with findings at CRITICAL or above")


def test_an_unknown_severity_is_bad_usage(
    tmp_path: Path, ecr: MotoEcr, capsys: pytest.CaptureFixture[str]
) -> None:
    bom, _ = bom_with_one_image(tmp_path, ecr)
    assert main(["scan", "--bom", str(bom), "--fail-on", "SEVERE"]) == 2
    assert ("--fail-on 'SEVERE': one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"
            in capsys.readouterr().err)

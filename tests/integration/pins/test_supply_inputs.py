"""Every build input pinned: pjproject, the histogramQuantile helper, the Debian snapshot, and
`verify` reporting a download no component claims.

Refresh runs offline on the recording of the fake world (tests/world/supply.py's part of it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from world import FakeWorld

from release.cli import main
from release.manifest.load import load_manifest
from release.pins.downloads import downloads

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"
TODAY = "2026-11-26"
HELPER = "images/signoz/clickhouse/histogram-quantile.Dockerfile"

pytestmark = pytest.mark.integration


def arg(text: str, name: str) -> str:
    found: list[str] = re.findall(rf"^ARG {name}=(\S+)$", text, flags=re.MULTILINE)
    assert len(found) == 1, (name, found)
    return found[0]


def test_refresh_moves_the_helper_and_the_snapshot_and_holds_pjproject(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["refresh", "--root", str(tree), "--replay", str(REPLAY), "--today", TODAY,
                 "--no-cache"]) == 0
    world = FakeWorld()

    helper = (tree / HELPER).read_text()
    assert arg(helper, "HISTOGRAM_QUANTILE_VERSION") == "0.0.2"
    assert arg(helper, "HISTOGRAM_QUANTILE_SHA256") == world.sha256_for("histogram-quantile",
                                                                         "0.0.2")
    # The arm64 archive moves in step, to its own checksum (from the same sums file).
    assert arg(helper, "HISTOGRAM_QUANTILE_ARM64_SHA256") == world.sha256_for(
        "histogram-quantile-arm64", "0.0.2")
    # The snapshot moved with the base image, in every Dockerfile that installs packages.
    for path in sorted([*tree.glob("images/*/Dockerfile"), tree / HELPER]):
        text = path.read_text()
        if "apt-get update" in text:
            assert arg(text, "DEBIAN_SNAPSHOT") == "20260901T000000Z", path
    # pjproject 2.18 is out but beyond policy (Asterisk 22 bundles 2.17): nothing moved.
    asterisk = (tree / "images/asterisk/Dockerfile").read_text()
    assert arg(asterisk, "PJPROJECT_VERSION") == "2.17"
    assert arg(asterisk, "PJPROJECT_SHA256") == (
        "04b2eb1f0f01aa0ad1945b167171843448a51aa6b7c3e806496d434f13a112b7")
    manifest = load_manifest(tree / "versions.yaml").manifest
    assert manifest.require("histogram-quantile").version == "0.0.2"
    assert manifest.require("debian-snapshot").version == "20260901"
    assert manifest.require("pjproject").version == "2.17"
    capsys.readouterr()
    assert main(["verify", "--root", str(tree)]) == 0


def test_check_reports_pjproject_beyond_policy(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--root", str(tree), "--replay", str(REPLAY), "--today", TODAY,
                 "--no-cache", "--json"]) == 0
    out = capsys.readouterr().out
    rows = {c["name"]: c for c in json.loads(out)["components"]}
    assert rows["pjproject"]["status"] == "current"
    assert rows["histogram-quantile"]["status"] == "update"
    assert rows["debian-snapshot"]["status"] == "update"


def test_verify_reports_a_download_no_component_claims(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images/redis/Dockerfile"
    text = dockerfile.read_text()
    marker = "WORKDIR /usr/src/redis\n"
    assert marker in text
    dockerfile.write_text(text.replace(marker, marker + (
        "ARG JQ_RELEASE=jq-1.7.1\n"
        "RUN curl -fsSL -o /usr/local/bin/jq \\\n"
        '        "https://github.com/jqlang/jq/releases/download/${JQ_RELEASE}/jq-linux-amd64" \\\n'
        " && chmod +x /usr/local/bin/jq\n"
    ), 1))
    line = dockerfile.read_text().splitlines().index("ARG JQ_RELEASE=jq-1.7.1") + 2

    assert main(["verify", "--root", str(tree)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"images/redis/Dockerfile:{line}: downloads https://github.com/jqlang/jq/releases/"
        "download/${JQ_RELEASE}/jq-linux-amd64 but no component in versions.yaml claims it "
        "(pin it as a component's archive.url, with its sha256)"
    )
    assert err[-1] == "verify: 1 problem (88 pins checked, 17 files scanned)"


def test_a_drifted_version_is_drift_not_also_an_unclaimed_download(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images/asterisk/Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("ARG PJPROJECT_VERSION=2.17\n",
                                                         "ARG PJPROJECT_VERSION=2.16\n"))
    assert main(["verify", "--root", str(tree)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("pjproject: dockerfile-arg PJPROJECT_VERSION: expected '2.17', "
                           "found '2.16'")
    assert not [e for e in err if "downloads" in e]
    assert err[-1].startswith("verify: 1 problem (")


DOCKERFILE = """\
ARG TOOL_VERSION=1.2.3
FROM scratch AS a
RUN sed -i -e "s|http://deb.debian.org/debian|http://snapshot.debian.org/x|" /etc/apt/x \\
 && NAME="v$(cat /v)" curl -fsSL "https://example.org/${NAME}/tool-${TOOL_VERSION}.tgz" \\
  | tar -xz
RUN wget -q https://example.net/plain.tar.gz; echo https://not.a/download
ADD https://example.com/added-$TOOL_VERSION.txt /x
HEALTHCHECK CMD ["curl", "-fsS", "http://127.0.0.1:8088/"]
"""


def test_downloads_are_curl_wget_and_add_urls_with_the_files_values() -> None:
    found = downloads(DOCKERFILE)
    assert [(d.line, d.url) for d in found] == [
        (3, "https://example.org/${NAME}/tool-${TOOL_VERSION}.tgz"),
        (6, "https://example.net/plain.tar.gz"),
        (7, "https://example.com/added-$TOOL_VERSION.txt"),
    ]
    assert found[0].claimed_by(["https://example.org/v9/tool-1.2.3.tgz"])
    assert not found[0].claimed_by(["https://example.org/v9/tool-1.2.4.tgz"])
    assert not found[0].claimed_by(["https://example.org/a/b/tool-1.2.3.tgz"])
    assert found[2].claimed_by(["https://example.com/added-1.2.3.txt"])
    # What versions.yaml pins stands for a pinned name, whatever the file says.
    pinned = downloads(DOCKERFILE, pinned={"TOOL_VERSION": "2.0.0"})
    assert pinned[2].claimed_by(["https://example.com/added-2.0.0.txt"])

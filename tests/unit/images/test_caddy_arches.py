"""Caddy per architecture: `caddy` pins the release and its linux/amd64 archive, `caddy-arm64`
the linux/arm64 archive of the same release; images/caddy/Dockerfile takes the one of the
platform it builds for (TARGETARCH), and refuses an architecture or a version pair it has no
pin for. The download step is run here for real, with `curl` replaced by a stand-in."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from release.images.plan import DEFAULT_PLATFORMS, Provenance, make_plan, read_sources
from release.manifest.load import load_manifest
from release.pins.dockerfile import logical_instructions

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
DOCKERFILE = (REPO / "images" / "caddy" / "Dockerfile").read_text(encoding="utf-8")
RELEASES = "https://github.com/caddyserver/caddy/releases/download"


def test_the_two_components_are_one_release_an_archive_each() -> None:
    amd64, arm64 = MANIFEST.require("caddy"), MANIFEST.require("caddy-arm64")
    assert amd64.archive is not None
    assert arm64.archive is not None
    assert amd64.version == arm64.version
    assert amd64.upstream == arm64.upstream
    assert amd64.policy.specifier == arm64.policy.specifier
    assert amd64.policy.group == arm64.policy.group == "caddy"
    assert amd64.fill(amd64.archive.url) == (
        f"{RELEASES}/v{amd64.version}/caddy_{amd64.version}_linux_amd64.tar.gz")
    assert arm64.fill(arm64.archive.url) == (
        f"{RELEASES}/v{arm64.version}/caddy_{arm64.version}_linux_arm64.tar.gz")
    assert amd64.archive.sha256 != arm64.archive.sha256
    assert amd64.unconfirmed == arm64.unconfirmed == ()


def test_the_image_is_built_for_both_platforms_with_both_pins() -> None:
    sources, _ = read_sources(REPO)
    plan = make_plan(MANIFEST, sources, Provenance(revision="0" * 40,
                                                   created="2026-11-26T00:00:00Z"))
    caddy = next(i for i in plan.images if i.name == "caddy")
    assert caddy.platforms == DEFAULT_PLATFORMS == ("linux/amd64", "linux/arm64")
    amd64, arm64 = MANIFEST.require("caddy"), MANIFEST.require("caddy-arm64")
    assert amd64.archive is not None
    assert arm64.archive is not None
    assert {k: v for k, v in caddy.args.items() if k.startswith("CADDY_")} == {
        "CADDY_VERSION": amd64.version, "CADDY_AMD64_SHA256": amd64.archive.sha256,
        "CADDY_ARM64_VERSION": arm64.version, "CADDY_ARM64_SHA256": arm64.archive.sha256,
    }
    assert {c.name for c in caddy.components} >= {"caddy", "caddy-arm64"}


def download_step() -> str:
    """The shell of the Dockerfile's RUN that downloads and checks the archive."""
    runs = [text.removeprefix("RUN").strip() for _, keyword, text in
            logical_instructions(DOCKERFILE, file="images/caddy/Dockerfile")
            if keyword == "RUN" and "caddy.tar.gz" in text]
    assert len(runs) == 1
    return runs[0]


def run_step(tmp_path: Path, **args: str) -> subprocess.CompletedProcess[str]:
    """Run the download step in `tmp_path` with the build args `args`; `curl` writes a file of
    known bytes per URL and logs the URL, `tar` and `install` only log (and `tar` leaves an
    empty `caddy`), `dpkg --print-architecture` says amd64."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "curl").write_text(
        '#!/bin/sh\nout=""; url=""\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;;'
        ' http*) url="$1";; esac; shift; done\necho "$url" >> "$LOG"\n'
        'printf "bytes of %s" "$url" > "$out"\n')
    (bin_dir / "dpkg").write_text('#!/bin/sh\n[ "$1" = --print-architecture ] && echo amd64\n')
    (bin_dir / "tar").write_text('#!/bin/sh\necho "tar $*" >> "$LOG"\n: > caddy\n')
    (bin_dir / "install").write_text('#!/bin/sh\necho "install $*" >> "$LOG"\n')
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    log = tmp_path / "log"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", download_step()], cwd=tmp_path, text=True,
        capture_output=True, check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), **args},
    )


def sha_of_url(url: str) -> str:
    return hashlib.sha256(f"bytes of {url}".encode()).hexdigest()


def args_for(version: str = "2.11.4", **changes: str) -> dict[str, str]:
    args = {
        "CADDY_VERSION": version, "CADDY_ARM64_VERSION": version,
        "CADDY_AMD64_SHA256": sha_of_url(f"{RELEASES}/v{version}/caddy_{version}_linux_amd64.tar.gz"),
        "CADDY_ARM64_SHA256": sha_of_url(f"{RELEASES}/v{version}/caddy_{version}_linux_arm64.tar.gz"),
    }
    return {**args, **changes}


pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("sha256sum") is None,
                                reason="the download step is bash with sha256sum")


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_each_platform_downloads_and_checks_its_own_archive(tmp_path: Path, arch: str) -> None:
    done = run_step(tmp_path, TARGETARCH=arch, **args_for())
    assert done.returncode == 0, done.stderr
    url = f"{RELEASES}/v2.11.4/caddy_2.11.4_linux_{arch}.tar.gz"
    assert (tmp_path / "log").read_text().splitlines()[0] == url
    assert "caddy.tar.gz: OK" in done.stdout


def test_the_classic_builder_takes_the_machines_architecture(tmp_path: Path) -> None:
    done = run_step(tmp_path, **args_for())  # no TARGETARCH: dpkg says amd64
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "log").read_text().splitlines()[0].endswith("_linux_amd64.tar.gz")


def test_the_other_architectures_checksum_is_refused(tmp_path: Path) -> None:
    args = args_for()
    done = run_step(tmp_path, TARGETARCH="arm64",
                    **{**args, "CADDY_ARM64_SHA256": args["CADDY_AMD64_SHA256"]})
    assert done.returncode != 0
    assert "FAILED" in done.stdout
    assert "install" not in (tmp_path / "log").read_text()


def test_an_architecture_without_a_pin_is_refused_before_any_download(tmp_path: Path) -> None:
    done = run_step(tmp_path, TARGETARCH="riscv64", **args_for())
    assert done.returncode == 1
    assert done.stderr == ("caddy: no archive is pinned for riscv64 (versions.yaml pins amd64 "
                           "and arm64)\n")
    assert not (tmp_path / "log").exists()


def test_two_versions_are_refused_before_any_download(tmp_path: Path) -> None:
    done = run_step(tmp_path, TARGETARCH="arm64", **args_for(CADDY_ARM64_VERSION="2.11.3"))
    assert done.returncode == 1
    assert done.stderr == "caddy 2.11.4 and caddy-arm64 2.11.3 must pin one release\n"
    assert not (tmp_path / "log").exists()

"""The input hash: the same for the same inputs on any checkout, different when any input moves."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from release.cli import main
from release.images.context import context_tar, read_context
from release.images.plan import (
    ImageSource,
    Provenance,
    content_tag,
    input_hash,
    make_plan,
    read_sources,
)
from release.manifest.load import load_manifest

REPO = Path(__file__).resolve().parents[3]
BASE = "debian:trixie-20260803-slim@sha256:" + "74" * 32
OTHER_BASE = "debian:trixie-20260803-slim@sha256:" + "75" * 32
ARGS = {"TOOL_VERSION": "1.2.3", "TOOL_SHA256": "ab" * 32}
FILES: dict[str, tuple[bytes, int]] = {
    "Dockerfile": (b"FROM debian\nARG TOOL_VERSION=1.2.3\nCOPY tool.conf /etc/\n", 0o644),
    "tool.conf": (b"verbose = no\n", 0o644),
    "bin/entrypoint.sh": (b'#!/bin/sh\nexec tool "$@"\n', 0o755),
}
# The hash of FILES, ARGS and BASE. It changes only when what is hashed changes (HASH_SCHEME).
EXPECTED = "sha256:a01853fa45cb4abc759131d5dfa3607fd6966b4c5e4aafad30709dffd823eb22"
PROVENANCE = Provenance(revision="0" * 40, created="2026-11-26T00:00:00Z")


def write(folder: Path, files: dict[str, tuple[bytes, int]], *, umask: int = 0o022) -> Path:
    for name, (data, mode) in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode & ~umask)
    return folder


def digest(
    folder: Path, *, args: dict[str, str] | None = None, bases: tuple[str, ...] = (BASE,),
    dockerfile: str = "Dockerfile",
) -> str:
    return input_hash(files=read_context(folder), dockerfile=dockerfile,
                      args=ARGS if args is None else args, base_images=bases)


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_the_hash_of_known_inputs(tmp_path: Path) -> None:
    """The hash is sha256 of one canonical JSON document (sorted keys, no blanks)."""
    document = (
        '{"args":{"TOOL_SHA256":"' + "ab" * 32 + '","TOOL_VERSION":"1.2.3"},'
        '"base_images":["' + BASE + '"],"dockerfile":"Dockerfile","files":['
        + ",".join(
            f'["{path}","{"100755" if mode & 0o100 else "100644"}",'
            f'"{hashlib.sha256(data).hexdigest()}"]'
            for path, (data, mode) in sorted(FILES.items())
        )
        + '],"scheme":"delphi-image-inputs/1"}'
    )
    assert "sha256:" + hashlib.sha256(document.encode()).hexdigest() == EXPECTED
    assert digest(write(tmp_path / "image", FILES)) == EXPECTED
    assert content_tag(EXPECTED) == "input-a01853fa45cb4abc759131d5dfa3607f"


def test_the_same_inputs_give_the_same_hash_on_every_checkout(tmp_path: Path) -> None:
    origin = write(tmp_path / "origin", FILES)
    assert digest(origin) == EXPECTED
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "image")
    # Two more checkouts of that commit: one under umask 002 (files 0664/0775), written at
    # other times; git records neither, so neither may count.
    for name, umask in (("clone-022", "022"), ("clone-002", "002")):
        subprocess.run(["sh", "-c", f"umask {umask} && git clone -q {origin} {name}"],
                       cwd=tmp_path, check=True, capture_output=True)
        clone = tmp_path / name
        shutil.rmtree(clone / ".git")
        for path in clone.rglob("*"):
            os.utime(path, (1_000_000_000, 1_000_000_000))
        assert digest(clone) == EXPECTED, name
    assert ((tmp_path / "clone-002" / "tool.conf").stat().st_mode & 0o777) == 0o664


def test_timestamps_owners_group_bits_and_creation_order_do_not_count(tmp_path: Path) -> None:
    reordered = dict(reversed(list(FILES.items())))
    other = write(tmp_path / "other", reordered, umask=0o002)
    for path in other.rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
        if os.geteuid() == 0:
            os.chown(path, 1234, 5678, follow_symlinks=False)
    (other / "bin").chmod(0o700)
    assert digest(other) == EXPECTED


def test_the_context_sent_is_what_was_hashed(tmp_path: Path) -> None:
    """The tar holds git modes, mtime 0 and no owner: the same bytes from every checkout."""
    a = write(tmp_path / "a", FILES)
    b = write(tmp_path / "b", FILES, umask=0o002)
    os.utime(b / "tool.conf", (2_000_000_000, 2_000_000_000))
    assert context_tar(read_context(a)) == context_tar(read_context(b))


def _mutations(tmp_path: Path) -> dict[str, str]:
    """The hash after changing exactly one input, by what was changed."""
    results: dict[str, str] = {}

    def variant(name: str, files: dict[str, tuple[bytes, int]]) -> Path:
        return write(tmp_path / name, files)

    results["file contents"] = digest(variant("contents", {
        **FILES, "tool.conf": (b"verbose = yes\n", 0o644)}))
    results["a file added"] = digest(variant("added", {
        **FILES, "extra.conf": (b"", 0o644)}))
    results["a file removed"] = digest(variant("removed", {
        k: v for k, v in FILES.items() if k != "tool.conf"}))
    renamed = {k: v for k, v in FILES.items() if k != "tool.conf"}
    results["a file renamed"] = digest(variant("renamed", {
        **renamed, "tool.cfg": FILES["tool.conf"]}))
    results["an executable bit"] = digest(variant("mode", {
        **FILES, "tool.conf": (FILES["tool.conf"][0], 0o755)}))
    results["the Dockerfile"] = digest(variant("dockerfile", {
        **FILES, "Dockerfile": (FILES["Dockerfile"][0] + b"USER 1000\n", 0o644)}))
    same = variant("same", FILES)
    results["the Dockerfile's name"] = digest(same, dockerfile="Dockerfile.prod")
    results["a build arg's value"] = digest(same, args={**ARGS, "TOOL_VERSION": "1.2.4"})
    results["a checksum build arg"] = digest(same, args={**ARGS, "TOOL_SHA256": "cd" * 32})
    results["a build arg added"] = digest(same, args={**ARGS, "EXTRA": "1"})
    results["a base image digest"] = digest(same, bases=(OTHER_BASE,))
    results["a base image added"] = digest(same, bases=(BASE, OTHER_BASE))
    return results


def test_each_input_changes_the_hash(tmp_path: Path) -> None:
    results = _mutations(tmp_path)
    assert [what for what, value in results.items() if value == EXPECTED] == []
    assert len(set(results.values())) == len(results)  # and no two changes collide


def test_a_changed_component_changes_only_the_images_that_pin_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(REPO / "versions.yaml", root / "versions.yaml")
    shutil.copytree(REPO / "images", root / "images")
    shutil.copytree(REPO / ".github" / "workflows", root / ".github" / "workflows")

    def hashes() -> dict[str, str]:
        manifest = load_manifest(root / "versions.yaml").manifest
        sources, _ = read_sources(root)
        return {i.name: i.input_hash for i in make_plan(manifest, sources, PROVENANCE).images}

    before = hashes()
    assert main(["pin", "kamailio", "6.1.5", "--checksum", "sha256:" + "1" * 64,
                 "--root", str(root)]) == 0
    after_kamailio = hashes()
    assert [n for n in before if before[n] != after_kamailio[n]] == ["kamailio"]

    assert main(["pin", "python", "3.14.8", "--checksum", "sha256:" + "2" * 64,
                 "--root", str(root)]) == 0
    after_python = hashes()
    assert [n for n in before if after_kamailio[n] != after_python[n]] == ["python-app"]


def test_the_plan_of_an_image(tmp_path: Path) -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    sources, not_built = read_sources(REPO)
    plan = make_plan(manifest, sources, PROVENANCE, not_built=not_built)
    kamailio = plan.image("kamailio")
    component = manifest.component("kamailio")
    debian = manifest.component("debian")
    assert component is not None
    assert debian is not None
    assert component.archive is not None
    assert debian.image is not None
    snapshot = manifest.component("debian-snapshot")
    assert snapshot is not None
    assert dict(kamailio.args) == {
        "DEBIAN_SNAPSHOT": f"{snapshot.version}T000000Z",
        "KAMAILIO_SHA256": component.archive.sha256,
        "KAMAILIO_VERSION": component.version,
    }
    assert kamailio.tags == (manifest.release, kamailio.content_tag)
    assert kamailio.repository == "delphi/kamailio"
    assert kamailio.base_images == (
        f"debian:trixie-{debian.version}-slim@{debian.image.digest}",
    )
    assert dict(kamailio.labels) == {
        "org.opencontainers.image.version": manifest.release,
        "org.opencontainers.image.revision": "0" * 40,
        "org.opencontainers.image.created": "2026-11-26T00:00:00Z",
        "io.delphi.image.input-hash": kamailio.input_hash,
        "io.delphi.component.debian.version": debian.version,
        "io.delphi.component.debian-snapshot.version": snapshot.version,
        "io.delphi.component.kamailio.version": component.version,
    }
    assert kamailio.probe == ("kamailio", "-v")
    # The probe prints what is built from source (a *_VERSION arg), not the snapshot date.
    assert [c.name for c in kamailio.expected] == ["kamailio"]
    assert [c.name for c in plan.image("python-app").expected] == ["python"]
    # `# prints:` in the probe file: `asterisk -V` does not print pjproject's version.
    asterisk = plan.image("asterisk")
    assert [c.name for c in asterisk.components] == [
        "asterisk", "debian", "debian-snapshot", "pjproject"]
    assert [c.name for c in asterisk.expected] == ["asterisk"]
    assert not_built == (("signoz", "no Dockerfile (its images are pinned, not built)"),)


def test_a_pin_that_disagrees_with_its_file_stops_the_plan(tmp_path: Path) -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    folder = tmp_path / "redis"
    shutil.copytree(REPO / "images" / "redis", folder)
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("ARG REDIS_VERSION=", "ARG REDIS_VERSION=0"))
    source = ImageSource(name="redis", files=read_context(folder))
    with pytest.raises(Exception, match="cannot plan the build: 1 problem") as info:
        make_plan(manifest, [source], PROVENANCE)
    problems = [str(p) for p in getattr(info.value, "problems", ())]
    assert len(problems) == 1
    assert problems[0].startswith("images/redis/Dockerfile:")
    assert "redis: dockerfile-arg REDIS_VERSION: expected '" in problems[0]
    assert problems[0].endswith("(drift)")

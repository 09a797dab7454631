"""Built once: the bake file pushes by digest, and `probe_and_tag` probes that index on each
platform before it gives it any tag (release.yml's build step)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import httpx
import pytest

from release.images.engine import Engine, ProbeOutput
from release.images.exports import bake_document
from release.images.plan import BuildPlan, ImagePlan, PinnedComponent, Provenance
from release.images.pushed import ProbeFailedError, probe_and_tag
from release.images.registry import Registry, parse_registry

INDEX = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": []}).encode()
DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()
TOOL = PinnedComponent(name="tool", version="1.2.3")
IMAGE = ImagePlan(
    name="redis", context="images/redis", dockerfile="Dockerfile", repository="delphi/redis",
    release_tag="2026.11.0", content_tag="input-" + "5b" * 16, input_hash="sha256:" + "5b" * 32,
    args={"TOOL_VERSION": "1.2.3"}, labels={}, base_images=(), components=(TOOL,),
    probe=("tool", "-v"), expected=(TOOL,),
)


class StubEngine:
    """What the engine would answer: a pulled image per platform, and its probe's output."""

    def __init__(self, printed: Mapping[str, str]) -> None:
        self.printed = printed
        self.calls: list[tuple[str, ...]] = []

    def pull(self, repository: str, digest: str, *, platform: str,
             auth: Mapping[str, str] | None) -> str:
        assert auth is None
        self.calls.append(("pull", repository, digest, platform))
        return f"id-{platform}"

    def probe(self, image_id: str, argv: Sequence[str]) -> ProbeOutput:
        self.calls.append(("probe", image_id, *argv))
        return ProbeOutput(exit_code=0, output=self.printed[image_id.removeprefix("id-")])


def registry(puts: list[str]) -> Registry:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith(f"/manifests/{DIGEST}"):
            return httpx.Response(200, content=INDEX, headers={
                "Content-Type": "application/vnd.oci.image.index.v1+json"})
        if request.method == "PUT":
            assert request.content == INDEX  # the manifest byte for byte: the digest stays
            puts.append(request.url.path)
            return httpx.Response(201, headers={"Docker-Content-Digest": DIGEST})
        return httpx.Response(404)

    return Registry(parse_registry("registry.example"), httpx.Client(
        transport=httpx.MockTransport(answer)))


def test_the_bake_file_by_digest_names_only_the_repository() -> None:
    plan = BuildPlan(release="2026.11.0", provenance=Provenance(
        revision="c" * 40, created="2026-11-26T00:00:00Z"), images=(IMAGE,))
    target = bake_document(plan, registry="registry.example", by_digest=True)["target"]["redis"]
    assert target["tags"] == ["registry.example/delphi/redis"]
    assert target["output"] == [
        "type=image,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true"]
    assert target["attest"] == ["type=sbom", "type=provenance,mode=max"]
    assert target["platforms"] == ["linux/amd64", "linux/arm64"]


def test_every_platform_is_probed_then_the_index_is_tagged() -> None:
    engine, puts = StubEngine({"linux/amd64": "tool 1.2.3", "linux/arm64": "tool 1.2.3"}), list[str]()
    probed = probe_and_tag(cast("Engine", engine), registry(puts), IMAGE, DIGEST, auth=None)
    assert [p.platform for p in probed] == ["linux/amd64", "linux/arm64"]
    assert engine.calls == [
        ("pull", "registry.example/delphi/redis", DIGEST, "linux/amd64"),
        ("probe", "id-linux/amd64", "tool", "-v"),
        ("pull", "registry.example/delphi/redis", DIGEST, "linux/arm64"),
        ("probe", "id-linux/arm64", "tool", "-v"),
    ]
    # Content tag first, then the release tag (as the classic build's push).
    assert puts == [f"/v2/delphi/redis/manifests/{IMAGE.content_tag}",
                    "/v2/delphi/redis/manifests/2026.11.0"]


def test_a_failed_probe_on_one_platform_leaves_the_index_untagged() -> None:
    engine, puts = StubEngine({"linux/amd64": "tool 1.2.3", "linux/arm64": "tool 1.2.2"}), list[str]()
    with pytest.raises(ProbeFailedError) as info:
        probe_and_tag(cast("Engine", engine), registry(puts), IMAGE, DIGEST, auth=None)
    assert str(info.value) == (
        f"redis@{DIGEST}: linux/arm64: version probe `tool -v` printed 'tool 1.2.2', not the "
        "pinned version 1.2.3 (tool): a build arg did not reach the binary")
    assert puts == []


def test_one_platform_images_are_probed_on_that_one() -> None:
    amd64 = dataclasses.replace(IMAGE, platforms=("linux/amd64",))
    engine, puts = StubEngine({"linux/amd64": "tool 1.2.3"}), list[str]()
    probe_and_tag(cast("Engine", engine), registry(puts), amd64, DIGEST, auth=None)
    assert [c[3] for c in engine.calls if c[0] == "pull"] == ["linux/amd64"]
    assert len(puts) == 2


def test_a_digest_that_is_not_one_is_bad_input() -> None:
    engine: Any = StubEngine({})
    with pytest.raises(Exception, match="is not an image digest"):
        probe_and_tag(engine, registry([]), IMAGE, "latest", auth=None)

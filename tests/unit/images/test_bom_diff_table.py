"""`diff_boms` as a table: two small bills of materials in, every change out, in file order.

The bills are written as the JSON a build writes (`releases/<version>.json`) and read with
`parse_bom`; digests and hashes are made up (repeated hex).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from release.bom import parse_bom
from release.images.bom import ChangeKind, diff_boms

D1, D2 = "sha256:" + "1a" * 32, "sha256:" + "2b" * 32
H1, H2 = "3c" * 32, "4d" * 32
ADDED, REMOVED, CHANGED = ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED


def component(name: str, version: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "version": version,
            "source": {"kind": "github-tags", "repo": f"example/{name}"}, **extra}


def image(name: str, digest: str | None, input_hash: str = H1,
          base: tuple[str, ...] = ("debian",)) -> dict[str, Any]:
    return {"name": name, "repository": f"delphi/{name}", "input_hash": input_hash,
            "content_tag": f"c-{input_hash[:12]}", "base_images": list(base),
            "status": "pushed" if digest else "planned", "digest": digest,
            "tags": [f"c-{input_hash[:12]}"] if digest else []}


def bom(release: str, components: list[dict[str, Any]],
        images: list[dict[str, Any]]) -> str:
    return json.dumps({"schema": 1, "release": release, "commit": "0" * 40, "dirty": False,
                       "registry": None, "complete": True, "components": components,
                       "images": images})


KAMAILIO = component("kamailio", "6.1.4", checksum=f"sha256:{H1}")
BEFORE_IMAGES = [image("kamailio", D1), image("redis", D1)]

# (components and images after, compared with KAMAILIO and BEFORE_IMAGES;
#  the changes: (of, name, change, before, after, detail); the unchanged images)
DIFFS = [
    pytest.param([KAMAILIO], BEFORE_IMAGES, [], ["kamailio", "redis"], id="same"),
    pytest.param([component("kamailio", "6.1.5", checksum=f"sha256:{H2}")], BEFORE_IMAGES, [
        ("component", "kamailio", CHANGED, "6.1.4", "6.1.5", "checksum changed"),
    ], ["kamailio", "redis"], id="component-version-and-checksum"),
    pytest.param([{**KAMAILIO, "source": {"kind": "http-index", "repo": "example/kamailio"}}],
                 BEFORE_IMAGES, [
        ("component", "kamailio", CHANGED, "6.1.4", "6.1.4", "source changed"),
    ], ["kamailio", "redis"], id="component-source-only"),
    pytest.param([KAMAILIO, component("rtpengine", "13.5.1.26")], BEFORE_IMAGES, [
        ("component", "rtpengine", ADDED, None, "13.5.1.26", ""),
    ], ["kamailio", "redis"], id="component-added"),
    pytest.param([], BEFORE_IMAGES, [
        ("component", "kamailio", REMOVED, "6.1.4", None, ""),
    ], ["kamailio", "redis"], id="component-removed"),
    pytest.param([KAMAILIO], [image("kamailio", D2, H2), image("redis", D1)], [
        ("image", "kamailio", CHANGED, D1, D2, "inputs changed"),
    ], ["redis"], id="image-rebuilt-from-new-inputs"),
    pytest.param([KAMAILIO], [image("kamailio", D1, H2, ("debian", "alpine")), image("redis", D1)], [
        ("image", "kamailio", CHANGED, D1, D1, "inputs changed, base images changed"),
    ], ["redis"], id="image-same-digest-new-inputs"),
    pytest.param([KAMAILIO], [image("kamailio", D1), image("redis", None)], [
        ("image", "redis", CHANGED, D1, None, ""),
    ], ["kamailio"], id="image-not-pushed"),
    pytest.param([KAMAILIO], [image("redis", D1), image("kamailio", D1), image("caddy", D2)], [
        ("image", "caddy", ADDED, None, D2, ""),
    ], ["kamailio", "redis"], id="image-added-order-of-before-kept"),
    pytest.param([component("kamailio", "6.1.5")], [image("redis", D2)], [
        ("component", "kamailio", CHANGED, "6.1.4", "6.1.5", "checksum changed"),
        ("image", "kamailio", REMOVED, D1, None, ""),
        ("image", "redis", CHANGED, D1, D2, ""),
    ], [], id="components-first-then-images"),
]


@pytest.mark.parametrize(("components", "images", "changes", "unchanged"), DIFFS)
def test_diff_boms(components: list[dict[str, Any]], images: list[dict[str, Any]],
                   changes: list[tuple[str, str, ChangeKind, str | None, str | None, str]],
                   unchanged: list[str]) -> None:
    before = parse_bom(bom("2026.11.0", [KAMAILIO], BEFORE_IMAGES), "before.json")
    after = parse_bom(bom("2026.11.1", components, images), "after.json")
    diff = diff_boms(before, after)
    assert [(c.of, c.name, c.change, c.before, c.after, c.detail)
            for c in diff.changes] == changes
    assert list(diff.unchanged_images) == unchanged
    assert (diff.before.release, diff.after.release) == ("2026.11.0", "2026.11.1")

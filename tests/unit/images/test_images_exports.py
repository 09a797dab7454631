"""The plan's exports: a `docker buildx bake` file and a GitHub Actions matrix."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from release.cli import main
from release.images.exports import bake_document, github_matrix, plan_document
from release.images.plan import BuildPlan, ImagePlan, PinnedComponent, Provenance

REPO = Path(__file__).resolve().parents[3]
HASH = "sha256:" + "5b" * 32
BASE = "debian:trixie-20260803-slim@sha256:" + "74" * 32

# The JSON `docker buildx bake --print` prints, as buildx declares it (bake/bake.go: Config has
# "group" and "target"; Group has "description" and "targets"; Target's json tags below, with
# args, labels, contexts and extra-hosts maps of strings). Target names match [a-zA-Z0-9_-]+.
BAKE_NAME = re.compile(r"[a-zA-Z0-9_-]+")
STRING, STRINGS, STRING_MAP, BOOL, LIST = "string", "strings", "string map", "bool", "list"
BAKE_TARGET_FIELDS = {
    "description": STRING, "inherits": STRINGS, "annotations": STRINGS, "attest": LIST,
    "context": STRING, "contexts": STRING_MAP, "dockerfile": STRING, "dockerfile-inline": STRING,
    "args": STRING_MAP, "labels": STRING_MAP, "tags": STRINGS, "cache-from": LIST,
    "cache-to": LIST, "target": STRING, "secret": LIST, "ssh": LIST, "platforms": STRINGS,
    "output": LIST, "pull": BOOL, "no-cache": BOOL, "network": STRING, "no-cache-filter": STRINGS,
    "shm-size": STRING, "ulimits": STRINGS, "call": STRING, "entitlements": STRINGS,
    "extra-hosts": STRING_MAP,
}
UNESCAPED = re.compile(r"(?<![$%])[$%]\{")  # bake would interpolate `${...}` / `%{...}`


def _type_ok(kind: str, value: Any) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRINGS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == STRING_MAP:
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    return isinstance(value, list)


def bake_problems(doc: Any) -> list[str]:
    """What `docker buildx bake` would reject or misread in a JSON bake file."""
    if not isinstance(doc, dict) or set(doc) - {"group", "target"}:
        return ["the document is an object with only `group` and `target`"]
    problems: list[str] = []
    targets = doc.get("target", {})
    for name, group in doc.get("group", {}).items():
        if not BAKE_NAME.fullmatch(name) or not isinstance(group, dict):
            problems.append(f"group {name!r}")
            continue
        if set(group) - {"description", "targets"} or not _type_ok(STRINGS, group["targets"]):
            problems.append(f"group {name}: keys or targets")
        problems += [f"group {name}: no target {t}" for t in group["targets"] if t not in targets]
    for name, target in targets.items():
        if not BAKE_NAME.fullmatch(name) or not isinstance(target, dict):
            problems.append(f"target {name!r}")
            continue
        for key, value in target.items():
            kind = BAKE_TARGET_FIELDS.get(key)
            if kind is None:
                problems.append(f"target {name}: unknown field {key}")
            elif not _type_ok(kind, value):
                problems.append(f"target {name}: {key} is not a {kind}")
            elif kind == STRING_MAP and any(UNESCAPED.search(v) for v in value.values()):
                problems.append(f"target {name}: {key} has an unescaped interpolation")
    return problems


def image(name: str, *, source: str | None = None) -> ImagePlan:
    labels = {
        "org.opencontainers.image.version": "2026.11.0",
        "org.opencontainers.image.revision": "c" * 40,
        **({"org.opencontainers.image.source": source} if source else {}),
        "io.delphi.component.tool.version": "1.2.3",
    }
    return ImagePlan(
        name=name, context=f"images/{name}", dockerfile="Dockerfile",
        repository=f"delphi/{name}", release_tag="2026.11.0",
        content_tag="input-" + "5b" * 16, input_hash=HASH,
        args={"TOOL_VERSION": "1.2.3"}, labels=labels, base_images=(BASE,),
        components=(PinnedComponent(name="tool", version="1.2.3"),), probe=("tool", "-v"),
    )


def plan(*images: ImagePlan) -> BuildPlan:
    provenance = Provenance(revision="c" * 40, created="2026-11-26T00:00:00Z")
    return BuildPlan(release="2026.11.0", provenance=provenance, images=images)


def test_the_bake_file() -> None:
    doc = bake_document(plan(image("redis"), image("node-app")), registry="registry.example:5000")
    assert bake_problems(doc) == []
    assert doc == {
        "group": {"default": {"targets": ["redis", "node-app"]}},
        "target": {
            name: {
                "context": f"images/{name}",
                "dockerfile": "Dockerfile",
                "args": {"TOOL_VERSION": "1.2.3", "SOURCE_DATE_EPOCH": "1795651200"},
                "tags": [f"registry.example:5000/delphi/{name}:2026.11.0",
                         f"registry.example:5000/delphi/{name}:input-" + "5b" * 16],
                "labels": {
                    "org.opencontainers.image.version": "2026.11.0",
                    "org.opencontainers.image.revision": "c" * 40,
                    "io.delphi.component.tool.version": "1.2.3",
                },
                "platforms": ["linux/amd64", "linux/arm64"],
                "attest": ["type=sbom", "type=provenance,mode=max"],
                "output": ["type=image,rewrite-timestamp=true"],
            }
            for name in ("redis", "node-app")
        },
    }


def test_the_bake_file_keeps_dollar_braces_literal() -> None:
    doc = bake_document(plan(image("redis", source="https://example.com/${REPO}/%{x}")))
    assert doc["target"]["redis"]["labels"]["org.opencontainers.image.source"] == (
        "https://example.com/$${REPO}/%%{x}"
    )
    assert bake_problems(doc) == []


def test_the_validator_rejects_what_bake_rejects() -> None:
    bad = {
        "group": {"default": {"targets": ["a", "missing"]}},
        "target": {"a": {"context": ".", "args": {"X": 1}, "tag": ["x"]},
                   "b c": {}, "d": {"labels": {"x": "${HOME}"}}},
    }
    assert bake_problems(bad) == [
        "group default: no target missing",
        "target a: args is not a string map",
        "target a: unknown field tag",
        "target 'b c'",
        "target d: labels has an unescaped interpolation",
    ]


def test_the_github_matrix() -> None:
    matrix = github_matrix(plan(image("redis"), image("node-app")))
    assert matrix == {
        "include": [
            {"image": name, "repository": f"delphi/{name}",
             "content_tag": "input-" + "5b" * 16, "input_hash": HASH}
            for name in ("redis", "node-app")
        ]
    }
    assert json.loads(json.dumps(matrix)) == matrix
    assert all(isinstance(v, str) for entry in matrix["include"] for v in entry.values())


def test_the_cli_exports_the_real_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--root", str(REPO), "--plan", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    names = [i["name"] for i in document["images"]]
    assert "signoz" not in names
    assert names == sorted(p.parent.name for p in (REPO / "images").glob("*/Dockerfile"))

    # GITHUB_OUTPUT takes `matrix=<one line>`.
    assert main(["build", "--root", str(REPO), "--plan", "--github-matrix"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    matrix = json.loads(out)
    assert [entry["image"] for entry in matrix["include"]] == names
    # Every `matrix.<key>` the release workflow reads is in every entry.
    workflow = REPO / ".github" / "workflows" / "release.yml"
    if workflow.is_file():
        used = set(re.findall(r"matrix\.([A-Za-z_][\w-]*)", workflow.read_text()))
        assert used
        assert all(used <= set(entry) for entry in matrix["include"])

    bake = tmp_path / "docker-bake.json"
    assert main(["build", "--root", str(REPO), "--bake", str(bake), "--registry", "r.example"]) == 0
    doc = json.loads(bake.read_text())
    assert bake_problems(doc) == []
    assert doc["group"]["default"]["targets"] == names
    assert doc["target"]["kamailio"]["tags"][0] == (
        f"r.example/delphi/kamailio:{document['release']}"
    )
    epoch = int(dt.datetime.strptime(document["created"], "%Y-%m-%dT%H:%M:%S%z").timestamp())
    assert doc["target"]["kamailio"]["args"] == {
        **next(i["args"] for i in document["images"] if i["name"] == "kamailio"),
        "SOURCE_DATE_EPOCH": str(epoch),
    }
    assert doc["target"]["kamailio"]["platforms"] == ["linux/amd64", "linux/arm64"]
    # Caddy too: an archive per architecture (caddy, caddy-arm64), no images/caddy/platforms.
    assert doc["target"]["caddy"]["platforms"] == ["linux/amd64", "linux/arm64"]


def test_the_plan_document_names_every_input() -> None:
    doc = plan_document(plan(image("redis")), registry=None)
    assert doc["images"][0] == {
        "name": "redis",
        "context": "images/redis",
        "dockerfile": "Dockerfile",
        "repository": "delphi/redis",
        "tags": ["2026.11.0", "input-" + "5b" * 16],
        "refs": ["delphi/redis:2026.11.0", "delphi/redis:input-" + "5b" * 16],
        "input_hash": HASH,
        "args": {"TOOL_VERSION": "1.2.3"},
        "labels": dict(image("redis").labels),
        "base_images": [BASE],
        "components": [{"name": "tool", "version": "1.2.3"}],
        "probe": ["tool", "-v"],
    }

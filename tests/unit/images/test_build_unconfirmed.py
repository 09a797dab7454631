"""`build --push` refuses images built from unconfirmed values; the BOM records the state."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from release.bom import bom_json, parse_bom
from release.errors import InvalidInput
from release.images.bom import make_bom
from release.images.build import BuildOptions, execute, unconfirmed_inputs
from release.images.plan import Provenance, make_plan, read_sources
from release.images.run import RunOutcome
from release.manifest.load import load_manifest

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
PROVENANCE = Provenance(revision="0" * 40, created="2026-11-26T00:00:00Z")
SOURCES, _ = read_sources(REPO)
PLAN = make_plan(MANIFEST, SOURCES, PROVENANCE)


def test_every_unconfirmed_value_an_image_is_built_from_is_named() -> None:
    found = unconfirmed_inputs(MANIFEST, PLAN.select(["coturn", "python-app"]))
    coturn = MANIFEST.require("coturn")
    assert coturn.archive is not None
    assert found == [f"coturn: coturn sha256 {coturn.archive.sha256}"]
    assert unconfirmed_inputs(MANIFEST, PLAN.select(["python-app", "node-app"])) == []


def _refuse(**changes: Any) -> None:
    def never(*_args: object) -> object:
        raise AssertionError("nothing may be built, looked up or pushed")

    options = BuildOptions(root=REPO, log_dir=REPO / "build" / "logs", push=True, **changes)
    execute(options, manifest=MANIFEST, plan=PLAN, docker_factory=never, ecr_client=None,
            http=None, on_event=never)  # type: ignore[arg-type]


def test_push_refuses_unconfirmed_pins_before_anything_happens() -> None:
    with pytest.raises(InvalidInput) as caught:
        _refuse(only=("janus", "python-app"))
    janus = MANIFEST.require("janus")
    assert janus.archive is not None
    assert caught.value.message == (
        "refusing to push 1 image(s) built from values nobody checked against upstream "
        f"(unconfirmed in versions.yaml): janus: janus sha256 {janus.archive.sha256}")
    assert caught.value.hint == (
        "confirm them with `python -m release verify --online` (then drop the `unconfirmed:` "
        "marks), or push anyway with --allow-unconfirmed (recorded in the bill of materials)")


def test_allowed_unconfirmed_goes_on_to_the_registry() -> None:
    with pytest.raises(InvalidInput, match="--push without ECR needs --registry HOST"):
        _refuse(only=("janus",), allow_unconfirmed=True, ecr=False)


def test_the_bill_of_materials_records_unconfirmed_values_and_the_override() -> None:
    outcome = RunOutcome(outcomes=(), registry="registry.example", pushed=True)
    bom = make_bom(MANIFEST, PLAN, outcome, allow_unconfirmed=True)
    doc = json.loads(bom_json(bom))
    assert doc["allow_unconfirmed"] is True
    marks = {c["name"]: c["unconfirmed"] for c in doc["components"] if c["unconfirmed"]}
    # The values versions.yaml still marks (docs/pin-provenance.md).
    assert marks == {"rtpengine": ["sha256"], "janus": ["sha256"], "coturn": ["sha256"],
                     "signoz": ["digest"], "signoz-otel-collector": ["digest"],
                     "buildkit": ["digest"], "binfmt": ["digest"],
                     "histogram-quantile-arm64": ["sha256"]}
    assert parse_bom(bom_json(bom), "releases/x.json") == bom
    old = json.loads(bom_json(replace(bom, allow_unconfirmed=False)))
    del old["allow_unconfirmed"]
    for component in old["components"]:
        del component["unconfirmed"]
    parsed = parse_bom(json.dumps(old), "releases/old.json")  # a BOM written before the field
    assert parsed.allow_unconfirmed is False
    assert all(c.unconfirmed == () for c in parsed.components)

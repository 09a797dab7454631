"""A bill of materials the build code writes is read by the release notes (no Docker).

`make_bom` + `bom_json` from a plan of this repository and a run outcome built by hand, written
where the build writes it; then `read_bom` (the notes' reader, through `release.bom`) and the
notes' images table, rendered.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from release.bom import ImageAttestation, ImageSignature, bom_json, bom_relpath, parse_bom
from release.images.bom import make_bom
from release.images.plan import Provenance, make_plan, read_sources
from release.images.run import ImageOutcome, RunOutcome, Status
from release.manifest.load import load_manifest
from release.notes.bom import ImageRow, read_bom
from release.notes.notes import decide, render_notes
from release.notes.sample import read_sample_inputs

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
SOURCES, _ = read_sources(REPO)
PLAN = make_plan(MANIFEST, SOURCES, Provenance(revision="1" * 40, created="2026-11-26T00:00:00Z"))
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32
PUSHED, FAILED, *_OTHERS = sorted(PLAN.images, key=lambda i: i.name)
OUTCOME = RunOutcome(
    outcomes=(
        ImageOutcome(name=PUSHED.name, status=Status.PUSHED, digest=DIGEST,
                     tags=(PLAN.release, PUSHED.content_tag), built=True),
        ImageOutcome(name=FAILED.name, status=Status.FAILED, stage="build",
                     error="exit code 1"),
    ),
    registry=REGISTRY, pushed=True,
)


def _written(root: Path) -> str:
    """The BOM as the build writes it (build.execute writes bom_json at bom_relpath)."""
    text = bom_json(make_bom(MANIFEST, PLAN, OUTCOME))
    path = root / bom_relpath(PLAN.release)
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return text


def test_the_notes_read_the_bom_the_build_writes(tmp_path: Path) -> None:
    _written(tmp_path)
    table = read_bom(tmp_path, PLAN.release)
    assert table is not None
    assert table.path == f"releases/{PLAN.release}.json"
    assert len(table.images) == len(PLAN.images)
    assert table.images[:2] == (
        ImageRow(name=PUSHED.name, repository=f"{REGISTRY}/{PUSHED.repository}",
                 tags=(PLAN.release, PUSHED.content_tag), digest=DIGEST,  # type: ignore[arg-type]
                 status="published"),
        ImageRow(name=FAILED.name, repository=FAILED.repository, tags=(), digest=None,
                 status="failed"),
    )
    assert {row.status for row in table.images[2:]} == {"not-pushed"}


def test_the_notes_render_the_images_table_of_that_bom(tmp_path: Path) -> None:
    _written(tmp_path)
    inputs = read_sample_inputs(REPO)
    assert inputs.release == PLAN.release
    notes = render_notes(decide(dataclasses.replace(inputs, bom=read_bom(tmp_path,
                                                                          PLAN.release))))
    section = notes.split("## Images\n", 1)[1].split("## Operator rollout checklist", 1)[0]
    lines = section.strip().splitlines()
    assert lines[:4] == [
        "| Image | Repository | Tags | Digest |",
        "|---|---|---|---|",
        f"| {PUSHED.name} | `{REGISTRY}/{PUSHED.repository}` | `{PLAN.release}`, "
        f"`{PUSHED.content_tag}` | `{DIGEST}` |",
        f"| {FAILED.name} | `{FAILED.repository}` |  | no digest: failed |",
    ]
    assert lines[-1] == f"Recorded in `releases/{PLAN.release}.json`."
    assert len(lines) == 2 + len(PLAN.images) + 2


def test_the_reader_accepts_what_release_yml_adds(tmp_path: Path) -> None:
    """`bom signatures` adds `signature` and `sbom_attestation` to each image (both forms)."""
    doc = json.loads(_written(tmp_path))
    signed = {"digest": "sha256:" + "cd" * 32, "identity": "https://github.com/o/r/.github/"
              "workflows/release.yml@refs/tags/v1", "issuer":
              "https://token.actions.githubusercontent.com"}
    doc["images"][0] |= {"signature": signed, "sbom_attestation": {"digest": DIGEST}}
    doc["images"][1] |= {"signature": "not signed (dry run)",
                         "sbom_attestation": "not attested (dry run)"}
    text = json.dumps(doc, indent=2) + "\n"
    bom = parse_bom(text, "releases/x.json")
    assert (bom.images[0].signature, bom.images[0].sbom_attestation) == (
        ImageSignature(**signed), ImageAttestation(digest=DIGEST))
    assert (bom.images[1].signature, bom.images[1].sbom_attestation) == (
        "not signed (dry run)", "not attested (dry run)")
    assert bom_json(bom) == text  # what was read is written back unchanged
    (tmp_path / bom_relpath(PLAN.release)).write_text(text, encoding="utf-8")
    table = read_bom(tmp_path, PLAN.release)
    assert table is not None
    assert table.images[0].digest == DIGEST

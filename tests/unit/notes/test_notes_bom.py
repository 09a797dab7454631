"""The release notes' table of images, read through the one bill-of-materials parser."""

from __future__ import annotations

import json

import pytest

from release.bom import ImageAttestation, ImageSignature
from release.errors import ProblemsFound
from release.notes.bom import ImageRow, parse_release_bom

DIGEST = "sha256:" + "ab" * 32


def document(**image: object) -> str:
    entry: dict[str, object] = {
        "name": "postgres", "registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "repository": "delphi/postgres", "tags": ["2026.11.0", "in-3f2a"], "digest": DIGEST,
        "status": "published", "input_hash": "sha256:x", "base_images": [],
        # what `bom signatures` adds after signing
        "signature": {"digest": "sha256:" + "cd" * 32, "identity": "https://github.com/x",
                      "issuer": "https://token.actions.githubusercontent.com"},
        "sbom_attestation": {"digest": "sha256:" + "ef" * 32},
    }
    entry.update(image)
    return json.dumps({"schema": 1, "release": "2026.11.0", "commit": "abc", "images": [entry]})


def test_reads_the_agreed_fields_and_ignores_the_rest() -> None:
    bom = parse_release_bom(document(), "releases/2026.11.0.json", version="2026.11.0")
    assert bom.images == (ImageRow(
        name="postgres",
        repository="123456789012.dkr.ecr.eu-west-1.amazonaws.com/delphi/postgres",
        tags=("2026.11.0", "in-3f2a"), digest=DIGEST, status="published",  # type: ignore[arg-type]
        # the signature fields are read too (the notes show them and how to verify them)
        signature=ImageSignature(digest="sha256:" + "cd" * 32, identity="https://github.com/x",
                                 issuer="https://token.actions.githubusercontent.com"),
        sbom_attestation=ImageAttestation(digest="sha256:" + "ef" * 32),
    ),)


def test_an_image_without_digest_keeps_its_status() -> None:
    bom = parse_release_bom(document(digest=None, status="failed", registry=None), "r.json",
                    version="2026.11.0")
    assert (bom.images[0].repository, bom.images[0].digest, bom.images[0].status) == (
        "delphi/postgres", None, "failed"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (document(repository="delphi/Post gres"),
         ["r.json: images[0].repository: 'delphi/Post gres' is not an image repository"]),
        (document(digest="sha256:zz"),
         ["r.json: images[0].digest: 'sha256:zz' is not an image digest (sha256:<64 hex>) or "
          "null"]),
        (document(tags=["ok", "bad tag|x"]), ["r.json: images[0].tags: expected a list of image tags"]),
        (document(registry="evil.example/../x"),
         ["r.json: images[0].registry: 'evil.example/../x' is not a registry host"]),
        (document().replace('"2026.11.0", "commit"', '"2026.10.0", "commit"'),
         ["r.json: release: is '2026.10.0', expected '2026.11.0'"]),
        ("{", ["r.json:1: invalid JSON: Expecting property name enclosed in double quotes"]),
    ],
)
def test_problems(text: str, expected: list[str]) -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_release_bom(text, "r.json", version="2026.11.0")
    assert [str(p) for p in info.value.problems] == expected

"""The release's CycloneDX SBOM (release.images.sbom), on the real versions.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from release.cli import main
from release.images.sbom import make_sbom
from release.manifest.load import load_manifest

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
DIGEST = "sha256:" + "ab" * 32
BOM: dict[str, Any] = {
    "release": "2026.11.0", "commit": "c" * 40, "registry": "registry.example",
    "images": [{"name": "asterisk", "repository": "delphi/asterisk", "digest": DIGEST,
                "status": "published", "input_hash": "sha256:" + "cd" * 32,
                "content_tag": "input-" + "cd" * 16, "signature": "not signed (dry run)"}],
}


def components(text: str) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in json.loads(text)["components"]}


def test_the_sbom_validates_and_is_the_same_every_time() -> None:
    text = make_sbom(MANIFEST, BOM, created="2026-11-26T00:00:00Z")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert make_sbom(MANIFEST, BOM, created="2026-11-26T00:00:00Z") == text
    doc = json.loads(text)
    assert (doc["bomFormat"], doc["specVersion"]) == ("CycloneDX", "1.6")
    assert doc["metadata"]["timestamp"] == "2026-11-26T00:00:00+00:00"
    found = components(text)
    assert sorted(k for k in found if k.startswith("component:")) == sorted(
        f"component:{n}" for n in MANIFEST.names())

    pjproject = found["component:pjproject"]
    assert pjproject["version"] == "2.17"
    assert pjproject["purl"] == "pkg:github/pjsip/pjproject@2.17"
    assert pjproject["hashes"] == [{"alg": "SHA-256", "content": (
        "04b2eb1f0f01aa0ad1945b167171843448a51aa6b7c3e806496d434f13a112b7")}]
    assert pjproject["externalReferences"][0] == {
        "type": "distribution",
        "url": "https://raw.githubusercontent.com/asterisk/third-party/master/pjproject/2.17/"
               "pjproject-2.17.tar.bz2"}
    properties = {p["name"]: p["value"] for p in found["component:janus"]["properties"]}
    assert properties == {"delphi:pinned-values": "unconfirmed: sha256",
                          "delphi:upstream-signature": "none declared"}
    signed = {name: {p["name"]: p["value"] for p in found[f"component:{name}"]["properties"]}[
        "delphi:upstream-signature"] for name in ("asterisk", "caddy", "caddy-arm64")}
    rule = "refresh, pin and verify --online accept a sha256 only on a good one"
    asterisk = MANIFEST.require("asterisk").archive
    assert asterisk is not None
    assert asterisk.signature is not None
    assert signed["asterisk"] == (
        f"OpenPGP by {', '.join(asterisk.signature.keys)} on the archive; {rule}")
    assert signed["caddy"] == signed["caddy-arm64"] == (
        "cosign keyless by https://github.com/caddyserver/caddy/.github/workflows/release.yml@"
        "refs/tags/v2.11.4 (issuer https://token.actions.githubusercontent.com) on "
        "https://github.com/caddyserver/caddy/releases/download/v2.11.4/"
        f"caddy_2.11.4_checksums.txt, logged in Rekor; {rule}")

    image = found["image:asterisk"]
    assert (image["type"], image["name"], image["version"]) == (
        "container", "delphi/asterisk", DIGEST)
    assert {p["name"]: p["value"] for p in image["properties"]}["delphi:signature"] == (
        "not signed (dry run)")


def test_the_cli_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps(BOM), encoding="utf-8")
    out = tmp_path / "sbom.cdx.json"
    assert main(["sbom", "--root", str(REPO), "--bom", str(bom), "--output", str(out)]) == 0
    assert "image:asterisk" in components(out.read_text(encoding="utf-8"))
    bom.write_text("[1, 2", encoding="utf-8")
    assert main(["sbom", "--root", str(REPO), "--bom", str(bom), "--output", str(out)]) == 2
    assert f"{bom}:1: not JSON" in capsys.readouterr().err


def test_the_sbom_of_one_image_holds_what_it_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({**BOM, "images": [*BOM["images"], {
        "name": "redis", "repository": "delphi/redis", "digest": DIGEST, "status": "published",
        "input_hash": "sha256:" + "ef" * 32, "content_tag": "input-" + "ef" * 16}]}),
        encoding="utf-8")
    out = tmp_path / "asterisk.cdx.json"
    assert main(["sbom", "--root", str(REPO), "--bom", str(bom), "--image", "asterisk",
                 "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert sorted(components(text)) == [
        "component:asterisk", "component:debian", "component:debian-snapshot",
        "component:pjproject", "image:asterisk"]
    assert capsys.readouterr().err.strip() == (
        f"sbom: wrote {out} (CycloneDX 1.6, 4 components, image asterisk)")


def test_a_signed_image_shows_its_signature_digest() -> None:
    signed = "sha256:" + "5e" * 32
    bom = {**BOM, "images": [{**BOM["images"][0], "signature": {
        "digest": signed,
        "identity": "https://github.com/delphi/delphi-release/.github/workflows/release.yml"
                    "@refs/tags/v2026.11.0",
        "issuer": "https://token.actions.githubusercontent.com"}}]}
    text = make_sbom(MANIFEST, bom, created="2026-11-26T00:00:00Z")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    image = components(text)["image:asterisk"]
    assert {p["name"]: p["value"] for p in image["properties"]}["delphi:signature"] == (
        f"signed {signed}")

"""`bom signatures`: cosign's signatures and SBOM attestations, read back from a registry.

A small OCI registry on 127.0.0.1 (a real HTTP server) holds what cosign 3 writes for a signed
image: referrer manifests whose `subject` is the image digest, annotated with the bundle's
predicate type (sigstore/cosign, pkg/oci/remote/write.go). Served once through the referrers
API and once through the fallback tag `sha256-<hex>` a registry without that API holds. The
command records the digests in the bill of materials; the release notes then show, per image,
its signature state and the exact `cosign verify` to run; a dry run records the sentences, never
a digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from release.bom import (
    NOT_SIGNED_DRY_RUN,
    Bom,
    BomImage,
    ImageAttestation,
    ImageSignature,
    bom_json,
    load_bom,
    parse_bom,
)
from release.errors import ProblemsFound
from release.images.registry import Referrer, Registry, parse_registry
from release.images.signatures import (
    COSIGN_SIGN_PREDICATE,
    CYCLONEDX_PREDICATE,
    NotSignedError,
    record_dry_run,
    record_signatures,
)
from release.notes.bom import images_table
from release.notes.notes import decide, render_notes
from release.notes.sample import read_sample_inputs
from release.versioning import GITHUB_ACTIONS_ISSUER

REPO = Path(__file__).resolve().parents[2]
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IDENTITY = "https://github.com/delphi/release/.github/workflows/release.yml@refs/tags/v2026.11.0"


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


IMAGES = {"postgres": sha("postgres image"), "squid": sha("squid image")}


def referrer_manifest(subject: str, predicate: str, created: str) -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": BUNDLE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha("{}"),
                   "size": 2},
        "layers": [{"mediaType": BUNDLE, "digest": sha(f"bundle {subject} {predicate}"),
                    "size": 100}],
        "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": subject,
                    "size": 500},
        "annotations": {"org.opencontainers.image.created": created,
                        "dev.sigstore.bundle.content": "dsse-envelope",
                        "dev.sigstore.bundle.predicateType": predicate},
    }).encode()


class FakeRegistry:
    """Manifests by digest, and for each image digest the referrers cosign wrote."""

    def __init__(self, *, referrers_api: bool) -> None:
        self.referrers_api = referrers_api
        self.manifests: dict[str, bytes] = {}
        self.referrers: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[str] = []

    def sign(self, subject: str, predicate: str, created: str = "2026-11-26T10:00:00Z") -> str:
        body = referrer_manifest(subject, predicate, created)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.manifests[digest] = body
        descriptor: dict[str, Any] = {
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
            "size": len(body), "artifactType": BUNDLE,
        }
        if self.referrers_api:  # the referrers API copies the manifest's annotations
            descriptor["annotations"] = json.loads(body)["annotations"]
        self.referrers.setdefault(subject, []).append(descriptor)
        return digest

    def index(self, subject: str) -> bytes:
        return json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": self.referrers.get(subject, [])}).encode()

    def answer(self, path: str) -> tuple[int, bytes]:
        self.requests.append(path)
        parts = path.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            return 404, b"{}"
        kind, ref = parts[-2], parts[-1]
        if kind == "referrers":
            if not self.referrers_api:
                return 404, b'{"errors": [{"code": "NAME_UNKNOWN"}]}'
            return 200, self.index(ref)
        if kind == "manifests" and ref in self.manifests:
            return 200, self.manifests[ref]
        if kind == "manifests" and ref.startswith("sha256-") and not self.referrers_api:
            subject = ref.replace("-", ":", 1)
            if subject in self.referrers:
                return 200, self.index(subject)
        return 404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}'


@contextmanager
def serve(registry: FakeRegistry) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = registry.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=[True, False], ids=["referrers-api", "fallback-tag"])
def registry(request: pytest.FixtureRequest) -> Iterator[tuple[FakeRegistry, str]]:
    fake = FakeRegistry(referrers_api=request.param)
    for digest in IMAGES.values():
        fake.sign(digest, COSIGN_SIGN_PREDICATE)
        fake.sign(digest, CYCLONEDX_PREDICATE)
    with serve(fake) as host:
        yield fake, host


def bom(host: str) -> Bom:
    return Bom(
        release="2026.11.0", commit="1" * 40, dirty=False, registry=host, complete=True,
        images=tuple(
            BomImage(name=name, repository=f"delphi/{name}", input_hash="sha256:" + "0" * 64,
                     content_tag="in-0123456789ab", base_images=(), status="published",
                     registry=host, digest=digest, tags=("2026.11.0", "in-0123456789ab"))
            for name, digest in IMAGES.items()
        ),
    )


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "release", *args], cwd=cwd, text=True,
                          capture_output=True, check=False,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_the_registry_client_finds_what_cosign_wrote(
        registry: tuple[FakeRegistry, str]) -> None:
    fake, host = registry
    with httpx.Client() as http:
        found = Registry(parse_registry(host), http).referrers("delphi/postgres",
                                                               IMAGES["postgres"])
    assert sorted(r.annotations["dev.sigstore.bundle.predicateType"] for r in found) == sorted(
        [COSIGN_SIGN_PREDICATE, CYCLONEDX_PREDICATE])
    assert {r.digest for r in found} == {d["digest"] for d in fake.referrers[IMAGES["postgres"]]}
    assert all(r.artifact_type == BUNDLE for r in found)


def test_bom_signatures_records_the_digests_and_the_notes_show_how_to_verify(
        registry: tuple[FakeRegistry, str], tmp_path: Path) -> None:
    fake, host = registry
    (tmp_path / "versions.yaml").write_text((REPO / "versions.yaml").read_text())
    path = tmp_path / "releases" / "2026.11.0.json"
    path.parent.mkdir()
    path.write_text(bom_json(bom(host)), encoding="utf-8")
    done = run_cli("bom", "signatures", "--bom", str(path), "--identity", IDENTITY,
                   "--registry", host, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    signed = load_bom(path)
    for image in signed.images:
        by_predicate = {d["digest"]: json.loads(fake.manifests[d["digest"]])["annotations"][
            "dev.sigstore.bundle.predicateType"] for d in fake.referrers[image.digest or ""]}
        assert isinstance(image.signature, ImageSignature)
        assert by_predicate[image.signature.digest] == COSIGN_SIGN_PREDICATE
        assert (image.signature.identity, image.signature.issuer) == (IDENTITY,
                                                                      GITHUB_ACTIONS_ISSUER)
        assert isinstance(image.sbom_attestation, ImageAttestation)
        assert by_predicate[image.sbom_attestation.digest] == CYCLONEDX_PREDICATE
        assert image.sbom_attestation.predicate_type == CYCLONEDX_PREDICATE
    # Read back unchanged: what was written is the model's own form.
    assert bom_json(parse_bom(path.read_text(), str(path))) == path.read_text()

    table = images_table(signed, "releases/2026.11.0.json")
    inputs = dataclasses.replace(read_sample_inputs(REPO), bom=table)
    notes = render_notes(decide(inputs))
    section = notes.split("## Images\n", 1)[1].split("## Operator rollout checklist", 1)[0]
    postgres = next(i for i in signed.images if i.name == "postgres")
    assert isinstance(postgres.signature, ImageSignature)
    assert isinstance(postgres.sbom_attestation, ImageAttestation)
    assert "| Image | Repository | Tags | Digest | Signature |" in section
    assert (f"| `{postgres.digest}` | signed `{postgres.signature.digest}`, SBOM attested "
            f"`{postgres.sbom_attestation.digest}` |") in section
    assert (f"```sh\ncosign verify {host}/delphi/postgres@{postgres.digest} \\\n"
            f"  --certificate-identity {IDENTITY} \\\n"
            f"  --certificate-oidc-issuer {GITHUB_ACTIONS_ISSUER}\n"
            f"cosign verify-attestation --type cyclonedx {host}/delphi/postgres@{postgres.digest}"
            f" \\\n  --certificate-identity {IDENTITY} \\\n"
            f"  --certificate-oidc-issuer {GITHUB_ACTIONS_ISSUER}\n```") in section
    assert "Not verifiable" not in section


def test_an_image_without_a_signature_fails_and_writes_nothing(tmp_path: Path) -> None:
    fake = FakeRegistry(referrers_api=True)
    fake.sign(IMAGES["postgres"], COSIGN_SIGN_PREDICATE)
    fake.sign(IMAGES["postgres"], CYCLONEDX_PREDICATE)
    fake.sign(IMAGES["squid"], COSIGN_SIGN_PREDICATE)  # signed, not attested
    (tmp_path / "versions.yaml").write_text((REPO / "versions.yaml").read_text())
    with serve(fake) as host:
        path = tmp_path / "bom.json"
        before = bom_json(bom(host))
        path.write_text(before, encoding="utf-8")
        done = run_cli("bom", "signatures", "--bom", str(path), "--identity", IDENTITY,
                       "--registry", host, cwd=tmp_path)
        assert done.returncode == 1
        assert (f"squid@{IMAGES['squid']}: no CycloneDX attestation refers to it"
                in done.stderr)
        assert "postgres" not in done.stderr.split("registry:", 1)[1]
        assert path.read_text() == before


def test_a_re_run_records_the_newest_signature() -> None:
    old = Referrer(digest=sha("old"), artifact_type=BUNDLE, annotations={
        "dev.sigstore.bundle.predicateType": COSIGN_SIGN_PREDICATE,
        "org.opencontainers.image.created": "2026-11-26T10:00:00Z"})
    new = dataclasses.replace(old, digest=sha("new"), annotations={
        **old.annotations, "org.opencontainers.image.created": "2026-11-26T11:00:00Z"})
    att = Referrer(digest=sha("att"), artifact_type=BUNDLE, annotations={
        "dev.sigstore.bundle.predicateType": CYCLONEDX_PREDICATE})
    one = dataclasses.replace(bom("r.example"), images=bom("r.example").images[:1])
    signed = record_signatures(one, {"postgres": [new, att, old]}, identity=IDENTITY,
                               issuer=GITHUB_ACTIONS_ISSUER)
    assert signed.images[0].signature == ImageSignature(
        digest=sha("new"), identity=IDENTITY, issuer=GITHUB_ACTIONS_ISSUER)
    with pytest.raises(NotSignedError, match="no cosign signature and no CycloneDX"):
        record_signatures(one, {"postgres": []}, identity=IDENTITY, issuer=GITHUB_ACTIONS_ISSUER)


def test_a_dry_run_records_sentences_and_the_notes_say_not_verifiable(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text(bom_json(bom("127.0.0.1:5000")), encoding="utf-8")
    (tmp_path / "versions.yaml").write_text((REPO / "versions.yaml").read_text())
    done = run_cli("bom", "signatures", "--bom", str(path), "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(path.read_text())
    assert {i["signature"] for i in doc["images"]} == {NOT_SIGNED_DRY_RUN}
    assert {i["sbom_attestation"] for i in doc["images"]} == {"not attested (dry run)"}
    assert "sha256" not in json.dumps([i["signature"] for i in doc["images"]])
    assert record_dry_run(load_bom(path)) == load_bom(path)  # the same twice
    notes = render_notes(decide(dataclasses.replace(
        read_sample_inputs(REPO), bom=images_table(load_bom(path), "releases/2026.11.0.json"))))
    section = notes.split("## Images\n", 1)[1].split("## Operator rollout checklist", 1)[0]
    assert f"| `{IMAGES['postgres']}` | not signed (dry run) |" in section
    assert "cosign verify" not in section
    assert ("Not verifiable: postgres (not signed (dry run)), squid (not signed (dry run)). "
            "An image without a signature by the release workflow is not a release: never roll "
            "it out.") in section


@pytest.mark.parametrize(("signature", "problem"), [
    ({"digest": "sha256:12", "identity": IDENTITY, "issuer": GITHUB_ACTIONS_ISSUER},
     "images[0].signature.digest: 'sha256:12' is not a digest (sha256:<64 hex>)"),
    ({"digest": IMAGES["squid"], "issuer": GITHUB_ACTIONS_ISSUER},
     "images[0].signature.identity: missing"),
    ({"digest": IMAGES["squid"], "identity": "https://x/`rm -rf`", "issuer": "https://i"},
     "images[0].signature.identity: 'https://x/`rm -rf`' is not an https URL"),
    ({"digest": IMAGES["squid"], "identity": IDENTITY, "issuer": "https://i", "key": "k"},
     "images[0].signature.key: unknown field (expected digest, identity, issuer)"),
])
def test_a_malformed_signature_is_a_problem_at_its_path(signature: dict[str, str],
                                                         problem: str) -> None:
    doc = json.loads(bom_json(bom("r.example")))
    doc["images"][0]["signature"] = signature
    with pytest.raises(ProblemsFound) as info:
        parse_bom(json.dumps(doc), "releases/2026.11.0.json")
    assert [f"{p.path}: {p.message}" for p in info.value.problems] == [problem]

"""A release's bill of materials, `releases/<version>.json`: its one model, JSON form, reader.

The image build writes it (`release.images.bom.make_bom`, then `bom_json`); after cosign signed
the images, `bom signatures` (`release.images.signatures`) records each image's `signature` and
`sbom_attestation` as the registry holds them (or, in a dry run, says they are not there);
`bom diff` and the release notes read it back through `parse_bom`. It records only what a build
run established: every component as `versions.yaml` pins it (with the values marked
`unconfirmed:` there), and every image with its repository, its input hash and base images, and,
only when the target registry was seen to hold it (pushed in this run or found there), its
digest and tags. An image that failed or was never pushed has no digest and says why. Each
image's `status` is where it stands (published, partial, failed, not-pushed), not what the run
did, so a no-op re-run leaves the file as it was.
`complete` is true when every image is published.

Neutral on purpose: `release.images` (the writer) and `release.notes` (a reader) both import it,
and it imports neither.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.errors import InvalidInput, Problem, ProblemsFound
from release.manifest.load import read_text
from release.versioning import DIGEST_RE, IMAGE_PATH_COMPONENT, IMAGE_TAG_RE
from release.yamlcheck import LocatedChecker

BOM_SCHEMA = 1
RELEASES_DIR = "releases"
# An image's state in a BOM.
PUBLISHED = "published"  # in the registry under its content tag and the release tag
PARTIAL = "partial"  # in the registry under its content tag only (the release tag failed)
FAILED = "failed"  # not in the registry: its build, probe or push failed (see `error`)
NOT_PUSHED = "not-pushed"  # not in the registry: left out of this run by --only
# What a dry run records instead of a signature and an attestation (never an invented digest).
NOT_SIGNED_DRY_RUN = "not signed (dry run)"
NOT_ATTESTED_DRY_RUN = "not attested (dry run)"


@dataclass(frozen=True, slots=True, kw_only=True)
class BomComponent:
    name: str
    version: str
    source: Mapping[str, str]
    checksum: str | None = None  # sha256:<hex> of the source archive
    image: str | None = None  # repository:tag@digest for a pinned image
    # The values marked `unconfirmed:` in versions.yaml (never checked against upstream).
    unconfirmed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSignature:
    """cosign's keyless signature of an image digest, as the registry holds it."""

    digest: str  # sha256 of the referrer manifest that carries cosign's Sigstore bundle
    identity: str  # the certificate identity (the release workflow at the tag)
    issuer: str  # the certificate's OIDC issuer


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageAttestation:
    """cosign's attestation of an image digest (its CycloneDX SBOM), as the registry holds it."""

    digest: str  # sha256 of the referrer manifest that carries the attestation's bundle
    predicate_type: str | None = None  # https://cyclonedx.org/bom (absent in older files)


@dataclass(frozen=True, slots=True, kw_only=True)
class BomImage:
    name: str
    repository: str
    input_hash: str
    content_tag: str
    base_images: tuple[str, ...]
    status: str
    registry: str | None = None
    digest: str | None = None
    tags: tuple[str, ...] = ()
    error: str | None = None
    # Recorded by `bom signatures` after cosign signed: the signature and the SBOM attestation,
    # or a sentence saying why there is none (NOT_SIGNED_DRY_RUN). The build never writes them.
    signature: ImageSignature | str | None = None
    sbom_attestation: ImageAttestation | str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bom:
    release: str
    commit: str
    dirty: bool
    registry: str | None
    complete: bool
    components: tuple[BomComponent, ...] = field(default=())
    images: tuple[BomImage, ...] = field(default=())
    schema: int = BOM_SCHEMA
    allow_unconfirmed: bool = False  # pushed with --allow-unconfirmed


def bom_relpath(release: str) -> str:
    return f"{RELEASES_DIR}/{release}.json"


def bom_document(bom: Bom) -> dict[str, Any]:
    return {
        "schema": bom.schema,
        "release": bom.release,
        "commit": bom.commit,
        "dirty": bom.dirty,
        "registry": bom.registry,
        "complete": bom.complete,
        "allow_unconfirmed": bom.allow_unconfirmed,
        "components": [
            {"name": c.name, "version": c.version, "source": dict(c.source),
             "checksum": c.checksum, "image": c.image, "unconfirmed": list(c.unconfirmed)}
            for c in bom.components
        ],
        "images": [_image_document(i) for i in bom.images],
    }


def _image_document(image: BomImage) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": image.name, "repository": image.repository, "registry": image.registry,
        "tags": list(image.tags), "digest": image.digest, "input_hash": image.input_hash,
        "content_tag": image.content_tag, "base_images": list(image.base_images),
        "status": image.status, "error": image.error,
    }
    if isinstance(image.signature, ImageSignature):
        doc["signature"] = {"digest": image.signature.digest,
                            "identity": image.signature.identity,
                            "issuer": image.signature.issuer}
    elif image.signature is not None:
        doc["signature"] = image.signature
    if isinstance(image.sbom_attestation, ImageAttestation):
        attestation: dict[str, str] = {"digest": image.sbom_attestation.digest}
        if image.sbom_attestation.predicate_type is not None:
            attestation["predicate_type"] = image.sbom_attestation.predicate_type
        doc["sbom_attestation"] = attestation
    elif image.sbom_attestation is not None:
        doc["sbom_attestation"] = image.sbom_attestation
    return doc


def bom_json(bom: Bom) -> str:
    return json.dumps(bom_document(bom), indent=2) + "\n"


# -- reading -------------------------------------------------------------------------------------


# The forms of an image's values (OCI distribution names, tags and digests).
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::\d{1,5})?"
    rf"(?:/{IMAGE_PATH_COMPONENT})*"
)
_REGISTRY = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d{1,5})?")
# A certificate identity or OIDC issuer: an https URL of printable characters, no quotes.
_HTTPS_URL = re.compile(r"https://[^\s'\"`\\]+")


class _Reader(LocatedChecker):
    """The shared typed getters (`release.yamlcheck`) over a parsed BOM; `needed` names the
    only keys that must be there (None: every key the build writes)."""

    def __init__(self, file: str, needed: frozenset[str] | None = None) -> None:
        super().__init__(file)
        self.needed = needed

    def need(self, key: str) -> bool:
        return self.needed is None or key in self.needed

    def get(self, node: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
            expected: str, *, optional: bool = False) -> Any:
        """`typed`: a key that is not `optional` is required when needed; an optional one may
        be null."""
        return self.typed(node, key, path, kind, expected,
                          required=not optional and self.need(key), nullable=optional)

    def text_of(self, node: Mapping[str, Any], key: str, path: str, *,
                optional: bool = False) -> str | None:
        return self.get(node, key, path, str, "a string", optional=optional)  # type: ignore[no-any-return]

    def list_of(self, node: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        return self.strings(node, key, path, required=self.need(key))

    def signed(self, node: Mapping[str, Any], key: str, path: str, fields: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> str | dict[str, str] | None:
        """A sentence, or an object of `fields` (and `optional`) strings, `digest` a digest.

        Every field of the object must be there whatever `needed` says: a signature recorded
        without its digest or identity is not one.
        """
        value = self.get(node, key, path, (str, dict), "a sentence or an object",
                         optional=True)
        if not isinstance(value, dict):
            return value if isinstance(value, str) else None
        where = self.join(path, key)
        found: dict[str, str] = {}
        bad = False
        for name in (*fields, *optional):
            item = value.get(name)
            if item is None and name in optional:
                continue
            if not isinstance(item, str) or not item:
                bad = True
                self.problem(0, f"{where}.{name}",
                             "missing" if item is None else "expected a non-empty string")
            else:
                found[name] = item
        for name in sorted(set(value) - {*fields, *optional}):
            bad = True
            self.problem(0, f"{where}.{name}",
                         f"unknown field (expected {', '.join((*fields, *optional))})")
        for name in ("identity", "issuer"):
            if name in found and not _HTTPS_URL.fullmatch(found[name]):
                bad = True
                self.problem(0, f"{where}.{name}", f"{found[name]!r} is not an https URL")
        if "digest" in found and not DIGEST_RE.fullmatch(found["digest"]):
            bad = True
            self.problem(0, f"{where}.digest",
                         f"{found['digest']!r} is not a digest (sha256:<64 hex>)")
        return None if bad else found


def _component(r: _Reader, item: Mapping[str, Any], path: str) -> BomComponent:
    source = r.get(item, "source", path, dict, "a mapping") or {}
    return BomComponent(
        name=r.text_of(item, "name", path) or "", version=r.text_of(item, "version", path)
        or "", source={str(k): str(v) for k, v in source.items()},
        checksum=r.text_of(item, "checksum", path, optional=True),
        image=r.text_of(item, "image", path, optional=True),
        unconfirmed=r.strings(item, "unconfirmed", path),
    )


def _image(r: _Reader, item: Mapping[str, Any], path: str) -> BomImage:
    tags = r.list_of(item, "tags", path)
    if not all(IMAGE_TAG_RE.fullmatch(t) for t in tags):
        r.problem(0, f"{path}.tags", "expected a list of image tags")

    def formed(key: str, pattern: re.Pattern[str], what: str, *,
               optional: bool = False) -> str | None:
        value = r.text_of(item, key, path, optional=optional)
        return r.formed(value, 0, f"{path}.{key}", pattern, what)

    return BomImage(
        name=formed("name", _NAME, "an image name") or "",
        repository=formed("repository", _REPOSITORY, "an image repository") or "",
        input_hash=r.text_of(item, "input_hash", path) or "",
        content_tag=r.text_of(item, "content_tag", path) or "",
        base_images=r.list_of(item, "base_images", path),
        status=formed("status", _NAME, "a status") or "",
        registry=formed("registry", _REGISTRY, "a registry host", optional=True),
        digest=formed("digest", DIGEST_RE, "an image digest (sha256:<64 hex>) or null",
                      optional=True),
        tags=tags,
        error=r.text_of(item, "error", path, optional=True),
        signature=_signature(r.signed(item, "signature", path,
                                      ("digest", "identity", "issuer"))),
        sbom_attestation=_attestation(r.signed(item, "sbom_attestation", path, ("digest",),
                                               optional=("predicate_type",))),
    )


def _signature(value: str | dict[str, str] | None) -> ImageSignature | str | None:
    if isinstance(value, dict):
        return ImageSignature(digest=value["digest"], identity=value["identity"],
                              issuer=value["issuer"])
    return value


def _attestation(value: str | dict[str, str] | None) -> ImageAttestation | str | None:
    if isinstance(value, dict):
        return ImageAttestation(digest=value["digest"], predicate_type=value.get("predicate_type"))
    return value


# What each reader needs of a BOM (`needed=`): the rest may be absent (and is checked when
# present). The release notes: the release and each image's name, repository and tags. `sbom`:
# what it records of the release and of each image. `scan`: each image's name and repository
# (it scans those with a digest).
NOTES_FIELDS = frozenset({"release", "images", "name", "repository", "tags"})
SBOM_FIELDS = frozenset({"release", "commit", "name", "repository", "status", "input_hash",
                         "content_tag"})
SCAN_FIELDS = frozenset({"name", "repository"})


def parse_bom(text: str, file: str, *, release: str | None = None,
              needed: frozenset[str] | None = None) -> Bom:
    """The BOM of JSON `text`; every problem is reported at once (`ProblemsFound`)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemsFound(f"{file}:{exc.lineno}: not JSON, so not a bill of materials", [
            Problem(file=file, line=exc.lineno, path="", message=f"invalid JSON: {exc.msg}")
        ]) from None
    return read_bom(doc, file, release=release, needed=needed)


def read_bom(doc: Any, file: str, *, release: str | None = None,
             needed: frozenset[str] | None = None) -> Bom:
    """Validate a parsed BOM document; every problem is reported at once (`ProblemsFound`).

    With `release`, the document must be that release's bill of materials. With `needed`, only
    those keys must be there (a missing one reads as empty); without it, every key the build
    writes must be.
    """
    if not isinstance(doc, dict):
        raise InvalidInput(f"{file}: a bill of materials is a JSON object")
    r = _Reader(file, needed)
    schema = r.get(doc, "schema", "", int, "a number")
    if schema is not None and schema != BOM_SCHEMA:
        r.problem(0, "schema", f"unsupported schema {schema}; this tool reads {BOM_SCHEMA}")
    components = [_component(r, item, path)
                  for path, item in r.objects(doc, "components", "", required=r.need("components"))]
    images = [_image(r, item, path)
              for path, item in r.objects(doc, "images", "", required=r.need("images"))]
    named = r.text_of(doc, "release", "")
    if release is not None and named is not None and named != release:
        r.problem(0, "release", f"is {named!r}, expected {release!r}")
    bom = Bom(
        release=named or "", commit=r.text_of(doc, "commit", "") or "",
        dirty=bool(r.get(doc, "dirty", "", bool, "true or false", optional=True)),
        registry=r.text_of(doc, "registry", "", optional=True),
        complete=bool(r.get(doc, "complete", "", bool, "true or false")),
        components=tuple(components), images=tuple(images),
        allow_unconfirmed=bool(r.get(doc, "allow_unconfirmed", "", bool, "true or false",
                                     optional=True)),
    )
    if r.problems:
        raise ProblemsFound(f"{file} is not a valid bill of materials", r.problems)
    return bom


def resolve_bom(root: Path, ref: str) -> Path:
    """A BOM named by path, or by release version (`releases/<version>.json` under `root`)."""
    path = Path(ref)
    if path.is_file():
        return path
    by_release = root / bom_relpath(ref)
    if by_release.is_file():
        return by_release
    raise InvalidInput(f"no bill of materials {ref!r} (neither a file nor {by_release})")


def load_bom(path: Path, *, needed: frozenset[str] | None = None) -> Bom:
    """The BOM in the file `path` (`needed` as for `read_bom`)."""
    return parse_bom(read_text(path), str(path), needed=needed)

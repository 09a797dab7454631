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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.errors import InvalidInput, Problem, ProblemsFound
from release.versioning import DIGEST_RE, IMAGE_PATH_COMPONENT, IMAGE_TAG_RE

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
# The OIDC issuer of GitHub Actions' keyless certificates (cosign verify --certificate-oidc-issuer).
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"


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


class _Reader:
    """Typed getters over a parsed BOM that collect every problem with its key path."""

    def __init__(self, file: str, needed: frozenset[str] | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.needed = needed  # the only keys that must be there (None: every key)

    def get(self, node: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
            *, optional: bool = False) -> Any:
        where = f"{path}.{key}" if path else key
        if key not in node:
            if not optional and (self.needed is None or key in self.needed):
                self.problems.append(Problem(file=self.file, line=0, path=where,
                                             message="missing"))
            return None
        value = node[key]
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.problems.append(Problem(file=self.file, line=0, path=where,
                                         message=f"expected {names}, found {type(value).__name__}"))
            return None
        return value

    def strings(self, node: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self.get(node, key, path, list) or []
        if not all(isinstance(x, str) for x in items):
            self.problems.append(Problem(file=self.file, line=0, path=f"{path}.{key}",
                                         message="expected a list of strings"))
            return ()
        return tuple(items)

    def objects(self, doc: Mapping[str, Any],
                key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Each object of the top-level list `key`, with its path (a non-object is a problem)."""
        for n, item in enumerate(self.get(doc, key, "", list) or []):
            path = f"{key}[{n}]"
            if isinstance(item, dict):
                yield path, item
            else:
                self.problems.append(Problem(file=self.file, line=0, path=path,
                                             message="expected an object"))

    def formed(self, value: str | None, pattern: re.Pattern[str], where: str,
               what: str) -> str | None:
        """`value` when it has the form of `what`; a problem (and None) when it has not."""
        if value is not None and not pattern.fullmatch(value):
            self.problems.append(Problem(file=self.file, line=0, path=where,
                                         message=f"{value!r} is not {what}"))
            return None
        return value

    def signed(self, node: Mapping[str, Any], key: str, path: str, fields: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> str | dict[str, str] | None:
        """A sentence, or an object of `fields` (and `optional`) strings, `digest` a digest.

        Every field of the object must be there whatever `needed` says: a signature recorded
        without its digest or identity is not one.
        """
        value = self.get(node, key, path, (str, dict), optional=True)
        if not isinstance(value, dict):
            return value if isinstance(value, str) else None
        where = f"{path}.{key}"
        found: dict[str, str] = {}
        bad = False
        for name in (*fields, *optional):
            item = value.get(name)
            if item is None and name in optional:
                continue
            if not isinstance(item, str) or not item:
                bad = True
                self.problems.append(Problem(file=self.file, line=0, path=f"{where}.{name}",
                                             message="missing" if item is None
                                             else "expected a non-empty string"))
            else:
                found[name] = item
        for name in sorted(set(value) - {*fields, *optional}):
            bad = True
            self.problems.append(Problem(file=self.file, line=0, path=f"{where}.{name}",
                                         message="unknown field (expected "
                                         f"{', '.join((*fields, *optional))})"))
        for name in ("identity", "issuer"):
            if name in found and not _HTTPS_URL.fullmatch(found[name]):
                bad = True
                self.problems.append(Problem(file=self.file, line=0, path=f"{where}.{name}",
                                             message=f"{found[name]!r} is not an https URL"))
        if "digest" in found and not DIGEST_RE.fullmatch(found["digest"]):
            bad = True
            self.problems.append(Problem(file=self.file, line=0, path=f"{where}.digest",
                                         message=f"{found['digest']!r} is not a digest "
                                         "(sha256:<64 hex>)"))
        return None if bad else found


def _component(r: _Reader, item: Mapping[str, Any], path: str) -> BomComponent:
    source = r.get(item, "source", path, dict) or {}
    return BomComponent(
        name=r.get(item, "name", path, str) or "", version=r.get(item, "version", path, str)
        or "", source={str(k): str(v) for k, v in source.items()},
        checksum=r.get(item, "checksum", path, str, optional=True),
        image=r.get(item, "image", path, str, optional=True),
        unconfirmed=r.strings(item, "unconfirmed", path) if "unconfirmed" in item else (),
    )


def _image(r: _Reader, item: Mapping[str, Any], path: str) -> BomImage:
    tags = r.strings(item, "tags", path)
    if not all(IMAGE_TAG_RE.fullmatch(t) for t in tags):
        r.problems.append(Problem(file=r.file, line=0, path=f"{path}.tags",
                                  message="expected a list of image tags"))
    digest = r.get(item, "digest", path, str, optional=True)
    if digest is not None and not DIGEST_RE.fullmatch(digest):
        r.problems.append(Problem(file=r.file, line=0, path=f"{path}.digest", message=(
            f"{digest!r} is not an image digest (sha256:<64 hex>) or null")))
    return BomImage(
        name=r.formed(r.get(item, "name", path, str), _NAME, f"{path}.name", "an image name")
        or "",
        repository=r.formed(r.get(item, "repository", path, str), _REPOSITORY,
                            f"{path}.repository", "an image repository") or "",
        input_hash=r.get(item, "input_hash", path, str) or "",
        content_tag=r.get(item, "content_tag", path, str) or "",
        base_images=r.strings(item, "base_images", path),
        status=r.formed(r.get(item, "status", path, str), _NAME, f"{path}.status", "a status")
        or "",
        registry=r.formed(r.get(item, "registry", path, str, optional=True), _REGISTRY,
                          f"{path}.registry", "a registry host"),
        digest=digest,
        tags=tags,
        error=r.get(item, "error", path, str, optional=True),
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


# What the release notes need of a BOM (`parse_bom(..., needed=NOTES_FIELDS)`): the release and
# each image's name, repository and tags; the rest may be absent (it is checked when present).
NOTES_FIELDS = frozenset({"release", "images", "name", "repository", "tags"})


def parse_bom(text: str, file: str, *, release: str | None = None,
              needed: frozenset[str] | None = None) -> Bom:
    """Validate a BOM document; every problem is reported at once (`ProblemsFound`).

    With `release`, the document must be that release's bill of materials. With `needed`, only
    those keys must be there (a missing one reads as empty); without it, every key the build
    writes must be.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemsFound(f"{file} is not a bill of materials", [
            Problem(file=file, line=exc.lineno, path="", message=f"invalid JSON: {exc.msg}")
        ]) from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{file}: a bill of materials is a JSON object")
    r = _Reader(file, needed)
    schema = r.get(doc, "schema", "", int)
    if schema is not None and schema != BOM_SCHEMA:
        r.problems.append(Problem(file=file, line=0, path="schema",
                                  message=f"unsupported schema {schema}; this tool reads "
                                  f"{BOM_SCHEMA}"))
    components = [_component(r, item, path) for path, item in r.objects(doc, "components")]
    images = [_image(r, item, path) for path, item in r.objects(doc, "images")]
    named = r.get(doc, "release", "", str)
    if release is not None and named is not None and named != release:
        r.problems.append(Problem(file=file, line=0, path="release",
                                  message=f"is {named!r}, expected {release!r}"))
    bom = Bom(
        release=named or "", commit=r.get(doc, "commit", "", str) or "",
        dirty=bool(r.get(doc, "dirty", "", bool, optional=True)),
        registry=r.get(doc, "registry", "", str, optional=True),
        complete=bool(r.get(doc, "complete", "", bool)),
        components=tuple(components), images=tuple(images),
        allow_unconfirmed=bool(r.get(doc, "allow_unconfirmed", "", bool, optional=True)),
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


def load_bom(path: Path) -> Bom:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None
    return parse_bom(text, str(path))



"""The CycloneDX SBOM of a release: what versions.yaml pinned, and the images built from it.

One document per release (`releases/<version>.cdx.json`, `python -m release sbom`), CycloneDX
1.6 JSON made with cyclonedx-python-lib and validated against the CycloneDX schema before it is
written. Each pinned component carries its version, its download URL (the archive) or image
reference, the sha256 it was checked against, a purl where one exists (GitHub, Docker Hub),
and a property saying whether that value was confirmed against upstream (`unconfirmed:` in
versions.yaml) and what upstream signature vouches for it (`upstream-signature`: the OpenPGP
key fingerprints or the cosign identity versions.yaml requires, on which alone refresh, pin and
`verify --online` accept a sha256; `none declared` when versions.yaml names none; an
unconfirmed sha256 says it was not yet checked against it). Each image of
the bill of materials is a `container` component: repository, digest, and its signature as the
release workflow recorded it (`not signed` when none was).

Timestamps and serial number come from the commit (`created`) and the release, so one release
gives the same document every time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom as CdxBom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from release.bom import SBOM_FIELDS, Bom, BomImage, read_bom
from release.errors import ReleaseError
from release.manifest.model import Component, Manifest, SignatureKind, SignedFile, UpstreamKind

PROPERTY = "delphi:{name}"
SBOM_NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4c55-9b1e-2d6a0c1e9f40")


class SbomInvalidError(ReleaseError):
    """The document does not validate against the CycloneDX schema (a bug here, never input)."""


def _purl(component: Component) -> PackageURL | None:
    upstream = component.upstream
    if upstream.kind in (UpstreamKind.GITHUB_RELEASES, UpstreamKind.GITHUB_TAGS) and upstream.repo:
        owner, _, name = upstream.repo.partition("/")
        return PackageURL(type="github", namespace=owner, name=name, version=component.tag)
    if upstream.kind is UpstreamKind.DOCKER_HUB and component.image is not None:
        tag = component.fill(component.image.tag)
        digest = component.image.digest
        qualifiers = {"tag": tag, "repository_url": "docker.io"}
        return PackageURL(type="oci", name=component.image.repository.rsplit("/", 1)[-1],
                          version=digest, qualifiers=qualifiers)
    return None


def _pinned(component: Component) -> CdxComponent:
    hashes: list[HashType] = []
    references: list[ExternalReference] = []
    if component.archive is not None:
        url = component.fill(component.archive.url)
        references.append(ExternalReference(type=ExternalReferenceType.DISTRIBUTION,
                                            url=XsUri(url)))
        if component.archive.sha256:
            hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=component.archive.sha256))
    if component.image is not None and component.image.digest:
        hashes.append(HashType(alg=HashAlgorithm.SHA_256,
                               content=component.image.digest.removeprefix("sha256:")))
    notes = component.upstream.release_notes
    if notes:
        url = component.fill(notes)
        references.append(ExternalReference(type=ExternalReferenceType.RELEASE_NOTES,
                                            url=XsUri(url)))
    confirmed = "unconfirmed: " + ", ".join(component.unconfirmed) if component.unconfirmed \
        else "confirmed"
    kind = ComponentType.CONTAINER if component.image is not None else ComponentType.LIBRARY
    return CdxComponent(
        type=kind, name=component.name, version=component.version,
        description=component.description, bom_ref=f"component:{component.name}",
        purl=_purl(component), hashes=hashes, external_references=references,
        properties=[Property(name=PROPERTY.format(name="pinned-values"), value=confirmed),
                    Property(name=PROPERTY.format(name="upstream-signature"),
                             value=_upstream_signature(component))],
    )


def _upstream_signature(component: Component) -> str:
    """What upstream signature the pinned sha256 was taken on (versions.yaml's declaration)."""
    signature = component.archive.signature if component.archive is not None else None
    if signature is None:
        return "none declared"
    if signature.kind is SignatureKind.COSIGN:
        what = (f"cosign keyless by {component.fill(signature.identity or '')} (issuer "
                f"{signature.issuer or ''}) on {component.fill(signature.file or signature.url)}, "
                "logged in Rekor")
    else:
        signed = "the sums file" if signature.of is SignedFile.CHECKSUM else "the archive"
        what = f"OpenPGP by {', '.join(signature.keys)} on {signed}"
    rule = "refresh, pin and verify --online accept a sha256 only on a good one"
    if "sha256" in component.unconfirmed:
        return f"{what}; {rule}; this sha256 is unconfirmed (not yet checked against it)"
    return f"{what}; {rule}"


def _image(image: BomImage, registry: str | None) -> CdxComponent:
    digest = image.digest
    signature = image.signature or "not signed"
    shown = signature if isinstance(signature, str) else f"signed {signature.digest}"
    properties = [Property(name=PROPERTY.format(name="status"), value=image.status),
                  Property(name=PROPERTY.format(name="input-hash"), value=image.input_hash),
                  Property(name=PROPERTY.format(name="signature"), value=shown)]
    return CdxComponent(
        type=ComponentType.CONTAINER, name=image.repository,
        version=digest or image.content_tag, bom_ref=f"image:{image.name}",
        group=registry or None,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest.removeprefix("sha256:"))]
        if digest else [],
        properties=properties,
    )


def make_sbom(
    manifest: Manifest, bom: Bom | Mapping[str, Any], *, created: str,
    image: str | None = None, components: Sequence[str] | None = None,
) -> str:
    """The validated CycloneDX 1.6 JSON of the release `bom` (a bill of materials; a parsed
    document is read through `release.bom` first).

    With `image`, the SBOM of that one image: only it, and only `components` (what it pins).
    """
    if not isinstance(bom, Bom):
        bom = read_bom(bom, "the bill of materials", needed=SBOM_FIELDS)
    subject = f"{bom.release}@{bom.commit}" + (f"/{image}" if image else "")
    document = CdxBom(serial_number=uuid.uuid5(SBOM_NAMESPACE, subject))
    document.metadata.timestamp = dt.datetime.strptime(
        created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    document.metadata.component = CdxComponent(
        type=ComponentType.APPLICATION, name=f"delphi/{image}" if image else "delphi",
        version=bom.release, bom_ref="delphi",
        properties=[Property(name=PROPERTY.format(name="commit"), value=bom.commit)],
    )
    wanted = set(components) if components is not None else None
    for component in manifest.components:
        if wanted is None or component.name in wanted:
            document.components.add(_pinned(component))
    for entry in bom.images:
        if image is None or entry.name == image:
            document.components.add(_image(entry, bom.registry))
    document.register_dependency(document.metadata.component, list(document.components))
    text: str = JsonV1Dot6(document).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise SbomInvalidError(f"the SBOM does not validate against CycloneDX 1.6: {error}")
    return text + "\n"

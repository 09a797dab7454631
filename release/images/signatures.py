"""The signatures and SBOM attestations of a release's images, recorded in its bill of materials.

release.yml signs every image digest with `cosign sign` (keyless, the workflow's OIDC identity)
and attests its CycloneDX SBOM with `cosign attest --type cyclonedx`. cosign 3 stores each as a
Sigstore bundle in a manifest that refers to the image digest (OCI 1.1 `subject`), annotated
`dev.sigstore.bundle.predicateType`: `https://sigstore.dev/cosign/sign/v1` for a signature, the
predicate's type (`https://cyclonedx.org/bom`) for an attestation (sigstore/cosign,
pkg/oci/remote/write.go). `bom signatures` reads those referrers back from the registry the bill
of materials names and records their digests, so the file says what the registry holds, not what
a script believed it wrote. A dry run (no cosign, no OIDC identity) records the sentences
`not signed (dry run)` / `not attested (dry run)` instead: never a digest nobody made.

Pure over what the registry answered (`record_signatures`); the registry is read by
`find_signatures` through `release.images.registry`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from release.bom import (
    NOT_ATTESTED_DRY_RUN,
    NOT_SIGNED_DRY_RUN,
    Bom,
    ImageAttestation,
    ImageSignature,
)
from release.errors import ReleaseError
from release.images.registry import Referrer

BUNDLE_PREDICATE_TYPE = "dev.sigstore.bundle.predicateType"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"
CREATED = "org.opencontainers.image.created"


class NotSignedError(ReleaseError):
    """An image of the bill of materials has no signature or no attestation in the registry."""


def _newest(referrers: Sequence[Referrer], predicate: str) -> Referrer | None:
    """The newest referrer of `predicate` (a re-run signs again; the last one is this run's)."""
    matching = [r for r in referrers if r.annotations.get(BUNDLE_PREDICATE_TYPE) == predicate]
    if not matching:
        return None
    return max(matching, key=lambda r: (r.annotations.get(CREATED, ""), r.digest))


def record_signatures(bom: Bom, referrers: Mapping[str, Sequence[Referrer]], *, identity: str,
                      issuer: str) -> Bom:
    """`bom` with each image's signature and attestation from its referrers (by image name).

    Every image of the file must have both: one that has not raises `NotSignedError` naming
    every such image, and nothing is recorded.
    """
    images = []
    missing: list[str] = []
    for image in bom.images:
        found = referrers.get(image.name, ())
        signature = _newest(found, COSIGN_SIGN_PREDICATE)
        attestation = _newest(found, CYCLONEDX_PREDICATE)
        if image.digest is None:
            missing.append(f"{image.name}: no digest in the bill of materials ({image.status})")
            continue
        if signature is None or attestation is None:
            absent = " and ".join(what for what, ref in (
                ("no cosign signature", signature), ("no CycloneDX attestation", attestation),
            ) if ref is None)
            missing.append(f"{image.name}@{image.digest}: {absent} refers to it")
            continue
        images.append(dataclasses.replace(
            image,
            signature=ImageSignature(digest=signature.digest, identity=identity, issuer=issuer),
            sbom_attestation=ImageAttestation(digest=attestation.digest,
                                              predicate_type=CYCLONEDX_PREDICATE),
        ))
    if missing:
        raise NotSignedError(
            f"{len(missing)} of {len(bom.images)} images are not signed and attested in the "
            "registry: " + "; ".join(missing),
            hint="run `cosign sign` and `cosign attest --type cyclonedx` on each image digest "
            "first (release.yml's sign step)",
        )
    return dataclasses.replace(bom, images=tuple(images))


def record_dry_run(bom: Bom) -> Bom:
    """`bom` saying, for every image, that a dry run signs and attests nothing."""
    return dataclasses.replace(bom, images=tuple(
        dataclasses.replace(i, signature=NOT_SIGNED_DRY_RUN,
                            sbom_attestation=NOT_ATTESTED_DRY_RUN)
        for i in bom.images
    ))


def find_signatures(bom: Bom, read_referrers: Callable[[str, str], list[Referrer]], *,
                    identity: str, issuer: str) -> Bom:
    """Read each image's referrers (`read_referrers(repository, digest)`) and record them."""
    referrers = {i.name: read_referrers(i.repository, i.digest) for i in bom.images
                 if i.digest is not None}
    return record_signatures(bom, referrers, identity=identity, issuer=issuer)

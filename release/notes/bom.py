"""The release notes' table of images, read from the release's bill of materials.

The bill of materials (`releases/<version>.json`) is written by the image build and read here
through its one model and parser, `release.bom` (so the notes accept what the build and
release.yml write, and a file that does not match is an error naming the file and the field).
The notes need only the release and each image's name, repository and tags (`NOTES_FIELDS`).
The notes show each image's name, its repository with the registry host in front when the file
names one, its tags, and its digest (null for an image the registry was not seen to hold; its
`status` then says why: failed, not-pushed).

Once release.yml recorded the signatures (`bom signatures`), each image also shows its signature
state: signed (the digests of cosign's signature and SBOM attestation), or the sentence the file
records (`not signed (dry run)`); and the notes give, per signed image, the `cosign verify` and
`cosign verify-attestation` commands with the exact certificate identity and OIDC issuer it was
signed with. A file without signature fields (a `build --push` outside release.yml) shows the
table as before.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from release.bom import (
    NOTES_FIELDS,
    RELEASES_DIR,
    Bom,
    BomImage,
    ImageAttestation,
    ImageSignature,
    bom_relpath,
    parse_bom,
)
from release.manifest.load import read_text
from release.versioning import Digest


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRow:
    name: str
    repository: str  # with the registry host in front when the file names one
    tags: tuple[str, ...]
    digest: Digest | None
    status: str | None = None
    signature: ImageSignature | str | None = None  # a sentence when there is none
    sbom_attestation: ImageAttestation | str | None = None

    @property
    def signature_digest(self) -> str | None:
        return self.signature.digest if isinstance(self.signature, ImageSignature) else None

    @property
    def attestation_digest(self) -> str | None:
        attestation = self.sbom_attestation
        return attestation.digest if isinstance(attestation, ImageAttestation) else None

    @property
    def signature_note(self) -> str:
        """The sentence of an image without a signature (or attestation)."""
        if not isinstance(self.signature, ImageSignature):
            return self.signature or "not signed"
        if not isinstance(self.sbom_attestation, ImageAttestation):
            return self.sbom_attestation or "SBOM not attested"
        return ""

    @property
    def verify_commands(self) -> str | None:
        """`cosign verify` (and `verify-attestation`) of this image's digest, or None."""
        if not isinstance(self.signature, ImageSignature) or self.digest is None:
            return None
        ref = shlex.quote(f"{self.repository}@{self.digest}")
        who = (f"--certificate-identity {shlex.quote(self.signature.identity)} \\\n"
               f"  --certificate-oidc-issuer {shlex.quote(self.signature.issuer)}")
        lines = [f"cosign verify {ref} \\\n  {who}"]
        if isinstance(self.sbom_attestation, ImageAttestation):
            lines.append(f"cosign verify-attestation --type cyclonedx {ref} \\\n  {who}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImagesTable:
    version: str
    images: tuple[ImageRow, ...]  # by name
    path: str

    @property
    def signatures_recorded(self) -> bool:
        """Whether the file records signatures at all (release.yml's `bom signatures` ran)."""
        return any(i.signature is not None for i in self.images)

    @property
    def signed_images(self) -> tuple[ImageRow, ...]:
        return tuple(i for i in self.images if i.verify_commands is not None)


def _repository(image: BomImage) -> str:
    return f"{image.registry}/{image.repository}" if image.registry else image.repository


def bom_path(root: Path, version: str) -> Path:
    return root / bom_relpath(version)


def images_table(bom: Bom, path: str) -> ImagesTable:
    """The notes' view of a parsed bill of materials."""
    rows = [
        ImageRow(
            name=image.name,
            repository=_repository(image),
            tags=image.tags, digest=Digest(image.digest) if image.digest is not None else None,
            status=image.status or None, signature=image.signature,
            sbom_attestation=image.sbom_attestation,
        )
        for image in bom.images
    ]
    return ImagesTable(version=bom.release, images=tuple(sorted(rows, key=lambda i: i.name)),
                       path=path)


def parse_release_bom(text: str, filename: str, *, version: str) -> ImagesTable:
    """The images of `version`'s bill of materials `text` (which must be that release's)."""
    bom = parse_bom(text, filename, release=version, needed=NOTES_FIELDS)
    return images_table(bom, filename)


def read_bom(root: Path, version: str) -> ImagesTable | None:
    """The images of `version`'s bill of materials, or None when the release has none (yet)."""
    path = bom_path(root, version)
    if not path.is_file():
        return None
    relative = f"{RELEASES_DIR}/{path.name}"
    return parse_release_bom(read_text(path), relative, version=version)

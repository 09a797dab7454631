"""The release notes' table of images, read from the release's bill of materials.

The bill of materials (`releases/<version>.json`) is written by the image build and read here
through its one model and parser, `release.bom` (so the notes accept what the build and
release.yml write, and a file that does not match is an error naming the file and the field).
The notes need only the release and each image's name, repository and tags (`NOTES_FIELDS`).
The notes show each image's name, its repository with the registry host in front when the file
names one, its tags, and its digest (null for an image the registry was not seen to hold; its
`status` then says why: failed, not-pushed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from release.bom import NOTES_FIELDS, RELEASES_DIR, Bom, bom_relpath, parse_bom
from release.manifest.load import read_text
from release.versioning import Digest


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRow:
    name: str
    repository: str  # with the registry host in front when the file names one
    tags: tuple[str, ...]
    digest: Digest | None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImagesTable:
    version: str
    images: tuple[ImageRow, ...]  # by name
    path: str


def bom_path(root: Path, version: str) -> Path:
    return root / bom_relpath(version)


def images_table(bom: Bom, path: str) -> ImagesTable:
    """The notes' view of a parsed bill of materials."""
    rows = [
        ImageRow(
            name=image.name,
            repository=f"{image.registry}/{image.repository}" if image.registry
            else image.repository,
            tags=image.tags, digest=Digest(image.digest) if image.digest is not None else None,
            status=image.status or None,
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

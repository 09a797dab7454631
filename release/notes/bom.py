"""The fields the release notes read from a release's bill of materials.

The bill of materials is written by the image build (`releases/<version>.json`,
`release.images.bom`). The notes read only this minimal subset, agreed with that writer, and
ignore every other field (so either side can grow):

```json
{
  "release": "2026.11.0",
  "images": [
    {"name": "postgres", "registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
     "repository": "delphi/postgres", "tags": ["2026.11.0", "..."],
     "digest": "sha256:<64 hex>", "status": "published"}
  ]
}
```

`registry` and `status` may be absent; `digest` is null for an image the registry was not seen to
hold (`status` then says why: failed, not-pushed). Every value read is validated before it
reaches the notes; a file that does not match is an error naming the file and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.errors import Problem, ProblemsFound
from release.manifest.load import read_text
from release.versioning import DIGEST_RE, Digest

RELEASES_DIR = "releases"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::\d{1,5})?"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_REGISTRY = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d{1,5})?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BomImage:
    name: str
    repository: str  # with the registry host in front when the file names one
    tags: tuple[str, ...]
    digest: Digest | None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bom:
    version: str
    images: tuple[BomImage, ...]
    path: str


def bom_path(root: Path, version: str) -> Path:
    return root / RELEASES_DIR / f"{version}.json"


def read_bom(root: Path, version: str) -> Bom | None:
    """The bill of materials of `version`, or None when the release has none (yet)."""
    path = bom_path(root, version)
    if not path.is_file():
        return None
    relative = f"{RELEASES_DIR}/{path.name}"
    return parse_bom(read_text(path), relative, version=version)


def parse_bom(text: str, filename: str, *, version: str) -> Bom:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg}"
        problem = Problem(file=filename, line=exc.lineno, path="", message=message)
        raise ProblemsFound(f"{filename} is not valid JSON", [problem]) from None
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(file=filename, line=0, path=path, message=message))

    if not isinstance(doc, dict):
        bad("", "expected a JSON object")
        raise _failure(filename, problems)
    if doc.get("release") != version:
        bad("release", f"is {doc.get('release')!r}, expected {version!r}")
    raw_images = doc.get("images")
    images: list[BomImage] = []
    if not isinstance(raw_images, list):
        bad("images", "expected a list")
    else:
        for index, raw in enumerate(raw_images):
            image = _image(raw, f"images[{index}]", bad)
            if image is not None:
                images.append(image)
    if problems:
        raise _failure(filename, problems)
    return Bom(
        version=version, images=tuple(sorted(images, key=lambda i: i.name)), path=filename
    )


def _image(raw: Any, path: str, bad: Callable[[str, str], None]) -> BomImage | None:
    if not isinstance(raw, dict):
        bad(path, "expected an object")
        return None
    name, repository, tags, digest = (
        raw.get("name"), raw.get("repository"), raw.get("tags"), raw.get("digest")
    )
    registry, status = raw.get("registry"), raw.get("status")
    ok = True
    if registry is not None and not (isinstance(registry, str) and _REGISTRY.fullmatch(registry)):
        bad(f"{path}.registry", f"{registry!r} is not a registry host")
        ok = False
    if status is not None and (not isinstance(status, str) or not _NAME.fullmatch(status)):
        bad(f"{path}.status", f"{status!r} is not a status")
        ok = False
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        bad(f"{path}.name", f"{name!r} is not an image name")
        ok = False
    if not isinstance(repository, str) or not _REPOSITORY.fullmatch(repository):
        bad(f"{path}.repository", f"{repository!r} is not an image repository")
        ok = False
    tags_ok = isinstance(tags, list) and all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags)
    if not tags_ok:
        bad(f"{path}.tags", "expected a list of image tags")
        ok = False
    if digest is not None and (not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest)):
        bad(f"{path}.digest", f"{digest!r} is not an image digest (sha256:<64 hex>) or null")
        ok = False
    if not ok or not isinstance(name, str) or not isinstance(repository, str):
        return None
    assert isinstance(tags, list)
    if isinstance(registry, str):
        repository = f"{registry}/{repository}"
    return BomImage(
        name=name, repository=repository, tags=tuple(str(t) for t in tags),
        digest=Digest(digest) if isinstance(digest, str) else None,
        status=status if isinstance(status, str) else None,
    )


def _failure(filename: str, problems: list[Problem]) -> ProblemsFound:
    return ProblemsFound(
        f"{filename}: the bill of materials has {len(problems)} problem(s)", problems,
        hint="the release notes read release and images[].{name, registry, repository, tags, "
        "digest, status}",
    )

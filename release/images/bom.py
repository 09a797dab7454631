"""The bill of materials of a release: `releases/<version>.json`.

It records only what a build run established: every component as `versions.yaml` pins it, and
every image with its repository, its input hash and base images, and, only when the target
registry was seen to hold it (pushed in this run or found there), its digest and tags. An image
that failed or was never pushed has no digest and says why. Each image's `status` is where it
stands (published, partial, failed, not-pushed), not what the run did, so a no-op re-run leaves
the file as it was. `complete` is true when every image is published. The release notes read
this file; `bom diff` compares two of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from release.errors import InvalidInput, Problem, ProblemsFound
from release.images.plan import BuildPlan
from release.images.run import ImageOutcome, RunOutcome, Status
from release.manifest.model import Component, Manifest

BOM_SCHEMA = 1
RELEASES_DIR = "releases"
# An image's state in a BOM.
PUBLISHED = "published"  # in the registry under its content tag and the release tag
PARTIAL = "partial"  # in the registry under its content tag only (the release tag failed)
FAILED = "failed"  # not in the registry: its build, probe or push failed (see `error`)
NOT_PUSHED = "not-pushed"  # not in the registry: left out of this run by --only


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


def _source(component: Component) -> dict[str, str]:
    upstream = component.upstream
    fields = {"kind": upstream.kind.value, "repo": upstream.repo, "url": upstream.url,
              "image": upstream.image, "registry": upstream.registry}
    return {k: v for k, v in fields.items() if v}


def _component(component: Component) -> BomComponent:
    checksum = None
    if component.archive is not None and component.archive.sha256:
        checksum = f"sha256:{component.archive.sha256}"
    image = None
    if component.image is not None:
        tag = component.image.tag.replace("{version}", component.version)
        digest = f"@{component.image.digest}" if component.image.digest else ""
        image = f"{component.image.repository}:{tag}{digest}"
    return BomComponent(name=component.name, version=component.version,
                        source=_source(component), checksum=checksum, image=image,
                        unconfirmed=component.unconfirmed)


def _state(result: ImageOutcome | None, release: str) -> str:
    """Where the image stands, not what this run did: so a no-op re-run writes the same file."""
    if result is not None and result.digest is not None:
        return PUBLISHED if release in result.tags else PARTIAL
    if result is not None and result.status is Status.FAILED:
        return FAILED
    return NOT_PUSHED


def make_bom(manifest: Manifest, plan: BuildPlan, outcome: RunOutcome, *,
             allow_unconfirmed: bool = False) -> Bom:
    """The bill of materials of a run: pure over the manifest, the plan and what happened."""
    by_name = {o.name: o for o in outcome.outcomes}
    images: list[BomImage] = []
    for image in plan.images:
        result = by_name.get(image.name)
        status = _state(result, plan.release)
        images.append(BomImage(
            name=image.name, repository=image.repository, input_hash=image.input_hash,
            content_tag=image.content_tag, base_images=image.base_images, status=status,
            registry=outcome.registry if result is not None and result.digest else None,
            digest=result.digest if result is not None else None,
            tags=result.tags if result is not None else (),
            error=result.error if result is not None else None,
        ))
    complete = all(i.digest is not None and plan.release in i.tags for i in images)
    return Bom(
        release=plan.release, commit=plan.provenance.revision, dirty=plan.provenance.dirty,
        registry=outcome.registry, complete=complete,
        components=tuple(_component(c) for c in manifest.components), images=tuple(images),
        allow_unconfirmed=allow_unconfirmed,
    )


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
        "images": [
            {"name": i.name, "repository": i.repository, "registry": i.registry,
             "tags": list(i.tags), "digest": i.digest, "input_hash": i.input_hash,
             "content_tag": i.content_tag, "base_images": list(i.base_images),
             "status": i.status, "error": i.error}
            for i in bom.images
        ],
    }


def bom_json(bom: Bom) -> str:
    return json.dumps(bom_document(bom), indent=2) + "\n"


# -- reading -------------------------------------------------------------------------------------


class _Reader:
    """Typed getters over a parsed BOM that collect every problem with its key path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def get(self, node: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
            *, optional: bool = False) -> Any:
        where = f"{path}.{key}" if path else key
        if key not in node:
            if not optional:
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


def parse_bom(text: str, file: str) -> Bom:
    """Validate a BOM document; every problem is reported at once (`ProblemsFound`)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemsFound(f"{file} is not a bill of materials", [
            Problem(file=file, line=exc.lineno, path="", message=f"invalid JSON: {exc.msg}")
        ]) from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{file}: a bill of materials is a JSON object")
    r = _Reader(file)
    schema = r.get(doc, "schema", "", int)
    if schema is not None and schema != BOM_SCHEMA:
        r.problems.append(Problem(file=file, line=0, path="schema",
                                  message=f"unsupported schema {schema}; this tool reads "
                                  f"{BOM_SCHEMA}"))
    components: list[BomComponent] = []
    for n, item in enumerate(r.get(doc, "components", "", list) or []):
        path = f"components[{n}]"
        if not isinstance(item, dict):
            r.problems.append(Problem(file=file, line=0, path=path, message="expected an object"))
            continue
        source = r.get(item, "source", path, dict) or {}
        components.append(BomComponent(
            name=r.get(item, "name", path, str) or "", version=r.get(item, "version", path, str)
            or "", source={str(k): str(v) for k, v in source.items()},
            checksum=r.get(item, "checksum", path, str, optional=True),
            image=r.get(item, "image", path, str, optional=True),
            unconfirmed=r.strings(item, "unconfirmed", path) if "unconfirmed" in item else (),
        ))
    images: list[BomImage] = []
    for n, item in enumerate(r.get(doc, "images", "", list) or []):
        path = f"images[{n}]"
        if not isinstance(item, dict):
            r.problems.append(Problem(file=file, line=0, path=path, message="expected an object"))
            continue
        images.append(BomImage(
            name=r.get(item, "name", path, str) or "",
            repository=r.get(item, "repository", path, str) or "",
            input_hash=r.get(item, "input_hash", path, str) or "",
            content_tag=r.get(item, "content_tag", path, str) or "",
            base_images=r.strings(item, "base_images", path),
            status=r.get(item, "status", path, str) or "",
            registry=r.get(item, "registry", path, str, optional=True),
            digest=r.get(item, "digest", path, str, optional=True),
            tags=r.strings(item, "tags", path),
            error=r.get(item, "error", path, str, optional=True),
        ))
    bom = Bom(
        release=r.get(doc, "release", "", str) or "", commit=r.get(doc, "commit", "", str) or "",
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


# -- diff (pure) ---------------------------------------------------------------------------------


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One difference between two BOMs: a component's version, an image's digest."""

    of: str  # "component" or "image"
    name: str
    change: ChangeKind
    before: str | None = None
    after: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BomDiff:
    before: Bom
    after: Bom
    changes: tuple[Change, ...]
    unchanged_images: tuple[str, ...]


def _names(old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    return [*old, *(n for n in new if n not in old)]


def _component_change(a: BomComponent, b: BomComponent) -> Change | None:
    if a == b:
        return None
    notes = [what for what, differs in (
        ("checksum changed", a.checksum != b.checksum),
        ("image changed", a.image != b.image),
        ("source changed", a.source != b.source),
    ) if differs]
    return Change(of="component", name=a.name, change=ChangeKind.CHANGED, before=a.version,
                  after=b.version, detail=", ".join(notes))


def _image_change(x: BomImage, y: BomImage) -> Change | None:
    if x.digest == y.digest and x.input_hash == y.input_hash:
        return None
    notes = [what for what, differs in (
        ("inputs changed", x.input_hash != y.input_hash),
        ("base images changed", x.base_images != y.base_images),
    ) if differs]
    return Change(of="image", name=x.name, change=ChangeKind.CHANGED, before=x.digest,
                  after=y.digest, detail=", ".join(notes))


def diff_boms(before: Bom, after: Bom) -> BomDiff:
    """What changed from `before` to `after`: components first, then images, in file order."""
    changes: list[Change] = []
    old_c = {c.name: c for c in before.components}
    new_c = {c.name: c for c in after.components}
    for name in _names(old_c, new_c):
        a, b = old_c.get(name), new_c.get(name)
        if a is None and b is not None:
            changes.append(Change(of="component", name=name, change=ChangeKind.ADDED,
                                  after=b.version))
        elif b is None and a is not None:
            changes.append(Change(of="component", name=name, change=ChangeKind.REMOVED,
                                  before=a.version))
        elif a is not None and b is not None and (change := _component_change(a, b)):
            changes.append(change)
    old_i = {i.name: i for i in before.images}
    new_i = {i.name: i for i in after.images}
    unchanged: list[str] = []
    for name in _names(old_i, new_i):
        x, y = old_i.get(name), new_i.get(name)
        if x is None and y is not None:
            changes.append(Change(of="image", name=name, change=ChangeKind.ADDED,
                                  after=y.digest))
        elif y is None and x is not None:
            changes.append(Change(of="image", name=name, change=ChangeKind.REMOVED,
                                  before=x.digest))
        elif x is not None and y is not None:
            change = _image_change(x, y)
            if change is None:
                unchanged.append(name)
            else:
                changes.append(change)
    return BomDiff(before=before, after=after, changes=tuple(changes),
                   unchanged_images=tuple(unchanged))


def _show(of: str, value: str | None) -> str:
    if of == "component":
        return value or ""
    if value is None:
        return "(not in the registry)"
    return value[:19] + "..." if value.startswith("sha256:") else value


def render_diff(diff: BomDiff) -> str:
    a, b = diff.before, diff.after
    lines = [f"bom diff: {a.release} ({a.commit[:12]}) -> {b.release} ({b.commit[:12]})"]
    for of, title in (("component", "components"), ("image", "images")):
        entries = [c for c in diff.changes if c.of == of]
        lines.append(f"{title}: {len(entries)} changed")
        for c in entries:
            if c.change is ChangeKind.ADDED:
                lines.append(f"  + {c.name} {_show(of, c.after)}")
            elif c.change is ChangeKind.REMOVED:
                lines.append(f"  - {c.name} {_show(of, c.before)}")
            else:
                extra = f" ({c.detail})" if c.detail else ""
                lines.append(f"  {c.name}: {_show(of, c.before)} -> {_show(of, c.after)}{extra}")
    if diff.unchanged_images:
        lines.append(f"unchanged images: {', '.join(diff.unchanged_images)}")
    return "\n".join(lines)


def diff_document(diff: BomDiff) -> dict[str, Any]:
    return {
        "before": {"release": diff.before.release, "commit": diff.before.commit},
        "after": {"release": diff.after.release, "commit": diff.after.commit},
        "changes": [
            {"of": c.of, "name": c.name, "change": c.change.value, "before": c.before,
             "after": c.after, "detail": c.detail}
            for c in diff.changes
        ],
        "unchanged_images": list(diff.unchanged_images),
    }

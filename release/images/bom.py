"""Building a release's bill of materials, and comparing two (`bom diff`).

The model, its JSON form and its reader are `release.bom` (shared with the release notes):
`make_bom` fills that model from a build run, pure over the manifest, the plan and what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from release.bom import (
    FAILED,
    NOT_PUSHED,
    PARTIAL,
    PUBLISHED,
    Bom,
    BomComponent,
    BomImage,
)
from release.images.plan import BuildPlan
from release.images.run import ImageOutcome, RunOutcome, Status
from release.manifest.model import Component, Manifest

T = TypeVar("T")


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
        tag = component.fill(component.image.tag)
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


def _changes(of: str, old: Mapping[str, T], new: Mapping[str, T], *,
             shown: Callable[[T], str | None], changed: Callable[[T, T], Change | None],
             unchanged: list[str]) -> list[Change]:
    """The changes of one list (components or images) by name, in file order; the names that
    did not change go to `unchanged`."""
    changes: list[Change] = []
    for name in _names(old, new):
        a, b = old.get(name), new.get(name)
        if a is None and b is not None:
            changes.append(Change(of=of, name=name, change=ChangeKind.ADDED, after=shown(b)))
        elif b is None and a is not None:
            changes.append(Change(of=of, name=name, change=ChangeKind.REMOVED, before=shown(a)))
        elif a is not None and b is not None:
            change = changed(a, b)
            if change is None:
                unchanged.append(name)
            else:
                changes.append(change)
    return changes


def diff_boms(before: Bom, after: Bom) -> BomDiff:
    """What changed from `before` to `after`: components first, then images, in file order."""
    unchanged: list[str] = []
    changes = _changes("component", {c.name: c for c in before.components},
                       {c.name: c for c in after.components}, shown=lambda c: c.version,
                       changed=_component_change, unchanged=[])
    changes += _changes("image", {i.name: i for i in before.images},
                        {i.name: i for i in after.images}, shown=lambda i: i.digest,
                        changed=_image_change, unchanged=unchanged)
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

"""The third-party version diff between two manifests, and what it touches (pure).

A component's change is classified in the bump vocabulary of check and refresh (digest,
rebuild, major, minor, patch, new line, downgrade; see `release.versioning.move_kind`), or as
new (added to `versions.yaml`), removed, held (unchanged under an active hold) or unchanged.
From the changes and the paths git reports as changed, `touched` derives the images (folders
of `images/`) and the Delphi services a release replaces.

CI tooling (the GitHub Actions of `.github/workflows`, pinned only by `github-action` pins) runs
in this repository's workflows, never in a deployment: its changes are listed on their own and
touch no image or service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from release.manifest.model import Component, Manifest, PinKind, Service
from release.versioning import BumpKind, Version, move_kind

IMAGES_DIR = "images"


class ChangeKind(StrEnum):
    """A component's change between two releases: the bump kinds of
    `release.versioning.BumpKind` (the vocabulary check and refresh use), and what only a diff
    of manifests sees (new, removed, held, unchanged)."""

    DIGEST = "digest"
    REBUILD = "rebuild"
    SECURITY = "security"
    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    NEW_LINE = "new line"
    DOWNGRADE = "downgrade"
    NEW = "new"
    REMOVED = "removed"
    HELD = "held"
    UNCHANGED = "unchanged"


# The kinds that put a different version (or none) into the deployment.
CHANGED = frozenset({
    ChangeKind.DIGEST, ChangeKind.REBUILD, ChangeKind.SECURITY, ChangeKind.MAJOR,
    ChangeKind.MINOR, ChangeKind.PATCH, ChangeKind.NEW_LINE, ChangeKind.DOWNGRADE,
    ChangeKind.NEW, ChangeKind.REMOVED,
})
# Every bump kind has the change kind of the same name; NONE is an unchanged component.
_FROM_BUMP: dict[BumpKind, ChangeKind] = {
    b: ChangeKind.UNCHANGED if b is BumpKind.NONE else ChangeKind(b.value) for b in BumpKind
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentChange:
    """One component between two releases. `old`/`new` are None when absent on that side."""

    name: str
    description: str
    services: tuple[Service, ...]
    old: Version | None
    new: Version | None
    kind: ChangeKind
    notes_url: str | None = None
    hold: str | None = None
    group: str | None = None
    base_image: bool = False
    ci_tooling: bool = False
    action: str | None = None  # CI tooling: the GitHub Action `owner/repo`
    images: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.kind in CHANGED


def is_base_image(component: Component) -> bool:
    """A base image: pinned only in `FROM` lines (Debian, Node.js, Python)."""
    return bool(component.pins) and all(p.kind is PinKind.DOCKERFILE_FROM for p in component.pins)


def is_ci_tooling(component: Component) -> bool:
    """CI tooling: pinned only in `.github/workflows` (a GitHub Action's `github-action` pins,
    or a value a workflow passes to one, as the BuildKit image setup-buildx-action starts).

    It builds and tests the release but runs in no Delphi deployment, so it changes nothing
    operators run.
    """
    return bool(component.pins) and all(
        p.kind is PinKind.GITHUB_ACTION or p.file.startswith(".github/workflows/")
        for p in component.pins
    )


def action_of(component: Component) -> str | None:
    """The `owner/repo` of a GitHub Action component (the action its pins name)."""
    actions = sorted({p.action for p in component.pins if p.action is not None})
    return actions[0] if actions else None


def image_of(path: str) -> str | None:
    """The image folder a repository path belongs to (`images/postgres/Dockerfile` -> postgres)."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == IMAGES_DIR and parts[1]:
        return parts[1]
    return None


def component_images(component: Component) -> tuple[str, ...]:
    return tuple(sorted({i for p in component.pins if (i := image_of(p.file)) is not None}))


def image_services(manifests: Iterable[Manifest]) -> dict[str, tuple[Service, ...]]:
    """The services each image folder serves: those shared by every component pinned into it.

    Debian is pinned into every image built from source and lists all their services; the
    intersection with the image's own software (PostgreSQL: database) is the image's service.
    """
    claims: dict[str, list[set[Service]]] = {}
    for manifest in manifests:
        for component in manifest.components:
            for image in component_images(component):
                claims.setdefault(image, []).append(set(component.services))
    order = list(Service)
    result: dict[str, tuple[Service, ...]] = {}
    for image, sets in claims.items():
        shared = set.intersection(*sets) if sets else set()
        result[image] = tuple(sorted(shared, key=order.index))
    return result


def classify(old: Component | None, new: Component | None, *, today: dt.date) -> ChangeKind:
    if old is None and new is None:
        raise ValueError("classify needs at least one side")
    if old is None:
        return ChangeKind.NEW
    if new is None:
        return ChangeKind.REMOVED
    digest_changed = (old.image is not None and new.image is not None
                      and old.image.digest != new.image.digest)
    if old.version == new.version and not digest_changed:
        held = new.hold is not None and new.hold.active(today)
        return ChangeKind.HELD if held else ChangeKind.UNCHANGED
    # The same classification as check and refresh (release.versioning.move_kind): a date
    # rebuild (Debian's trixie-YYYYMMDD) is `rebuild`, a new tag template (trixie -> forky) a
    # `new line`.
    return _FROM_BUMP[move_kind(
        old.version, new.version, new_line=old.versioning.tag != new.versioning.tag,
        digest_changed=digest_changed,
    )]


def notes_url(component: Component) -> str | None:
    template = component.upstream.release_notes
    if template is None:
        return None
    return component.fill(template)


def diff_manifests(
    old: Manifest | None, new: Manifest, *, today: dt.date
) -> tuple[ComponentChange, ...]:
    """Every component of either manifest, in `new`'s order, then the removed ones."""
    before = {c.name: c for c in old.components} if old is not None else {}
    after = {c.name: c for c in new.components}
    names = [c.name for c in new.components] + [n for n in before if n not in after]
    changes: list[ComponentChange] = []
    for name in names:
        a, b = before.get(name), after.get(name)
        current = b if b is not None else a
        assert current is not None
        changes.append(ComponentChange(
            name=name,
            description=current.description,
            services=current.services,
            old=a.version if a is not None else None,
            new=b.version if b is not None else None,
            kind=classify(a, b, today=today),
            notes_url=notes_url(b) if b is not None else None,
            hold=b.hold.reason if b is not None and b.hold is not None and b.hold.active(today)
            else None,
            group=current.policy.group,
            base_image=is_base_image(current),
            ci_tooling=is_ci_tooling(current),
            action=action_of(current) if is_ci_tooling(current) else None,
            images=tuple(sorted(set(component_images(current)) | (
                set(component_images(a)) if a is not None else set()))),
        ))
    return tuple(changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Touched:
    """What a release replaces: image folders and the services running them."""

    images: tuple[str, ...]
    services: tuple[Service, ...]


def touched(
    changes: Iterable[ComponentChange],
    changed_paths: Iterable[str],
    services_of: Mapping[str, tuple[Service, ...]],
) -> Touched:
    """Images whose pins or files changed, and the services of those images.

    A changed component without an image pin (none today) touches its own services directly;
    CI tooling touches nothing a deployment runs.
    """
    images: set[str] = set()
    services: set[Service] = set()
    for change in changes:
        if not change.changed or change.ci_tooling:
            continue
        images.update(change.images)
        if not change.images:
            services.update(change.services)
    images.update(i for p in changed_paths if (i := image_of(p)) is not None)
    for image in images:
        services.update(services_of.get(image, ()))
    order = list(Service)
    return Touched(images=tuple(sorted(images)), services=tuple(sorted(services, key=order.index)))

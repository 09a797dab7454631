"""The plan of refresh and pin: updates turned into new file contents, validated, not written.

This is the one mechanism shared by `pin` (one component, by hand) and `refresh` (every
candidate): edit the manifest's scalars, re-validate the whole new manifest, then rewrite every
pin location of every updated component and check each one reads back as intended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release.errors import InvalidInput, PinError, ProblemsFound
from release.fsutil import FileChange, read_text_exact
from release.manifest.load import LoadedManifest, parse_manifest
from release.manifest.model import Component, Manifest
from release.manifest.write import set_scalars
from release.pins import locate_all, rewrite
from release.refresh.decide import Update


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The files an update changes (versions.yaml last) and the manifest it results in."""

    changes: tuple[FileChange, ...]
    manifest: Manifest


def manifest_key(component: str, *keys: str) -> str:
    return ".".join(("components", component, *keys))


def plan_updates(root: Path, loaded: LoadedManifest, updates: Sequence[Update]) -> Plan:
    """Compute every file change for `updates`; raises before anything could be written."""
    filename = loaded.path.name
    edits: dict[str, str] = {}
    for update in updates:
        component = loaded.manifest.component(update.component)
        if component is None:
            raise InvalidInput(f"{filename}: no component {update.component!r}")
        edits[manifest_key(update.component, "version")] = update.version
        missing = None
        if update.commit is not None:
            missing = "commit" if component.commit is None else None
            edits[manifest_key(update.component, "commit")] = update.commit
        if update.sha256 is not None:
            if component.archive is None or component.archive.sha256 is None:
                missing = "archive.sha256"
            edits[manifest_key(update.component, "archive", "sha256")] = update.sha256
        if update.digest is not None:
            if component.image is None or component.image.digest is None:
                missing = "image.digest"
            edits[manifest_key(update.component, "image", "digest")] = update.digest
        if missing is not None:
            raise InvalidInput(
                f"{filename}: component {update.component!r} has no {missing} to set; "
                "add the key first"
            )
    text = set_scalars(loaded.text, edits, filename=filename)
    try:
        manifest = parse_manifest(text, filename)
    except ProblemsFound as exc:  # the update itself made the manifest invalid
        raise InvalidInput(
            "the change would make the manifest invalid; nothing was changed:\n"
            + "\n".join(str(p) for p in exc.problems)
        ) from None

    names = {u.component for u in updates}
    changed = [c for c in manifest.components if c.name in names]
    file_texts: dict[str, tuple[str, str]] = {}
    for component in changed:
        for pin in component.pins:
            if pin.file not in file_texts:
                original = _read(root, pin.file)
                file_texts[pin.file] = (original, original)
            original, current = file_texts[pin.file]
            file_texts[pin.file] = (original, rewrite(current, pin, component.render(pin)))
    for component in changed:
        _check_pins(component, {path: new for path, (_, new) in file_texts.items()})

    changes = [
        FileChange(path=path, old=old, new=new)
        for path, (old, new) in sorted(file_texts.items())
        if old != new
    ]
    manifest_path = str(loaded.path.resolve().relative_to(root.resolve()))
    if text != loaded.text:
        changes.append(FileChange(path=manifest_path, old=loaded.text, new=text))
    return Plan(changes=tuple(changes), manifest=manifest)


def _read(root: Path, relative: str) -> str:
    path = root / relative
    try:
        return read_text_exact(path)
    except FileNotFoundError:
        raise PinError(f"{relative}: pinned file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PinError(f"{relative}: cannot read: {exc}") from None


def _check_pins(component: Component, texts: dict[str, str]) -> None:
    for pin in component.pins:
        expected = component.render(pin)
        for found in locate_all(texts[pin.file], pin):
            if found.value != expected:
                raise PinError(
                    f"{pin.file}:{found.line}: {pin.describe()} reads back as {found.value!r} "
                    f"after writing {expected!r}"
                )

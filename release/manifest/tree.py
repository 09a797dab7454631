"""The manifest of a repository, with every file it manages checked before any work starts.

`load_tree` is what every command that reads or writes the tree uses: `versions.yaml` and every
pin location must be regular files inside the repository. A pin naming a missing file, a
directory, or a symlink that leads out of the repository is invalid input (exit 2), found
before any network request and before anything is written, so one bad pin can never surface
half-way through a refresh.
"""

from __future__ import annotations

from pathlib import Path

from release.errors import InvalidInput, Problem, ProblemsFound
from release.manifest.load import LoadedManifest, load_manifest
from release.manifest.model import MANIFEST, Manifest


def inside(root: Path, relative: str) -> bool:
    """Whether `root/relative`, symlinks followed, stays inside `root`."""
    try:
        (root / relative).resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def load_tree(root: Path, *, pins: bool = True) -> LoadedManifest:
    """Load `root/versions.yaml` and check every file it manages (see the module docstring);
    `pins=False` for a command that touches `versions.yaml` alone (`version --set`)."""
    path = root / MANIFEST
    if path.is_symlink() and not inside(root, MANIFEST):
        raise InvalidInput(
            f"{MANIFEST} is a symlink to {path.resolve()}, outside the repository; refusing to "
            "read or write a managed file there (copy the file into the repository instead)"
        )
    loaded = load_manifest(path)
    problems = location_problems(root, loaded.manifest) if pins else []
    if problems:
        count = len(problems)
        raise ProblemsFound(
            f"{MANIFEST}: {count} pin location{'s' if count != 1 else ''} cannot be used",
            problems,
        )
    return loaded


def location_problems(root: Path, manifest: Manifest) -> list[Problem]:
    """One located problem per pin whose file is missing, not a file, or outside `root`."""
    problems: list[Problem] = []
    seen: dict[str, str | None] = {}
    for component in manifest.components:
        for index, pin in enumerate(component.pins):
            if pin.file not in seen:
                seen[pin.file] = _file_problem(root, pin.file)
            why = seen[pin.file]
            if why is not None:
                problems.append(Problem(
                    file=MANIFEST, line=pin.line,
                    path=f"components.{component.name}.pins[{index}].file",
                    message=f"{pin.file}: {why} ({pin.describe()})",
                ))
    return problems


def _file_problem(root: Path, relative: str) -> str | None:
    path = root / relative
    if not inside(root, relative):
        return f"resolves to {path.resolve()}, outside the repository"
    if not path.exists():
        return "file does not exist"
    if not path.is_file():
        return "is not a regular file"
    return None

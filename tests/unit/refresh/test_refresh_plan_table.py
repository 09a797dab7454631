"""`plan_updates` as a table: updates in, every file change (or the refusal) out, nothing written.

Each change is shown as the lines it removes (`-`) and adds (`+`), in file order.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from tiny_tree import (
    COMMIT,
    DIGEST_OTHER,
    DIGEST_PINNED,
    DOCKERFILE,
    DOCKERFILE_TEXT,
    MANIFEST,
    SHA_OTHER,
    SHA_PINNED,
    write_tree,
)

from release.errors import InvalidInput, PinError
from release.fsutil import FileChange
from release.refresh.decide import Update
from release.refresh.plan import plan_updates
from release.versioning import Digest, Version


def edited(change: FileChange) -> tuple[str, list[str]]:
    lines = difflib.ndiff(change.old.splitlines(), change.new.splitlines())
    return change.path, [line for line in lines if line[:1] in "+-"]


KAMAILIO = Update(component="kamailio", version=Version("6.1.5"), sha256=SHA_OTHER)
DEBIAN = Update(component="debian", version=Version("20260901"), digest=Digest(DIGEST_OTHER))
FROM_OLD = f"- FROM debian:trixie-20260803-slim@{DIGEST_PINNED} AS build"

# (updates, the planned changes: (path, edited lines), Dockerfile first, versions.yaml last)
PLANNED = [
    pytest.param([KAMAILIO], [
        (DOCKERFILE, ["- ARG KAMAILIO_VERSION=6.1.4", "+ ARG KAMAILIO_VERSION=6.1.5"]),
        ("versions.yaml", ["-     version: 6.1.4", "+     version: 6.1.5",
                           f"-       sha256: {SHA_PINNED}", f"+       sha256: {SHA_OTHER}"]),
    ], id="version-and-checksum"),
    pytest.param([DEBIAN], [
        (DOCKERFILE, [FROM_OLD, f"+ FROM debian:trixie-20260901-slim@{DIGEST_OTHER} AS build"]),
        ("versions.yaml", ['-     version: "20260803"', '+     version: "20260901"',
                           f"-       digest: {DIGEST_PINNED}", f"+       digest: {DIGEST_OTHER}"]),
    ], id="image-version-and-digest"),
    pytest.param([Update(component="debian", version=Version("20260803"),
                         digest=Digest(DIGEST_OTHER))], [
        (DOCKERFILE, [FROM_OLD, f"+ FROM debian:trixie-20260803-slim@{DIGEST_OTHER} AS build"]),
        ("versions.yaml", [f"-       digest: {DIGEST_PINNED}", f"+       digest: {DIGEST_OTHER}"]),
    ], id="rebuilt-image-digest-only"),
    pytest.param([KAMAILIO, DEBIAN], [
        (DOCKERFILE, ["- ARG KAMAILIO_VERSION=6.1.4", "+ ARG KAMAILIO_VERSION=6.1.5", FROM_OLD,
                      f"+ FROM debian:trixie-20260901-slim@{DIGEST_OTHER} AS build"]),
        ("versions.yaml", ["-     version: 6.1.4", "+     version: 6.1.5",
                           f"-       sha256: {SHA_PINNED}", f"+       sha256: {SHA_OTHER}",
                           '-     version: "20260803"', '+     version: "20260901"',
                           f"-       digest: {DIGEST_PINNED}", f"+       digest: {DIGEST_OTHER}"]),
    ], id="two-components-one-file"),
    pytest.param([Update(component="kamailio", version=Version("6.1.4"))], [],
                 id="nothing-moves-nothing-changes"),
    pytest.param([], [], id="no-updates"),
]


@pytest.mark.parametrize(("updates", "expected"), PLANNED)
def test_plan_updates(tmp_path: Path, updates: list[Update],
                      expected: list[tuple[str, list[str]]]) -> None:
    loaded = write_tree(tmp_path)
    plan = plan_updates(tmp_path, loaded, updates)
    assert [edited(c) for c in plan.changes] == expected
    # nothing was written
    assert (tmp_path / "versions.yaml").read_text(encoding="utf-8") == MANIFEST
    assert (tmp_path / DOCKERFILE).read_text(encoding="utf-8") == DOCKERFILE_TEXT
    moved = {u.component: u.version for u in updates}
    assert {c.name: c.version for c in plan.manifest.components
            if c.name in moved} == moved


# (updates, the files beside versions.yaml, the error and its exact message)
REFUSED = [
    pytest.param([Update(component="nginx", version=Version("1.0"))], None, InvalidInput,
                 "versions.yaml: no component 'nginx'", id="unknown-component"),
    pytest.param([Update(component="kamailio", version=Version("6.1.5"), commit=COMMIT)], None,
                 InvalidInput, "versions.yaml: component 'kamailio' has no commit to set; add "
                 "the key first", id="no-commit-key"),
    pytest.param([Update(component="debian", version=Version("20260901"), sha256=SHA_OTHER)],
                 None, InvalidInput, "versions.yaml: component 'debian' has no archive.sha256 to "
                 "set; add the key first", id="no-archive"),
    pytest.param([Update(component="kamailio", version=Version("6.1.5"),
                         digest=Digest(DIGEST_OTHER))], None, InvalidInput,
                 "versions.yaml: component 'kamailio' has no image.digest to set; add the key "
                 "first", id="no-image"),
    pytest.param([KAMAILIO], {}, PinError,
                 f"{DOCKERFILE}: pinned file does not exist", id="pinned-file-missing"),
    pytest.param([KAMAILIO], {DOCKERFILE: "FROM debian\n"}, PinError,
                 f"{DOCKERFILE}: no ARG KAMAILIO_VERSION", id="pin-location-gone"),
]


@pytest.mark.parametrize(("updates", "files", "error", "message"), REFUSED)
def test_plan_updates_refuses(tmp_path: Path, updates: list[Update], files: dict[str, str] | None,
                              error: type[Exception], message: str) -> None:
    loaded = write_tree(tmp_path, files)
    with pytest.raises(error) as info:
        plan_updates(tmp_path, loaded, updates)
    assert getattr(info.value, "message", None) == message

"""Atomic file writes.

Every file the tool writes goes through `write_files`: all new contents are written to temporary
files next to their targets (and flushed to disk) before the first `os.replace`, so a crash
leaves each file either old or new, never torn. Files are replaced in the order given; callers
put `versions.yaml` last, so an interrupted run is completed by the next one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release.errors import ReleaseError


@dataclass(frozen=True, slots=True, kw_only=True)
class FileChange:
    """New text for one file (`path` relative to the repository root)."""

    path: str
    old: str
    new: str


def read_text_exact(path: Path) -> str:
    """Read UTF-8 text without newline translation (CRLF files stay CRLF)."""
    return path.read_bytes().decode("utf-8")


def write_files(root: Path, changes: Sequence[FileChange]) -> None:
    """Write every change atomically; nothing is replaced unless every temp file was written.

    Missing parent directories are created. Any OS error (a read-only tree, no space, a path
    through a file) is a `ReleaseError` naming the file; no target has been touched then.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for change in changes:
            target = root / change.path
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp_path = Path(tmp)
            staged.append((tmp_path, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(change.new.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            tmp_path.chmod(mode)
    except OSError as exc:
        for tmp_path, _ in staged:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise ReleaseError(f"cannot write {exc.filename or 'a file'}: {exc.strerror}; "
                           "nothing was changed") from None
    for index, (tmp_path, target) in enumerate(staged):
        try:
            tmp_path.replace(target)
        except OSError as exc:
            done = [str(t.relative_to(root)) for _, t in staged[:index]]
            for leftover, _ in staged[index:]:
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise ReleaseError(
                f"cannot replace {target}: {exc.strerror}; "
                + (f"already replaced: {', '.join(done)}; " if done else "nothing was changed; ")
                + "every file is either old or new, and running the command again completes it"
            ) from None
    _fsync_dirs({target.parent for _, target in staged})
    for _, target in staged:
        _remove_leftovers(target)


def _remove_leftovers(target: Path) -> None:
    """Remove temp files a killed earlier run left next to `target` (only our own pattern)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    for sibling in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        if pattern.fullmatch(sibling.name):
            with contextlib.suppress(OSError):
                sibling.unlink()


def _fsync_dirs(dirs: set[Path]) -> None:
    for directory in dirs:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

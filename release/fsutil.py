"""Atomic file writes.

Every file the tool writes goes through this module. `write_files` writes a set of text files:
all new contents are written to temporary files next to their targets (and flushed to disk)
before the first `os.replace`, so a crash
leaves each file either old or new, never torn. Before the first replace, every target is
checked to be replaceable (not a directory, not immutable or append-only, not on a read-only file
system); if a replace still fails, the files already replaced get their old contents back. Files
are replaced in the order given; callers put `versions.yaml` last, so a run killed half-way is
completed by the next one. `write_if_changed` is `write_files` for one file that is left alone
when it already holds the text. `replace_bytes` is the single-file, bytes form for the tool's own
files outside the tree (the HTTP cache, recordings): the same temporary file next to the target,
then one `os.replace`; it raises `OSError` for the caller to report.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import struct
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


def _stage(target: Path, data: bytes, *, mode: int | None, durable: bool = True) -> Path:
    """`data` in a new temporary file next to `target` (flushed to disk unless not `durable`;
    `mode`, else mkstemp's private 0o600); the file is removed again if writing fails."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            tmp_path.chmod(mode)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    return tmp_path


def replace_bytes(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `target` with `data` atomically (a reader sees the old or the new file, never a
    torn one). The new file is private (0o600). `durable=False` skips the flush to disk, for
    files whose reader checks them anyway (the HTTP cache). Raises `OSError`; no temporary file
    is left behind then."""
    tmp_path = _stage(target, data, mode=None, durable=durable)
    try:
        tmp_path.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_if_changed(root: Path, path: str, text: str) -> bool:
    """Write `text` to `root/path` (as `write_files` does) unless the file already holds exactly
    this text; returns whether it was written."""
    target = root / path
    old = read_text_exact(target) if target.is_file() else None
    if old == text:
        return False
    write_files(root, [FileChange(path=path, old=old or "", new=text)])
    return True


def write_files(root: Path, changes: Sequence[FileChange]) -> None:
    """Write every change atomically; nothing is replaced unless every temp file was written
    and every target can be replaced.

    Missing parent directories are created. Any OS error (a read-only tree, no space, a path
    through a file, an immutable target) is a `ReleaseError` naming the file; no target has been
    touched then.
    """
    for change in changes:
        why = _unreplaceable(root / change.path)
        if why is not None:
            raise ReleaseError(f"cannot replace {change.path}: {why}; nothing was changed")
    staged: list[tuple[Path, Path]] = []
    try:
        for change in changes:
            target = root / change.path
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
            staged.append((_stage(target, change.new.encode("utf-8"), mode=mode), target))
    except OSError as exc:
        for tmp_path, _ in staged:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
        raise ReleaseError(f"cannot write {exc.filename or 'a file'}: {exc.strerror}; "
                           "nothing was changed") from None
    existed = [target.exists() for _, target in staged]
    replaced: list[tuple[Path, str, str | None]] = []
    for index, (tmp_path, target) in enumerate(staged):
        change = changes[index]
        try:
            tmp_path.replace(target)
        except OSError as exc:
            for leftover, _ in staged[index:]:
                with contextlib.suppress(OSError):
                    leftover.unlink()
            not_restored = _restore(replaced)
            raise ReleaseError(
                f"cannot replace {change.path}: {exc.strerror}; "
                + (f"could not restore {', '.join(not_restored)} (now new, the rest old); "
                   "running the command again completes it" if not_restored
                   else "nothing was changed")
            ) from None
        replaced.append((target, change.path, change.old if existed[index] else None))
    _fsync_dirs({target.parent for _, target in staged})
    for _, target in staged:
        _remove_leftovers(target)


_FS_IOC_GETFLAGS = 0x80086601  # linux/fs.h: _IOR('f', 1, long)
_FS_IMMUTABLE_FL = 0x10
_FS_APPEND_FL = 0x20


def _unreplaceable(target: Path) -> str | None:
    """Why `os.replace` onto `target` would fail, where that can be known beforehand."""
    if target.is_dir():
        return "it is a directory"
    if not target.is_file():
        return None
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None  # unreadable: the staging step reports it with its reason
    try:
        raw = fcntl.ioctl(fd, _FS_IOC_GETFLAGS, struct.pack("l", 0))
        flags: int = struct.unpack("l", raw)[0]
    except OSError:
        return None  # a file system without inode flags (tmpfs, overlay on some kernels)
    finally:
        os.close(fd)
    if flags & _FS_IMMUTABLE_FL:
        return "it is immutable (chattr +i); `chattr -i` it first"
    if flags & _FS_APPEND_FL:
        return "it is append-only (chattr +a); `chattr -a` it first"
    return None


def _restore(replaced: Sequence[tuple[Path, str, str | None]]) -> list[str]:
    """Put back the old text of files already replaced (remove those that were new); returns
    the paths that could not be restored."""
    failed = []
    for target, path, old in reversed(replaced):
        try:
            if old is None:
                target.unlink()
                continue
            _stage(target, old.encode("utf-8"), mode=target.stat().st_mode & 0o7777).replace(
                target)
        except OSError:
            failed.append(path)
    return failed


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

"""Build contexts: the files of one image folder, read once, hashed and sent to the engine.

What is hashed is exactly what is sent: `read_context` returns every file the build can see
(after `.dockerignore`), and `context_tar` packs those same files for the engine. File metadata
is normalised the way git stores it, so the same commit gives the same context, the same input
hash and the same files in the image on every machine:

- modes are `0644`, or `0755` when the owner may execute (git records only that bit; a checkout
  under umask 002 gives `0664`, which must not change anything), symlinks keep their target;
- timestamps and owners are not read at all; the tar holds mtime 0 and uid/gid 0;
- directories are implied by the files they hold (git does not record empty ones).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import exclude_paths

from release.errors import InvalidInput

REGULAR = 0o100644
EXECUTABLE = 0o100755
SYMLINK = 0o120000
DOCKERIGNORE = ".dockerignore"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextFile:
    """One file of a build context.

    `path` is POSIX and relative to the context folder; `mode` is git's (`REGULAR`,
    `EXECUTABLE` or `SYMLINK`); `data` is the contents, or a symlink's target.
    """

    path: str
    mode: int
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def git_mode(st_mode: int) -> int:
    """The mode git would record for a file with `st_mode`."""
    if stat.S_ISLNK(st_mode):
        return SYMLINK
    return EXECUTABLE if st_mode & stat.S_IXUSR else REGULAR


def read_context(directory: Path, *, dockerfile: str = "Dockerfile") -> tuple[ContextFile, ...]:
    """Every file of the build context in `directory`, sorted by path.

    Honours `.dockerignore` as `docker build` does (the Dockerfile is always kept). Raises
    `InvalidInput` for a missing folder and for anything that is neither a file nor a symlink.
    """
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: no such build context folder")
    included: set[str] | None = None
    ignore = directory / DOCKERIGNORE
    if ignore.is_file():
        patterns = [
            line.strip() for line in ignore.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        included = {p.replace(os.sep, "/") for p in exclude_paths(str(directory), patterns,
                                                                   dockerfile=dockerfile)}
    files: list[ContextFile] = []
    for current, dirs, names in os.walk(directory, followlinks=False):
        dirs.sort()
        base = Path(current)
        for name in [*sorted(names), *(d for d in dirs if (base / d).is_symlink())]:
            path = base / name
            rel = path.relative_to(directory).as_posix()
            if included is not None and rel not in included:
                continue
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                data = str(path.readlink()).encode("utf-8")
            elif stat.S_ISREG(st.st_mode):
                data = path.read_bytes()
            else:
                raise InvalidInput(
                    f"{path}: neither a regular file nor a symlink; a build context holds only "
                    "those"
                )
            files.append(ContextFile(path=rel, mode=git_mode(st.st_mode), data=data))
    return tuple(sorted(files, key=lambda f: f.path))


def context_tar(files: tuple[ContextFile, ...]) -> bytes:
    """The context as the tar the engine receives: normalised metadata, parents first."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for file in files:
            parts = file.path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                parent = "/".join(parts[:depth])
                if parent not in dirs:
                    dirs.add(parent)
                    tar.addfile(_info(parent, tarfile.DIRTYPE, 0o755))
            if file.mode == SYMLINK:
                info = _info(file.path, tarfile.SYMTYPE, 0o777)
                info.linkname = file.data.decode("utf-8")
                tar.addfile(info)
            else:
                info = _info(file.path, tarfile.REGTYPE, file.mode & 0o777)
                info.size = len(file.data)
                tar.addfile(info, io.BytesIO(file.data))
    return buffer.getvalue()


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info

"""A cache of validated manifests, keyed by the manifest's exact text and the code that reads it.

Parsing and validating `versions.yaml` is most of what a `check` spends before its first
request (libyaml's parser, ruamel's round-trip constructor, then every rule of
`release.manifest.load`): about 60 ms of CPU for the real manifest. The result is a pure
function of the text and of the code, so a command that reads the same bytes again takes the
`Manifest` it validated last time from `<cache-dir>/manifest/` (about 6 ms).

* **Key.** The sha256 of the file's name, its text, the `sets` flag, and a fingerprint of the
  code: the size and modification time of every module the model and its validator are made
  of (`release/manifest/`, `versioning`, `template`, `calver`, `yamlcheck`, `errors`, the
  package's `__init__`) and of the `packaging` and `ruamel.yaml` packages, and the Python
  version. Any edit of the manifest, or of that code, is another key: a miss.
* **Only successes are stored.** A manifest that does not validate is never cached, so every
  problem is found and located (file:line) by the full path, exactly as without the cache;
  a hit is a text that validated before, with the same code.
* **Trust.** An entry is a pickle, and unpickling runs what the file says; so the directory is
  made private (0700), an entry is read only when it and its directory belong to the current
  user and are writable by nobody else, and the unpickler resolves only the classes a
  `Manifest` is built of (`release.manifest.model`, `release.versioning`, `packaging`,
  `datetime` and a few builtins). Anything else, or anything that does not check out (magic,
  key, type), is a miss; a failed write is ignored. The cache only ever saves time.

Off unless a command enters `parse_cache(directory)` (the CLI does, with the HTTP cache's
directory, unless `--no-cache`); library callers and tests parse every time.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import importlib.util
import io
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from release.manifest.model import Manifest

_MAGIC = b"delphi-manifest-cache 1\n"
_KEEP = 8  # entries kept per directory (the newest): a few branches' manifests

_DIRECTORY: contextvars.ContextVar[Path | None] = contextvars.ContextVar("_DIRECTORY", default=None)

#: The modules whose code decides what a manifest text validates into.
_CODE = (
    "manifest",
    "versioning.py",
    "template.py",
    "calver.py",
    "yamlcheck.py",
    "errors.py",
    "__init__.py",
)
_PACKAGES = ("packaging", "ruamel.yaml")

#: What an entry may name: the model's classes and what they hold.
_ALLOWED_MODULES = frozenset(
    {
        "release.manifest.model",
        "release.versioning",
        "datetime",
        "packaging.version",
        "packaging.specifiers",
    }
)
_ALLOWED_BUILTINS = frozenset({"frozenset", "set", "tuple", "list", "dict", "getattr"})


@contextlib.contextmanager
def parse_cache(directory: Path | None) -> Iterator[None]:
    """Within it, `cached` reads and writes validated manifests in `directory` (None: off)."""
    token = _DIRECTORY.set(directory)
    try:
        yield
    finally:
        _DIRECTORY.reset(token)


def cached(
    text: str, filename: str, parse: Callable[[], Manifest], *, sets: bool = True
) -> Manifest:
    """`parse()`'s manifest for `text`, from the cache when it validated before."""
    directory = _DIRECTORY.get()
    if directory is None:
        return parse()
    key = _key(text, filename, sets)
    found = _load(directory, key)
    if found is not None:
        return found
    manifest = parse()  # raises on any problem: nothing is stored then
    _store(directory, key, manifest)
    return manifest


def _fingerprint() -> bytes:
    package = Path(__file__).resolve().parents[1]
    files: list[Path] = []
    for name in _CODE:
        path = package / name
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    for module in _PACKAGES:
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(module)
            if spec is not None and spec.origin:
                files.append(Path(spec.origin))
    parts = [sys.version]
    for path in files:
        try:
            status = path.stat()
        except OSError:
            parts.append(f"{path} missing")
            continue
        parts.append(f"{path} {status.st_size} {status.st_mtime_ns}")
    return "\n".join(parts).encode()


def _key(text: str, filename: str, sets: bool) -> str:
    digest = hashlib.sha256(_MAGIC)
    for part in (_fingerprint(), filename.encode(), b"sets" if sets else b"nosets", text.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _private(status: os.stat_result) -> bool:
    """Owned by us and writable by nobody else."""
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if module in _ALLOWED_MODULES or (module == "builtins" and name in _ALLOWED_BUILTINS):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a manifest")


def _load(directory: Path, key: str) -> Manifest | None:
    from release.manifest.model import Manifest  # noqa: PLC0415 - the model, loaded anyway

    path = directory / key
    try:
        if not (_private(directory.stat()) and _private(path.lstat())):
            return None
        data = path.read_bytes()
    except OSError:
        return None
    head = _MAGIC + key.encode() + b"\n"
    if not data.startswith(head):
        return None
    try:
        found = _Unpickler(io.BytesIO(data[len(head) :])).load()
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, it is a miss
        return None
    return found if isinstance(found, Manifest) else None


def _store(directory: Path, key: str, manifest: Manifest) -> None:
    from release.fsutil import replace_bytes  # noqa: PLC0415

    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = _MAGIC + key.encode() + b"\n" + pickle.dumps(manifest, protocol=5)
        replace_bytes(directory / key, data, durable=False)
        entries = sorted(
            (p for p in directory.iterdir() if len(p.name) == 64),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for old in entries[_KEEP:]:
            old.unlink(missing_ok=True)

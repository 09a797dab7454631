"""Make a classic-builder image reproducible: every timestamp clamped to SOURCE_DATE_EPOCH.

The Docker engine's classic builder writes the wall clock into an image three ways: the config's
`created`, each history entry's `created`, and the mtime of every file a `RUN` wrote (and of each
directory a step changed) in the layer tars. The same commit built twice therefore gets two
image IDs. `clamp_image` rewrites what the engine built, the way BuildKit's
`rewrite-timestamp=true` does: it saves the image, clamps every layer member's mtime to the
epoch (never later than it; earlier mtimes, such as the context's 0, stay), drops the access
and change times of PAX headers, sets both `created` fields to the epoch, removes the build
container's ID and configuration (`container`, `container_config`) and the previous step's
intermediate image (`config.Image`), recomputes the layer
digests, and loads the result. The new image ID is the sha256 of the rewritten config, so the
same inputs built anywhere give the same ID.

`clamp_layer` and `clamp_config` are pure (bytes in, bytes out); `clamp_image` does the IO.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
from typing import Any

_TIME_PAX = ("mtime", "atime", "ctime")


def epoch_of(created: str) -> int:
    """The Unix time of an RFC 3339 `...Z` timestamp (the plan's `created`)."""
    moment = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def rfc3339(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clamp_layer(data: bytes, epoch: int) -> bytes:
    """The layer tar `data` with every member's mtime at most `epoch`, nothing else changed."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as source, \
            tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as target:
        for member in source:
            member.mtime = min(int(member.mtime), epoch)
            member.pax_headers = {k: v for k, v in member.pax_headers.items()
                                  if k not in _TIME_PAX}
            payload = source.extractfile(member) if member.isreg() else None
            target.addfile(member, payload)
    return out.getvalue()


def clamp_config(config: dict[str, Any], epoch: int, diff_ids: list[str]) -> bytes:
    """The image config with both `created` fields at `epoch` and the new layer digests."""
    stamp = rfc3339(epoch)
    clamped = {k: v for k, v in config.items() if k not in ("container", "container_config")}
    clamped["created"] = stamp
    clamped["history"] = [{**entry, "created": stamp} for entry in config.get("history", [])]
    clamped["rootfs"] = {**config.get("rootfs", {}), "type": "layers", "diff_ids": diff_ids}
    inner = clamped.get("config")
    if isinstance(inner, dict):
        # `Image` names the builder's previous step (an intermediate image of this engine).
        clamped["config"] = {**inner, "Hostname": "", "Image": ""}
    return json.dumps(clamped, sort_keys=True, separators=(",", ":")).encode()


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def clamp_archive(saved: bytes, epoch: int) -> tuple[bytes, str]:
    """A `docker save` archive of one image -> (a `docker load` archive, the new image ID)."""
    with tarfile.open(fileobj=io.BytesIO(saved), mode="r:") as archive:
        manifest = json.loads(_read(archive, "manifest.json"))[0]
        config = json.loads(_read(archive, manifest["Config"]))
        layers = [clamp_layer(_read(archive, path), epoch) for path in manifest["Layers"]]
    diff_ids = [_sha256(layer) for layer in layers]
    config_bytes = clamp_config(config, epoch, diff_ids)
    image_id = _sha256(config_bytes)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:") as target:
        config_name = f"{image_id.removeprefix('sha256:')}.json"
        names = [f"{d.removeprefix('sha256:')}/layer.tar" for d in diff_ids]
        entries = [(config_name, config_bytes), *zip(names, layers, strict=True)]
        entries.append(("manifest.json", json.dumps(
            [{"Config": config_name, "RepoTags": None, "Layers": names}]).encode()))
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            target.addfile(info, io.BytesIO(data))
    return out.getvalue(), image_id


def _read(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise ValueError(f"{name} is not a file in the saved image")
    return handle.read()


def clamp_image(client: Any, image_id: str, epoch: int) -> str:
    """Replace `image_id` in the engine of `client` by its clamped copy; returns the new ID."""
    saved = b"".join(client.api.get_image(image_id))
    loadable, new_id = clamp_archive(saved, epoch)
    for _event in client.api.load_image(loadable, quiet=True):
        pass
    return new_id

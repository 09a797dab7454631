"""Clamping a classic-builder image's timestamps (release.images.reproduce), on bytes."""

from __future__ import annotations

import io
import json
import tarfile

from release.images.reproduce import clamp_archive, clamp_config, clamp_layer, epoch_of

EPOCH = epoch_of("2026-08-19T10:11:12Z")


def layer(mtime: int, *, atime: str = "1790000000.5") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as tar:
        folder = tarfile.TarInfo("etc/")
        folder.type, folder.mtime, folder.mode = tarfile.DIRTYPE, mtime, 0o755
        folder.pax_headers = {"atime": atime}
        tar.addfile(folder)
        data = b"name = alpha\n"
        info = tarfile.TarInfo("etc/alpha.conf")
        info.size, info.mtime = len(data), 0  # from the context: mtime 0 stays 0
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def members(data: bytes) -> list[tuple[str, int, dict[str, str]]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [(m.name, int(m.mtime), dict(m.pax_headers)) for m in tar]


def test_a_layer_built_at_two_times_clamps_to_the_same_bytes() -> None:
    first, second = clamp_layer(layer(EPOCH + 100), EPOCH), clamp_layer(layer(EPOCH + 999), EPOCH)
    assert first == second
    assert members(first) == [("etc", EPOCH, {}), ("etc/alpha.conf", 0, {})]
    # Earlier than the epoch stays as it was.
    assert members(clamp_layer(layer(EPOCH - 5), EPOCH))[0][1] == EPOCH - 5


def test_the_config_loses_every_trace_of_the_build_run() -> None:
    config = {
        "architecture": "amd64", "os": "linux", "created": "2026-12-03T14:00:01.123Z",
        "container": "4f1e2d", "container_config": {"Hostname": "4f1e2d"},
        "config": {"Hostname": "", "Image": "sha256:" + "ab" * 32, "Cmd": ["alpha-tool"]},
        "history": [{"created": "2026-12-03T14:00:00Z", "created_by": "RUN printf"}],
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "00" * 32]},
    }
    clamped = json.loads(clamp_config(config, EPOCH, ["sha256:" + "11" * 32]))
    assert clamped == {
        "architecture": "amd64", "os": "linux", "created": "2026-08-19T10:11:12Z",
        "config": {"Hostname": "", "Image": "", "Cmd": ["alpha-tool"]},
        "history": [{"created": "2026-08-19T10:11:12Z", "created_by": "RUN printf"}],
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "11" * 32]},
    }


def saved(mtime: int, created: str) -> bytes:
    config = json.dumps({"created": created, "config": {}, "history": [], "rootfs": {}}).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:") as tar:
        for name, data in (("blobs/sha256/c", config), ("blobs/sha256/l", layer(mtime)),
                           ("manifest.json", json.dumps([{"Config": "blobs/sha256/c",
                                                          "Layers": ["blobs/sha256/l"]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_two_saves_of_one_build_load_as_one_image_id() -> None:
    one, first = clamp_archive(saved(EPOCH + 10, "2026-12-03T14:00:00Z"), EPOCH)
    two, second = clamp_archive(saved(EPOCH + 70, "2026-12-03T15:00:00Z"), EPOCH)
    assert (one, first) == (two, second)
    with tarfile.open(fileobj=io.BytesIO(one)) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest[0]["Config"] == first.removeprefix("sha256:") + ".json"

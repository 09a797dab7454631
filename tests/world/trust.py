"""The fake world's parts for `verify --online`: a tree pinned at the world's values, and the
faults a pinned value can meet upstream (tampered archives, sums files that are HTML pages,
moved tags, re-pushed images, real OpenPGP signatures made with keys the tests generate).

Each fault is a function taking the `FakeWorld` (before `install`) and replacing or adding one
route through its `_add` hook; everything else in the world stays as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from release.fsutil import write_files
from release.manifest.load import load_manifest
from release.refresh.decide import Update
from release.refresh.plan import plan_updates
from release.upstream.registry import registry_for
from world.fakedata import fake_bytes
from world.fakeworld import FakeWorld
from world.faults import Role
from world.routing import _Request
from world.server import Reply, UpstreamServer

HTML_WITH_HEX = (
    b"<!DOCTYPE html>\n<html><head><title>404 - File or directory not found.</title></head>"
    b"<body><p>Request id\n"
    b"0000000000000000000000000000000000000000000000000000000000000000\n</p></body></html>\n"
)


def _key(url: str) -> str:
    parts = urlsplit(url)
    return f"/{parts.netloc}{parts.path}"


def world_values(world: FakeWorld, root: Path) -> list[Update]:
    """The updates that pin every value of the tree at `root` to what the world serves."""
    manifest = load_manifest(root / "versions.yaml").manifest
    updates = []
    for c in manifest.components:
        sha256 = digest = commit = None
        if c.archive is not None and c.archive.sha256 is not None:
            sha256 = world.sha256_for(c.name, c.version)
        if c.image is not None and c.image.digest is not None:
            _, path = registry_for(c.image.repository)
            digest = world.digest_for(path, c.image.tag.replace("{version}", c.version))
        if c.commit is not None:
            commit = world.commit_for(c.upstream.repo or "", c.tag)
        updates.append(Update(component=c.name, version=c.version, sha256=sha256,
                              digest=digest, commit=commit))  # type: ignore[arg-type]
    return updates


def align(world: FakeWorld, root: Path) -> None:
    """Rewrite the tree at `root` (versions.yaml and every pin) to the world's values."""
    loaded = load_manifest(root / "versions.yaml")
    write_files(root, plan_updates(root, loaded, world_values(world, root)).changes)


def file_reply(body: bytes, content_type: str = "application/octet-stream") -> Reply:
    return Reply(body=body, headers={"Content-Type": content_type})


def serve(world: FakeWorld, url: str, component: str, role: Role, reply: Reply) -> None:
    """Answer GET `url` with `reply` (replacing the world's answer, or adding one)."""
    world._add(url, component, role, lambda _request, _fault: reply)


def tamper_archive(world: FakeWorld, url: str, component: str, *,
                   sums_url: str | None = None, name: str | None = None) -> bytes:
    """Serve other bytes at the archive `url`; with `sums_url`, a sums file that matches them
    (a compromised mirror). Returns the tampered bytes."""
    data = fake_bytes(f"{url}#tampered")
    serve(world, url, component, Role.ARCHIVE, file_reply(data))
    if sums_url is not None:
        line = f"{hashlib.sha256(data).hexdigest()}  {name or url.rsplit('/', 1)[1]}\n"
        serve(world, sums_url, component, Role.CHECKSUM, file_reply(line.encode(), "text/plain"))
    return data


def sums_disagree(world: FakeWorld, sums_url: str, component: str, name: str) -> str:
    """A sums file naming the archive with a hash that is not the archive's."""
    other = hashlib.sha256(b"some other archive").hexdigest()
    serve(world, sums_url, component, Role.CHECKSUM,
          file_reply(f"{other}  {name}\n".encode(), "text/plain"))
    return other


def html_sums(world: FakeWorld, sums_url: str, component: str) -> None:
    """An HTML error page, with a 64-hex string in it, where the sums file was."""
    serve(world, sums_url, component, Role.CHECKSUM,
          Reply(status=200, body=HTML_WITH_HEX, headers={"Content-Type": "text/html"}))


def _wrap(world: FakeWorld, url: str, change: Callable[[Reply], Reply]) -> None:
    endpoint = world._endpoints[_key(url)]

    def respond(request: _Request, fault: object) -> Reply:
        reply = endpoint.respond(request, fault)  # type: ignore[arg-type]
        return change(reply) if reply.status == 200 else reply

    world._endpoints[_key(url)] = type(endpoint)(
        component=endpoint.component, role=endpoint.role, respond=respond, method=endpoint.method
    )


def move_tag(world: FakeWorld, repo: str, tag: str) -> str:
    """The tag's `/commits/{tag}` now answers another commit; returns it."""
    moved = hashlib.sha256(f"{repo}@{tag} moved".encode()).hexdigest()[:40]
    url = f"https://api.github.com/repos/{repo}/commits/{tag}"
    _wrap(world, url, lambda reply: Reply(body=moved.encode(), headers={
        **reply.headers, "ETag": f'"{moved}"'}))
    return moved


def repush_image(world: FakeWorld, repository: str, tag: str) -> str:
    """The registry's `repository:tag` now answers another index; returns its digest."""
    body = f'{{"schemaVersion":2,"manifests":[],"rebuilt":"{repository}:{tag}"}}'.encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    url = f"https://registry-1.docker.io/v2/{repository}/manifests/{tag}"
    _wrap(world, url, lambda reply: Reply(body=body, headers={
        **reply.headers, "Docker-Content-Digest": digest, "ETag": f'"{digest}"'}))
    return digest


def hang(world: FakeWorld, url: str, component: str, role: Role) -> None:
    """`url` never answers (a stalled host)."""
    serve(world, url, component, role, Reply(hang=True))


@contextlib.contextmanager
def serve_changed(*changes: Callable[[FakeWorld], object]) -> Iterator[
        tuple[UpstreamServer, FakeWorld]]:
    """A started server playing the world with `changes` applied before it answers."""
    with UpstreamServer() as server:
        world = FakeWorld()
        for change in changes:
            change(world)
        yield server, world.install(server)


# --- real OpenPGP keys and signatures (gpg) ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningKey:
    home: Path
    fingerprint: str
    armored: bytes

    def sign(self, data: bytes, scratch: Path) -> bytes:
        """A detached armoured signature of `data`."""
        target = scratch / f"signed-{hashlib.sha256(data).hexdigest()[:12]}"
        target.write_bytes(data)
        subprocess.run(
            ["gpg", "--batch", "--yes", "--homedir", str(self.home), "--local-user",
             self.fingerprint, "--armor", "--detach-sign", "--output", f"{target}.asc",
             str(target)], check=True, capture_output=True,
        )
        return Path(f"{target}.asc").read_bytes()


def make_key(root: Path, name: str) -> SigningKey:
    """A fresh ed25519 signing key in its own GnuPG home under `root`."""
    home = root / name
    home.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--passphrase", "", "--quick-gen-key",
         f"{name} <{name}@example.invalid>", "ed25519", "sign", "never"],
        check=True, capture_output=True,
    )
    listing = subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--with-colons", "--list-keys"],
        check=True, capture_output=True, text=True,
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                       if line.startswith("fpr:"))
    armored = subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--armor", "--export", fingerprint],
        check=True, capture_output=True,
    ).stdout
    return SigningKey(home=home, fingerprint=fingerprint, armored=armored)

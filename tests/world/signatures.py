"""The fake world's upstream signatures, for the `archive.signature`s of the real versions.yaml.

The real manifest pins real upstream keys (`keys/asterisk/F2FC...asc`, the Asterisk Development
Team's), whose private halves no test has. The world therefore plays the upstream with a key of
its own (a fixed test key, tests/data/world-signing-key.asc): `add_signatures` (hooked into `FakeWorld`) serves,
at every declared signature URL, a real detached signature by that key of the bytes the world
serves for the signed file; `use_world_keys` (hooked into the `tree` fixture) pins that key in a
copy of the repository in place of the real one, with its key file, as `align` pins the world's
checksums in place of the real ones. A test that declares its own signature replaces the block
(`without_signature`) and serves its own `.asc`, which takes the place of the world's.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from release.manifest.load import load_manifest
from release.manifest.model import Component, Manifest, SignatureKind, SignedFile
from release.trust.signed import SignedResolver
from release.upstream.sources import Endpoints
from release.versioning import Version
from world.server import Reply

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld
    from world.faults import Fault
    from world.routing import Respond, _Request
    from world.trust import SigningKey

REPO = Path(__file__).resolve().parents[2]
_LOCK = threading.Lock()
_SIGNED: dict[bytes, bytes] = {}


def gpg_available() -> bool:
    return shutil.which("gpg") is not None


WORLD_KEY = REPO / "tests" / "data" / "world-signing-key.asc"
WORLD_FINGERPRINT = "3FFD53CB71AA8B36C7A5FD631765EAFC02FEA7CD"
# Every signature of the world is made at this time (the key dates from 2026-01-01): ed25519
# signatures are deterministic, so one file signs to the same bytes in every session.
SIGNED_AT = "20260801T000000!"


@functools.cache
def world_key() -> SigningKey:
    """The world's signing key (ed25519, tests/data/world-signing-key.asc), imported on first
    use into a scratch GnuPG home. A fixed key, so recordings of the world (tests/data/replay)
    stay verifiable in every later session."""
    from world.trust import SigningKey  # world.trust imports world.fakeworld, which imports this

    home = Path(tempfile.mkdtemp(prefix="world-signing-key-"))
    home.chmod(0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home)]
    subprocess.run([*gpg, "--import", str(WORLD_KEY)], check=True, capture_output=True)
    armored = subprocess.run([*gpg, "--armor", "--export", WORLD_FINGERPRINT], check=True,
                             capture_output=True).stdout
    assert armored.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"), WORLD_KEY
    return SigningKey(home=home, fingerprint=WORLD_FINGERPRINT, armored=armored)


def _sign(data: bytes) -> bytes:
    with _LOCK:
        if data not in _SIGNED:
            key = world_key()
            scratch = Path(tempfile.mkdtemp(prefix="world-sign-"))
            (scratch / "signed").write_bytes(data)
            subprocess.run(
                ["gpg", "--batch", "--yes", "--homedir", str(key.home), "--faked-system-time",
                 SIGNED_AT, "--local-user", key.fingerprint, "--armor", "--detach-sign",
                 "--output", str(scratch / "signed.asc"), str(scratch / "signed")],
                check=True, capture_output=True,
            )
            _SIGNED[data] = (scratch / "signed.asc").read_bytes()
            shutil.rmtree(scratch)
        return _SIGNED[data]


@functools.cache
def signed_components() -> tuple[Component, ...]:
    """The components of the real versions.yaml that declare an OpenPGP upstream signature
    (cosign's are world.cosign's)."""
    manifest = load_manifest(REPO / "versions.yaml").manifest
    return tuple(c for c in manifest.components
                 if c.archive is not None and c.archive.signature is not None
                 and c.archive.signature.kind is SignatureKind.OPENPGP)


def _real_key_files(component: Component) -> list[Path]:
    assert component.archive is not None
    assert component.archive.signature is not None
    return [path for fpr in component.archive.signature.keys
            for path in sorted((REPO / "keys").glob(f"*/{fpr}.asc"))]


def add_signatures(world: FakeWorld) -> None:
    """Serve a signature by the world's key at each declared signature URL, for every version
    of the component the world has an archive of."""
    if not gpg_available():
        return
    from world.faults import Role

    for component in signed_components():
        archive = component.archive
        assert archive is not None
        assert archive.signature is not None
        for name, version in list(world._sha256):
            if name != component.name:
                continue
            at = replace(component, version=Version(version))
            signed = (archive.url if archive.signature.of is SignedFile.ARCHIVE
                      else archive.checksum.url)
            assert signed is not None
            world._add(at.fill(archive.signature.url), component.name, Role.CHECKSUM,
                       _signature_of(world, at.fill(signed)))


def _signature_of(world: FakeWorld, signed_url: str) -> Respond:
    """A responder signing, when asked, what the world serves at `signed_url` then."""
    from world.routing import _Request

    parts = urlsplit(signed_url)

    def respond(_request: _Request, _fault: Fault | None) -> Reply:
        endpoint = world._endpoints[f"/{parts.netloc}{parts.path}"]
        body = endpoint.respond(_Request(method="GET", host=parts.netloc, path=parts.path,
                                         query={}, headers={}), None).body
        return Reply(body=_sign(body), headers={"Content-Type": "application/pgp-signature"})

    return respond


def world_signed(manifest: Manifest) -> Manifest:
    """`manifest` pinning the world's key wherever it pins a real upstream key."""
    real = {path.stem for c in signed_components() for path in _real_key_files(c)}
    components = []
    for component in manifest.components:
        archive = component.archive
        if archive is not None and archive.signature is not None:
            keys = tuple(WORLD_FINGERPRINT if k in real else k for k in archive.signature.keys)
            archive = replace(archive, signature=replace(archive.signature, keys=keys))
            components.append(replace(component, archive=archive))
        else:
            components.append(component)
    return replace(manifest, components=tuple(components))


def signed_resolver(scratch: Path) -> SignedResolver:
    """The resolver `refresh` uses, trusting the world's key (its key file under `scratch`)."""
    folder = scratch / "keys" / "world"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{WORLD_FINGERPRINT}.asc").write_bytes(world_key().armored)
    return SignedResolver(endpoints=Endpoints(), keys_dir=scratch / "keys")


def use_world_keys(root: Path) -> None:
    """In the copy of the repository at `root`, pin the world's key wherever versions.yaml pins
    a real upstream key (its fingerprint, and its key file beside the real one's folder)."""
    if not gpg_available():
        return
    manifest = root / "versions.yaml"
    text = manifest.read_text(encoding="utf-8")
    key = world_key()
    for component in signed_components():
        for real in _real_key_files(component):
            text = text.replace(real.stem, key.fingerprint)
            folder = root / "keys" / real.parent.name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{key.fingerprint}.asc").write_bytes(key.armored)
    manifest.write_text(text, encoding="utf-8")


_BLOCK = re.compile(r"(?m)^(?P<indent> {6})signature:\n(?:(?P=indent) {2}.*\n)+")


def without_signature(text: str, component: str) -> str:
    """versions.yaml's `text` without `component`'s `archive.signature` block (and without the
    comment lines just above it), so a test can declare its own."""
    start = text.index(f"\n  {component}:\n")
    end = text.find("\n  # ---", start + 1)
    end = len(text) if end < 0 else end
    section = text[start:end]
    match = _BLOCK.search(section)
    if match is None:
        return text
    head = section[:match.start()]
    lines = head.splitlines(keepends=True)
    while lines and lines[-1].lstrip().startswith("#"):
        lines.pop()
    return text[:start] + "".join(lines) + section[match.end():] + text[end:]

"""`pin COMPONENT VERSION`: set one component by hand (a hotfix or a rollback).

Deciding is pure (`decide_pin` checks the request against the manifest and returns an
`Update`); applying goes through `release.apply`, like `refresh`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from release.apply import Update
from release.errors import InvalidInput
from release.manifest.model import Manifest
from release.versioning import (
    SHA256_RE,
    BumpKind,
    Digest,
    UnsafeValueError,
    Version,
    bump_kind,
    check_safe_value,
)

CHECKSUM_ARG = re.compile(r"(?P<algo>[A-Za-z0-9]+):(?P<hex>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinRequest:
    component: str
    version: str
    checksum: str | None = None
    allow_downgrade: bool = False


def parse_checksum(raw: str) -> str:
    """`sha256:<64 hex>` → the hex. Anything else is refused with what would be valid."""
    match = CHECKSUM_ARG.fullmatch(raw)
    if match is None:
        raise InvalidInput(f"--checksum {raw!r} is not ALGO:HEX (for example sha256:<64 hex>)")
    if match["algo"].lower() != "sha256":  # `SHA256:` is the same algorithm, not a new one
        raise InvalidInput(f"--checksum algorithm {match['algo']!r} is not supported; use sha256")
    hexdigest = match["hex"].lower()
    if not SHA256_RE.fullmatch(hexdigest):
        raise InvalidInput("--checksum sha256 value must be 64 hex digits")
    return hexdigest


def decide_pin(manifest: Manifest, request: PinRequest) -> Update | None:
    """The update a pin request makes, or None when the component is already there."""
    component = manifest.require(request.component)
    try:
        version = check_safe_value(request.version, what="version")
    except UnsafeValueError as exc:
        raise InvalidInput(f"{component.name}: refused: {exc}") from None
    if not component.versioning.is_version(version):
        raise InvalidInput(
            f"{component.name}: {version!r} is not a version of this component "
            f"(pattern {component.versioning.pattern!r}, tag {component.versioning.tag!r}; "
            f"currently {component.version})"
        )
    checksum = parse_checksum(request.checksum) if request.checksum is not None else None
    kind = bump_kind(component.version, Version(version))
    if kind is BumpKind.DOWNGRADE and not request.allow_downgrade:
        raise InvalidInput(
            f"{component.name}: {version} is older than the pinned {component.version}; "
            "pass --allow-downgrade to roll back"
        )
    sha256: str | None = None
    digest: Digest | None = None
    if component.image is not None:
        if checksum is not None:
            digest = Digest(f"sha256:{checksum}")
        elif kind is not BumpKind.NONE:
            raise InvalidInput(
                f"{component.name} is pinned by image digest; pass --checksum sha256:<index "
                f"digest> of {component.image.repository}:"
                f"{component.image.tag.replace('{version}', version)}"
            )
    elif component.archive is not None:
        if checksum is not None:
            sha256 = checksum
        elif kind is not BumpKind.NONE and component.policy.checksum_required:
            tag = component.versioning.tag_for(Version(version))
            url = component.archive.url.format(version=version, tag=tag)
            raise InvalidInput(
                f"{component.name} pins the sha256 of {url}; "
                "pass --checksum sha256:<hex> for that file"
            )
    elif checksum is not None:
        raise InvalidInput(f"{component.name} pins no checksum or digest; drop --checksum")
    same_sha = sha256 is None or (
        component.archive is not None and sha256 == component.archive.sha256
    )
    same_digest = digest is None or (
        component.image is not None and digest == component.image.digest
    )
    unchanged = kind is BumpKind.NONE and same_sha and same_digest
    if unchanged:
        return None
    return Update(component=component.name, version=Version(version), sha256=sha256, digest=digest)

"""`pin NAME VERSION` without `--checksum`: the checksum, digest and commit from upstream.

The same `UpstreamResolver` as `refresh` resolves the version, through the shared fetcher
(`--replay DIR` answers from a recording; offline, the error says what could not be fetched
and how to pin by hand). The policy is checked first, by `release.refresh.decide.decide_pin`,
so a refused version costs no request.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from release.manifest.model import Component, Manifest
from release.refresh.decide import PinRequest, decide_pin
from release.refresh.flow import Fetching
from release.trust.signed import SignedResolver
from release.upstream.errors import UpstreamError
from release.upstream.resolve import Resolved
from release.versioning import Version


def needs_upstream(component: Component, version: str) -> bool:
    """Whether pinning `version` without `--checksum` needs values only upstream knows."""
    if version == component.version:
        return False
    return (component.image is not None or component.commit is not None
            or (component.archive is not None and component.policy.checksum_required))


def resolve_version(root: Path, component: Component, version: Version,
                    fetching: Fetching) -> Resolved:
    """What upstream says `version` of `component` pins (raises an `UpstreamError`)."""

    async def go() -> Resolved:
        async with fetching.open() as fetcher:
            resolver = SignedResolver(endpoints=fetching.endpoints(), keys_dir=root / "keys")
            return await resolver.resolve(component, version, fetcher)

    return asyncio.run(go())


def pin_request(root: Path, manifest: Manifest, request: PinRequest,
                fetching: Fetching) -> PinRequest:
    """The request of `pin`, with upstream's values filled in when `--checksum` is not given."""
    component = manifest.require(request.component)
    decide_pin(manifest, replace(request, checksum=request.checksum or _placeholder(component)))
    if request.checksum is not None or not needs_upstream(component, request.version):
        return request
    try:
        resolved = resolve_version(root, component, Version(request.version), fetching)
    except UpstreamError as exc:
        raise UpstreamError(
            f"pin {component.name} {request.version}: {exc.message}; nothing was changed",
            hint="with no network, replay a recording (--replay DIR), or pass the value you "
            "checked yourself (--checksum sha256:<hex>)",
        ) from None
    value = resolved.sha256 or (resolved.digest.removeprefix("sha256:") if resolved.digest
                                else None)
    return replace(request, checksum=f"sha256:{value}" if value else None,
                   commit=resolved.commit)


def _placeholder(component: Component) -> str | None:
    """A well-formed checksum, so the first `decide_pin` checks everything but the value."""
    if component.image is None and component.archive is None:
        return None
    return "sha256:" + "0" * 64

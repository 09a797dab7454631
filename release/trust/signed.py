"""The resolver of `refresh` and `pin`: upstream's values, trusted only on a good signature.

`SignedResolver` resolves a candidate as `UpstreamResolver` does; when the component declares
`archive.signature`, the candidate's signed file is then checked (`release.trust.online`) and
its checksum compared with the resolved one before the candidate may be written. A bad
signature, one by a key that is not pinned, a missing key file, or a signed archive whose hash
is not the published one, refuses that component (an `UpstreamError` naming the key and the
file); the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from release.manifest.model import Component
from release.trust.online import OnlineVerifier, Verdict
from release.upstream.errors import PermanentUpstreamError
from release.upstream.interface import Fetcher
from release.upstream.resolve import DEFAULT_ARCHIVE_MAX_BYTES, Resolved, UpstreamResolver
from release.upstream.sources import Endpoints
from release.versioning import Version


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedResolver:
    endpoints: Endpoints
    keys_dir: Path
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES

    async def resolve(self, component: Component, version: Version, fetcher: Fetcher) -> Resolved:
        resolved = await UpstreamResolver(
            endpoints=self.endpoints, archive_max_bytes=self.archive_max_bytes,
        ).resolve(component, version, fetcher)
        archive = component.archive
        if archive is None or archive.signature is None or resolved.sha256 is None:
            return resolved
        candidate = replace(component, version=version, unconfirmed=(),
                            archive=replace(archive, sha256=resolved.sha256))
        verifier = OnlineVerifier(fetcher=fetcher, endpoints=self.endpoints,
                                  keys_dir=self.keys_dir,
                                  archive_max_bytes=self.archive_max_bytes)
        verdict = await verifier.archive(candidate)
        if verdict.verdict is Verdict.VERIFIED:
            return resolved
        why = verdict.reason or verdict.verdict.value
        if verdict.verdict is Verdict.MISMATCH and verdict.upstream != resolved.sha256:
            why = (f"the signed archive's sha256 is {verdict.upstream}, the published one "
                   f"{resolved.sha256}; {why}")
        raise PermanentUpstreamError(f"{version} found, but its signature does not vouch for "
                                     f"it: {why}; nothing of {component.name} was changed")

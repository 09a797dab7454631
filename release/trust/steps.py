"""The trust steps of the daily flows, as the `Trust` collaborator of `release.refresh.flow`.

`release.trust` builds on `release.refresh` (its verdicts become `Update` values, its reports
reuse the check's), so the flows receive these steps instead of importing them; the CLI passes
`TRUST`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from release.fsutil import FileChange
from release.manifest.model import Manifest
from release.refresh.decide import PinRequest, Update
from release.refresh.execute import Outcome
from release.refresh.flow import CheckOptions, Fetching, Pinned
from release.trust.marks import confirm_in_changes, drops_for, mark_in_changes, typed_values
from release.trust.pin import pin_request
from release.trust.refresh import (
    image_components,
    rebuilt_marker,
    report_lines,
    with_pinned_changes,
)
from release.trust.signed import SignedResolver
from release.upstream.interface import Fetcher
from release.upstream.resolve import Resolver
from release.upstream.sources import Endpoints


class TrustSteps:
    """Signed resolution, re-derived pinned values and confirmed marks (`refresh.flow.Trust`)."""

    def resolver(self, root: Path, endpoints: Endpoints) -> Resolver:
        return SignedResolver(endpoints=endpoints, keys_dir=root / "keys")

    async def rebuilt_images_on(self, root: Path, manifest: Manifest, fetcher: Fetcher, *,
                                endpoints: Endpoints, only: Sequence[str] | None,
                                run_timeout: float) -> Callable[[Outcome], Outcome]:
        return await rebuilt_marker(root, manifest, fetcher, endpoints=endpoints,
                                    names=image_components(manifest, only),
                                    run_timeout=run_timeout)

    def pinned_changes(self, root: Path, manifest: Manifest, outcome: Outcome,
                       options: CheckOptions, accept: Sequence[str]) -> tuple[Outcome, Pinned]:
        outcome, decision = with_pinned_changes(root, manifest, outcome, options, accept)
        return outcome, Pinned(lines=tuple(report_lines(decision)), alarms=len(decision.alarms))

    def confirmed(self, changes: Sequence[FileChange], manifest_file: str,
                  updates: Sequence[Update]) -> tuple[FileChange, ...]:
        return confirm_in_changes(changes, manifest_file, drops_for(updates))

    def typed_in(self, changes: Sequence[FileChange], manifest_file: str,
                 update: Update) -> tuple[FileChange, ...]:
        return mark_in_changes(changes, manifest_file, typed_values(update))

    def pin_request(self, root: Path, manifest: Manifest, request: PinRequest,
                    fetching: Fetching) -> PinRequest:
        return pin_request(root, manifest, request, fetching)


TRUST = TrustSteps()

"""The ECR scan gate of a release: every image's scan-on-push findings, against a severity.

`scan_gate` reads, for each image digest of a bill of materials, ECR's scan findings (the
repositories are made with scan on push, so the scan exists or is running; a scan that ECR
does not have yet is started), waits for it to complete, and counts the findings per severity.
The gate fails when any image has a finding at or above `fail_on`. The report is a Markdown
table for the GitHub job summary and one line per image.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from release.bom import Bom
from release.errors import InvalidInput, ReleaseError

SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
OTHER = "UNDEFINED"  # ECR's severity for a finding it could not rate: never gates
POLL_SECONDS = 15.0
MAX_WAIT_SECONDS = 15 * 60


class ScanError(ReleaseError):
    """ECR could not scan an image, or never finished."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageScan:
    name: str
    reference: str  # repository@digest
    counts: Mapping[str, int]

    def at_or_above(self, severity: str) -> int:
        threshold = SEVERITIES.index(severity)
        return sum(n for s, n in self.counts.items()
                   if s in SEVERITIES and SEVERITIES.index(s) >= threshold)


def check_severity(value: str) -> str:
    upper = value.upper()
    if upper not in SEVERITIES:
        raise InvalidInput(f"--fail-on {value!r}: one of {', '.join(SEVERITIES)}")
    return upper


def _counts(findings: Mapping[str, Any]) -> dict[str, int]:
    given = findings.get("findingSeverityCounts")
    if isinstance(given, dict) and given:
        return {str(k): int(v) for k, v in given.items()}
    counts: dict[str, int] = {}
    for finding in [*findings.get("findings", []), *findings.get("enhancedFindings", [])]:
        severity = str(finding.get("severity") or OTHER)
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def scan_image(
    client: Any, repository: str, digest: str, *,
    sleep: Callable[[float], None] = time.sleep, max_wait: float = MAX_WAIT_SECONDS,
) -> dict[str, int]:
    """The finding counts of `repository@digest`, once ECR's scan of it is complete."""
    image_id = {"imageDigest": digest}
    waited = 0.0
    while True:
        try:
            answer = client.describe_image_scan_findings(repositoryName=repository,
                                                          imageId=image_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ScanNotFoundException":
                raise ScanError(f"{repository}@{digest}: {exc}") from None
            client.start_image_scan(repositoryName=repository, imageId=image_id)
            continue
        status = answer.get("imageScanStatus", {}).get("status")
        if status == "COMPLETE":
            return _counts(answer.get("imageScanFindings", {}))
        if status in ("FAILED", "UNSUPPORTED_IMAGE"):
            description = answer.get("imageScanStatus", {}).get("description", "")
            raise ScanError(f"{repository}@{digest}: ECR scan {status}: {description}")
        if waited >= max_wait:
            raise ScanError(f"{repository}@{digest}: ECR scan still {status} after "
                            f"{max_wait:.0f}s")
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def scan_gate(client: Any, bom: Bom, **kwargs: Any) -> list[ImageScan]:
    """The scan of every image of the bill of materials that has a digest."""
    return [ImageScan(name=image.name, reference=f"{image.repository}@{image.digest}",
                      counts=scan_image(client, image.repository, image.digest, **kwargs))
            for image in bom.images if image.digest]


def report_markdown(scans: Sequence[ImageScan], fail_on: str) -> str:
    columns = [*reversed(SEVERITIES), OTHER]
    lines = [f"### ECR scan findings (the release stops at {fail_on} or above)", "",
             "| image | " + " | ".join(c.lower() for c in columns) + " | gate |",
             "|---|" + "---:|" * len(columns) + "---|"]
    for scan in scans:
        cells = [str(scan.counts.get(c, 0)) for c in columns]
        gate = "**fails**" if scan.at_or_above(fail_on) else "passes"
        lines.append(f"| `{scan.reference}` | " + " | ".join(cells) + f" | {gate} |")
    return "\n".join(lines) + "\n"

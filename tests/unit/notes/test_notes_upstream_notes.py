"""What upstream's release bodies ask operators to do (pure: the line picker and the range)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from release.manifest.load import load_manifest
from release.notes.upstream_notes import attention_lines, in_range

REPO = Path(__file__).resolve().parents[3]

BODY = """\
## Highlights

- Faster TLS handshakes.
- The `tls_trusted_ca_certs` option was **removed**; use `tls_trust_pool` instead.

## Breaking changes

* Caddyfile: `header_up` now rejects duplicates
* Admin API listens on localhost only

### Security

Fixes CVE-2026-12345 in the reverse proxy.

## Other

- Docs typos.
<!-- hidden: removed -->
"""


def test_lines_under_attention_headings_and_lines_that_say_so() -> None:
    assert attention_lines(BODY) == [
        "The `tls_trusted_ca_certs` option was **removed**; use `tls_trust_pool` instead.",
        "Caddyfile: `header_up` now rejects duplicates",
        "Admin API listens on localhost only",
        "Fixes CVE-2026-12345 in the reverse proxy.",
    ]
    assert attention_lines("## v2.11.5\n\nSee the change log.\n") == []


def test_only_published_releases_after_the_old_version_up_to_the_new_one() -> None:
    caddy = next(c for c in load_manifest(REPO / "versions.yaml").manifest.components
                 if c.name == "caddy")
    releases: list[dict[str, Any]] = [
        {"tag_name": "v2.11.6", "html_url": "u6", "body": "b6"},
        {"tag_name": "v2.11.5", "html_url": "u5", "body": "b5"},
        {"tag_name": "v2.11.5-beta.1", "html_url": "ub", "body": "bb", "prerelease": True},
        {"tag_name": "v2.11.4", "html_url": "u4", "body": "b4"},
        {"tag_name": "v2.11.3", "html_url": "u3", "body": "b3", "draft": True},
        {"tag_name": "nightly", "html_url": "un", "body": "bn"},
        {"tag_name": "v2.11.45", "html_url": "u45"},
    ]
    assert in_range(caddy, releases, "2.11.3", "2.11.6") == [
        ("v2.11.4", "u4", "b4"), ("v2.11.5", "u5", "b5"), ("v2.11.6", "u6", "b6"),
    ]
    assert in_range(caddy, releases, "2.11.4", "2.11.5") == [("v2.11.5", "u5", "b5")]

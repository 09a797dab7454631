"""The pure parts of `verify --online`: comparing, and saying why a value is unverifiable."""

from __future__ import annotations

from release.trust.online import PinVerdict, Verdict, compare, failure_reason
from release.upstream.errors import PermanentUpstreamError, RetryableUpstreamError

BASE = PinVerdict(component="actions-cache", version="5.0.1", value="commit",
                  verdict=Verdict.UNVERIFIABLE, pinned="a" * 40)


def test_equal_is_verified_and_a_different_commit_moved() -> None:
    same = compare(BASE, "a" * 40, how="tag commit", source="s", different="d")
    assert (same.verdict, same.reason) == (Verdict.VERIFIED, None)
    moved = compare(BASE, "b" * 40, how="tag commit", source="s", different="d")
    assert (moved.verdict, moved.upstream, moved.reason) == (Verdict.MOVED, "b" * 40, "d")


def test_a_different_checksum_is_a_mismatch() -> None:
    base = PinVerdict(component="redis", version="7.4.10", value="sha256",
                      verdict=Verdict.UNVERIFIABLE, pinned="0" * 64)
    assert compare(base, "1" * 64, how="sums file", source="s",
                   different="d").verdict is Verdict.MISMATCH


def test_why_a_value_is_unverifiable() -> None:
    lost = PermanentUpstreamError("GET https://api.github.com/repos/actions/cache/commits/v5.0.9:"
                                  " HTTP 422 Unprocessable Entity (No commit found for SHA: "
                                  "v5.0.9)")
    assert failure_reason(lost, "commit", "5.0.9") == (
        f"the version 5.0.9 is gone upstream: {lost.message}")
    html = PermanentUpstreamError("https://x/y.sha256: is an HTML page (text/html), not a "
                                  "checksum file")
    assert failure_reason(html, "sha256", "1.0") == (
        f"upstream publishes nothing usable to compare the sha256 with: {html.message}")
    down = RetryableUpstreamError("GET https://x/y: HTTP 503 Service Unavailable")
    assert failure_reason(down, "sha256", "1.0") == f"the network failed: {down.message}"

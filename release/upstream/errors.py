"""Errors of the upstream family, split into retryable and permanent (as nvchecker does).

Adapters translate httpx exceptions into these; the message names the URL (never a token) and
what went wrong.
"""

from __future__ import annotations

from release.errors import ReleaseError


class UpstreamError(ReleaseError):
    """An upstream could not be checked. The component is reported and its pins left alone.

    `status` is the HTTP status upstream answered with, when an answer's status is the failure
    (404, 410, a 5xx after the retries); None for a timeout, bad data or a refused redirect.
    """

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class RetryableUpstreamError(UpstreamError):
    """Timeouts, connection errors, 5xx, 429 and rate-limit 403s: worth trying again."""


class PermanentUpstreamError(UpstreamError):
    """404, bad data, a refused redirect or pagination link: trying again would not help."""

"""The release-age gate (pure): when a published version becomes eligible for a pin.

Fresh releases are the riskiest (a broken x.y.0 is usually replaced within days), so a
component's `policy.min-age` (or the manifest-wide default) makes a version wait that many days
after its publish date; `min-age-security` is the gate of a version that fixes an advisory of
the pinned one (0 by default: security releases pass at once). Sources report the publish date
as an ISO date or timestamp (`UpstreamRelease.published`); a source that reports none (git
tags, registry listings, directory indexes) gives no date, and such a version is not gated.
"""

from __future__ import annotations

import datetime as dt


def published_day(value: str | None) -> dt.date | None:
    """The UTC day of an ISO date (`2026-09-03`) or timestamp (`2026-09-03T14:05:02Z`)."""
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text)  # 3.11+: a final Z is UTC
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)
    return stamp.date()


def eligible_from(published: str | None, days: int) -> dt.date | None:
    """The first day a version published at `published` passes a gate of `days` (None: no date)."""
    day = published_day(published)
    return day + dt.timedelta(days=days) if day is not None else None

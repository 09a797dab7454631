"""Advisory and end-of-life answers kept on disk for a few hours: `Answers`.

The version lookups must be asked every run (a release can appear at any moment, and a
revalidation that upstream answers 304 is cheap), but what OSV, GitHub's repository advisories
and endoflife.date say changes rarely: an advisory is published a few times a year per project,
an end-of-life date a few times a year per product. Asking all of them every run costs one
request per GitHub repository on the host the version lookups already use (the cold
`benchmarks/risk_bench.py`: 23 of them, two round trips at 20 at a time) and a share of the
token's rate limit, so an answer younger than `ttl` (default `DEFAULT_TTL`, six hours) is used
without a request:

* GitHub `GET /repos/{owner}/{repo}/security-advisories` and endoflife.date `GET
  /api/v1/products/{product}`: the body, by URL;
* OSV `/v1/querybatch`: the ids (with their `modified`) each query answered, by the query, so
  a new pin asks only its own query again;
* OSV `GET /v1/vulns/{id}`: the record, kept as long as its `modified` is the one the query
  answer names (OSV changes `modified` whenever a record changes), whatever its age.

`check --refresh-advisories` (and `refresh --refresh-advisories`) sets the lifetime to 0: every
answer is asked again (the vulnerability records whose `modified` did not change excepted) and
stored for the next run. `--no-cache` keeps nothing; recording and replaying keep nothing
either (a recording holds what upstream said). An answer older than its lifetime is also the
fallback when its source fails: it is used, with a warning naming its age.

One answer is one file under the cache directory's `answers/`, named by the sha256 of its key,
holding `{"key", "fetched" (epoch seconds), "body"}`; written atomically, a file that does not
read back as such is ignored, and a failed write is logged and ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from release.fsutil import replace_bytes

_log = logging.getLogger(__name__)

DEFAULT_TTL = 6 * 3600.0  # seconds an advisory or end-of-life answer is used without asking


@dataclass(frozen=True, slots=True)
class Stored:
    """One kept answer: its body and when it was fetched (epoch seconds)."""

    body: str
    fetched: float


class Answers:
    """The kept answers in `directory` (created on first write, mode 0700)."""

    def __init__(self, directory: Path, *, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.ttl = ttl
        self._clock = clock

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode()).hexdigest()

    def stored(self, key: str) -> Stored | None:
        """The answer kept for `key`, whatever its age (None: none, or unreadable)."""
        try:
            data = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        body, fetched = data.get("body"), data.get("fetched")
        if not isinstance(body, str) or not isinstance(fetched, int | float):
            return None
        return Stored(body=body, fetched=float(fetched))

    def fresh(self, key: str) -> str | None:
        """The body kept for `key` when it is younger than the lifetime, else None."""
        found = self.stored(key)
        if found is None or not 0 <= self._clock() - found.fetched < self.ttl:
            return None
        return found.body

    def age(self, stored: Stored) -> str:
        """How old `stored` is, for a warning (`3 h`, `2 d`)."""
        hours = max(0.0, self._clock() - stored.fetched) / 3600
        return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"

    def keep(self, key: str, body: str) -> None:
        """Store `body` for `key`, fetched now; a failure is logged, never raised."""
        data = json.dumps({"key": key, "fetched": self._clock(), "body": body}).encode()
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            replace_bytes(self._path(key), data, durable=False)
        except OSError as exc:
            _log.warning("cannot keep the answer for %s: %s", key, exc)

"""The persistent HTTP cache of the upstream client: stored bodies, revalidated or, while the
server says they are fresh, served as they are.

Why our own ~250 lines rather than `hishel`: we need two behaviours only. (1) Store the body
with its `ETag`/`Last-Modified`, and on a later request revalidate with
`If-None-Match`/`If-Modified-Since`, serving the stored body on a 304. (2) For a caller that
asks for it (`check`), serve an entry without any request while the server's own
`Cache-Control: max-age` (or `Expires`) says it is fresh: GitHub's API answers
`private, max-age=60` (`public` without a token), so a re-check within a minute needs no
network for its REST lookups. `hishel` implements all of RFC 9111 (heuristic freshness, `Vary`,
storage backends), its storage format changed between its 0.x and 1.x series, and it sits
*below* the fetcher, where it would hide 304s from our statistics and from the record/replay
transports (a recording must hold what the server said, not what a cache made of it). Here the
fetcher decides when to send validators, when an entry may be served fresh, and what a 304
means; this module stores and loads entries and computes freshness.

Freshness (`freshness_until`) follows RFC 9111 section 4.2 without its heuristics: the
lifetime is `max-age` (else `Expires` minus `Date`), minus the age the response already had
(`Age`, or how far our clock is past its `Date`), capped at `MAX_FRESH` seconds (a check is
there to find new releases: no server gets to make it blind for a day). `no-cache` and
`must-revalidate` with a zero lifetime, a missing lifetime, and every heuristic case mean
"revalidate". An entry is only served fresh to a request that is authenticated the same way it
was stored (GitHub's responses `Vary` on `Authorization`); a token itself never reaches the
disk, only whether there was one.

One entry is one file, named by the sha256 of its key `(method, URL, Accept)`:

    delphi-http-cache 1\\n
    {"method": ..., "url": ..., "accept": ..., "status": 200, "headers": {...},
     "length": N, "sha256": "<hex of body>", "stored_at": T, "fresh_until": T,
     "authorized": false}\\n
    <N bytes of body>

(The last three fields are optional: an entry without them is never fresh.) Entries are written
atomically (`fsutil.replace_bytes`: a temp file beside it, then `os.replace`). An entry that
cannot be read or does not check out (truncated, wrong key, wrong digest) is ignored, as if it
were absent; a failed write is logged and ignored: the cache only ever saves traffic. Request
headers are never stored, so no `Authorization` can reach the disk; response headers are
limited to `CACHED_HEADERS`. Revalidation leaves out who asked: an entry stored by an
anonymous run is revalidated by an authenticated one and the other way round, and the server
decides each time whether the stored body is still the answer.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from release.fsutil import replace_bytes

_log = logging.getLogger(__name__)

_MAGIC = b"delphi-http-cache 1\n"
_NOTE_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")

#: Response headers kept with an entry: the validators, and what a caller reads from a body it
#: gets back from the cache (pagination links, content type, registry digests).
CACHED_HEADERS = frozenset(
    {"content-type", "etag", "last-modified", "link", "docker-content-digest"}
)

#: The longest an entry is served without asking, whatever the server allows (seconds).
MAX_FRESH = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEntry:
    """A stored response: what a 304 stands for."""

    method: str
    url: str
    accept: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    #: When it was stored or last revalidated, and until when it is fresh (epoch seconds by
    #: the fetcher's clock; 0: never fresh), and whether the request that got it was
    #: authenticated.
    stored_at: float = 0.0
    fresh_until: float = 0.0
    authorized: bool = False

    def fresh(self, now: float, *, authorized: bool) -> bool:
        """Whether it may be served at `now` without a request (see the module docstring)."""
        return authorized == self.authorized and self.stored_at <= now < self.fresh_until

    def revalidated(self, headers: Mapping[str, str], now: float, *,
                    authorized: bool) -> CacheEntry:
        """This entry after a 304 with `headers` to a request (`authorized` or not): its
        validators, freshness and authentication are the 304's."""
        fresh = {k.lower(): v for k, v in headers.items() if k.lower() in self.headers}
        return replace(self, headers={**self.headers, **fresh}, stored_at=now,
                       fresh_until=freshness_until(headers, now), authorized=authorized)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def validators(self) -> dict[str, str]:
        """The conditional request headers that revalidate this entry (may be empty)."""
        found: dict[str, str] = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


def _directives(value: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            found.setdefault(name.strip().lower(), argument.strip().strip('"'))
    return found


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; parsedate says so with -0000
        return None
    return when.timestamp()


def freshness_until(headers: Mapping[str, str], now: float) -> float:
    """Until when a response with `headers`, received at `now`, is fresh; `now` or earlier
    means "revalidate before use". No heuristic freshness: the server must say so."""
    lower = {k.lower(): v for k, v in headers.items()}
    control = _directives(lower.get("cache-control", ""))
    if "no-cache" in control or "no-store" in control:
        return 0.0
    date = _http_date(lower.get("date"))
    lifetime: float | None = None
    max_age = control.get("max-age", "")
    if max_age.isdigit():
        lifetime = float(max_age)
    elif "max-age" in control:
        return 0.0  # malformed: RFC 9111 says treat it as stale
    elif "expires" in lower:
        expires = _http_date(lower["expires"])
        if expires is None:
            return 0.0  # an invalid Expires ("0", "-1") means already expired
        lifetime = expires - (date if date is not None else now)
    if lifetime is None or lifetime <= 0:
        return 0.0
    age_header = lower.get("age", "").strip()
    age = float(age_header) if age_header.isdigit() else 0.0
    if date is not None:
        age = max(age, now - date)
    return now + min(lifetime - age, MAX_FRESH)


def cache_key(method: str, url: str, accept: str) -> str:
    """The file name of the entry for `(method, url, accept)`."""
    return hashlib.sha256(f"{method.upper()}\n{url}\n{accept}".encode()).hexdigest()


class HttpCache:
    """Entries in one directory (created on first write, mode 0700)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, method: str, url: str, accept: str) -> CacheEntry | None:
        """The entry for this key, or None when there is none or it does not check out."""
        path = self.directory / cache_key(method, url, accept)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        entry = _decode(data)
        if entry is None:
            _log.warning("ignoring corrupt HTTP cache entry %s (for %s)", path, url)
            return None
        if (entry.method, entry.url, entry.accept) != (method.upper(), url, accept):
            _log.warning("ignoring HTTP cache entry %s: it belongs to another request", path)
            return None
        return entry

    def store(self, entry: CacheEntry) -> None:
        """Write `entry` atomically; a failure is logged, never raised."""
        kept = {k.lower(): v for k, v in entry.headers.items() if k.lower() in CACHED_HEADERS}
        meta = {
            "method": entry.method.upper(),
            "url": entry.url,
            "accept": entry.accept,
            "status": entry.status,
            "headers": dict(sorted(kept.items())),
            "length": len(entry.body),
            "sha256": hashlib.sha256(entry.body).hexdigest(),
            "stored_at": entry.stored_at,
            "fresh_until": entry.fresh_until,
            "authorized": entry.authorized,
        }
        data = _MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n" + entry.body
        target = self.directory / cache_key(entry.method, entry.url, entry.accept)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Not flushed to disk: a torn entry fails its sha256 on reading and is ignored.
            replace_bytes(target, data, durable=False)
        except OSError as exc:
            _log.warning("cannot write HTTP cache entry for %s: %s", entry.url, exc)

    # Notes: small JSON documents a run leaves for the next one beside the entries (what is
    # learned about upstreams, never a credential): `registry-realms`, the token realm each
    # registry named in its last 401.

    def recall(self, name: str) -> dict[str, Any] | None:
        """The note `name`, or None when there is none or it is not a JSON object."""
        path = self.directory / _note_file(name)
        try:
            note = json.loads(path.read_bytes())
        except OSError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            _log.warning("ignoring corrupt note %s", path)
            return None
        return note if isinstance(note, dict) else None

    def remember(self, name: str, note: Mapping[str, Any]) -> None:
        """Write the note `name` atomically; a failure is logged, never raised."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            replace_bytes(self.directory / _note_file(name),
                          json.dumps(note, sort_keys=True).encode() + b"\n", durable=False)
        except OSError as exc:
            _log.warning("cannot write the note %s: %s", name, exc)


def _note_file(name: str) -> str:
    if not _NOTE_NAME.fullmatch(name):
        raise ValueError(f"not a note name: {name!r}")
    return f"note-{name}.json"  # never a cache key (64 hex digits)


def _decode(data: bytes) -> CacheEntry | None:
    if not data.startswith(_MAGIC):
        return None
    rest = data[len(_MAGIC):]
    line_end = rest.find(b"\n")
    if line_end < 0:
        return None
    try:
        meta = json.loads(rest[:line_end])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    body = rest[line_end + 1:]
    if not isinstance(meta, dict):
        return None
    method, url, accept = meta.get("method"), meta.get("url"), meta.get("accept")
    status, headers = meta.get("status"), meta.get("headers")
    if not (isinstance(method, str) and isinstance(url, str) and isinstance(accept, str)):
        return None
    if not isinstance(status, int) or not isinstance(headers, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        return None
    if meta.get("length") != len(body) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
        return None
    stored_at, fresh_until = meta.get("stored_at", 0.0), meta.get("fresh_until", 0.0)
    authorized = meta.get("authorized", False)
    if not (isinstance(stored_at, int | float) and isinstance(fresh_until, int | float)
            and isinstance(authorized, bool)):
        stored_at = fresh_until = 0.0
        authorized = False
    return CacheEntry(
        method=method, url=url, accept=accept, status=status, headers=headers, body=body,
        stored_at=float(stored_at), fresh_until=float(fresh_until), authorized=authorized,
    )

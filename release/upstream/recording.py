"""Record upstream traffic to a directory, and replay it later with no network at all.

Both are `httpx.AsyncBaseTransport` wrappers, so everything above them (the fetcher's retries,
redirects, caching decisions, size caps) runs exactly as it does live. `refresh --record DIR`
saves what upstreams answered; `refresh --replay DIR` (the offline demo) answers from it.

A recording directory holds one body file per response, named after its URL
(`GET_api.github.com_repos_asterisk_asterisk_releases_per_page_100-3f2a9c01d2.json`), and
`index.json`:

    {"format": 1,
     "responses": [{"method": "GET", "url": "https://...", "accept": "*/*",
                    "status": 200, "headers": {"content-type": "...", "link": "..."},
                    "body": "GET_....json"}]}

The key of a response is `(method, url, accept)`, and for a request with a body (a POST: OSV's
batch query, Rekor's search) the body's sha256 too (`"request_sha256"`), so two searches of one
URL are two responses; when one key is requested several times while recording (a 503, then a
200), the last answer is kept. Hand-written entries may leave out
`accept` to match any. Request headers are not stored at all (so no `Authorization` can reach
a recording) and response headers are limited to `RECORDED_HEADERS`. Bodies are stored decoded
(no `content-encoding`), so the files are readable and diffable.

Record mode reads each body fully into memory before handing it on; recordings are meant for
API listings and checksum files, not for large downloads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import httpx

from release.errors import InvalidInput
from release.fsutil import replace_bytes
from release.upstream.errors import PermanentUpstreamError

INDEX_NAME = "index.json"
FORMAT = 1

#: Response headers a recording keeps: what the fetcher and the sources read.
RECORDED_HEADERS = frozenset(
    {
        "cache-control",
        "content-type",
        "docker-content-digest",
        "etag",
        "last-modified",
        "link",
        "location",
        "retry-after",
        "www-authenticate",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-resource",
        "x-ratelimit-used",
    }
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
_SLUG_MAX = 90


@dataclass(frozen=True, slots=True, kw_only=True)
class _Recorded:
    method: str
    url: str
    accept: str | None
    status: int
    headers: dict[str, str]
    body: str  # file name inside the recording directory
    request_sha256: str | None = None  # of the request's body, when it had one

    @property
    def key(self) -> _Key:
        return (self.method, self.url, self.accept, self.request_sha256)


_Key = tuple[str, str, str | None, str | None]


def _request_sha256(request: httpx.Request) -> str | None:
    return hashlib.sha256(request.content).hexdigest() if request.content else None


def body_file_name(method: str, url: str, accept: str | None, content_type: str,
                   request_sha256: str | None = None) -> str:
    """A safe, URL-derived file name for one response body (no `/`, never hidden)."""
    parsed = httpx.URL(url)
    readable = f"{method.upper()} {parsed.host}{parsed.path}"
    if parsed.query:
        readable += "?" + parsed.query.decode("ascii", "replace")
    slug = _UNSAFE.sub("_", readable).strip("_.")[:_SLUG_MAX]
    keyed = f"{method.upper()}\n{url}\n{accept}" + (f"\n{request_sha256}" if request_sha256 else "")
    digest = hashlib.sha256(keyed.encode()).hexdigest()[:10]
    if "json" in content_type:
        ext = ".json"
    elif content_type.startswith("text/"):
        ext = ".txt"
    else:
        ext = ".bin"
    return f"{slug}-{digest}{ext}"


def _kept_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in sorted(headers.items()) if k in RECORDED_HEADERS}


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass every request to `inner` and save the response in `directory`.

    The index is rewritten (atomically) after every response, so an interrupted run still
    leaves a usable recording of what it saw. An existing recording in `directory` is extended.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, directory: Path) -> None:
        self._inner = inner
        self.directory = directory
        self._entries: dict[_Key, _Recorded] = {}
        if (directory / INDEX_NAME).exists():
            self._entries = _load_index(directory)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        headers = _kept_headers(response.headers)
        self._save(request, response.status_code, headers, body)
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=request
        )

    def _save(
        self, request: httpx.Request, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        method, url = request.method, str(request.url)
        accept = request.headers.get("accept", "")
        sent = _request_sha256(request)
        name = body_file_name(method, url, accept, headers.get("content-type", ""), sent)
        self.directory.mkdir(parents=True, exist_ok=True)
        replace_bytes(self.directory / name, body)
        entry = _Recorded(method=method, url=url, accept=accept, status=status, headers=headers,
                          body=name, request_sha256=sent)
        self._entries[entry.key] = entry
        rows = [
            {
                "method": e.method, "url": e.url, "accept": e.accept,
                **({"request_sha256": e.request_sha256} if e.request_sha256 else {}),
                "status": e.status, "headers": e.headers, "body": e.body,
            }
            for e in sorted(self._entries.values(),
                            key=lambda e: (e.url, e.method, e.accept or "", e.request_sha256 or ""))
        ]
        index = json.dumps({"format": FORMAT, "responses": rows}, indent=2) + "\n"
        replace_bytes(self.directory / INDEX_NAME, index.encode())

    async def aclose(self) -> None:
        await self._inner.aclose()


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answer every request from a recording; never touch the network.

    A request that was not recorded raises `PermanentUpstreamError` naming the URL. A missing or
    malformed recording raises `InvalidInput` when the transport is built.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries = _load_index(directory)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, url = request.method, str(request.url)
        accept = request.headers.get("accept", "")
        sent = _request_sha256(request)
        # A response recorded for this body, else one recorded (or written) for any body.
        entry = next((self._entries[key] for key in ((method, url, accept, sent),
                                                     (method, url, None, sent),
                                                     (method, url, accept, None),
                                                     (method, url, None, None))
                      if key in self._entries), None)
        if entry is None:
            raise PermanentUpstreamError(
                f"{method} {url}: not in the recording {self.directory} "
                "(replay makes no network requests)",
                hint="record it again with --record, or add it to the recording's index.json",
            )
        body = self._read_body(entry)
        return httpx.Response(entry.status, headers=entry.headers, content=body, request=request)

    def _read_body(self, entry: _Recorded) -> bytes:
        try:
            return (self.directory / entry.body).read_bytes()
        except OSError as exc:
            raise PermanentUpstreamError(
                f"{entry.method} {entry.url}: the recording {self.directory} lacks its body "
                f"file {entry.body} ({exc.strerror})"
            ) from None


def _load_index(directory: Path) -> dict[_Key, _Recorded]:
    path = directory / INDEX_NAME
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the recording index ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: the recording index is not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f"{path}: not a recording index of format {FORMAT}")
    rows = document.get("responses")
    if not isinstance(rows, list):
        raise InvalidInput(f"{path}: 'responses' must be a list")
    entries: dict[_Key, _Recorded] = {}
    for number, row in enumerate(rows):
        entry = _parse_row(row)
        if entry is None:
            raise InvalidInput(
                f"{path}: responses[{number}] needs method, url, status, headers (strings) and "
                "body (a file name in the recording directory); request_sha256, when given, is "
                "64 lowercase hex digits"
            )
        entries[entry.key] = entry
    return entries


def _parse_row(row: object) -> _Recorded | None:
    if not isinstance(row, dict):
        return None
    method, url, accept = row.get("method"), row.get("url"), row.get("accept")
    sent = row.get("request_sha256")
    if sent is not None and not (isinstance(sent, str) and SHA256_RE.fullmatch(sent)):
        return None
    status, headers, body = row.get("status"), row.get("headers", {}), row.get("body")
    if not (isinstance(method, str) and isinstance(url, str) and isinstance(body, str)):
        return None
    if accept is not None and not isinstance(accept, str):
        return None
    if not isinstance(status, int) or not isinstance(headers, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        return None
    # The body must be a plain file inside the directory: a recording cannot point elsewhere.
    if Path(body).name != body or body.startswith("."):
        return None
    return _Recorded(
        method=method.upper(), url=url, accept=accept, status=status,
        headers={k.lower(): v for k, v in headers.items()}, body=body, request_sha256=sent,
    )

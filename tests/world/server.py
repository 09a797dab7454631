"""A real HTTP server on 127.0.0.1 that plays an upstream (GitHub, a registry, a feed).

Every integration test of the upstream family talks to one of these, through a real httpx
client, so retries, redirects, caching and concurrency run as they do against the real hosts.

    server.route("GET", "/repos/a/b/releases", json=[...], headers={"Link": "..."})
    server.route_sequence("GET", "/flaky", [Reply(status=503), Reply.of_json({"ok": True})])
    server.route_handler("GET", "/echo", lambda request: Reply(body=request.path.encode()))

A route without `?` matches its path with any query; a route with `?` matches the exact
target and wins over the former. A HEAD with no HEAD route is answered from the GET route,
without the body. Unknown routes answer 404 with GitHub's JSON error shape.

A reply with `etag` answers 304 to a matching `If-None-Match`; one with `last_modified` answers
304 to an `If-Modified-Since` not older than it. `delay` (and `server.latency`, for every
request) waits before answering; `hang=True` never answers until the server stops; `chunked=True`
sends the body without a Content-Length. Every request is logged (`server.requests`, with
headers, so tests can see who got `Authorization`), and the server counts requests in flight
(`server.max_in_flight`). `UpstreamServer(tls=context)` serves https instead.

Because a forward proxy is asked for absolute-form targets (`GET http://host/path`) and routes
match on the path, one of these servers can also play the proxy of `HTTP_PROXY`.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    # A check opens ~20 connections at once; socketserver's listen backlog of 5 drops the SYNs
    # beyond it and the client retransmits a second later.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up on a kept-alive connection (its run ended, or it stopped
        reading a capped body) is not the server's error: socketserver would print a traceback
        for it (in a benchmark's output, a misleading one). Anything else is still printed."""
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One canned response."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    hang: bool = False
    chunked: bool = False  # no Content-Length: the body's size is known only once read

    @classmethod
    def of_json(cls, document: Any, *, status: int = 200, **kwargs: Any) -> Reply:
        headers = {"Content-Type": "application/json; charset=utf-8", **kwargs.pop("headers", {})}
        return cls(status=status, body=jsonlib.dumps(document).encode(), headers=headers, **kwargs)

    @classmethod
    def of_text(cls, text: str, *, status: int = 200, content_type: str = "text/plain",
                **kwargs: Any) -> Reply:
        headers = {"Content-Type": f"{content_type}; charset=utf-8", **kwargs.pop("headers", {})}
        return cls(status=status, body=text.encode(), headers=headers, **kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """What the server saw. `headers` has lower-case names."""

    method: str
    target: str  # path and query, as sent
    headers: Mapping[str, str]
    body: bytes = b""  # what a POST sent (GraphQL, OSV querybatch)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


Handler = Callable[[RecordedRequest], Reply]


class _Route:
    def __init__(
        self, replies: Sequence[Reply] | None = None, handler: Handler | None = None
    ) -> None:
        self._replies = list(replies or [])
        self._handler = handler
        self._next = 0
        self._lock = threading.Lock()

    def reply_for(self, request: RecordedRequest) -> Reply:
        if self._handler is not None:
            return self._handler(request)
        with self._lock:
            reply = self._replies[min(self._next, len(self._replies) - 1)]
            self._next += 1
        return reply


class UpstreamServer:
    """The server; use as a context manager, or `start()`/`stop()`."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self._host = host
        self._tls = tls
        self._routes: dict[tuple[str, str], _Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.latency = 0.0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> Self:
        httpd = _Server((self._host, 0), _make_handler(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False
        if self._tls is not None:
            httpd.socket = self._tls.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="upstream-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are released and the port is closed."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the upstream server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` (`https` with `tls`; no trailing slash)."""
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{self._host}:{self.port}"

    # Routes

    def route(
        self,
        method: str,
        target: str,
        *,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        delay: float = 0.0,
        hang: bool = False,
        chunked: bool = False,
    ) -> None:
        """Always answer `method target` the same way (`json`, `text` or raw `body`)."""
        extra = dict(headers or {})
        if json is not None:
            reply = Reply.of_json(json, status=status, headers=extra)
        elif text is not None:
            reply = Reply.of_text(text, status=status, headers=extra)
        else:
            reply = Reply(status=status, body=body or b"", headers=extra)
        reply = Reply(
            status=reply.status, body=reply.body, headers=reply.headers, etag=etag,
            last_modified=last_modified, delay=delay, hang=hang, chunked=chunked,
        )
        self.route_sequence(method, target, [reply])

    def route_sequence(self, method: str, target: str, replies: Sequence[Reply]) -> None:
        """Answer successive requests with successive replies; the last one repeats."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self._routes[(method.upper(), target)] = _Route(replies=replies)

    def route_handler(self, method: str, target: str, handler: Handler) -> None:
        """Answer with whatever `handler` returns for each request (runs in a server thread)."""
        with self._lock:
            self._routes[(method.upper(), target)] = _Route(handler=handler)

    # What was seen

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Logged requests whose path (query ignored) is `path`."""
        with self._lock:
            return [r for r in self.requests
                    if r.path == path and (method is None or r.method == method.upper())]

    def hits(self, path: str, method: str | None = None) -> int:
        return len(self.requests_to(path, method))

    # Serving (called from handler threads)

    def _find(self, method: str, target: str) -> _Route | None:
        path = urlsplit(target).path
        keys = [(method, target), (method, path)]
        if method == "HEAD":
            keys += [("GET", target), ("GET", path)]
        with self._lock:
            return next((self._routes[key] for key in keys if key in self._routes), None)

    def _enter(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _not_modified(reply: Reply, headers: Mapping[str, str]) -> bool:
    match = headers.get("if-none-match")
    if match is not None and reply.etag is not None:
        wanted = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in wanted or reply.etag.removeprefix("W/") in wanted
    since = headers.get("if-modified-since")
    if since is not None and reply.last_modified is not None:
        try:
            return (email.utils.parsedate_to_datetime(since)
                    >= email.utils.parsedate_to_datetime(reply.last_modified))
        except (TypeError, ValueError):
            return False
    return False


def _make_handler(server: UpstreamServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes: with Nagle's algorithm on, the body waits for
        # the client's delayed ACK (about 40 ms on Linux loopback) and every reply looks slow.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            """Quiet: tests read `server.requests` instead."""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command, target=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length > 0 else b"",
            )
            server._enter(request)
            try:
                server._wait(server.latency)
                route = server._find(self.command, self.path)
                if route is None:
                    reply = Reply.of_json({"message": "Not Found"}, status=404)
                else:
                    reply = route.reply_for(request)
                if reply.hang:
                    server._stopping.wait()
                    self.close_connection = True
                    return
                server._wait(reply.delay)
                self._send(reply, request, head=self.command == "HEAD")
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a timeout under test); nobody is left to answer.
                self.close_connection = True
            finally:
                server._leave()

        def _send(self, reply: Reply, request: RecordedRequest, *, head: bool) -> None:
            validators: dict[str, str] = {}
            if reply.etag is not None:
                validators["ETag"] = reply.etag
            if reply.last_modified is not None:
                validators["Last-Modified"] = reply.last_modified
            if reply.status == 200 and _not_modified(reply, request.headers):
                self.send_response(304)
                # A 304 carries what the 200 would have said about caching (RFC 9110 15.4.5).
                kept = {k: v for k, v in reply.headers.items()
                        if k.lower() in ("cache-control", "expires", "vary")}
                for name, value in {**validators, **kept}.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            self.send_response(reply.status)
            for name, value in {**validators, **reply.headers}.items():
                self.send_header(name, value)
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if head:
                return
            if not reply.chunked:
                self.wfile.write(reply.body)
                return
            for start in range(0, len(reply.body), 1024):
                piece = reply.body[start:start + 1024]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

    return _Handler


def http_date(epoch: float | None = None) -> str:
    """An HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`) for `epoch` (default: now)."""
    return email.utils.formatdate(time.time() if epoch is None else epoch, usegmt=True)

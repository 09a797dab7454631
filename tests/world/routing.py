"""Routing: real URLs to the one local server (client side), and each request the server gets
to the world endpoint that answers it, faults applied (server side).

All hosts are served by one `UpstreamServer` under a path prefix per host
(`https://api.github.com/repos/x/y` is served at `<server>/api.github.com/repos/x/y`), and every
absolute link a response carries (`Link`, Docker Hub `next`, `Location`, the token realm) names
the REAL host. `HostRoutingTransport` does the mapping below httpx, so the code under test uses
the real URLs unchanged. `Routes` holds the world's endpoint table; the upstream families
(`world.github`, `world.registry`, `world.sites`) and the areas (`world.<area>`) add to it with
`_add` and `_static`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from release.upstream.recording import RecordingTransport
from world.faults import _CONTENT_FAULTS, TRANSIENT, Fault, Override, Role, fault_reply
from world.server import RecordedRequest, Reply, UpstreamServer


class HostRoutingTransport(httpx.AsyncBaseTransport):
    """Send `https://<host>/<path>?<query>` to `<base_url>/<host>/<path>?<query>` via `inner`.

    The request keeps its headers (including `Host: <real host>`), and the response goes back
    to httpx unchanged, so everything above this transport (the fetcher, its origin checks, its
    token scoping, a `RecordingTransport` wrapped around this one) sees only real URLs. A port
    other than the scheme's default stays in the prefix (`/<host>:<port>/...`); a request
    already aimed at `base_url`'s origin passes through as is.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, base_url: str) -> None:
        self._inner = inner
        self.base_url = base_url.rstrip("/")
        self._base = httpx.URL(self.base_url)

    def route(self, url: httpx.URL) -> httpx.URL:
        """The local URL that serves `url`."""
        if (url.scheme, url.host, url.port) == (self._base.scheme, self._base.host,
                                                self._base.port):
            return url
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        return httpx.URL(f"{self.base_url}/{host}{url.raw_path.decode('ascii')}")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        routed = httpx.Request(
            request.method, self.route(request.url), headers=request.headers,
            stream=request.stream, extensions=request.extensions,
        )
        return await self._inner.handle_async_request(routed)

    async def aclose(self) -> None:
        await self._inner.aclose()


def routed_client(server_url: str, *, record_dir: Path | None = None) -> httpx.AsyncClient:
    """A real client whose requests to real hosts reach the world at `server_url`.

    With `record_dir`, the traffic (under its real URLs) is recorded there.
    """
    transport: httpx.AsyncBaseTransport = HostRoutingTransport(
        httpx.AsyncHTTPTransport(), server_url
    )
    if record_dir is not None:
        transport = RecordingTransport(transport, record_dir)
    return httpx.AsyncClient(
        transport=transport, trust_env=False, headers={"User-Agent": "delphi-release/test"},
    )



@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One request the world answered (`status` 0: it hung, never answered).

    `headers` are the request's, with lower-case names.
    """

    method: str
    url: str  # the real URL (https://<host><path>?<query>)
    host: str
    path: str
    component: str | None
    role: Role
    status: int
    headers: Mapping[str, str]



@dataclass(frozen=True, slots=True, kw_only=True)
class _Request:
    method: str
    host: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def url(self) -> str:
        query = urlencode(dict(self.query))
        return f"https://{self.host}{self.path}" + (f"?{query}" if query else "")

    def number(self, key: str, default: int, low: int = 1, high: int = 10**6) -> int:
        try:
            value = int(self.query.get(key, default))
        except ValueError:
            value = default
        return max(low, min(high, value))


Respond = Callable[[_Request, Fault | None], Reply]
RoleOf = Callable[[_Request], Role]


@dataclass(frozen=True, slots=True)
class _Endpoint:
    component: Callable[[_Request], str | None]
    role: RoleOf
    respond: Respond
    method: str = "GET"


def _fixed(value: Role) -> RoleOf:
    return lambda _request: value


def _owner(component: str | None) -> Callable[[_Request], str | None]:
    return lambda _request: component



class Routes:
    """The world's endpoint table and the request log: what answers each request, faults applied."""

    COMPONENTS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, overrides: Mapping[str, Override] | None = None) -> None:
        self.overrides: Mapping[str, Override] = MappingProxyType(dict(overrides or {}))
        self.log: list[Exchange] = []
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, Role, int], int] = {}
        self._endpoints: dict[str, _Endpoint] = {}
        self._sha256: dict[tuple[str, str], str] = {}
        self._digests: dict[tuple[str, str], str] = {}
        self._commits: dict[tuple[str, str], str] = {}
        self._image_component: dict[str, str] = {}
        self._memo: dict[tuple[object, ...], Any] = {}
        self._check_overrides()

    def exchanges(
        self, *, host: str | None = None, component: str | None = None, role: Role | None = None,
    ) -> list[Exchange]:
        with self._lock:
            return [e for e in self.log
                    if (host is None or e.host == host)
                    and (component is None or e.component == component)
                    and (role is None or e.role == role)]

    def knows(self, target: str) -> bool:
        """Whether a server request target (`/api.github.com/repos/...?...`) is a world route."""
        return urlsplit(target).path in self._endpoints

    def install(self, server: UpstreamServer) -> Self:
        """Answer on `server` (started); returns the world, for chaining."""
        for path, endpoint in self._endpoints.items():
            server.route_handler(endpoint.method, path, self._handle)
        return self

    # Answering

    def _handle(self, recorded: RecordedRequest) -> Reply:
        parts = urlsplit(recorded.target)
        _, host, path = parts.path.split("/", 2)
        request = _Request(
            method=recorded.method, host=host, path="/" + path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)), headers=recorded.headers,
            body=recorded.body,
        )
        endpoint = self._endpoints[parts.path]
        component = endpoint.component(request)
        role = endpoint.role(request)
        fault = self._fault_for(component, role)
        reply = fault_reply(fault, request, endpoint) if fault is not None else None
        if reply is None:
            content_fault = fault if fault is not None and fault.kind in _CONTENT_FAULTS else None
            reply = self._conditional(request, endpoint.respond(request, content_fault))
        with self._lock:
            self.log.append(Exchange(
                method=request.method, url=request.url, host=host, path=request.path,
                component=component, role=role, status=0 if reply.hang else reply.status,
                headers=request.headers,
            ))
        return reply

    def _fault_for(self, component: str | None, role: Role) -> Fault | None:
        if component is None or component not in self.overrides:
            return None
        for index, fault in enumerate(self.overrides[component].faults):
            if fault.role != role:
                continue
            if fault.kind not in TRANSIENT:
                return fault
            with self._lock:
                seen = self._counts.get((component, role, index), 0)
                if seen < fault.times:
                    self._counts[(component, role, index)] = seen + 1
                    return fault
        return None

    @staticmethod
    def _conditional(request: _Request, reply: Reply) -> Reply:
        etag = reply.headers.get("ETag")
        match = request.headers.get("if-none-match")
        if reply.status != 200 or etag is None or match is None:
            return reply
        wanted = {t.strip().removeprefix("W/") for t in match.split(",")}
        if etag.removeprefix("W/") not in wanted:
            return reply
        kept = {k: v for k, v in reply.headers.items() if k.lower() != "content-type"}
        return Reply(status=304, headers=kept)

    def _check_overrides(self) -> None:
        for name, override in self.overrides.items():
            if name not in self.COMPONENTS:
                raise ValueError(f"no component {name!r} in the world")
            for fault in override.faults:
                roles = _CONTENT_FAULTS.get(fault.kind)
                if roles is not None and fault.role not in roles:
                    raise ValueError(f"{fault.kind} applies to {sorted(roles)}, not {fault.role}")

    def _memoized(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """`make()`, computed once per key (listings are rebuilt for every request otherwise)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = make()
        with self._lock:
            return self._memo.setdefault(key, value)

    def _extra(self, component: str) -> tuple[str, ...]:
        override = self.overrides.get(component)
        return override.extra_tags if override is not None else ()

    def _add(self, url: str, component: str | Callable[[_Request], str | None] | None,
             role: Role | RoleOf, respond: Respond, *, method: str = "GET") -> None:
        """Answer `method url` (query ignored) with `respond`; `component` owns the exchange
        (for faults and `exchanges`). The hook for world parts in `tests/world/<area>.py`."""
        parts = urlsplit(url)
        key = f"/{parts.netloc}{parts.path}"
        owner = component if callable(component) else _owner(component)
        self._endpoints[key] = _Endpoint(
            component=owner, role=_fixed(role) if isinstance(role, Role) else role,
            respond=respond, method=method,
        )

    def _static(self, url: str, component: str | None, role: Role, reply: Reply,
                wrong: Reply | None = None) -> None:
        def respond(_request: _Request, fault: Fault | None) -> Reply:
            return wrong if wrong is not None and fault is not None else reply

        self._add(url, component, role, respond)

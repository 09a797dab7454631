"""The target registry, through the registry HTTP API v2 (ECR, or any registry `--registry` names).

Only what the build needs: is a tag there and at which manifest digest (`tag_digest`), add a
tag to a manifest that is already there (`add_tag`, no layers move), and the manifests that refer
to an image digest (`referrers`: cosign's signatures and attestations). Pushing image content is
the engine's job (`release.images.engine`). Credentials are HTTP Basic (ECR's login token is a
Basic `AWS:<password>` pair); the password is never part of a repr, message or file.

httpx errors are translated here: unreachable, timeouts and 5xx are `RegistryUnavailable`
(retryable); anything else the registry refuses is `RegistryError`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from release.errors import ReleaseError

# Every manifest kind an image tag can point to, so the registry never converts one (a
# conversion would change the digest the registry reports).
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt; doubled before each further one


class RegistryError(ReleaseError):
    """The registry answered, and refused."""


class RegistryUnavailable(RegistryError):  # noqa: N818 - a state, like InvalidInput
    """The registry could not be reached or failed (5xx): worth retrying later."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A registry login. The password stays out of every repr and message."""

    username: str
    password: str = field(repr=False)

    def docker_auth(self) -> dict[str, str]:
        """The `auth_config` the docker SDK sends with a push (held in memory only)."""
        return {"username": self.username, "password": self.password}


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryTarget:
    """A registry host as image references spell it (`host[:port]`) and its API base URL."""

    host: str
    base_url: str
    credentials: Credentials | None = field(default=None, repr=False)


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_registry(value: str, credentials: Credentials | None = None) -> RegistryTarget:
    """`host[:port]` or `http(s)://host[:port]`.

    Without a scheme, loopback hosts are spoken to over plain HTTP (as the Docker engine treats
    127.0.0.0/8 as an insecure registry) and every other host over HTTPS.
    """
    text = value.strip().rstrip("/")
    scheme = None
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            scheme, text = prefix[:-3], text[len(prefix):]
    if not text or "/" in text or any(c.isspace() for c in text):
        raise ReleaseError(f"registry {value!r} is not a host[:port]")
    if scheme is None:
        scheme = "http" if _loopback(text) else "https"
    return RegistryTarget(host=text, base_url=f"{scheme}://{text}", credentials=credentials)


class Registry:
    """One registry's v2 API over an injected `httpx.Client`."""

    def __init__(self, target: RegistryTarget, client: httpx.Client) -> None:
        self.target = target
        self.client = client

    @property
    def host(self) -> str:
        return self.target.host

    def _auth(self) -> httpx.BasicAuth | None:
        creds = self.target.credentials
        return httpx.BasicAuth(creds.username, creds.password) if creds is not None else None

    def _request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None,
        content: bytes | None = None, retry: bool = True,
    ) -> httpx.Response:
        url = f"{self.target.base_url}{path}"
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.client.request(
                    method, url, headers=headers, content=content, auth=self._auth()
                )
            except httpx.TransportError as exc:
                failure = RegistryUnavailable(
                    f"registry {self.host} is unreachable: {_reason(exc)}",
                    hint="check that the registry is up and reachable (HTTPS_PROXY/NO_PROXY)",
                )
            else:
                if response.status_code < 500:
                    return response
                failure = RegistryUnavailable(
                    f"registry {self.host} failed: {method} {path} answered "
                    f"{response.status_code}"
                )
            if not retry or attempt == ATTEMPTS:
                raise failure
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(self, response: httpx.Response, what: str) -> RegistryError:
        if response.status_code in (401, 403):
            return RegistryError(
                f"registry {self.host} refused {what}: HTTP {response.status_code}",
                hint="check the registry credentials (for ECR: the IAM permissions of the "
                "build role)",
            )
        detail = response.text[:300].strip()
        return RegistryError(
            f"registry {self.host} refused {what}: HTTP {response.status_code} {detail}".strip()
        )

    def ping(self) -> None:
        """Raise `RegistryUnavailable` unless the registry answers its API root."""
        response = self._request("GET", "/v2/")
        if response.status_code not in (200, 401):
            raise self._refused(response, "GET /v2/")

    def tag_digest(self, repository: str, tag: str) -> str | None:
        """The manifest digest `repository:tag` points to, or None when there is no such tag."""
        path = f"/v2/{repository}/manifests/{tag}"
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        response = self._request("HEAD", path, headers=headers)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refused(response, f"HEAD {repository}:{tag}")
        digest = str(response.headers.get("Docker-Content-Digest", ""))
        if digest:
            return digest
        # Some registries omit the header on HEAD: the digest is the sha256 of the body as served.
        body = self._request("GET", path, headers=headers)
        if body.status_code != 200:
            raise self._refused(body, f"GET {repository}:{tag}")
        return "sha256:" + hashlib.sha256(body.content).hexdigest()

    def add_tag(self, repository: str, digest: str, tag: str) -> None:
        """Point the new tag `tag` at the manifest `digest`, byte for byte (no layers move)."""
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        got = self._request("GET", f"/v2/{repository}/manifests/{digest}", headers=headers)
        if got.status_code != 200:
            raise self._refused(got, f"GET {repository}@{digest}")
        media_type = got.headers.get("Content-Type", MANIFEST_TYPES[-1]).split(";")[0]
        put = self._request(
            "PUT", f"/v2/{repository}/manifests/{tag}",
            headers={"Content-Type": media_type}, content=got.content, retry=False,
        )
        if put.status_code not in (200, 201):
            raise self._refused(put, f"tag {repository}:{tag}")
        written = put.headers.get("Docker-Content-Digest")
        if written and written != digest:
            raise RegistryError(
                f"registry {self.host} stored {repository}:{tag} as {written}, not {digest}"
            )

    def referrers(self, repository: str, digest: str) -> list[Referrer]:
        """The manifests whose `subject` is `digest` (OCI distribution 1.1), with annotations.

        The referrers API first; a registry without it (404) has them in the index under the
        fallback tag `sha256-<hex>`, which is where cosign writes them there. A descriptor that
        lacks its manifest's annotations has them read from the manifest itself.
        """
        headers = {"Accept": OCI_INDEX}
        response = self._request("GET", f"/v2/{repository}/referrers/{digest}", headers=headers)
        if response.status_code == 404:
            fallback = digest.replace(":", "-", 1)
            response = self._request("GET", f"/v2/{repository}/manifests/{fallback}",
                                     headers=headers)
            if response.status_code == 404:
                return []
        if response.status_code != 200:
            raise self._refused(response, f"GET the referrers of {repository}@{digest}")
        found: list[Referrer] = []
        for item in _json_object(response, f"the referrers of {repository}@{digest}").get(
                "manifests") or []:
            if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
                raise RegistryError(f"registry {self.host}: a referrer of {repository}@{digest} "
                                    "without a digest")
            annotations = item.get("annotations")
            if not isinstance(annotations, dict):
                got = self._request("GET", f"/v2/{repository}/manifests/{item['digest']}",
                                    headers={"Accept": OCI_MANIFEST})
                if got.status_code != 200:
                    raise self._refused(got, f"GET {repository}@{item['digest']}")
                annotations = _json_object(got, f"{repository}@{item['digest']}").get(
                    "annotations") or {}
            found.append(Referrer(
                digest=item["digest"], artifact_type=str(item.get("artifactType") or ""),
                annotations={str(k): str(v) for k, v in annotations.items()},
            ))
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Referrer:
    """One manifest that refers to an image digest (a signature, an attestation)."""

    digest: str
    artifact_type: str
    annotations: dict[str, str]


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the registry answered something that is not a JSON object")
    return doc


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return text

"""Docker Hub's tag listings (both URL shapes, `next` pages), registry-1.docker.io manifests
(indexes and manifest lists, `HEAD` for the digest) behind the auth.docker.io bearer-token flow
(`DockerHubSite`)."""

from __future__ import annotations

import hashlib
import math
from typing import Any
from urllib.parse import urlencode

from world.catalogue import DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST, HubRepo, HubTag
from world.fakedata import _b64url, _compact, _hexid, _num, sha256
from world.faults import EVIL, Fault, FaultKind, Role
from world.replies import _json
from world.routing import Respond, Routes, _Request
from world.server import Reply

HUB = "https://hub.docker.com"
REGISTRY = "https://registry-1.docker.io"
AUTH_REALM = "https://auth.docker.io/token"

_TOKEN_ISSUED = "2026-09-16T10:00:00.000000000Z"


class DockerHubSite(Routes):
    """The routes of hub.docker.com, registry-1.docker.io and auth.docker.io."""

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


def registry_token(repository: str) -> str:
    """The (fake, deterministic) JWT auth.docker.io issues for pulling `repository`."""
    head = _b64url(b'{"alg":"RS256","typ":"JWT","kid":"FAKE:WORLD"}')
    claims = _b64url(_compact({
        "iss": "auth.docker.io", "sub": "", "aud": "registry.docker.io", "iat": 1789552800,
        "exp": 1789553100,
        "access": [{"type": "repository", "name": repository, "actions": ["pull"]}],
    }))
    return f"{head}.{claims}.{_b64url(hashlib.sha256(repository.encode()).digest())}"

"""GitHub as the world serves it: the REST API (tags and releases with `Link` pages, one
release, `/releases/latest`, commits), release assets behind their CDN redirect, and source
archives behind codeload (`GitHubSite`)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from world.catalogue import GhRelease, GhRepo, commit_sha
from world.fakedata import _RATELIMIT_RESET, _b64url, _hexid, _num, fake_bytes, sha256
from world.faults import EVIL, Fault, FaultKind, Role, _wrong_name
from world.replies import _file, _json, _redirect
from world.routing import Respond, Routes, _Request
from world.server import Reply

GITHUB_API = "https://api.github.com"

_ASSET_DIGESTS_SINCE = "2025-06-03"  # GitHub records asset digests for uploads since then


def _constant_json(document: Any) -> Respond:
    return lambda request, _fault: _json(document, headers=_gh_headers(request))



class GitHubSite(Routes):
    """The routes of api.github.com, github.com downloads and codeload.github.com."""

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

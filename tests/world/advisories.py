"""The fake world's advisory sources: OSV and GitHub repository security advisories.

Both answer from ONE list, `ADVISORIES`, and from the world's own tags, so they never disagree:
an advisory names a repository, the range of versions it affects and the version that fixes it
(None: no fix yet); the affected tags are the world's tags of that repository inside the range.
Real URLs, real shapes:

- `POST https://api.osv.dev/v1/querybatch` (GIT-ecosystem queries by the repository's URL and a
  tag, `GitHub Actions` queries by `owner/repo` and a version; queries by commit find nothing;
  another ecosystem is a 400 for the whole batch, as OSV answers), `GET
  https://api.osv.dev/v1/vulns/{id}`: OSV records with GIT ranges (commits) and `versions` (the
  affected tags), or an ECOSYSTEM range for an action, `severity` a CVSS vector;
- `GET https://api.github.com/repos/{owner}/{repo}/security-advisories` for every world
  repository (most answer `[]`), with `vulnerable_version_range` and `patched_versions`.

The ids are made up (GHSA ids with 0 and 1, which real GHSA ids never contain; WORLD- ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from world.server import Reply

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld
    from world.routing import _Request

OSV = "https://api.osv.dev"
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # base score 9.8


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldAdvisory:
    id: str
    repo: str
    introduced: str
    fixed: str | None  # None: no fix yet
    summary: str
    severity: str | None = None  # GitHub's word; None: only the CVSS vector says
    cvss: str | None = None
    cve: str | None = None
    osv: bool = True  # OSV has it
    github: bool = True  # the repository published it
    #: OSV's ecosystem of it: "GIT" (GIT ranges of commits, `versions` the affected tags) or
    #: "GitHub Actions" (GitHub's reviewed advisory of an action: an ECOSYSTEM range of versions)
    ecosystem: str = "GIT"

    def affects(self, version: str) -> bool:
        try:
            v = Version(version)
        except InvalidVersion:
            return False
        if v.is_prerelease or v < Version(self.introduced):
            return False
        return self.fixed is None or v < Version(self.fixed)


ADVISORIES = (
    # coturn 4.18.0 (published 13 days before TODAY) is a security release.
    WorldAdvisory(id="GHSA-wwww-0000-0001", repo="coturn/coturn", introduced="4.16.0",
                  fixed="4.18.0", severity="high", cve="CVE-2099-0001",
                  summary="TURN allocation refresh reads freed memory"),
    # Redis 7.4 is affected, the fix is only in 8.2.3: beyond the 7.4 policy.
    WorldAdvisory(id="WORLD-2026-0002", repo="redis/redis", introduced="7.0.0", fixed="8.2.3",
                  cvss=CRITICAL, github=False,
                  summary="Lua scripting sandbox escape through a crafted EVAL"),
    # Asterisk 22 has an open advisory with no fix yet.
    WorldAdvisory(id="GHSA-wwww-0000-0003", repo="asterisk/asterisk", introduced="22.0.0",
                  fixed=None, severity="moderate", osv=False,
                  summary="PJSIP: a malformed Contact header crashes the channel driver"),
    # actions/checkout 6.0.0 (not the pinned 6.0.1): only OSV's `GitHub Actions` ecosystem has it.
    WorldAdvisory(id="GHSA-wwww-0000-0004", repo="actions/checkout", introduced="6.0.0",
                  fixed="6.0.1", severity="moderate", github=False, ecosystem="GitHub Actions",
                  summary="Credentials persisted in the checkout's git config after the job"),
)
#: The ecosystems the fake OSV knows; any other one in a batch is a 400 for the whole batch.
OSV_ECOSYSTEMS = ("GIT", "GitHub Actions")


ADVISORY_REPOS = {"nodejs/node": "node", "postgres/postgres": "postgresql"}


def _tags(world: FakeWorld, repo: str) -> list[str]:
    return next((list(r.tags) for r in world.repos if r.repo == repo), [])


def _osv_record(world: FakeWorld, advisory: WorldAdvisory) -> dict[str, Any]:
    from world.catalogue import commit_sha

    url = f"https://github.com/{advisory.repo}"
    affected: dict[str, Any]
    if advisory.ecosystem == "GIT":
        events: list[dict[str, str]] = [
            {"introduced": commit_sha(advisory.repo, advisory.introduced)}]
        if advisory.fixed is not None:
            events.append({"fixed": commit_sha(advisory.repo, advisory.fixed)})
        affected = {
            "package": {"name": url, "ecosystem": "GIT"},
            "ranges": [{"type": "GIT", "repo": url, "events": events}],
            "versions": [t for t in _tags(world, advisory.repo) if advisory.affects(t)],
        }
    else:
        span: list[dict[str, str]] = [{"introduced": advisory.introduced}]
        if advisory.fixed is not None:
            span.append({"fixed": advisory.fixed})
        affected = {
            "package": {"name": advisory.repo, "ecosystem": advisory.ecosystem},
            "ranges": [{"type": "ECOSYSTEM", "events": span}],
        }
    record: dict[str, Any] = {
        "schema_version": "1.6.0", "id": advisory.id, "modified": "2026-09-10T08:00:00Z",
        "published": "2026-09-03T08:00:00Z", "summary": advisory.summary,
        "aliases": [advisory.cve] if advisory.cve else [],
        "affected": [affected],
    }
    if advisory.cvss:
        record["severity"] = [{"type": "CVSS_V3", "score": advisory.cvss}]
    if advisory.severity:
        record["database_specific"] = {"severity": advisory.severity.upper()}
    return record


def _github_record(advisory: WorldAdvisory) -> dict[str, Any]:
    owner, name = advisory.repo.split("/")
    spec = f">= {advisory.introduced}" + (f", < {advisory.fixed}" if advisory.fixed else "")
    return {
        "ghsa_id": advisory.id, "cve_id": advisory.cve, "state": "published",
        "url": f"https://api.github.com/repos/{advisory.repo}/security-advisories/{advisory.id}",
        "html_url": f"https://github.com/{advisory.repo}/security/advisories/{advisory.id}",
        "summary": advisory.summary, "severity": advisory.severity,
        "published_at": "2026-09-03T08:00:00Z",
        "vulnerabilities": [{
            "package": {"ecosystem": "other", "name": name if owner else advisory.repo},
            "vulnerable_version_range": spec, "patched_versions": advisory.fixed,
            "vulnerable_functions": [],
        }],
        "cvss": {"vector_string": advisory.cvss, "score": None} if advisory.cvss else None,
    }


def _json(document: Any, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode(),
                 headers={"Content-Type": "application/json"})


def add_advisories(world: FakeWorld) -> None:
    """Serve OSV and every repository's security advisories from `ADVISORIES`."""
    from world.faults import Role
    from world.github import GITHUB_API

    def querybatch(request: _Request, _fault: object) -> Reply:
        try:
            queries = json.loads(request.body)["queries"]
        except (ValueError, KeyError, TypeError):
            return _json({"code": 3, "message": "Invalid query."}, status=400)
        results: list[dict[str, Any]] = []
        for query in queries:
            package = query.get("package") or {}
            ecosystem = package.get("ecosystem")
            if package and ecosystem not in OSV_ECOSYSTEMS:
                return _json({"code": 3, "message": f"Invalid ecosystem: {ecosystem}"},
                             status=400)
            vulns = [{"id": a.id, "modified": "2026-09-10T08:00:00Z"} for a in ADVISORIES
                     if a.osv and ecosystem == a.ecosystem and _matches(world, a, query)]
            results.append({"vulns": vulns} if vulns else {})
        return _json({"results": results})

    world._add(f"{OSV}/v1/querybatch", None, Role.OTHER, querybatch, method="POST")
    for advisory in ADVISORIES:
        if advisory.osv:
            world._add(f"{OSV}/v1/vulns/{advisory.id}", None, Role.OTHER,
                       _constant(_osv_record(world, advisory)))
    for repo in world.repos:
        listed = [_github_record(a) for a in ADVISORIES if a.github and a.repo == repo.repo]
        world._add(f"{GITHUB_API}/repos/{repo.repo}/security-advisories", repo.component,
                   Role.OTHER, _constant(listed))
    # Repositories whose advisories cover components listed elsewhere (policy.advisory-repo).
    for name, component in ADVISORY_REPOS.items():
        world._add(f"{GITHUB_API}/repos/{name}/security-advisories", component, Role.OTHER,
                   _constant([]))


def _matches(world: FakeWorld, advisory: WorldAdvisory, query: dict[str, Any]) -> bool:
    """A GIT query names the repository's URL and a tag of it; a `GitHub Actions` query
    names `owner/repo` and a version (queries by commit find nothing here)."""
    package = query.get("package") or {}
    version = str(query.get("version", ""))
    if advisory.ecosystem == "GIT":
        repo = str(package.get("name", "")).removeprefix("https://github.com/")
        return repo == advisory.repo and version in _tags(world, repo) \
            and advisory.affects(version)
    return package.get("name") == advisory.repo and advisory.affects(version)


def _constant(document: Any) -> Callable[[_Request, object], Reply]:
    return lambda _request, _fault: _json(document)

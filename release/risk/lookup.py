"""Asking OSV and GitHub which published advisories affect the pinned versions.

- OSV: one `POST {osv}/v1/querybatch` for every component (by the pinned commit for
  components pinned by commit, else by the GitHub repository as a GIT-ecosystem package and the
  pinned tag), then `GET {osv}/v1/vulns/{id}` for each id it names, at once.
- GitHub: `GET {api}/repos/{owner}/{repo}/security-advisories` of every component on GitHub.

Both run at once, next to the version lookups of `release.refresh.execute`. A source that
fails is a warning (`AdvisoryReport.warnings`): it never fails the version check.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from release.manifest.model import Component, UpstreamKind
from release.risk.advisories import (
    Advisory,
    merge,
    osv_package_name,
    parse_github_advisories,
    parse_osv_batch,
    parse_osv_vuln,
)
from release.upstream.common import shown
from release.upstream.errors import UpstreamError
from release.upstream.github import API_HEADERS, DEFAULT_API_URL, repo_url
from release.upstream.interface import DEFAULT_MAX_BYTES, Fetcher, FetchResult

OSV_API_URL = "https://api.osv.dev"
GITHUB_KINDS = (UpstreamKind.GITHUB_RELEASES, UpstreamKind.GITHUB_TAGS)


class Poster(Protocol):
    async def post(
        self, url: str, *, content: bytes, headers: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES, ok: tuple[int, ...] = (200,),
    ) -> FetchResult:
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryReport:
    """Each component's advisories (of every version; `findings` picks the pinned one's)."""

    by_component: Mapping[str, tuple[Advisory, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def osv_query(component: Component) -> dict[str, Any] | None:
    """The OSV query of the pinned version, or None when OSV cannot be asked about it."""
    if component.commit is not None:
        return {"commit": component.commit}
    repo = github_repo(component)
    if repo is not None:
        return {"package": {"name": osv_package_name(repo), "ecosystem": "GIT"},
                "version": component.tag}
    return None


def github_repo(component: Component) -> str | None:
    """The GitHub repository whose advisories are the component's: its upstream's, or
    `policy.advisory-repo` for a component listed elsewhere (Node.js: nodejs/node), whose tags
    are spelled as the component's tag template says."""
    if component.upstream.kind in GITHUB_KINDS or component.commit is not None:
        return component.upstream.repo
    return component.policy.advisory_repo


async def find_advisories(
    components: Sequence[Component], fetcher: Fetcher, *, osv_url: str = OSV_API_URL,
    github_api_url: str = DEFAULT_API_URL,
) -> AdvisoryReport:
    warnings: list[str] = []
    found: dict[str, list[Advisory]] = {c.name: [] for c in components}

    async def osv() -> None:
        asked = [(c, q) for c in components if (q := osv_query(c)) is not None]
        if not asked:
            return
        post = getattr(fetcher, "post", None)
        if post is None:
            warnings.append("advisories: OSV not asked: this fetcher cannot POST")
            return
        poster: Poster = fetcher  # type: ignore[assignment]
        try:
            url = f"{osv_url.rstrip('/')}/v1/querybatch"
            body = json.dumps({"queries": [q for _, q in asked]}).encode()
            result = await poster.post(url, content=body,
                                       headers={"Content-Type": "application/json"})
            ids = parse_osv_batch(result.json(), url, len(asked))
            unique = sorted({i for names in ids for i in names})
            records = await asyncio.gather(*(
                fetcher.get(f"{osv_url.rstrip('/')}/v1/vulns/{quote(i, safe='')}")
                for i in unique
            ))
        except UpstreamError as exc:
            warnings.append(f"advisories: OSV: {exc.message}")
            return
        by_id = dict(zip(unique, records, strict=True))
        for (component, query), names in zip(asked, ids, strict=True):
            package = query.get("package", {}).get("name")
            for name in names:
                record = by_id[name]
                try:
                    found[component.name].append(
                        parse_osv_vuln(component, record.json(), record.url, package=package))
                except UpstreamError as exc:
                    warnings.append(f"advisories: OSV: {exc.message}")

    async def github(component: Component, repo: str) -> None:
        try:
            url = repo_url(github_api_url, repo, "security-advisories") + "?per_page=100"
            result = await fetcher.get(url, headers=API_HEADERS)
            found[component.name].extend(
                parse_github_advisories(component, result.json(), result.url))
        except UpstreamError as exc:
            github_failures.append(f"{shown(repo)}: {exc.message}")

    github_failures: list[str] = []
    jobs = [osv()]
    jobs += [github(c, repo) for c in components if (repo := github_repo(c)) is not None]
    await asyncio.gather(*jobs)
    github_failures.sort()
    if len(github_failures) == 1:
        warnings.append(f"advisories: GitHub {github_failures[0]}")
    elif github_failures:
        warnings.append(
            f"advisories: GitHub: the security advisories of {len(github_failures)} "
            f"repositories could not be listed (first, {github_failures[0]})"
        )
    return AdvisoryReport(
        by_component={name: merge(items) for name, items in found.items()},
        warnings=tuple(sorted(warnings)),
    )

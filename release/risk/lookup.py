"""Asking OSV and GitHub which published advisories affect the pinned versions.

- OSV: one `POST {osv}/v1/querybatch` for every component (by the pinned commit for
  components pinned by commit, else by the GitHub repository as a GIT-ecosystem package, its
  URL as `name`, and the pinned tag as `version`, the query OSV's API documents for git tags;
  GitHub Actions also by their `GitHub Actions` package), then `GET {osv}/v1/vulns/{id}` for
  each id it names, at once.
- GitHub: `GET {api}/repos/{owner}/{repo}/security-advisories`, once per repository of a
  component on GitHub. Repository advisories are REST only: GitHub's GraphQL API serves the
  global Advisory Database (`securityAdvisories`), not the advisories a repository publishes,
  so there is no query that answers for all repositories at once.

Both start at once, next to the version lookups of `release.refresh.execute`, as background
requests (`release.upstream.http.background_requests`): on a host they share with the version
lookups (api.github.com) they take only the slots no version lookup is waiting for. Answers
younger than a few hours come from `release.risk.fresh.Answers` without a request. A source
that fails is a warning (`AdvisoryReport.warnings`): it never fails the version check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from release.manifest.model import Component, PinKind, UpstreamKind
from release.risk.advisories import (
    Advisory,
    merge,
    osv_package_name,
    parse_github_advisories,
    parse_osv_batch_modified,
    parse_osv_vuln,
)
from release.risk.fresh import Answers
from release.upstream.common import gather_all, shown
from release.upstream.errors import UpstreamError
from release.upstream.github import API_HEADERS, DEFAULT_API_URL, repo_url
from release.upstream.http import background_requests
from release.upstream.interface import Fetcher, PostFetcher

OSV_API_URL = "https://api.osv.dev"
GITHUB_KINDS = (UpstreamKind.GITHUB_RELEASES, UpstreamKind.GITHUB_TAGS)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryReport:
    """Each component's advisories (of every version; `findings` picks the pinned one's)."""

    by_component: Mapping[str, tuple[Advisory, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def osv_queries(component: Component) -> list[dict[str, Any]]:
    """The OSV queries of the pinned version (none when OSV cannot be asked about it).

    - pinned by commit: `{"commit": ...}` (OSV matches it against GIT ranges);
    - else, on GitHub (or `policy.advisory-repo`): the GIT-ecosystem package named by the
      repository's URL, the pinned tag as `version` (OSV's documented query for git tags);
    - a GitHub Action (a `github-action` pin) also by its package in the `GitHub Actions`
      ecosystem (`{owner}/{repo}`, the version), where OSV carries GitHub's reviewed
      advisories of actions, with ECOSYSTEM ranges a commit query does not match.
    """
    queries: list[dict[str, Any]] = []
    repo = github_repo(component)
    if component.commit is not None:
        queries.append({"commit": component.commit})
    elif repo is not None:
        queries.append({"package": {"name": osv_package_name(repo), "ecosystem": "GIT"},
                        "version": component.tag})
    if repo is not None and any(p.kind is PinKind.GITHUB_ACTION for p in component.pins):
        queries.append({"package": {"name": repo, "ecosystem": "GitHub Actions"},
                        "version": component.version})
    return queries


def github_repo(component: Component) -> str | None:
    """The GitHub repository whose advisories are the component's: its upstream's, or
    `policy.advisory-repo` for a component listed elsewhere (Node.js: nodejs/node), whose tags
    are spelled as the component's tag template says."""
    if component.upstream.kind in GITHUB_KINDS or component.commit is not None:
        return component.upstream.repo
    return component.policy.advisory_repo


async def find_advisories(
    components: Sequence[Component], fetcher: Fetcher, *, osv_url: str = OSV_API_URL,
    github_api_url: str = DEFAULT_API_URL, answers: Answers | None = None,
) -> AdvisoryReport:
    """Every component's advisories, from OSV and GitHub at once (in the background: a host's
    version lookups go first), answers younger than `answers.ttl` taken from `answers`."""
    with background_requests():
        return await _find_advisories(components, fetcher, osv_url=osv_url.rstrip("/"),
                                      github_api_url=github_api_url, answers=answers)


async def _kept_or_fetched(
    fetcher: Fetcher, url: str, answers: Answers | None, *, headers: Mapping[str, str],
    failures: list[str], what: str,
) -> tuple[Any, str] | None:
    """The JSON answer of `GET url` and its URL: a fresh kept one, else fetched (and kept),
    else, when the fetch fails, a kept one of any age (with a note in `failures`)."""
    key = f"GET {url}"
    kept = answers.fresh(key) if answers is not None else None
    if kept is not None:
        return _loads(kept), url
    try:
        result = await fetcher.get(url, headers=headers)
        data, text = result.json(), result.text()
    except UpstreamError as exc:
        old = answers.stored(key) if answers is not None else None
        if old is None or answers is None:
            failures.append(f"{what}: {exc.message}")
            return None
        failures.append(f"{what}: {exc.message}; used the answer kept {answers.age(old)} ago")
        return _loads(old.body), url
    if answers is not None:
        answers.keep(key, text)
    return data, result.url


def _loads(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None  # cannot happen: only JSON is kept; the parsers refuse None


async def _find_advisories(
    components: Sequence[Component], fetcher: Fetcher, *, osv_url: str, github_api_url: str,
    answers: Answers | None,
) -> AdvisoryReport:
    warnings: list[str] = []
    found: dict[str, list[Advisory]] = {c.name: [] for c in components}

    async def osv() -> None:
        asked = [(c, q) for c in components for q in osv_queries(c)]
        if not asked:
            return
        ids = await osv_ids([q for _, q in asked])
        if ids is None:
            return
        modified = {i: m for names in ids for i, m in names}
        records: dict[str, tuple[Any, str]] = {}
        failures: list[str] = []

        async def record(name: str) -> None:
            url = f"{osv_url}/v1/vulns/{quote(name, safe='')}"
            key = f"GET {url}"
            old = answers.stored(key) if answers is not None else None
            if old is not None and modified[name] is not None:
                data = _loads(old.body)
                if isinstance(data, dict) and data.get("modified") == modified[name]:
                    records[name] = data, url  # unchanged since it was kept: no request
                    return
            got = await _kept_or_fetched(fetcher, url, answers, headers={}, failures=failures,
                                         what="OSV")
            if got is not None:
                records[name] = got

        await gather_all(*(record(i) for i in sorted(modified)))
        warnings.extend(f"advisories: {f}" for f in sorted(failures)[:1])
        for (component, query), names in zip(asked, ids, strict=True):
            package = query.get("package", {}).get("name")
            for name, _ in names:
                if name not in records:
                    continue
                data, url = records[name]
                try:
                    found[component.name].append(
                        parse_osv_vuln(component, data, url, package=package))
                except UpstreamError as exc:
                    warnings.append(f"advisories: OSV: {exc.message}")

    async def osv_ids(queries: list[dict[str, Any]]) -> list[list[tuple[str, str | None]]] | None:
        """Each query's `(id, modified)` pairs: kept ones when fresh, the others asked in one
        `POST /v1/querybatch` (None, with a warning, when it cannot be asked)."""
        keys = [f"osv query {json.dumps(q, sort_keys=True)}" for q in queries]
        ids: dict[int, list[tuple[str, str | None]]] = {}
        for index, key in enumerate(keys):
            kept = answers.fresh(key) if answers is not None else None
            pairs = _pairs(kept) if kept is not None else None
            if pairs is not None:
                ids[index] = pairs
        missing = [i for i in range(len(queries)) if i not in ids]
        if missing:
            problem = await ask_batch([queries[i] for i in missing], missing, ids, keys)
            if problem is not None:
                stale = [(i, answers.stored(keys[i])) for i in missing] if answers else []
                old = [(i, o, _pairs(o.body)) for i, o in stale if o is not None]
                if answers is None or not old or len(old) < len(missing):
                    warnings.append(f"advisories: OSV: {problem}")
                    return None
                for index, _, pairs in old:
                    if pairs is None:
                        warnings.append(f"advisories: OSV: {problem}")
                        return None
                    ids[index] = pairs
                oldest = min((o for _, o, _ in old), key=lambda o: o.fetched)
                warnings.append(f"advisories: OSV: {problem}; used the answers kept "
                                f"{answers.age(oldest)} ago")
        return [ids[i] for i in range(len(queries))]

    async def ask_batch(
        queries: list[dict[str, Any]], indexes: list[int],
        ids: dict[int, list[tuple[str, str | None]]], keys: list[str],
    ) -> str | None:
        post = getattr(fetcher, "post", None)
        if post is None:
            return "not asked: this fetcher cannot POST"
        poster: PostFetcher = fetcher  # type: ignore[assignment]
        url = f"{osv_url}/v1/querybatch"
        try:
            result = await poster.post(url, content=json.dumps({"queries": queries}).encode(),
                                       headers={"Content-Type": "application/json"})
            answered = parse_osv_batch_modified(result.json(), url, len(queries))
        except UpstreamError as exc:
            return exc.message
        for index, pairs in zip(indexes, answered, strict=True):
            ids[index] = pairs
            if answers is not None:
                answers.keep(keys[index], json.dumps(pairs))
        return None

    async def github(repo: str, users: list[Component]) -> None:
        url = repo_url(github_api_url, repo, "security-advisories") + "?per_page=100"
        got = await _kept_or_fetched(fetcher, url, answers, headers=API_HEADERS,
                                     failures=github_failures, what=shown(repo))
        if got is None:
            return
        data, where = got
        for component in users:
            try:
                found[component.name].extend(parse_github_advisories(component, data, where))
            except UpstreamError as exc:
                github_failures.append(f"{shown(repo)}: {exc.message}")
                return

    github_failures: list[str] = []
    repos: dict[str, list[Component]] = {}
    for component in components:
        repo = github_repo(component)
        if repo is not None:
            repos.setdefault(repo, []).append(component)  # one request per repository
    await gather_all(osv(), *(github(repo, users) for repo, users in repos.items()))
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


def _pairs(body: str) -> list[tuple[str, str | None]] | None:
    """A kept query answer: `[[id, modified], ...]` (None when it is not that shape)."""
    data = _loads(body)
    if not isinstance(data, list):
        return None
    out: list[tuple[str, str | None]] = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and (item[1] is None or isinstance(item[1], str))):
            return None
        out.append((item[0], item[1]))
    return out

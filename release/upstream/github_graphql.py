"""GitHub releases and tags of every GitHub component of a run in a few GraphQL queries.

With a token, `check` asks GitHub's GraphQL API (`POST {api}/graphql`) instead of one REST
request or more per repository: one aliased query holds the first page (100 items) of every
repository's releases or tags, and further pages are asked, again in one aliased query, only for
the repositories whose first page said `hasNextPage`. What it reads is what the REST sources read
(`release.upstream.github`): release tag names, drafts (skipped), pre-release flags and
publication dates, tag names in GitHub's order; and, besides, the commit each tag points at
(annotated tags peeled), which spares the resolver its `GET /commits/{tag}` per candidate.

Limits (GitHub's documented GraphQL resource limits): `first` is at most 100, and one query may
ask for at most 500,000 nodes; a query is also bounded here to `MAX_REPOS_PER_QUERY` aliases,
so a response stays a few MB and well inside GitHub's 10-second query time. The points a query
costs (`rateLimit { cost }`) are added to the fetcher's statistics (`graphql`).

Failure is per repository where GitHub says so: an `errors` entry whose `path` names one
alias (`NOT_FOUND` for a renamed or deleted repository) fails that component only, with
GitHub's message. When the query as a whole fails (no token or a bad one: 401, a 5xx after
retries, a timeout, an answer that is not the expected JSON, errors without data), every
component of that query falls back to REST (`BatchUnavailable`), which says what it found.
While recording or replaying (`--record`, `--replay`) everything is REST: a recording keys
responses by method and URL, and every query is a POST to the same URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from release.manifest.model import Component, UpstreamKind
from release.upstream.common import DEFAULT_MAX_PAGES, gather_all, shown
from release.upstream.errors import PermanentUpstreamError, UpstreamError
from release.upstream.github import PER_PAGE, repo_url
from release.upstream.interface import (
    Fetcher,
    Listing,
    PostFetcher,
    Source,
    classify_tags,
)

_log = logging.getLogger(__name__)

#: GitHub: "Individual calls cannot request more than 500,000 total nodes."
MAX_NODES = 500_000
#: Aliases per query: 100 repositories x 100 items is 10,000 nodes and a response of a few MB.
MAX_REPOS_PER_QUERY = 100
GRAPHQL_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
RESPONSE_MAX_BYTES = 64 * 1024 * 1024

_RELEASE_FIELDS = "tagName isDraft isPrerelease publishedAt tagCommit { oid }"
_TAG_FIELDS = "name target { __typename oid ... on Tag { target { __typename oid } } }"


class BatchUnavailable(UpstreamError):  # noqa: N818 - a signal to fall back, not a failure
    """The GraphQL query holding a component failed as a whole: use REST for it."""


def graphql_url(api_url: str) -> str:
    """`https://api.github.com/graphql`; for GitHub Enterprise `.../api/v3`, `.../api/graphql`."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


@dataclass(slots=True)
class _Repo:
    """One repository of the batch and what was read of it so far."""

    repo: str
    kind: str  # "releases" or "tags"
    alias: str
    items: list[tuple[str, bool]] = field(default_factory=list)
    published: dict[str, str] = field(default_factory=dict)
    commits: dict[str, str] = field(default_factory=dict)
    cursor: str | None = None
    pages: int = 0
    #: Set once every page was read or the repository failed: its component goes on then,
    #: while other repositories' further pages are still being asked.
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _literal(value: str) -> str:
    return json.dumps(value)


def _connection(repo: _Repo) -> str:
    after = f", after: {_literal(repo.cursor)}" if repo.cursor else ""
    if repo.kind == "releases":
        return (f"releases(first: {PER_PAGE}{after}, orderBy: {{field: CREATED_AT, "
                f"direction: DESC}}) {{ pageInfo {{ hasNextPage endCursor }} "
                f"nodes {{ {_RELEASE_FIELDS} }} }}")
    return (f'refs(refPrefix: "refs/tags/", first: {PER_PAGE}{after}, orderBy: '
            f"{{field: TAG_COMMIT_DATE, direction: DESC}}) {{ pageInfo {{ hasNextPage "
            f"endCursor }} nodes {{ {_TAG_FIELDS} }} }}")


def build_query(repos: Sequence[_Repo]) -> str:
    """One aliased query for the next page of each of `repos`."""
    parts = ["query {", "  rateLimit { cost remaining resetAt }"]
    for repo in repos:
        owner, name = repo.repo.split("/")
        parts.append(f"  {repo.alias}: repository(owner: {_literal(owner)}, name: "
                     f"{_literal(name)}) {{ {_connection(repo)} }}")
    parts.append("}")
    return "\n".join(parts) + "\n"


def chunks(repos: Sequence[_Repo]) -> list[list[_Repo]]:
    """`repos` split so that no query exceeds the alias bound or GitHub's node limit."""
    per_repo = 1 + PER_PAGE  # the repository and its page of items (targets are not nodes
    # of a connection)
    most = max(1, min(MAX_REPOS_PER_QUERY, MAX_NODES // per_repo))
    return [list(repos[i:i + most]) for i in range(0, len(repos), most)]


class GithubGraphQL:
    """The GraphQL reads of one run: `listing(component)` for each GitHub component.

    `prepare(components)` names every GitHub component of the run before the first listing is
    asked, so the first query holds them all.
    """

    def __init__(
        self, fetcher: PostFetcher, *, api_url: str, max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        self.fetcher = fetcher
        self.url = graphql_url(api_url)
        self.api_url = api_url.rstrip("/")
        self.max_pages = max_pages
        self._repos: dict[str, _Repo] = {}
        self._errors: dict[str, UpstreamError] = {}
        self._runner: asyncio.Task[None] | None = None
        self.queries = 0

    def prepare(self, components: Iterable[Component]) -> None:
        for component in components:
            kind = {UpstreamKind.GITHUB_RELEASES: "releases",
                    UpstreamKind.GITHUB_TAGS: "tags"}.get(component.upstream.kind)
            if kind is None or component.upstream.repo is None:
                continue
            try:
                repo_url(self.api_url, component.upstream.repo)  # a plain owner/name only
            except PermanentUpstreamError:
                continue  # REST reports the bad repo the way it always has
            key = f"{kind}:{component.upstream.repo}"
            if key not in self._repos:
                self._repos[key] = _Repo(repo=component.upstream.repo, kind=kind,
                                         alias=f"r{len(self._repos)}")

    async def listing(self, component: Component, kind: str) -> Listing:
        """What REST would list for `component`, from GraphQL; raises `BatchUnavailable` to
        send it to REST, or the `UpstreamError` GitHub gave for its repository."""
        key = f"{kind}:{component.upstream.repo}"
        repo = self._repos.get(key)
        if repo is None:
            raise BatchUnavailable(f"{shown(key)} was not part of the GraphQL batch")
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
        await repo.done.wait()
        runner = self._runner
        error = runner.exception() if runner.done() and not runner.cancelled() else None
        if error is not None:
            raise error  # a bug, not an upstream failure: let it surface
        if key in self._errors:
            raise self._errors[key]
        return classify_tags(component, repo.items, published=repo.published or None)

    def commit(self, repo: str, tag: str) -> str | None:
        """The commit `tag` of `repo` points at, when a listing of this run saw it."""
        for kind in ("tags", "releases"):
            found = self._repos.get(f"{kind}:{repo}")
            if found is not None and tag in found.commits:
                return found.commits[tag]
        return None

    # The queries

    async def _run(self) -> None:
        pending = list(self._repos.values())
        try:
            while pending:
                batches = chunks(pending)
                await gather_all(*(self._query(batch) for batch in batches))
                finished = [r for r in pending if r.cursor is None
                            or f"{r.kind}:{r.repo}" in self._errors]
                for repo in finished:
                    repo.done.set()
                pending = [r for r in pending if not r.done.is_set()]
        finally:
            for repo in self._repos.values():
                repo.done.set()

    async def _query(self, repos: list[_Repo]) -> None:
        body = json.dumps({"query": build_query(repos)}).encode()
        self.queries += 1
        try:
            result = await self.fetcher.post(self.url, content=body, headers=GRAPHQL_HEADERS,
                                             max_bytes=RESPONSE_MAX_BYTES)
            document = result.json()
            if not isinstance(document, dict):
                raise PermanentUpstreamError(f"POST {self.url}: expected a JSON object")
            data = document.get("data")
            errors = document.get("errors") or []
            if not isinstance(data, dict) or not isinstance(errors, list):
                said = _first_message(errors) or "no data"
                raise PermanentUpstreamError(f"POST {self.url}: {said}")
        except UpstreamError as exc:
            _log.warning("GitHub GraphQL failed (%s); using REST for %d repositories",
                         exc.message, len(repos))
            for repo in repos:
                self._errors[f"{repo.kind}:{repo.repo}"] = BatchUnavailable(exc.message)
            return
        self._spend(data.get("rateLimit"))
        failed = _errors_by_alias(errors)
        for repo in repos:
            key = f"{repo.kind}:{repo.repo}"
            try:
                if repo.alias in failed:
                    raise PermanentUpstreamError(
                        f"GitHub GraphQL: {shown(repo.repo)}: {failed[repo.alias]}"
                    )
                self._read(repo, data.get(repo.alias))
            except UpstreamError as exc:
                self._errors[key] = exc

    def _spend(self, rate: Any) -> None:
        stats = getattr(self.fetcher, "stats", None)
        cost = rate.get("cost") if isinstance(rate, dict) else None
        if stats is not None and isinstance(cost, int) and hasattr(stats, "spend"):
            stats.spend("graphql", cost)

    def _read(self, repo: _Repo, node: Any) -> None:
        where = f"GitHub GraphQL: {shown(repo.repo)}"
        if not isinstance(node, dict):
            raise PermanentUpstreamError(f"{where}: no repository in the answer")
        connection = node.get("releases" if repo.kind == "releases" else "refs")
        if not isinstance(connection, dict) or not isinstance(connection.get("nodes"), list):
            raise PermanentUpstreamError(f"{where}: no {repo.kind} connection in the answer")
        for index, item in enumerate(connection["nodes"]):
            if not isinstance(item, dict):
                raise PermanentUpstreamError(f"{where}: {repo.kind} item {index} is not an object")
            if repo.kind == "releases":
                _release(repo, item, f"{where}: release {index}")
            else:
                _tag(repo, item, f"{where}: tag {index}")
        info = connection.get("pageInfo")
        more = isinstance(info, dict) and info.get("hasNextPage") is True
        cursor = info.get("endCursor") if isinstance(info, dict) else None
        repo.pages += 1
        if not more:
            repo.cursor = None
            return
        if not isinstance(cursor, str) or not cursor or cursor == repo.cursor:
            raise PermanentUpstreamError(f"{where}: hasNextPage without a new endCursor")
        if repo.pages >= self.max_pages:
            raise PermanentUpstreamError(
                f"{where}: still more pages after {self.max_pages}; refusing to page further"
            )
        repo.cursor = cursor


def _text(item: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise PermanentUpstreamError(f"{where}: {key!r} is not a string")
    return value


def _oid(target: Any) -> str | None:
    """The commit of a ref target: a commit's own oid, an annotated tag's (peeled) target."""
    for _depth in range(4):
        if not isinstance(target, dict):
            return None
        if target.get("__typename") == "Tag" and "target" in target:
            target = target["target"]
            continue
        oid = target.get("oid")
        return oid if isinstance(oid, str) else None
    return None


def _release(repo: _Repo, item: dict[str, Any], where: str) -> None:
    tag = _text(item, "tagName", where)
    assert tag is not None
    if item.get("isDraft") is True:
        return
    repo.items.append((tag, item.get("isPrerelease") is True))
    published = _text(item, "publishedAt", where, optional=True)
    if published is not None:
        repo.published.setdefault(tag, published)
    commit = item.get("tagCommit")
    if isinstance(commit, dict) and isinstance(commit.get("oid"), str):
        repo.commits.setdefault(tag, commit["oid"])


def _tag(repo: _Repo, item: dict[str, Any], where: str) -> None:
    name = _text(item, "name", where)
    assert name is not None
    repo.items.append((name, False))
    oid = _oid(item.get("target"))
    if oid is not None:
        repo.commits.setdefault(name, oid)


def _first_message(errors: Any) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        if isinstance(message, str):
            return shown(" ".join(message.split()), 300)
    return ""


def _errors_by_alias(errors: list[Any]) -> dict[str, str]:
    """alias -> `TYPE: message` for each error whose path starts at an alias."""
    found: dict[str, str] = {}
    for error in errors:
        if not isinstance(error, dict):
            continue
        path = error.get("path")
        if not isinstance(path, list) or not path or not isinstance(path[0], str):
            continue
        kind = error.get("type") if isinstance(error.get("type"), str) else "ERROR"
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        found.setdefault(path[0], f"{kind}: {shown(' '.join(str(message).split()), 300)}")
    return found


class GraphQLFirst(Source):
    """A GitHub source that reads its listing from the run's GraphQL batch, else from REST."""

    def __init__(self, rest: Source, batch: GithubGraphQL, kind: str) -> None:
        self.rest = rest
        self.batch = batch
        self.kind = kind

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        try:
            return await self.batch.listing(component, self.kind)
        except BatchUnavailable:
            return await self.rest.list_releases(component, fetcher)


def graphql_batch(fetcher: Fetcher, *, api_url: str, max_pages: int = DEFAULT_MAX_PAGES,
                  components: Iterable[Component] = ()) -> GithubGraphQL | None:
    """The run's batch when `fetcher` holds a GitHub token and can POST, else None (REST)."""
    token = getattr(getattr(fetcher, "github", None), "token", None)
    if not token or not hasattr(fetcher, "post") or not getattr(fetcher, "live", True):
        return None
    batch = GithubGraphQL(fetcher, api_url=api_url, max_pages=max_pages)  # type: ignore[arg-type]
    batch.prepare(components)
    return batch


def with_graphql(source: Source, kind: UpstreamKind, batch: GithubGraphQL | None) -> Source:
    """`source`, reading through `batch` first when it lists GitHub releases or tags."""
    listing = {UpstreamKind.GITHUB_RELEASES: "releases", UpstreamKind.GITHUB_TAGS: "tags"}
    if batch is None or kind not in listing:
        return source
    return GraphQLFirst(source, batch, listing[kind])

"""GitHub's GraphQL API in the fake world: `POST https://api.github.com/graphql`.

Answers the aliased queries of `release.upstream.github_graphql` from the same repository data
the REST endpoints of `world.github` serve (the REST JSON of each release and tag,
converted field by field), with GitHub's behaviour where the client depends on it:

* no `Authorization`: 401 and GitHub's JSON message (GraphQL has no anonymous access);
* one `repository(owner:, name:)` per alias; an unknown repository (or one listed in
  `world.graphql.missing`) is `null` in `data` with a `NOT_FOUND` error whose `path` is the
  alias, next to the others' data;
* `releases(first:, after:)` and `refs(refPrefix: "refs/tags/", first:, after:)` with opaque
  cursors and `pageInfo { hasNextPage endCursor }`; `first` above 100 is refused
  (`EXCESSIVE_PAGINATION`), and so is a query asking for more than 500,000 nodes
  (`MAX_NODE_LIMIT_EXCEEDED`), both without data, as GitHub does;
* annotated tags (those of `ANNOTATED`) are `Tag` objects whose `target` is the commit;
* `rateLimit { cost }`: one point per 100 connections, at least 1.

The query text is matched against the shapes the client sends; anything else is a GraphQL parse
error, so a change of the client's query must come with a change here. `world.graphql.status`
makes every query fail with that HTTP status (the fallback to REST), and
`world.graphql.queries` counts the queries answered.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from world.server import Reply

if TYPE_CHECKING:
    from world.catalogue import GhRepo
    from world.fakeworld import FakeWorld
    from world.routing import _Request

GRAPHQL = "https://api.github.com/graphql"
ANNOTATED = frozenset({"kamailio/kamailio", "redis/redis"})
MAX_FIRST = 100
MAX_NODES = 500_000

_ALIAS = re.compile(
    r'\s*(?P<alias>[A-Za-z_]\w*): repository\(owner: (?P<owner>"(?:[^"\\]|\\.)*"), '
    r'name: (?P<name>"(?:[^"\\]|\\.)*")\) \{ (?P<conn>releases|refs)\((?P<args>[^)]*)\) '
    r"\{ pageInfo \{ hasNextPage endCursor \} nodes \{ (?P<fields>.*) \} \} \}"
)
_RELEASE_FIELDS = "tagName isDraft isPrerelease publishedAt tagCommit { oid }"
_TAG_FIELDS = "name target { __typename oid ... on Tag { target { __typename oid } } }"
_FIRST = re.compile(r"first: (\d+)")
_AFTER = re.compile(r'after: ("(?:[^"\\]|\\.)*")')


@dataclass(slots=True)
class GraphQLState:
    """What a test may change of the GraphQL endpoint, and what it saw."""

    status: int | None = None  # answer every query with this HTTP status (a 502, a 401)
    missing: set[str] = field(default_factory=set)  # owner/name answered NOT_FOUND
    queries: int = 0


def add_graphql(world: FakeWorld) -> GraphQLState:
    """Serve `POST /graphql` for `world`; `FakeWorld.__init__` keeps the state as `graphql`."""
    from world.faults import Role

    state = GraphQLState()

    def respond(request: _Request, _fault: object) -> Reply:
        if state.status is not None:
            return _json({"message": "Server Error"}, status=state.status)
        if "authorization" not in request.headers:
            return _json({"message": "This endpoint requires you to be authenticated.",
                          "documentation_url": "https://docs.github.com/graphql/guides/"
                          "forming-calls-with-graphql#authenticating-with-graphql"}, status=401)
        state.queries += 1
        return _json(answer(world, state, request.body))

    world._add(GRAPHQL, None, Role.LISTING, respond, method="POST")
    return state


def _json(document: Any, *, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(document, separators=(",", ":")).encode(),
                 headers={"Content-Type": "application/json; charset=utf-8",
                          "x-ratelimit-resource": "graphql"})


def _error(message: str, kind: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if kind is not None:
        error["type"] = kind
    return {"errors": [error]}


def answer(world: FakeWorld, state: GraphQLState, body: bytes) -> dict[str, Any]:
    """The JSON document GitHub would answer to the query in `body`."""
    try:
        query = json.loads(body)["query"]
    except (ValueError, KeyError, TypeError):
        return _error("Problems parsing JSON")
    lines = [line for line in query.splitlines() if line.strip()]
    if lines[:2] != ["query {", "  rateLimit { cost remaining resetAt }"] or lines[-1] != "}":
        return _error(f"Parse error on {lines[:1]!r}")
    repos = {repo.repo: repo for repo in world.repos}
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    asked: list[tuple[str, str, str, str, int, int]] = []
    for line in lines[2:-1]:
        match = _ALIAS.fullmatch(line)
        if match is None:
            return _error(f"Parse error on {line.strip()[:60]!r}")
        conn = match["conn"]
        wanted = _RELEASE_FIELDS if conn == "releases" else _TAG_FIELDS
        if match["fields"] != wanted:
            return _error(f"Field selection not served by the fake world: {match['fields']!r}")
        first = _FIRST.search(match["args"])
        if first is None:
            return _error(f"You must provide a `first` or `last` value to properly paginate "
                          f"the `{conn}` connection.", "MISSING_PAGINATION_BOUNDARIES")
        count = int(first[1])
        if count > MAX_FIRST:
            return _error(f"Requesting {count} records on the `{conn}` connection exceeds the "
                          f"`first` limit of {MAX_FIRST} records.", "EXCESSIVE_PAGINATION")
        after = _AFTER.search(match["args"])
        offset = _offset(json.loads(after[1])) if after is not None else 0
        owner, name = json.loads(match["owner"]), json.loads(match["name"])
        asked.append((match["alias"], f"{owner}/{name}", conn, match["args"], count, offset))
    nodes = sum(1 + count for *_rest, count, _offset_ in asked)
    if nodes > MAX_NODES:
        return _error(f"By the time this query traverses to the nodes connection, it is "
                      f"requesting up to {nodes:,} possible nodes which exceeds the maximum "
                      f"limit of {MAX_NODES:,}.", "MAX_NODE_LIMIT_EXCEEDED")
    for line_number, (alias, full, conn, _args, count, offset) in enumerate(asked, start=3):
        repo = repos.get(full)
        if repo is None or full in state.missing:
            data[alias] = None
            errors.append({"type": "NOT_FOUND", "path": [alias],
                           "locations": [{"line": line_number, "column": 3}],
                           "message": f"Could not resolve to a Repository with the name "
                           f"'{full}'."})
            continue
        items = _releases(world, repo) if conn == "releases" else _tags(world, repo)
        page = items[offset:offset + count]
        more = offset + count < len(items)
        data[alias] = {("releases" if conn == "releases" else "refs"): {
            "pageInfo": {"hasNextPage": more,
                         "endCursor": _cursor(offset + len(page)) if page else None},
            "nodes": page,
        }}
    data["rateLimit"] = {"cost": max(1, round(len(asked) / 100)), "remaining": 4990,
                         "resetAt": "2026-09-16T15:00:00Z"}
    document: dict[str, Any] = {"data": data}
    if errors:
        document["errors"] = errors
    return document


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _releases(world: FakeWorld, repo: GhRepo) -> list[dict[str, Any]]:
    """The REST release JSON of `repo` (drafts included: GraphQL callers are authenticated)."""
    from world.catalogue import GhRelease

    extra = world._extra(repo.component) if repo.source == "releases" else ()
    injected = [GhRelease(tag=t, day="2026-09-15", title=t) for t in extra]
    out = []
    for release in (*injected, *repo.releases):
        rest = world._release_json(repo, release)
        out.append({
            "tagName": rest["tag_name"], "isDraft": rest["draft"],
            "isPrerelease": rest["prerelease"], "publishedAt": rest["published_at"],
            "tagCommit": None if rest["draft"] else {"oid": world._tag_sha(repo, release.tag)},
        })
    return out


def _tags(world: FakeWorld, repo: GhRepo) -> list[dict[str, Any]]:
    """The REST tag JSON of `repo`, as refs; the tags of `ANNOTATED` repos are Tag objects."""
    extra = world._extra(repo.component) if repo.source == "tags" else ()
    out = []
    for tag in (*extra, *repo.tags):
        rest = world._tag_json(repo, tag)
        commit = {"__typename": "Commit", "oid": rest["commit"]["sha"]}
        target: dict[str, Any] = commit
        if repo.repo in ANNOTATED:
            tag_object = json.dumps([repo.repo, tag]).encode()
            target = {"__typename": "Tag", "oid": hashlib.sha256(tag_object).hexdigest()[:40],
                      "target": commit}
        out.append({"name": rest["name"], "target": target})
    return out

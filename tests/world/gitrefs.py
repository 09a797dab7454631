"""`GET https://api.github.com/repos/{repo}/git/refs/tags` in the fake world (what nvchecker's
`use_max_tag` reads), from the same tags the REST `/tags` listing serves, in one answer.

Only the side-by-side benchmark (benchmarks/check_bench.py) asks for it: this project lists
tags with `/tags` or GraphQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.catalogue import GhRepo
    from world.fakeworld import FakeWorld
    from world.faults import Fault
    from world.routing import _Request
    from world.server import Reply


def add_gitrefs(world: FakeWorld) -> None:
    """Serve `git/refs/tags` of every GitHub repository of `world`."""
    from world.faults import Role
    from world.github import GITHUB_API

    for repo in world.repos:
        world._add(f"{GITHUB_API}/repos/{repo.repo}/git/refs/tags", repo.component, Role.OTHER,
                   _responder(world, repo))


def _responder(world: FakeWorld, repo: GhRepo) -> Callable[[_Request, Fault | None], Reply]:
    from world.github import GITHUB_API, _gh_headers
    from world.replies import _json

    def respond(request: _Request, _fault: Fault | None) -> Reply:
        refs = []
        for tag in (*world._extra(repo.component), *repo.tags):
            sha = world._tag_sha(repo, tag)
            refs.append({
                "ref": f"refs/tags/{tag}",
                "url": f"{GITHUB_API}/repos/{repo.repo}/git/refs/tags/{tag}",
                "object": {"sha": sha, "type": "commit",
                           "url": f"{GITHUB_API}/repos/{repo.repo}/git/commits/{sha}"},
            })
        return _json(refs, headers=_gh_headers(request))

    return respond

"""Publish dates of git tags that carry none: the committer date of the tag's commit.

GitHub tag listings (and `git ls-remote`) give names only. For a component behind a
release-age gate, the few tags that could become its candidate are dated by
`GET {api}/repos/{repo}/commits/{tag}` (`commit.committer.date`), one request each.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from release.upstream.common import shown_url
from release.upstream.errors import PermanentUpstreamError
from release.upstream.github import API_HEADERS, DEFAULT_API_URL, repo_url
from release.upstream.interface import Fetcher


def commit_date(data: Any, url: str) -> str:
    commit = data.get("commit") if isinstance(data, dict) else None
    committer = commit.get("committer") if isinstance(commit, dict) else None
    date = committer.get("date") if isinstance(committer, dict) else None
    if not isinstance(date, str):
        raise PermanentUpstreamError(f"{shown_url(url)}: no commit.committer.date")
    return date


async def tag_date(
    fetcher: Fetcher, *, repo: str | None, tag: str, api_url: str = DEFAULT_API_URL
) -> str:
    """The committer date of the commit `tag` points at (ISO timestamp)."""
    url = repo_url(api_url, repo, "commits", quote(tag, safe=""))
    result = await fetcher.get(url, headers=API_HEADERS, max_bytes=1024 * 1024)
    return commit_date(result.json(), result.url)

"""Where this repository lives: its `origin` remote, without credentials.

One home for reading the remote and for dropping the credentials a remote URL may carry
(`https://user:token@host/...`): the image provenance records the remote as git has it
(`without_credentials`), the release notes and `bom diff` need the repository's web page
(`web_url`), and GitHub Actions names it in its environment (`actions_url`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import git

# The userinfo of a URL with a scheme: everything up to the authority's last `@`.
_USERINFO = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)[^/]*@", re.IGNORECASE)
_SCP_LIKE = re.compile(r"(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)")


def without_credentials(url: str) -> str:
    """`url` with the user and password of a `scheme://user:password@host/...` URL dropped."""
    return _USERINFO.sub(r"\g<scheme>", url)


def origin_remote(repo: git.Repo) -> str | None:
    """The URL of `repo`'s `origin` remote as git uses it (credentials kept!), or None."""
    try:
        urls = list(repo.remote("origin").urls)
    except (ValueError, git.GitCommandError):
        return None
    return urls[0] if urls else None


def web_url(remote: str) -> str | None:
    """The https URL of a repository from its git remote (ssh, scp-like or https), or None.

    Credentials in the remote URL are dropped: they must never reach the notes.
    """
    remote = without_credentials(remote.strip())
    if remote.startswith(("https://", "http://", "ssh://", "git://")):
        scheme, _, rest = remote.partition("://")
        host, _, path = rest.partition("/")
        if scheme not in ("http", "https"):
            host = host.split(":")[0]
    else:
        m = _SCP_LIKE.fullmatch(remote)
        if m is None:
            return None
        host, path = m.group("host"), m.group("path")
    path = path.removesuffix("/").removesuffix(".git")
    if not host or path.count("/") != 1:
        return None
    return f"https://{host}/{path}"


def origin_url(root: Path) -> str | None:
    """The https URL of the `origin` remote of the repository at `root` (credentials dropped),
    or None (no repository, no origin, a URL that names no repository)."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    remote = origin_remote(repo)
    return web_url(remote) if remote else None


def actions_url(env: Mapping[str, str]) -> str | None:
    """The repository's URL from GitHub Actions' `GITHUB_SERVER_URL` and `GITHUB_REPOSITORY`."""
    server, name = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY")
    return f"{server.rstrip('/')}/{name}" if server and name else None

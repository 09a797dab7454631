"""Committing a refresh on a new branch with gitpython (for `refresh --commit`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import git

from release.errors import InvalidInput, ReleaseError


def open_repo(root: Path) -> git.Repo:
    try:
        return git.Repo(root, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InvalidInput(f"{root}: not a git repository; --commit needs one") from None


def ensure_clean(root: Path) -> None:
    """Refuse to run on a dirty tree: the refresh commit must hold only the refresh."""
    repo = open_repo(root)
    if repo.is_dirty(untracked_files=True):
        diffs = list(repo.index.diff(None))
        if repo.head.is_valid():
            diffs += list(repo.index.diff("HEAD"))
        changed = {d.a_path for d in diffs if d.a_path} | set(repo.untracked_files)
        shown = ", ".join(sorted(changed)[:5])
        raise InvalidInput(
            f"the working tree has uncommitted changes ({shown}); commit or stash them before "
            "refresh --commit"
        )


def branch_name(repo: git.Repo, today: dt.date) -> str:
    base = f"refresh/{today.isoformat()}"
    existing = {h.name for h in repo.heads}
    if base not in existing:
        return base
    n = 2
    while f"{base}-{n}" in existing:
        n += 1
    return f"{base}-{n}"


def commit_on_branch(
    root: Path, paths: Sequence[str], message: str, *, today: dt.date
) -> tuple[str, str]:
    """Create `refresh/YYYY-MM-DD` from HEAD, commit `paths` there; return (branch, sha)."""
    repo = open_repo(root)
    name = branch_name(repo, today)
    try:
        branch = repo.create_head(name)
        branch.checkout()
        repo.index.add(list(paths))
        commit = repo.index.commit(message)
    except git.GitCommandError as exc:
        raise ReleaseError(f"git: {exc.stderr.strip() or exc}") from None
    return name, commit.hexsha

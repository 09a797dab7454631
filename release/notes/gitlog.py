"""The git edge of the release notes (gitpython): refs, commits, files at a ref, changed paths.

git errors are translated here into `InvalidInput` (a ref that does not exist, a shallow clone
without the previous release tag) with a hint; nothing else in the notes talks to git.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import git

from release.errors import InvalidInput
from release.gitremote import actions_url, origin_remote, web_url
from release.notes.changelog import RawCommit

RELEASE_TAGS = "v*"


@dataclass(frozen=True, slots=True, kw_only=True)
class Range:
    """The commits `from_sha..to_sha`; the labels are what the user (or the default) named.

    `from_sha` and `from_label` are None for the first release (no `v*` tag before `to`): the
    range is then the whole history up to `to`, root commit included.
    """

    from_label: str | None
    from_sha: str | None
    to_label: str
    to_sha: str
    to_date: dt.date

    @property
    def first_release(self) -> bool:
        return self.from_sha is None

    @property
    def revisions(self) -> str:
        """The `git log` revision range of the commits."""
        return self.to_sha if self.from_sha is None else f"{self.from_sha}..{self.to_sha}"


def open_repository(root: Path) -> git.Repo:
    try:
        return git.Repo(root, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InvalidInput(
            f"{root}: not a git repository; the release notes read its history"
        ) from None


def _commit(repo: git.Repo, ref: str) -> git.Commit:
    if ref.startswith("-"):
        raise InvalidInput(f"{ref!r} is not a git ref")
    try:
        return repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError):
        raise InvalidInput(
            f"{ref!r} is not a commit, branch or tag of this repository",
            hint="git tag --list 'v*' shows the release tags",
        ) from None


def tag_names(root: Path) -> list[str] | None:
    """Every tag name of the repository at `root`; None when `root` is not in a git repository."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        return [line.strip() for line in repo.git.tag("--list").splitlines() if line.strip()]
    except git.GitCommandError as exc:
        raise InvalidInput(f"git tag --list failed in {root}: {exc.stderr.strip()}") from None


def previous_release_tag(repo: git.Repo, to: git.Commit) -> str | None:
    """The newest `v*` tag reachable from `to`'s first parent (so a tagged `to` is skipped)."""
    if not to.parents:
        return None
    try:
        described = repo.git.describe(
            "--tags", "--abbrev=0", f"--match={RELEASE_TAGS}", to.parents[0].hexsha
        )
    except git.GitCommandError:
        return None
    return str(described).strip() or None


def is_shallow(repo: git.Repo) -> bool:
    return str(repo.git.rev_parse("--is-shallow-repository")).strip() == "true"


def resolve_range(repo: git.Repo, from_ref: str | None, to_ref: str | None) -> Range:
    """Resolve `--from`/`--to`; the defaults are the last `v*` tag before `to`, and HEAD.

    Without `--from` and without a `v*` tag before `to`, `to` is the first release: the range is
    its whole history. A shallow clone may only be missing the tag, so it is refused instead.
    """
    to_label = to_ref or "HEAD"
    to = _commit(repo, to_label)
    date = to.committed_datetime.astimezone(dt.UTC).date()
    if from_ref is None:
        from_ref = previous_release_tag(repo, to)
        if from_ref is None:
            if is_shallow(repo):
                raise InvalidInput(
                    f"no release tag ({RELEASE_TAGS}) before {to_label} in this shallow clone; "
                    "the previous release may be in the history it lacks",
                    hint="fetch the whole history and the tags (git fetch --unshallow --tags; "
                    "actions/checkout: fetch-depth: 0), or name the previous release with --from",
                )
            return Range(
                from_label=None, from_sha=None, to_label=to_label, to_sha=to.hexsha, to_date=date,
            )
    start = _commit(repo, from_ref)
    if not repo.is_ancestor(start, to):
        raise InvalidInput(
            f"{from_ref} is not an ancestor of {to_label}; the notes list the commits between them"
        )
    return Range(
        from_label=from_ref, from_sha=start.hexsha, to_label=to_label, to_sha=to.hexsha,
        to_date=date,
    )


def read_commits(repo: git.Repo, span: Range) -> tuple[RawCommit, ...]:
    """Every commit of the range, newest first, merges with the commits they brought in."""
    commits = list(repo.iter_commits(span.revisions))
    in_range = {c.hexsha for c in commits}
    result: list[RawCommit] = []
    for commit in commits:
        message = _text(commit.message)
        subject, _, body = message.partition("\n")
        merged: tuple[str, ...] = ()
        if len(commit.parents) > 1:
            first, second = commit.parents[0], commit.parents[1]
            merged = tuple(
                c.hexsha for c in repo.iter_commits(f"{first.hexsha}..{second.hexsha}")
                if c.hexsha in in_range
            )
        result.append(RawCommit(
            sha=commit.hexsha,
            subject=subject.strip(),
            body=body.strip("\n"),
            author_name=commit.author.name or "",
            author_email=commit.author.email or "",
            parents=tuple(p.hexsha for p in commit.parents),
            merged=merged,
        ))
    return tuple(result)


def _text(message: str | bytes) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else message


def read_file(repo: git.Repo, sha: str, path: str) -> str | None:
    """The text of `path` at commit `sha`, or None when it does not exist there."""
    try:
        blob = repo.commit(sha).tree / path
    except KeyError:
        return None
    data: bytes = blob.data_stream.read()
    return data.decode("utf-8", "replace")


def changed_paths(repo: git.Repo, span: Range) -> tuple[str, ...]:
    """Paths that differ between the two ends of the range (renames count on both sides); for
    the first release, every path of `to`'s tree."""
    if span.from_sha is None:
        listed = str(repo.git.ls_tree("-r", "--name-only", "-z", span.to_sha))
        return tuple(sorted(p for p in listed.split("\0") if p))
    diffs = repo.commit(span.from_sha).diff(span.to_sha)
    paths = {p for d in diffs for p in (d.a_path, d.b_path) if p}
    return tuple(sorted(paths))


def repository_url(repo: git.Repo | None, env: Mapping[str, str], given: str | None) -> str | None:
    """Where commit and PR links point: `--repo-url`, then `DELPHI_REPOSITORY_URL`, then GitHub
    Actions' `GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`, then the `origin` remote; else no links."""
    explicit = given or env.get("DELPHI_REPOSITORY_URL")
    if explicit:
        return explicit.rstrip("/")
    from_actions = actions_url(env)
    if from_actions is not None:
        return from_actions
    remote = origin_remote(repo) if repo is not None else None
    return web_url(remote) if remote else None

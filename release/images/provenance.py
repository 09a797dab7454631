"""Where a build comes from: the git commit (and whether the tree matches it), the source URL
and the creation time. Read once by the CLI and passed into the pure plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import git

from release.errors import InvalidInput
from release.gitremote import actions_url, origin_remote, without_credentials
from release.images.plan import IMAGES_DIR, Provenance
from release.manifest.model import MANIFEST

UNKNOWN_REVISION = "unknown"


def read_provenance(
    root: Path,
    environ: Mapping[str, str],
    *,
    source: str | None = None,
    now: dt.datetime | None = None,
) -> Provenance:
    """The commit of `root`'s repository, dirty when `versions.yaml` or `images/` differ from it.

    Outside a git repository the revision is `unknown` (fine for a plan or a local build; a push
    refuses it). `source` defaults to the GitHub Actions repository URL, else to the `origin`
    remote (without any credentials written in it). `created` is `SOURCE_DATE_EPOCH` when set,
    else the commit's committer time (`git log -1 --format=%ct`), so two builds of one commit
    get the same labels and plan; only outside a git repository is it now.
    """
    revision, dirty, remote = UNKNOWN_REVISION, False, None
    committed: dt.datetime | None = None
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        repo = None
    if repo is not None and repo.head.is_valid():
        revision = repo.head.commit.hexsha
        committed = dt.datetime.fromtimestamp(repo.head.commit.committed_date, tz=dt.UTC)
        work = Path(repo.working_tree_dir or root).resolve()
        paths = [
            (root.resolve() / p).relative_to(work).as_posix() for p in (MANIFEST, IMAGES_DIR)
        ]
        dirty = any(repo.is_dirty(untracked_files=True, path=p) for p in paths)
        origin = origin_remote(repo)
        remote = without_credentials(origin) if origin else None
    if source is None:
        source = actions_url(environ) or remote
    return Provenance(
        revision=revision, dirty=dirty, source=source,
        created=_created(environ, committed or now),
    )


def _created(environ: Mapping[str, str], fallback: dt.datetime | None) -> str:
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise InvalidInput(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
    else:
        moment = fallback or dt.datetime.now(tz=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

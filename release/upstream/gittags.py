"""Git tags of any remote, listed with `git ls-remote --tags --refs` (through gitpython).

Works for any remote git can reach (`https://`, `ssh://`, `git://`, `file://`). The call is
synchronous, so it runs in a worker thread and other checks go on meanwhile; it is killed after
`timeout` seconds. Tags carry no dates and no pre-release flag here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from release.manifest.model import Component
from release.upstream.common import shown, shown_url
from release.upstream.errors import PermanentUpstreamError, RetryableUpstreamError, UpstreamError
from release.upstream.interface import Fetcher, Listing, Source, classify_tags

if TYPE_CHECKING:  # gitpython costs ~40 ms to import; only a run listing git tags needs it
    import git

DEFAULT_TIMEOUT = 120.0
ALLOWED_SCHEMES = ("https", "http", "ssh", "git", "file")
# Never let git stop and ask for a password on a terminal: fail instead (credential helpers
# and GIT_ASKPASS still work).
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0"}
_REF_LINE = re.compile(r"(?P<sha>[0-9a-f]{40}|[0-9a-f]{64})\t(?P<ref>\S.*)")
# git's messages for failures worth retrying (network trouble, a killed call).
_RETRYABLE = (
    "timeout:",
    "could not resolve host",
    "connection timed out",
    "connection refused",
    "connection reset",
    "temporary failure",
    "operation timed out",
    "the remote end hung up unexpectedly",
    "early eof",
    "http 5",
    "returned error: 5",
)

GitFactory = Callable[[], "git.cmd.Git"]


def parse_ls_remote(output: str, remote: str) -> list[str]:
    """Tag names from `git ls-remote --tags --refs` output (`<sha>\\trefs/tags/<name>` lines)."""
    names: list[str] = []
    for number, line in enumerate(output.splitlines(), start=1):
        if not line.strip():
            continue
        match = _REF_LINE.fullmatch(line)
        if match is None:
            raise PermanentUpstreamError(
                f"{shown_url(remote)}: line {number} of git ls-remote output is not "
                f"'<sha>\\t<ref>': {shown(line, 120)!r}"
            )
        ref = match.group("ref")
        if ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            names.append(ref.removeprefix("refs/tags/"))
    return names


def git_stderr(exc: git.exc.CommandError) -> str:
    """The first non-empty line git wrote to stderr (gitpython wraps it in `stderr: '...'`)."""
    text = exc.stderr or ""
    prefix = "\n  stderr: '"
    if text.startswith(prefix):
        text = text.removeprefix(prefix).removesuffix("'")
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def check_remote(url: str | None) -> str:
    """The remote URL, if it is one git may be pointed at (no options, no `ext::` helpers)."""
    if not url:
        raise PermanentUpstreamError("upstream.url is not set (a git remote URL is needed)")
    scheme = urlsplit(url).scheme.lower()
    if url.startswith("-") or scheme not in ALLOWED_SCHEMES or "::" in url.split("/", 1)[0]:
        raise PermanentUpstreamError(
            f"{shown_url(url)!r} is not a git remote URL this tool uses "
            f"({', '.join(s + '://' for s in ALLOWED_SCHEMES)})"
        )
    return url


def translate(exc: git.exc.GitError, remote: str) -> UpstreamError:
    """Turn a gitpython exception into this project's: retryable for network trouble."""
    import git  # noqa: PLC0415 - lazy: see the TYPE_CHECKING import

    if isinstance(exc, git.exc.GitCommandNotFound):
        return PermanentUpstreamError(
            f"{shown_url(remote)}: git is not installed (needed to list its tags)",
            hint="install git, or set GIT_PYTHON_GIT_EXECUTABLE",
        )
    line = git_stderr(exc) if isinstance(exc, git.exc.CommandError) else str(exc)
    message = f"{shown_url(remote)}: git ls-remote failed: {shown(line) or 'no message'}"
    if any(marker in line.lower() for marker in _RETRYABLE):
        return RetryableUpstreamError(message)
    return PermanentUpstreamError(message)


class GitTags(Source):
    """Tags of the git remote `component.upstream.url`.

    `git` builds the `git.cmd.Git` to run (injectable for tests); `timeout` bounds one call.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, git: GitFactory | None = None) -> None:
        self.timeout = timeout
        self._git: GitFactory = git or _default_git

    def ls_remote(self, url: str) -> str:
        """Run `git ls-remote --tags --refs -- <url>` (blocking) and return its output."""
        import git  # noqa: PLC0415 - lazy: see the TYPE_CHECKING import

        remote = check_remote(url)
        try:
            output = self._git().ls_remote(
                "--tags", "--refs", "--", remote,
                kill_after_timeout=self.timeout, env=GIT_ENV,
            )
        except git.exc.GitError as exc:
            raise translate(exc, remote) from None
        return str(output)

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        del fetcher  # git talks to the remote itself
        url = check_remote(component.upstream.url)
        output = await asyncio.to_thread(self.ls_remote, url)
        return classify_tags(component, [(name, False) for name in parse_ls_remote(output, url)])


def _default_git() -> git.cmd.Git:
    import git  # noqa: PLC0415 - lazy: see the TYPE_CHECKING import

    return git.cmd.Git()

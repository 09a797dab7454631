"""The repository's remote, without credentials: one helper for provenance, notes and bom diff."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from release.gitremote import actions_url, web_url, without_credentials
from release.images.provenance import read_provenance


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x-access-token:ghs_abc@github.com/o/r.git", "https://github.com/o/r.git"),
    ("https://user:p@ss@github.com/o/r", "https://github.com/o/r"),  # an @ in the password
    ("ssh://git@github.com:22/o/r.git", "ssh://github.com:22/o/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),  # scp-like: a user, no password
    ("https://github.com/o/r", "https://github.com/o/r"),
])
def test_without_credentials(url: str, expected: str) -> None:
    assert without_credentials(url) == expected


@pytest.mark.parametrize(("remote", "expected"), [
    ("https://x-access-token:ghs_abc@github.com/o/r.git", "https://github.com/o/r"),
    ("https://user:p@ss@ghe.example:8443/o/r/", "https://ghe.example:8443/o/r"),
    ("ssh://git@github.com:22/o/r.git", "https://github.com/o/r"),
    ("git@github.com:o/r.git", "https://github.com/o/r"),
    ("git://github.com/o/r", "https://github.com/o/r"),
    ("/srv/git/r.git", None),
    ("https://github.com/o", None),
])
def test_web_url(remote: str, expected: str | None) -> None:
    assert web_url(remote) == expected


def test_actions_url() -> None:
    env = {"GITHUB_SERVER_URL": "https://ghe.example/", "GITHUB_REPOSITORY": "ops/delphi"}
    assert actions_url(env) == "https://ghe.example/ops/delphi"
    assert actions_url({"GITHUB_REPOSITORY": "ops/delphi"}) is None


def test_provenance_source_is_the_origin_without_credentials(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path)
    actor = git.Actor("Test", "test@example.invalid")
    repo.index.commit("one", author=actor, committer=actor)
    repo.create_remote("origin", "https://x-access-token:gh@s_x@github.example/acme/delphi.git")
    assert read_provenance(tmp_path, {}).source == "https://github.example/acme/delphi.git"
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/delphi"}
    assert read_provenance(tmp_path, env).source == "https://github.com/acme/delphi"

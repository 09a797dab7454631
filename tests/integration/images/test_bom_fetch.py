"""`bom diff` with a release whose bill of materials is not in the tree: fetched from its GitHub
release (a real HTTP server on 127.0.0.1 playing the GitHub API), checked, and kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from world.server import UpstreamServer

from release.cli import main

pytestmark = pytest.mark.integration

REPO = "acme/delphi-release"
RELEASE_PATH = f"/repos/{REPO}/releases/tags/v2026.11.0"
ASSET_PATH = "/api/assets/7001"


def _bom(release: str, redis: str) -> bytes:
    return (json.dumps({
        "schema": 1, "release": release, "commit": "c0ffee" * 6 + "c0ff", "dirty": False,
        "registry": None, "complete": True,
        "components": [{"name": "redis", "version": redis, "source": {"kind": "github-tags"}}],
        "images": [],
    }, indent=2) + "\n").encode()


OLD = _bom("2026.11.0", "8.2.2")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_server: UpstreamServer) -> Path:
    root = tmp_path / "repo"
    (root / "releases").mkdir(parents=True)
    (root / "versions.yaml").write_text("release: 2026.12.0\n")
    (root / "releases" / "2026.12.0.json").write_bytes(_bom("2026.12.0", "8.2.3"))
    monkeypatch.setenv("GITHUB_API_URL", upstream_server.url)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    return root


def _publish(server: UpstreamServer, body: bytes, *, digest: str | None = None,
             name: str = "delphi-2026.11.0-bom.json") -> None:
    asset = {"name": name, "url": server.url + ASSET_PATH,
             "browser_download_url": f"https://github.com/{REPO}/releases/download/v2026.11.0/"
             f"{name}", "digest": digest or "sha256:" + hashlib.sha256(body).hexdigest()}
    server.route("GET", RELEASE_PATH, json={"tag_name": "v2026.11.0", "assets": [asset]})
    server.route("GET", ASSET_PATH, body=body,
                 headers={"Content-Type": "application/octet-stream"})


def _diff(root: Path) -> int:
    return main(["bom", "diff", "2026.11.0", "2026.12.0", "--root", str(root), "--repo", REPO])


def test_a_missing_bom_is_fetched_from_the_github_release_and_kept(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    _publish(upstream_server, OLD)
    assert _diff(root) == 0
    out, err = capsys.readouterr()
    assert "bom: releases/2026.11.0.json fetched from acme/delphi-release release v2026.11.0" in err
    assert out == ("bom diff: 2026.11.0 (c0ffeec0ffee) -> 2026.12.0 (c0ffeec0ffee)\n"
                   "components: 1 changed\n  redis: 8.2.2 -> 8.2.3\nimages: 0 changed\n")
    assert (root / "releases" / "2026.11.0.json").read_bytes() == OLD
    asset = upstream_server.requests_to(ASSET_PATH)
    assert [r.headers.get("accept") for r in asset] == ["application/octet-stream"]
    # Kept: the next diff reads the file and asks nobody.
    assert _diff(root) == 0
    assert capsys.readouterr().out == out
    assert upstream_server.hits(RELEASE_PATH) == 1


def test_an_asset_that_is_not_the_published_file_is_refused(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = "sha256:" + hashlib.sha256(OLD).hexdigest()
    _publish(upstream_server, OLD.replace(b"8.2.2", b"6.6.6"), digest=recorded)
    assert _diff(root) == 1
    tampered = hashlib.sha256(OLD.replace(b"8.2.2", b"6.6.6")).hexdigest()
    assert capsys.readouterr().err.splitlines() == [
        f"error: {REPO} release v2026.11.0: asset delphi-2026.11.0-bom.json is sha256:{tampered},"
        f" but GitHub records {recorded} for it: refusing a download that is not the published "
        "file",
    ]
    assert not (root / "releases" / "2026.11.0.json").exists()


def test_no_such_release_is_invalid_input(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    upstream_server.route("GET", RELEASE_PATH, status=404, json={"message": "Not Found"})
    assert _diff(root) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: no bill of materials for 2026.11.0: not in releases/2026.11.0.json, and "
        "acme/delphi-release has no GitHub release v2026.11.0",
        "hint: name a file instead, or pass --repo OWNER/NAME",
    ]


def test_a_release_without_the_asset_names_what_it_has(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    _publish(upstream_server, OLD, name="notes.md")
    assert _diff(root) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: acme/delphi-release release v2026.11.0 has no asset delphi-2026.11.0-bom.json "
        "(assets: notes.md)")


def test_an_asset_of_another_release_is_refused(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    _publish(upstream_server, _bom("2026.10.0", "8.2.1"))
    assert _diff(root) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: acme/delphi-release release v2026.11.0: asset delphi-2026.11.0-bom.json is the "
        "bill of materials of 2026.10.0, not 2026.11.0",
    ]
    assert not (root / "releases" / "2026.11.0.json").exists()


def test_no_fetch_stays_in_the_tree(
    root: Path, upstream_server: UpstreamServer, capsys: pytest.CaptureFixture[str],
) -> None:
    _publish(upstream_server, OLD)
    assert main(["bom", "diff", "2026.11.0", "2026.12.0", "--root", str(root),
                 "--no-fetch"]) == 2
    assert "no bill of materials '2026.11.0'" in capsys.readouterr().err
    assert upstream_server.requests == []


def test_the_release_workflow_attaches_the_asset_under_the_name_bom_diff_asks_for() -> None:
    from release.images.bom_fetch import asset_name

    workflow = (Path(__file__).resolve().parents[3] / ".github/workflows/release.yml").read_text()
    assert asset_name("$VERSION") == "delphi-$VERSION-bom.json"
    assert 'bom="$RUNNER_TEMP/delphi-$VERSION-bom.json"' in workflow

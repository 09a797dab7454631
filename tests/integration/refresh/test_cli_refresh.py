"""check and refresh through the CLI, offline, replaying the recorded upstream run.

The recording under tests/data/replay holds real upstream URLs (made by scripts/record_demo.py
against the fake upstream world); replay opens no connection at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import git
import pytest
from world import FakeWorld

from release.cli import main
from release.pins.actions import action_uses

REPO = Path(__file__).resolve().parents[3]
REPLAY = REPO / "tests" / "data" / "replay"
TODAY = "2026-11-26"
WORKFLOWS = (".github/workflows/ci.yml", ".github/workflows/refresh.yml",
             ".github/workflows/release.yml")

pytestmark = pytest.mark.integration


def uses(root: Path) -> dict[str, set[str]]:
    """Every action the workflows use -> the set of `<ref> # <version>` they pin it at."""
    found: dict[str, set[str]] = {}
    for name in WORKFLOWS:
        for _line, action, ref, version in action_uses((root / name).read_text()):
            found.setdefault(action, set()).add(f"{ref} # {version}")
    return found


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts
    }


def refresh(root: Path, *extra: str) -> int:
    return main(["refresh", "--root", str(root), "--replay", str(REPLAY), "--today", TODAY,
                 "--no-cache", *extra])


def test_check_json_is_one_document(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--root", str(tree), "--replay", str(REPLAY), "--json", "--today",
                 TODAY, "--no-cache"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert code == 0
    assert doc["ok"] is True
    names = [c["name"] for c in doc["components"]]
    assert names == [line.strip()[:-1] for line in (tree / "versions.yaml").read_text().splitlines()
                     if line.startswith("  ") and not line.startswith("   ")
                     and line.strip().endswith(":") and not line.strip().startswith("#")]
    statuses = {c["name"]: c["status"] for c in doc["components"]}
    assert set(statuses.values()) <= {"current", "update"}
    assert "update" in statuses.values()


def test_check_writes_the_github_step_summary(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", "--root", str(tree), "--replay", str(REPLAY), "--today", TODAY,
                 "--no-cache"]) == 0
    text = summary.read_text()
    assert text.startswith("### Upstream check\n\n| component | pinned | candidate |")
    assert "| asterisk | 22.10.1 |" in text


def test_refresh_dry_run_writes_nothing(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    assert refresh(tree, "--dry-run") == 0
    assert snapshot(tree) == before
    out = capsys.readouterr().out
    assert out.startswith("--- a/")
    assert "+++ b/versions.yaml" in out
    checkout = FakeWorld().commit_for("actions/checkout", "v6.0.2")
    assert "+++ b/.github/workflows/ci.yml" in out
    assert f"+      - uses: actions/checkout@{checkout} # v6.0.2\n" in out


def test_refresh_applies_then_changes_nothing_the_second_time(tree: Path) -> None:
    before = snapshot(tree)
    assert refresh(tree) == 0
    after = snapshot(tree)
    assert after != before
    assert main(["verify", "--root", str(tree)]) == 0
    assert refresh(tree) == 0
    assert snapshot(tree) == after


def test_refresh_moves_the_action_pins_to_the_new_tags_commits(tree: Path) -> None:
    before = uses(tree)
    world = FakeWorld()
    assert refresh(tree) == 0
    after = uses(tree)
    new = {"actions/checkout": f"{world.commit_for('actions/checkout', 'v6.0.2')} # v6.0.2",
           "actions/setup-python":
               f"{world.commit_for('actions/setup-python', 'v6.2.0')} # v6.2.0"}
    assert after == {action: {new[action]} if action in new else refs
                     for action, refs in before.items()}
    assert before["actions/checkout"] == {"8e8c483db84b4bee98b60c0593521ed34d9990e8 # v6.0.1"}
    text = (tree / "versions.yaml").read_text()
    assert f"commit: {world.commit_for('actions/checkout', 'v6.0.2')}\n" in text
    assert main(["verify", "--root", str(tree)]) == 0


@pytest.mark.parametrize(("only", "files"), [
    ("postgresql", {"images/postgres/Dockerfile", "versions.yaml"}),
    ("actions-checkout", {"versions.yaml", *WORKFLOWS}),
    ("actions-setup-python", {"versions.yaml", *WORKFLOWS}),
])
def test_refresh_only_one_component(tree: Path, only: str, files: set[str]) -> None:
    before = snapshot(tree)
    assert refresh(tree, "--only", only) == 0
    changed = {k for k in before if before[k] != snapshot(tree)[k]}
    assert changed == files
    assert main(["verify", "--root", str(tree)]) == 0


def test_unknown_only_is_bad_usage(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refresh(tree, "--only", "postgres") == 2
    assert "--only: no component 'postgres' in versions.yaml" in capsys.readouterr().err


def _git_tree(tree: Path) -> git.Repo:
    repo = git.Repo.init(tree)
    with repo.config_writer() as config:
        config.set_value("user", "name", "test")
        config.set_value("user", "email", "test@example.invalid")
    repo.index.add(list(snapshot(tree)))
    repo.index.commit("initial")
    return repo


def test_refresh_commit_on_a_new_branch(tree: Path) -> None:
    repo = _git_tree(tree)
    assert refresh(tree, "--commit") == 0
    assert repo.active_branch.name == f"refresh/{TODAY}"
    message = str(repo.head.commit.message)
    assert message.startswith("refresh: update ")
    assert "- asterisk 22.10.1 -> " in message
    assert not repo.is_dirty(untracked_files=True)


def test_refresh_commit_refuses_a_dirty_tree(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git_tree(tree)
    (tree / "notes.txt").write_text("work in progress\n")
    before = snapshot(tree)
    assert refresh(tree, "--commit") == 2
    assert snapshot(tree) == before
    assert "uncommitted changes (notes.txt)" in capsys.readouterr().err


def test_replay_of_a_missing_recording_is_a_clear_error(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--root", str(tree), "--replay", str(tmp_path / "nope"), "--no-cache"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err


# --- interrupted refreshes ------------------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path

    import release.fsutil as fsutil

    kill_at = int(os.environ["KILL_AT"])
    calls = {"n": 0}
    real_replace = Path.replace
    real_fdopen = os.fdopen

    def replace(self, target):
        if calls["n"] == kill_at:
            os._exit(137)  # like SIGKILL: no cleanup, no flush
        calls["n"] += 1
        return real_replace(self, target)

    class TornWriter:
        # dies half-way through writing a temp file when kill_at is negative
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            os._exit(137)
        def __getattr__(self, name):
            return getattr(self.handle, name)

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        return TornWriter(handle) if kill_at < 0 else handle

    Path.replace = replace
    fsutil.os.fdopen = fdopen

    from release.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


# A full refresh of the demo replaces 17 files (3 workflows, 13 Dockerfiles, versions.yaml
# last): killed mid-write, at the first, after a workflow, after a Dockerfile, before the
# last Dockerfile and before versions.yaml.
@pytest.mark.parametrize("kill_at", [-1, 0, 1, 4, 15, 16])
def test_killed_refresh_leaves_files_old_or_new_and_the_next_run_completes(
    tree: Path, tmp_path: Path, kill_at: int
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(tree, reference)
    assert refresh(reference) == 0
    old, new = snapshot(tree), snapshot(reference)
    assert len([k for k in new if new[k] != old[k]]) == 17

    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    env = {**os.environ, "KILL_AT": str(kill_at)}
    result = subprocess.run(
        [sys.executable, str(script), "refresh", "--root", str(tree), "--replay", str(REPLAY),
         "--today", TODAY, "--no-cache"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 137, result.stderr
    interrupted = snapshot(tree)
    for name, data in interrupted.items():
        if name.endswith(".tmp"):
            continue  # a temp file of the killed run; never read as a pinned file
        assert data in (old[name], new[name]), f"{name} is torn"
    assert refresh(tree) == 0
    assert snapshot(tree) == new  # the completing run also removed the killed run's temp files

"""refresh.yml's two scripts, run here as GitHub runs them, on a copy of this repository.

`nox` is a stand-in that runs the real `python -m release refresh` offline, on the recorded
upstream demo (tests/data/replay), so the job summary and the commit are the real CLI's. `gh`
is a stand-in that records its calls; "origin" is a bare repository on disk. What is checked is
the workflow's own shell logic: nothing committed means no bundle and no pull request; a commit
travels as a bundle (same SHA) to the pull-request job, which pushes it to `refresh/pins` and
opens the pull request, or edits the one already open, with the refresh table as its body.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from world.cosign import trust
from world.signatures import use_world_keys

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "refresh.yml"
REPLAY = ROOT / "tests" / "data" / "replay"
TODAY = "2026-09-16"  # the day the demo was recorded (tests/world/)
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
                "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com"}

NOX = f"""#!/bin/sh
# nox stand-in: `nox -s refresh|verify -- ARGS` runs the real CLI on the recorded demo, offline.
case "$1 $2 $3" in
  "-s refresh --")
    shift 3
    {sys.executable} -m release refresh "$@" --replay {REPLAY} --no-cache --today {TODAY} || exit
    exit "${{FAKE_NOX_STATUS:-0}}" ;;
  "-s verify --")
    shift 3
    {sys.executable} -m release verify "$@" --replay {REPLAY} --no-cache || exit
    exit "${{FAKE_VERIFY_STATUS:-0}}" ;;
  *) echo "unexpected: nox $*" >&2; exit 3 ;;
esac
"""
GH = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["pr", "list"]:
    print(os.environ.get("OPEN_PR", ""))
"""


def step_script(job: str, step_id: str) -> tuple[str, dict[str, str]]:
    """The `run:` script of a step and the workflow's `env:`."""
    doc: Any = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    step = next(s for s in doc["jobs"][job]["steps"] if s.get("id") == step_id)
    return str(step["run"]), {str(k): str(v) for k, v in doc["env"].items()}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_IDENTITY}).stdout.strip()


def run_step(job: str, step_id: str, cwd: Path, tmp: Path, **env: str) -> dict[str, str]:
    """Run one step's script with bash -eo pipefail, as GitHub does; return its outputs."""
    script, workflow_env = step_script(job, step_id)
    output = tmp / f"{job}-{step_id}.output"
    output.write_text("", encoding="utf-8")
    summary = tmp / f"{job}-{step_id}.summary.md"
    summary.write_text("", encoding="utf-8")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
        capture_output=True, text=True, check=False,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))},
            **workflow_env, "PATH": f"{tmp / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(tmp / "runner-temp"),
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/delphi-release",
            "GITHUB_RUN_ID": "42", "GH_LOG": str(tmp / "gh.jsonl"), **env,
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = {}
    for line in output.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        outputs[name] = value
    return outputs


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A copy of this repository as `origin` (bare), a checkout of it, stand-ins on PATH."""
    source = tmp_path / "source"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    use_world_keys(source)  # the recording's signatures are the fake world's
    trust(source)  # keys/sigstore/ also pins the world's Fulcio CA, which signed the replay
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "the repository")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(origin))
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    (tmp_path / "runner-temp").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("nox", NOX), ("gh", GH)):
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    return {"tmp": tmp_path, "origin": origin, "checkout": checkout}


def refresh(world: dict[str, Path], **env: str) -> dict[str, str]:
    checkout = world["checkout"]
    return run_step("refresh", "refresh", checkout, world["tmp"],
                    GITHUB_SHA=git(checkout, "rev-parse", "HEAD"), **env)


def gh_calls(world: dict[str, Path]) -> list[list[str]]:
    log = world["tmp"] / "gh.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_a_refresh_becomes_one_pull_request_with_the_refresh_table(
    world: dict[str, Path],
) -> None:
    outputs = refresh(world)
    assert outputs == {"status": "0", "verify": "0", "changed": "true"}
    bundle_dir = world["tmp"] / "runner-temp" / "refresh"
    title = (bundle_dir / "title.txt").read_text(encoding="utf-8").strip()
    assert title.startswith("refresh: update ")
    body = (bundle_dir / "body.md").read_text(encoding="utf-8")
    assert "([run](https://github.com/acme/delphi-release/actions/runs/42))" in body
    assert "| component | old | new | bump |\n|---|---|---|---|\n" in body
    assert "| squid | 7.6 | 7.7 | minor |" in body
    assert "### Upstream check" not in body  # the check report stays in the job summary
    # The verdict table of `verify --online` (the demo recording holds the moved pins' values).
    assert ("| component | version | value | verdict | details |\n|---|---|---|---|---|\n"
            in body)
    assert ("| actions-checkout | 6.0.2 | commit | verified | tag commit "
            "https://api.github.com/repos/actions/checkout/commits/v6.0.2 |") in body
    committed = git(world["checkout"], "rev-parse", "HEAD")

    # The pull-request job: a fresh checkout of main, the bundle, a push, the pull request.
    pr_checkout = world["tmp"] / "pr-checkout"
    git(world["tmp"], "clone", "-q", str(world["origin"]), str(pr_checkout))
    run_step("pull-request", "pull-request", pr_checkout, world["tmp"],
             GH_TOKEN="not-a-token", DISPATCH_CI="true", BASE="main")
    assert git(world["origin"], "rev-parse", "refs/heads/refresh/pins") == committed
    calls = gh_calls(world)
    assert calls[0][:2] == ["pr", "list"]
    assert calls[1] == ["pr", "create", "--head", "refresh/pins", "--base", "main",
                        "--title", title, "--body-file", str(bundle_dir / "body.md")]
    assert calls[2] == ["workflow", "run", "ci.yml", "--ref", "refresh/pins"]

    # Next week: the same branch is force-pushed and the open pull request is edited.
    run_step("pull-request", "pull-request", pr_checkout, world["tmp"],
             GH_TOKEN="not-a-token", DISPATCH_CI="false", BASE="main", OPEN_PR="7")
    assert gh_calls(world)[3:] == [
        ["pr", "list", "--head", "refresh/pins", "--base", "main", "--state", "open", "--json",
         "number", "--jq", ".[0].number // empty"],
        ["pr", "edit", "7", "--title", title, "--body-file", str(bundle_dir / "body.md")],
    ]  # with a token of its own (DISPATCH_CI=false), CI is not dispatched: the PR triggers it


def test_nothing_to_refresh_means_no_pull_request(world: dict[str, Path]) -> None:
    refresh(world)
    checkout = world["checkout"]
    git(checkout, "checkout", "-q", "-B", "main")  # main now holds the refreshed pins
    shutil.rmtree(world["tmp"] / "runner-temp" / "refresh")
    assert refresh(world) == {"status": "0", "verify": "0", "changed": "false"}
    assert not (world["tmp"] / "runner-temp" / "refresh").exists()


def test_a_partial_refresh_still_proposes_what_it_committed(world: dict[str, Path]) -> None:
    # Some upstream could not be checked (exit 1), the others were committed: the pull request
    # is still made, and the job's last step fails the run.
    assert refresh(world, FAKE_NOX_STATUS="1") == {"status": "1", "verify": "0",
                                                    "changed": "true"}
    assert (world["tmp"] / "runner-temp" / "refresh" / "refresh.bundle").is_file()

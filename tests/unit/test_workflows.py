"""The GitHub Actions workflows, read as data: what they run, what they may do, what they pin.

GitHub itself cannot run here; these tests hold the workflows to the rules that make them safe
and keep them in step with the code: every `nox -s X` is a session of the noxfile, every
`python -m release ...` command line parses with the CLI's own parser, every third-party action
is pinned to a full commit SHA with its version in a comment, permissions are explicit and
least-privilege, no token reaches a command line. `actionlint` (the lint session) checks the
syntax, expressions and shell scripts; `scripts/release_dry_run.py` runs the release steps.
"""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from release.cli import build_parser
from release.manifest.load import load_manifest
from release.refresh.report import refresh_markdown

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "refresh.yml", "release.yml")
SHA = re.compile(r"^[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")
USES_LINE = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>\S.*?))?\s*$"
)
NOX_CALL = re.compile(r"(?:^|[\s;&|(])(?:scripts/)?nox\b(?P<args>(?:[ \t]+[^\s;&|)]+)*)")
RELEASE_CALL = re.compile(r"python -m release(?P<args>(?:[ \t]+[^\s;&|)>]+)*)")
DEFAULT_IF_SET = re.compile(r"\$\{(\w+):\+([^}]*)\}")

# Who may do what. A change here is a change of what a workflow's token can do: review it.
PERMISSIONS: dict[tuple[str, str], dict[str, str]] = {
    ("ci.yml", "nox"): {"contents": "read"},
    ("refresh.yml", "refresh"): {"contents": "read"},
    ("refresh.yml", "pull-request"): {
        "contents": "write", "pull-requests": "write", "actions": "write",
    },
    ("release.yml", "plan"): {"contents": "read", "actions": "read"},
    ("release.yml", "build"): {"contents": "read", "id-token": "write"},
    ("release.yml", "bom"): {"contents": "read", "id-token": "write"},
    ("release.yml", "publish"): {"contents": "write"},
}


def load(name: str) -> Any:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))


def jobs(name: str) -> dict[str, Any]:
    result: dict[str, Any] = load(name)["jobs"]
    return result


def steps(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in jobs(name).items():
        for step in job.get("steps", []):
            yield job_id, step


def scripts(name: str) -> Iterator[tuple[str, str]]:
    """(job, script) of every `run:` step, with backslash-continued lines joined."""
    for job_id, step in steps(name):
        if "run" in step:
            yield job_id, str(step["run"]).replace("\\\n", " ")


def noxfile_sessions() -> set[str]:
    """Session names of noxfile.py: every `@nox.session` function, or its `name=`."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ast.unparse(target) != "nox.session":
                continue
            name = node.name
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        name = str(keyword.value.value)
            names.add(name)
    return names


def nox_sessions_called(script: str) -> list[str]:
    """The sessions of every `nox -s A B ...` (or `--session(s)`) in a shell script."""
    called: list[str] = []
    for match in NOX_CALL.finditer(script):
        tokens = shlex.split(match.group("args"))
        selecting = False
        for token in tokens:
            if token == "--":
                break
            if token in {"-s", "--session", "--sessions", "-e"}:
                selecting = True
            elif token.startswith("-"):
                selecting = False
            elif selecting:
                called.append(token)
    return called


def release_command_lines(script: str) -> list[list[str]]:
    """Every `python -m release ...` as argv after `release`; shell values become `VALUE`."""
    expanded = DEFAULT_IF_SET.sub(lambda m: m.group(2), script)
    commands: list[list[str]] = []
    for match in RELEASE_CALL.finditer(expanded):
        argv = ["VALUE" if "$" in token else token for token in shlex.split(match.group("args"))]
        commands.append(argv)
    return commands


def uses_lines(name: str) -> list[tuple[int, str, str | None]]:
    """(line number, reference, trailing comment) of every `uses:` line, read as text."""
    found = []
    for number, line in enumerate((WORKFLOWS / name).read_text(encoding="utf-8").splitlines(), 1):
        match = USES_LINE.match(line)
        if match:
            found.append((number, match.group("ref"), match.group("comment")))
    return found


# -- the files ------------------------------------------------------------------------------------


def test_the_three_workflows_and_nothing_else() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_bash_with_pipefail_runs_every_script(name: str) -> None:
    # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`: a failing command in a
    # pipeline fails the step (the default shell has no pipefail).
    assert load(name)["defaults"] == {"run": {"shell": "bash"}}


@pytest.mark.parametrize("name", NAMES)
def test_every_job_has_a_timeout(name: str) -> None:
    assert all(isinstance(job.get("timeout-minutes"), int) for job in jobs(name).values())


def test_triggers() -> None:
    assert load("ci.yml")["on"] == {
        "pull_request": None, "push": {"branches": ["main"]}, "workflow_dispatch": None,
    }
    refresh = load("refresh.yml")["on"]
    assert set(refresh) == {"schedule", "workflow_dispatch"}
    assert len(refresh["schedule"]) == 1
    assert load("release.yml")["on"] == {"push": {"tags": ["v*"]}}


# -- what they run --------------------------------------------------------------------------------


def test_nox_sessions_are_read_from_the_noxfile() -> None:
    assert {"tests", "lint", "typecheck", "verify", "refresh", "release-dry-run"} <= (
        noxfile_sessions()
    )


def test_noxfile_sessions_agree_with_nox_list() -> None:
    # `nox --list` marks every session `*` (selected by default) or `-`; its `--json` form
    # lists the selected ones only, so the text form is read.
    done = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "-f", str(ROOT / "noxfile.py")],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    listed = set(re.findall(r"^[*-] (\S+) ->", done.stdout, flags=re.MULTILINE))
    assert listed == noxfile_sessions()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("nox -s lint typecheck tests verify", ["lint", "typecheck", "tests", "verify"]),
        ("nox -s refresh -- --commit || status=$?", ["refresh"]),
        ("x=1; nox --no-venv -s a b -r", ["a", "b"]),
        ("echo nox is here", []),
        ("python -m pip install nox", []),
    ],
)
def test_nox_calls_are_found(script: str, expected: list[str]) -> None:
    assert nox_sessions_called(script) == expected


@pytest.mark.parametrize("path", [*(WORKFLOWS / n for n in NAMES), ROOT / ".ci" / "run"])
def test_every_nox_session_called_exists(path: Path) -> None:
    if path.suffix == ".yml":
        called = [s for _, script in scripts(path.name) for s in nox_sessions_called(script)]
    else:
        called = nox_sessions_called(path.read_text(encoding="utf-8"))
    missing = sorted(set(called) - noxfile_sessions())
    assert not missing, f"{path.name} calls nox sessions the noxfile does not define: {missing}"


def test_ci_runs_ci_run_which_runs_the_readme_gates() -> None:
    assert [script.strip() for _, script in scripts("ci.yml")][-1] == ".ci/run"
    called = nox_sessions_called((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert called == ["lint", "typecheck", "tests", "verify"]


def test_refresh_runs_the_refresh_session_with_commit() -> None:
    runs = [script for job, script in scripts("refresh.yml") if job == "refresh"]
    assert any("nox -s refresh -- --commit" in script for script in runs)


@pytest.mark.parametrize("name", NAMES)
def test_every_release_command_line_parses(name: str) -> None:
    parser = build_parser()
    for _, script in scripts(name):
        for argv in release_command_lines(script):
            parser.parse_args(argv)  # raises UsageError on an unknown command or flag


def test_release_command_lines_are_found() -> None:
    script = (
        'matrix="$(python -m release build --plan --github-matrix)"\n'
        'python -m release build --only "$IMAGE" --push  ${R:+--registry "$R"}\n'
        'python -m release build --plan --json > "$RUNNER_TEMP/plan.json"\n'
    )
    assert release_command_lines(script) == [
        ["build", "--plan", "--github-matrix"],
        ["build", "--only", "VALUE", "--push", "--registry", "VALUE"],
        ["build", "--plan", "--json"],
    ]


def test_the_release_runs_plan_build_bom_notes_publish() -> None:
    release = jobs("release.yml")
    assert list(release) == ["plan", "build", "bom", "publish"]
    assert release["build"]["needs"] == "plan"
    assert release["bom"]["needs"] == ["plan", "build"]
    assert release["publish"]["needs"] == ["plan", "bom"]
    commands = {
        job: [argv[:1] + [a for a in argv[1:] if a.startswith("--")]
              for _, script in scripts("release.yml") if _ == job
              for argv in release_command_lines(script)]
        for job in release
    }
    assert commands == {
        "plan": [["verify", "--online", "--strict"], ["build", "--plan", "--json"],
                 ["build", "--plan", "--github-matrix"]],
        "build": [["build", "--only", "--push", "--jobs", "--registry"],
                  ["build", "--plan", "--only", "--registry", "--bake", "--by-digest"],
                  ["build", "--only", "--ecr-repositories"], ["build", "--plan", "--only", "--json"],
                  ["build", "--plan", "--only", "--registry", "--bake", "--by-digest"],
                  ["build", "--only", "--pushed", "--registry"]],
        "bom": [["build", "--push", "--registry"], ["scan", "--bom", "--fail-on"],
                ["sbom", "--bom", "--output"], ["bom", "--bom", "--dry-run"],
                ["sbom", "--bom", "--image", "--output"],
                ["bom", "--bom", "--identity", "--issuer", "--registry"]],
        "publish": [["notes", "--version", "--to", "--output"]],
    }


def test_the_release_matrix_is_read_from_the_plan_output() -> None:
    release = jobs("release.yml")
    plan_steps = {s.get("id"): s for s in release["plan"]["steps"]}
    assert release["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert "python -m release build --plan --github-matrix" in plan_steps["plan"]["run"]
    assert 'echo "matrix=$matrix" >> "$GITHUB_OUTPUT"' in plan_steps["plan"]["run"]
    strategy = release["build"]["strategy"]
    assert strategy["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert strategy["fail-fast"] is False
    build_step = next(s for s in release["build"]["steps"] if s.get("id") == "build")
    assert build_step["env"]["IMAGE"] == "${{ matrix.image }}"


def test_the_release_publishes_the_notes_and_the_bom() -> None:
    publish = next(s for s in jobs("release.yml")["publish"]["steps"] if s.get("id") == "publish")
    script = str(publish["run"]).replace("\\\n", " ")
    assert re.search(r'gh release create "\$GITHUB_REF_NAME" --verify-tag .*'
                     r'--notes-file "\$notes" "\$asset"', script)
    assert 'cp "releases/$VERSION.json" "$bom"' in script
    assert 'asset="$bom#' in script


def test_the_refresh_pull_request_body_starts_at_the_cli_refresh_table() -> None:
    manifest = load_manifest(ROOT / "versions.yaml").manifest
    header = refresh_markdown(manifest, []).splitlines()[0]
    assert load("refresh.yml")["env"]["REFRESH_TABLE_HEADER"] == header


# -- what they pin --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    parsed = [s["uses"] for _, s in steps(name) if "uses" in s]
    parsed += [j["uses"] for j in jobs(name).values() if "uses" in j]
    lines = uses_lines(name)
    assert [ref for _, ref, _ in lines] == parsed  # every uses: is on one line of its own
    for number, ref, comment in lines:
        action, _, sha = ref.partition("@")
        where = f"{name}:{number}: {ref}"
        assert not action.startswith(("./", "docker://")), where
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?", action), where
        assert SHA.match(sha), f"{where}: not pinned to a full 40-hex commit SHA"
        assert comment is not None, f"{where}: no `# vX.Y.Z` comment"
        assert VERSION_COMMENT.match(comment), f"{where}: comment {comment!r} is not vX.Y.Z"


def test_an_action_has_one_pin_everywhere() -> None:
    pins: dict[str, set[tuple[str, str | None]]] = {}
    for name in NAMES:
        for _, ref, comment in uses_lines(name):
            action, _, sha = ref.partition("@")
            pins.setdefault(action, set()).add((sha, comment))
    assert {a: len(p) for a, p in pins.items() if len(p) > 1} == {}
    assert set(pins) == {
        "actions/checkout", "actions/setup-python", "actions/cache",
        "actions/upload-artifact", "actions/download-artifact",
        "aws-actions/configure-aws-credentials", "docker/setup-buildx-action",
        "docker/setup-qemu-action",
        "sigstore/cosign-installer",
    }


def test_the_ci_tools_are_pinned_exactly() -> None:
    lines = (ROOT / ".github" / "ci-tools.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements
    assert all(re.fullmatch(r"[\w-]+==[\w.]+", line) for line in requirements)


# -- what they may do -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_explicit_and_read_only_by_default(name: str) -> None:
    assert load(name)["permissions"] == {"contents": "read"}
    for job_id, job in jobs(name).items():
        assert isinstance(job.get("permissions"), dict), f"{name}: job {job_id}"


def test_write_permissions_only_where_needed() -> None:
    found = {(n, j): job["permissions"] for n in NAMES for j, job in jobs(n).items()}
    assert found == PERMISSIONS


@pytest.mark.parametrize("name", NAMES)
def test_concurrency_is_set(name: str) -> None:
    concurrency = load(name)["concurrency"]
    assert concurrency["group"]
    assert isinstance(concurrency["cancel-in-progress"], bool)


def test_two_refreshes_or_two_releases_of_one_tag_never_run_at_once() -> None:
    refresh, release = load("refresh.yml")["concurrency"], load("release.yml")["concurrency"]
    assert refresh == {"group": "refresh-pins", "cancel-in-progress": False}
    assert release == {"group": "release-${{ github.ref }}", "cancel-in-progress": False}


@pytest.mark.parametrize("name", NAMES)
def test_checkout_never_persists_credentials(name: str) -> None:
    for job_id, step in steps(name):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, f"{name}: job {job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_no_expression_and_no_secret_in_a_script(name: str) -> None:
    # Values reach scripts through `env:` only: no `${{ }}` is pasted into shell code (script
    # injection), and no secret is ever named in one.
    for job_id, script in scripts(name):
        assert "${{" not in script, f"{name}: job {job_id}"
        assert "secrets." not in script, f"{name}: job {job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_no_token_is_echoed_or_traced(name: str) -> None:
    secret = re.compile(r"\$\{?(GH_TOKEN|GITHUB_TOKEN|AWS_\w*KEY\w*|AWS_SESSION_TOKEN)\b")
    for job_id, script in scripts(name):
        assert not re.search(r"\bset\s+-\w*x", script), f"{name}: job {job_id} traces"
        for line in script.splitlines():
            # A git credential helper prints the token to git, never to the log.
            if re.search(r"\b(echo|printf)\b", line) and "credential.helper=" not in line:
                assert not secret.search(line), f"{name}: job {job_id}: {line.strip()}"

def test_the_only_secret_is_the_optional_refresh_push_token() -> None:
    named = {
        (name, job_id, step.get("id"), key): str(value)
        for name in NAMES for job_id, step in steps(name)
        for key, value in step.get("env", {}).items() if "secrets." in str(value)
    }
    assert named == {
        ("refresh.yml", "pull-request", "pull-request", "GH_TOKEN"):
            "${{ secrets.REFRESH_TOKEN || github.token }}",
        ("refresh.yml", "pull-request", "pull-request", "DISPATCH_CI"):
            "${{ secrets.REFRESH_TOKEN == '' }}",
    }
    for name in NAMES:  # nowhere else: not in `with:`, job env or workflow env
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        assert text.count("secrets.") == (2 if name == "refresh.yml" else 0), name


def test_aws_access_is_an_oidc_role_only() -> None:
    for name in NAMES:
        for job_id, step in steps(name):
            if not str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
                continue
            inputs = step["with"]
            assert inputs["role-to-assume"] == "${{ vars.AWS_RELEASE_ROLE_ARN }}"
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs)
            assert jobs(name)[job_id]["permissions"].get("id-token") == "write"


def test_actionlint_knows_every_repository_variable() -> None:
    config = YAML(typ="safe").load((ROOT / ".github" / "actionlint.yaml").read_text("utf-8"))
    used = {m for n in NAMES
            for m in re.findall(r"vars\.(\w+)", (WORKFLOWS / n).read_text(encoding="utf-8"))}
    assert used == set(config["config-variables"])


def test_the_release_is_trusted_to_be_the_reviewed_one() -> None:
    """Protected environment, CI passed on the tagged commit, hash-pinned tool dependencies."""
    release = jobs("release.yml")
    assert {j: release[j].get("environment") for j in release} == {
        "plan": None, "build": "release", "bom": "release", "publish": "release"}
    ci = next(s for s in release["plan"]["steps"] if s.get("id") == "ci")
    assert "actions/workflows/ci.yml/runs?head_sha=$SHA&status=completed" in ci["run"]
    assert 'if [[ "$conclusion" != "success" ]]; then' in ci["run"]
    for job in release.values():
        install = next(s for s in job["steps"] if s.get("id") == "install")
        assert install["run"].split("\n")[:3] == [
            "python -m pip install --disable-pip-version-check --require-hashes \\",
            "  -r requirements/release.txt",
            "python -m pip install --disable-pip-version-check --no-deps .",
        ]
    lines = (ROOT / "requirements" / "release.txt").read_text(encoding="utf-8").splitlines()
    pinned = [line for line in lines if line and not line.startswith((" ", "#"))]
    assert pinned
    assert all(re.fullmatch(r"[a-z0-9-]+==\S+ \\", line) for line in pinned)


def test_the_release_builds_with_buildkit_and_signs_with_cosign() -> None:
    release = jobs("release.yml")
    build = next(s for s in release["build"]["steps"] if s.get("id") == "build")["run"]
    # Built once: bake pushes by digest (no --push, which would override the bake file's
    # output), then the tool probes that index and tags it.
    assert 'docker buildx bake --file "$RUNNER_TEMP/bake.json" \\\n' in build
    bake = build.split("docker buildx bake", 1)[1].split("digest=", 1)[0]
    assert "--push" not in bake
    assert '--metadata-file "$RUNNER_TEMP/metadata.json" "$IMAGE"' in bake
    assert 'python -m release build --only "$IMAGE" --pushed "$digest"' in build
    assert '"containerimage.digest"' in build
    sign = next(s for s in release["bom"]["steps"] if s.get("id") == "sign")["run"]
    assert 'cosign sign --yes "$ref"' in sign
    assert 'cosign attest --yes --type cyclonedx --predicate "$RUNNER_TEMP/$name.cdx.json"' in sign
    assert 'python -m release sbom --bom "$bom" --image "$name"' in sign
    # The dry run's sentences come from the tool (`bom signatures --dry-run`), not from jq.
    assert 'python -m release bom signatures --bom "$bom" --dry-run' in sign

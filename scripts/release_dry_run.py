"""Run the release workflow on this machine: no GitHub, a local registry and moto for ECR.

    python scripts/release_dry_run.py [--output DIR] [--workspace REPO] [--tag vX.Y.Z]
    nox -s release-dry-run -- [the same options]

The steps are not copied from `.github/workflows/release.yml`: they are read from it, and its
jobs run in `needs` order (plan -> build, one run per entry of the plan's matrix -> bom ->
publish), each `run:` script verbatim under `bash -eo pipefail` with the environment GitHub would
give it (`GITHUB_OUTPUT`, `RUNNER_TEMP`, `GITHUB_REF_NAME`, the step's `env:`). What GitHub
itself provides is emulated, and nothing else:

- `actions/checkout`: every job (every matrix entry) runs in a fresh clone of the workspace at
  the tag, with its own `RUNNER_TEMP`, as on a fresh runner: only artifacts and job outputs
  travel between jobs;
- `actions/setup-python`: this interpreter (its directory comes first on PATH); steps with the id
  `install` are skipped, as this environment already has `release` installed;
- the step `verify-online` (every pinned value against the real upstreams) is skipped: a dry
  run asks no upstream;
- `aws-actions/configure-aws-credentials`: moto's credentials, and `AWS_ENDPOINT_URL_ECR` on
  moto's server (started here unless `--ecr-endpoint` is given);
- `vars.RELEASE_REGISTRY`: a local `docker-registry` (started here unless `--registry` is given),
  so images go there while ECR repositories are made in moto;
- `actions/upload-artifact` / `download-artifact`: a directory per artifact;
- `gh`: a stand-in on PATH that records its arguments and working directory; `gh release view`
  answers "no such release".

The output directory receives what `gh release create` was given (the notes and the bill of
materials), `gh-calls.jsonl`, and `steps.md`, the table of every step and what became of it.
Anything in the workflow the emulation does not know (another action, expression or condition)
stops the run with an error naming it, so the workflow and this dry run cannot drift apart.

Without a Docker engine (`DOCKER_HOST` or `/var/run/docker.sock`), or with `--no-docker`, the
`build` and `bom` jobs and the `publish` step are skipped with the reason, and the notes are
rendered without a bill of materials; under `CI=true` a missing engine is an error instead.
Exit codes: 0 done, 1 a step failed, 2 bad usage or a workflow the emulation cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
DEFAULT_OUTPUT = ROOT / "build" / "release-dry-run"

# The step ids the dry run relies on, per job, in workflow order. A renamed or reordered step
# is an error here rather than a dry run that silently checks something else.
REQUIRED_STEPS: dict[str, tuple[str, ...]] = {
    "plan": ("install", "verify-online", "plan"),
    "build": ("install", "build"),
    "bom": ("install", "bom"),
    "publish": ("install", "notes", "publish"),
}
SKIPPED_IDS = {
    "install": "this environment already has `release` installed",
    "verify-online": "it asks the real upstreams; run `nox -s verify -- --online` where there "
    "is a network",
}
DOCKER_JOBS = ("build", "bom")  # jobs that build or read images
DOCKER_STEPS = (("publish", "publish"),)  # steps that need what those jobs produce
VARIABLES = ("AWS_RELEASE_ROLE_ARN", "AWS_REGION", "RELEASE_REGISTRY", "ECR_SCAN_FAIL_ON")
GITHUB_CONTEXT = ("ref", "ref_name", "sha", "run_id", "repository", "token", "workflow_ref")
EMULATED_ACTIONS = (
    "actions/checkout", "actions/setup-python", "aws-actions/configure-aws-credentials",
    "actions/upload-artifact", "actions/download-artifact", "docker/setup-qemu-action",
    "docker/setup-buildx-action", "sigstore/cosign-installer",
)
# What these machines cannot do: the actions that would set it up are recorded as not run, and
# the steps that use it see DELPHI_RELEASE_DRY_RUN=1 and say what they did instead.
NOT_HERE = {
    "docker/setup-qemu-action": "not run: no QEMU emulators here (installing binfmt handlers "
    "needs a privileged container on the runner); the build step builds the engine's own "
    "architecture only",
    "docker/setup-buildx-action": "not run: no BuildKit (docker buildx) or QEMU here; the build "
    "step uses the engine's classic builder, one architecture, no attestations (the bake by "
    "digest and `build --pushed` probe-then-tag run only on GitHub)",
    "sigstore/cosign-installer": "not run: no cosign and no OIDC identity here; the sign step "
    "runs `bom signatures --dry-run`, which records `not signed (dry run)` (reading cosign's "
    "referrers from the registry runs only on GitHub)",
}
REGION = "us-east-1"
FAKE_ROLE = "arn:aws:iam::123456789012:role/delphi-release-dry-run"
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
CONDITIONS_ALWAYS = {"always()", "!cancelled()"}
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$")
_FROM_JSON = re.compile(r"^fromJSON\(\s*([A-Za-z_][\w.-]*)\s*\)$")
_USES = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<ref>[0-9a-f]{40})$")


class DryRunError(Exception):
    """The workflow asks for something this dry run cannot emulate, or bad usage (exit 2)."""


class StepFailedError(Exception):
    """A `run:` step exited non-zero (exit 1)."""


# -- the workflow, read -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    job: str
    index: int
    id: str | None
    name: str
    run: str | None
    uses: str | None
    with_: Mapping[str, Any]
    env: Mapping[str, Any]
    condition: str | None

    @property
    def label(self) -> str:
        return f"{self.job}/{self.id or self.index + 1}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    id: str
    needs: tuple[str, ...]
    env: Mapping[str, Any]
    outputs: Mapping[str, str]
    matrix: str | None
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    path: Path
    env: Mapping[str, Any]
    jobs: tuple[Job, ...]  # in an order where every job comes after the jobs it needs


def _mapping(node: Any, where: str) -> Mapping[str, Any]:
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise DryRunError(f"{where}: expected a mapping")
    return {str(k): v for k, v in node.items()}


def _step(job: str, index: int, node: Any) -> Step:
    where = f"jobs.{job}.steps[{index}]"
    data = _mapping(node, where)
    run, uses = data.get("run"), data.get("uses")
    if (run is None) == (uses is None):
        raise DryRunError(f"{where}: a step has exactly one of run: and uses:")
    return Step(
        job=job, index=index, id=data.get("id"), name=str(data.get("name") or run or uses),
        run=str(run) if run is not None else None, uses=str(uses) if uses is not None else None,
        with_=_mapping(data.get("with"), f"{where}.with"),
        env=_mapping(data.get("env"), f"{where}.env"),
        condition=str(data["if"]) if "if" in data else None,
    )


def _ordered(jobs: Mapping[str, Job]) -> tuple[Job, ...]:
    done: list[Job] = []
    placed: set[str] = set()
    pending = dict(jobs)
    while pending:
        ready = [j for j in pending.values() if set(j.needs) <= placed]
        if not ready:
            raise DryRunError(f"jobs {sorted(pending)} need each other or an unknown job")
        for job in ready:
            done.append(job)
            placed.add(job.id)
            del pending[job.id]
    return tuple(done)


def load_workflow(path: Path) -> Workflow:
    """Read a workflow and check that it has the shape this dry run emulates."""
    try:
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DryRunError(f"{path}: cannot read: {exc.strerror}") from None
    data = _mapping(doc, str(path))
    shell = _mapping(_mapping(data.get("defaults"), "defaults").get("run"), "defaults.run")
    if shell.get("shell") != "bash":
        raise DryRunError(f"{path}: the dry run runs steps with bash; set defaults.run.shell")
    jobs: dict[str, Job] = {}
    for name, node in _mapping(data.get("jobs"), "jobs").items():
        job = _mapping(node, f"jobs.{name}")
        needs = job.get("needs") or ()
        needs = (needs,) if isinstance(needs, str) else tuple(str(n) for n in needs)
        if "if" in job:
            raise DryRunError(f"jobs.{name}: a job-level `if:` is not emulated")
        strategy = _mapping(job.get("strategy"), f"jobs.{name}.strategy")
        matrix = strategy.get("matrix")
        if matrix is not None and not isinstance(matrix, str):
            raise DryRunError(f"jobs.{name}.strategy.matrix: only a fromJSON(...) expression "
                              "is emulated")
        steps = job.get("steps") or []
        jobs[name] = Job(
            id=name, needs=needs, env=_mapping(job.get("env"), f"jobs.{name}.env"),
            outputs={str(k): str(v) for k, v in _mapping(job.get("outputs"), name).items()},
            matrix=matrix, steps=tuple(_step(name, i, s) for i, s in enumerate(steps)),
        )
    workflow = Workflow(path=path, env=_mapping(data.get("env"), "env"), jobs=_ordered(jobs))
    check_shape(workflow)
    check_emulation(workflow)
    return workflow


def check_shape(workflow: Workflow) -> None:
    """The jobs and step ids of REQUIRED_STEPS exist, in that order."""
    by_id = {j.id: j for j in workflow.jobs}
    problems: list[str] = []
    for job, ids in REQUIRED_STEPS.items():
        if job not in by_id:
            problems.append(f"no job {job!r}")
            continue
        present = [s.id for s in by_id[job].steps if s.id in ids]
        if present != list(ids):
            problems.append(f"job {job!r}: step ids {present}, expected {list(ids)} in order")
    if problems:
        raise DryRunError(f"{workflow.path}: " + "; ".join(problems))


def check_emulation(workflow: Workflow) -> None:
    """Every action, expression and condition is one the emulation knows, in every job.

    Checked before anything runs, so a job skipped in this run (no Docker) is checked too.
    """
    problems: list[str] = []
    outputs = {j.id: set(j.outputs) for j in workflow.jobs}

    def expressions(where: str, value: object, job: Job, before: set[str]) -> None:
        for match in _EXPRESSION.finditer(str(value)):
            problem = unknown_path(match.group(1), job, before, outputs)
            if problem:
                problems.append(f"{where}: {problem}")

    for job in workflow.jobs:
        seen: set[str] = set()
        for key, value in {**workflow.env, **job.env}.items():
            expressions(f"jobs.{job.id}.env.{key}", value, job, seen)
        if job.matrix is not None:
            inner = _EXPRESSION.fullmatch(job.matrix.strip())
            source = _FROM_JSON.match(inner.group(1)) if inner else None
            if source is None or unknown_path(source.group(1), job, seen, outputs):
                problems.append(f"jobs.{job.id}.strategy.matrix: the dry run does not evaluate "
                                f"`{job.matrix}`")
        for step in job.steps:
            where = f"jobs.{job.id}.steps[{step.index}]"
            if step.uses is not None:
                match = _USES.match(step.uses)
                if match is None:
                    problems.append(f"{where}: `{step.uses}` is not pinned to a commit SHA")
                elif match.group("action") not in EMULATED_ACTIONS:
                    problems.append(f"{where}: the dry run does not emulate "
                                    f"`{match.group('action')}`")
            for key, value in {**step.with_, **step.env}.items():
                expressions(f"{where}.{key}", value, job, seen)
            try:
                condition_holds(step.condition, failed=False)
            except DryRunError as exc:
                problems.append(f"{where}: {exc}")
            if step.id:
                seen.add(step.id)
        for key, value in job.outputs.items():
            expressions(f"jobs.{job.id}.outputs.{key}", value, job, seen)
    if problems:
        raise DryRunError(f"{workflow.path}: " + "; ".join(problems))


def unknown_path(expression: str, job: Job, steps_before: set[str],
                 outputs: Mapping[str, set[str]]) -> str | None:
    """Why `expression` cannot be evaluated in `job`, or None when it can."""
    refused = f"the dry run does not evaluate `${{{{ {expression} }}}}`"
    if not _PATH.match(expression):
        return refused
    parts = expression.split(".")
    root, rest = parts[0], parts[1:]
    known = {
        "github": len(rest) == 1 and rest[0] in GITHUB_CONTEXT,
        "runner": rest in (["temp"], ["os"]),
        "vars": len(rest) == 1 and rest[0] in VARIABLES,
        "matrix": len(rest) == 1 and job.matrix is not None,
        "needs": len(rest) == 3 and rest[0] in job.needs and rest[1] == "outputs"
        and rest[2] in outputs.get(rest[0], set()),
        "steps": len(rest) == 3 and rest[0] in steps_before and rest[1] == "outputs",
        "env": len(rest) == 1,
    }
    return None if known.get(root, False) else refused


# -- expressions ---------------------------------------------------------------------------------


def lookup(path: str, context: Mapping[str, Any]) -> Any:
    node: Any = context
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise DryRunError(f"the dry run does not know `{path}`")
        node = node[part]
    return node


def evaluate(value: Any, context: Mapping[str, Any]) -> str:
    """`${{ a.b.c }}` replaced by its value; any other expression is an error."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if not _PATH.match(expression):
            raise DryRunError(f"the dry run does not evaluate `${{{{ {expression} }}}}`")
        result = lookup(expression, context)
        return result if isinstance(result, str) else json.dumps(result)

    return _EXPRESSION.sub(one, str(value))


def condition_holds(condition: str | None, *, failed: bool) -> bool:
    """A step's `if:`: none (success()), always(), !cancelled(), success(), failure()."""
    if condition is None:
        return not failed
    text = condition.strip()
    match = _EXPRESSION.fullmatch(text)
    text = match.group(1) if match else text
    if text in CONDITIONS_ALWAYS:
        return True
    if text == "success()":
        return not failed
    if text == "failure()":
        return failed
    raise DryRunError(f"the dry run does not evaluate the condition `{condition}`")


def matrix_entries(job: Job, context: Mapping[str, Any]) -> list[dict[str, str]]:
    if job.matrix is None:
        return [{}]
    expression = _EXPRESSION.fullmatch(job.matrix.strip())
    inner = _FROM_JSON.match(expression.group(1)) if expression else None
    if inner is None:
        raise DryRunError(f"jobs.{job.id}.strategy.matrix: only ${{{{ fromJSON(...) }}}} is "
                          "emulated")
    document = json.loads(str(lookup(inner.group(1), context)))
    if not isinstance(document, dict) or set(document) != {"include"}:
        raise DryRunError(f'jobs.{job.id}: the matrix must be {{"include": [...]}}')
    return [{str(k): str(v) for k, v in entry.items()} for entry in document["include"]]


# -- local services ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a fixed http://127.0.0.1 URL
            return True
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def local_registry(workdir: Path) -> Iterator[str]:
    """Debian's `docker-registry` on 127.0.0.1 with filesystem storage; yields host:port."""
    binary = shutil.which("docker-registry")
    if binary is None:
        raise DryRunError("docker-registry is not installed (apt-get install docker-registry), "
                          "or pass --registry HOST")
    port = _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(textwrap.dedent(f"""\
        version: 0.1
        log:
          level: error
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: {workdir / "data"}
        http:
          addr: 127.0.0.1:{port}
        """), encoding="utf-8")
    with (workdir / "registry.log").open("wb") as log:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not _answers(f"http://127.0.0.1:{port}/v2/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise DryRunError(f"docker-registry did not start; see {workdir / 'registry.log'}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


@contextmanager
def local_ecr() -> Iterator[str]:
    """moto's server on 127.0.0.1 (the ECR API); yields its URL."""
    try:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only when no --ecr-endpoint
    except ImportError:
        raise DryRunError("moto is not installed (pip install 'moto[server]'), or pass "
                          "--ecr-endpoint URL") from None
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def docker_engine() -> str | None:
    """The reason no Docker engine answers, or None when one does."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        done = subprocess.run(["docker", "--host", host, "version", "--format",
                               "{{.Server.Version}}"], capture_output=True, text=True,
                              timeout=20, check=False)
    except FileNotFoundError:
        return "the docker CLI is not installed"
    except subprocess.TimeoutExpired:
        return f"the Docker engine at {host} did not answer within 20s"
    if done.returncode != 0:
        return f"no Docker engine answers at {host} ({done.stderr.strip().splitlines()[-1:]})"
    return None


# -- the run -------------------------------------------------------------------------------------


GH_STAND_IN = """\
#!{python}
# gh stand-in of the release dry run: records its arguments; `gh release view` finds nothing;
# `gh api` (the CI check of the tagged commit) answers "success", as GitHub would for a commit
# whose CI passed (the dry run runs on a workspace, not on a pushed commit).
import json, os, sys
with open(os.environ["DRY_RUN_GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(dict(argv=sys.argv[1:], cwd=os.getcwd())) + "\\n")
if sys.argv[1:2] == ["api"]:
    print("success")
sys.exit(1 if sys.argv[1:3] == ["release", "view"] else 0)
"""


@dataclass
class Outcome:
    label: str
    name: str
    status: str
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Runner:
    """What a GitHub runner gives one job: a fresh checkout of the tag and a temp directory."""

    label: str
    checkout: Path
    temp: Path


@dataclass
class Run:
    """One dry run: the workflow, the repository released, and what happened so far."""

    workflow: Workflow
    workspace: Path
    work: Path
    tag: str
    sha: str
    variables: Mapping[str, str]
    base_env: Mapping[str, str]
    skip_jobs: Mapping[str, str] = field(default_factory=dict)
    skip_steps: Mapping[tuple[str, str], str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    runners: list[Runner] = field(default_factory=list)

    @property
    def artifacts(self) -> Path:
        return self.work / "artifacts"

    def context(self, job: Job, runner: Runner | None, matrix: Mapping[str, str],
                steps: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        return {
            "github": {"ref": f"refs/tags/{self.tag}", "ref_name": self.tag, "sha": self.sha,
                       "run_id": "0", "repository": "local/dry-run", "token": "dry-run-token",
                       "workflow_ref": f"local/dry-run/.github/workflows/release.yml@refs/tags/"
                       f"{self.tag}"},
            "runner": {"temp": str(runner.temp) if runner else "", "os": "Linux"},
            "vars": dict(self.variables),
            "matrix": dict(matrix),
            "needs": {n: {"outputs": self.outputs.get(n, {})} for n in job.needs},
            "steps": {k: {"outputs": dict(v)} for k, v in steps.items()},
            "env": {**{k: str(v) for k, v in self.workflow.env.items()},
                    **{k: str(v) for k, v in job.env.items()}},
        }

    def execute(self) -> None:
        for job in self.workflow.jobs:
            if job.id in self.skip_jobs:
                self.outcomes.append(Outcome(job.id, "(whole job)",
                                             f"skipped: {self.skip_jobs[job.id]}"))
                continue
            for matrix in matrix_entries(job, self.context(job, None, {}, {})):
                self.run_job(job, matrix)

    def runner(self, job: Job, matrix: Mapping[str, str]) -> Runner:
        """A fresh clone of the workspace at the tag, as `actions/checkout` gives every job."""
        shown = matrix.get("image") or ", ".join(matrix.values())
        label = f"{job.id} [image={shown}]" if matrix else job.id
        home = Path(tempfile.mkdtemp(prefix=f"{job.id}-", dir=self.work))
        checkout, temp = home / "checkout", home / "temp"
        temp.mkdir()
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(self.workspace),
                        str(checkout)], check=True)
        git(checkout, "checkout", "--quiet", "--detach", self.tag)
        runner = Runner(label=label, checkout=checkout, temp=temp)
        self.runners.append(runner)
        return runner

    def run_job(self, job: Job, matrix: Mapping[str, str]) -> None:
        runner = self.runner(job, matrix)
        steps: dict[str, dict[str, str]] = {}
        env: dict[str, str] = {}  # what emulated actions export to later steps
        failure: StepFailedError | None = None
        for step in job.steps:
            label = step.label + runner.label.removeprefix(job.id)
            context = self.context(job, runner, matrix, steps)
            if not condition_holds(step.condition, failed=failure is not None):
                self.outcomes.append(Outcome(label, step.name, "not run (condition)"))
                continue
            reason = SKIPPED_IDS.get(step.id or "") or self.skip_steps.get((job.id, step.id or ""))
            if reason is not None:
                self.outcomes.append(Outcome(label, step.name, f"skipped: {reason}"))
                continue
            started = time.monotonic()
            try:
                if step.uses is not None:
                    status = self.emulate(step, runner, context, env)
                else:
                    steps[step.id or f"#{step.index}"] = self.shell(step, runner, context, env)
                    status = "ran"
            except StepFailedError as exc:
                failure = failure or exc
                status = f"FAILED: {exc}"
            self.outcomes.append(Outcome(label, step.name, status,
                                         time.monotonic() - started))
        if failure is not None:
            raise failure
        job_context = self.context(job, runner, matrix, steps)
        self.outputs[job.id] = {k: evaluate(v, job_context) for k, v in job.outputs.items()}

    def shell(self, step: Step, runner: Runner, context: Mapping[str, Any],
              exported: Mapping[str, str]) -> dict[str, str]:
        """Run a `run:` script as GitHub does; return the outputs it wrote."""
        assert step.run is not None
        scratch = Path(tempfile.mkdtemp(prefix="step-", dir=self.work))
        output, summary, script = scratch / "output", scratch / "summary.md", scratch / "run.sh"
        output.touch()
        script.write_text(step.run, encoding="utf-8")
        job = next(j for j in self.workflow.jobs if j.id == step.job)
        env = {
            **self.base_env, **exported,
            **{k: evaluate(v, context) for k, v in self.workflow.env.items()},
            **{k: evaluate(v, context) for k, v in job.env.items()},
            **{k: evaluate(v, context) for k, v in step.env.items()},
            "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner.temp), "GITHUB_WORKSPACE": str(runner.checkout),
            "GITHUB_REF": f"refs/tags/{self.tag}", "GITHUB_REF_NAME": self.tag,
            "GITHUB_REF_TYPE": "tag", "GITHUB_SHA": self.sha,
        }
        print(f"::group::{step.label}: {step.name}", file=sys.stderr, flush=True)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=runner.checkout, env=env, check=False)
        print("::endgroup::", file=sys.stderr, flush=True)
        if done.returncode != 0:
            raise StepFailedError(f"{step.label} exited with {done.returncode}")
        return parse_outputs(output.read_text(encoding="utf-8"))

    def emulate(self, step: Step, runner: Runner, context: Mapping[str, Any],
                env: dict[str, str]) -> str:
        """Do what a `uses:` action would do here; returns what was done."""
        assert step.uses is not None
        match = _USES.match(step.uses)
        if match is None:
            raise DryRunError(f"{step.label}: `{step.uses}` is not pinned to a commit SHA")
        action = match.group("action")
        inputs = {k: evaluate(v, context) for k, v in step.with_.items()}
        if action == "actions/checkout":
            return f"emulated: a fresh clone of the workspace at {self.tag}"
        if action == "actions/setup-python":
            return f"emulated: {sys.executable}"
        if action == "aws-actions/configure-aws-credentials":
            region = inputs.get("aws-region") or REGION
            env.update({**MOTO_CREDENTIALS, "AWS_REGION": region, "AWS_DEFAULT_REGION": region})
            return f"emulated: moto credentials, role {inputs.get('role-to-assume')!r} not assumed"
        if action in NOT_HERE:
            return NOT_HERE[action]
        if action == "actions/upload-artifact":
            return self.upload(step, runner, inputs)
        if action == "actions/download-artifact":
            return self.download(step, runner, inputs)
        raise DryRunError(f"{step.label}: the dry run does not emulate `{action}`")

    def upload(self, step: Step, runner: Runner, inputs: Mapping[str, str]) -> str:
        name, path = inputs.get("name") or "artifact", inputs.get("path", "")
        if not path or "\n" in path.strip():
            raise DryRunError(f"{step.label}: upload-artifact of one path only is emulated")
        source = runner.checkout / path
        if not source.exists():
            if inputs.get("if-no-files-found", "warn") == "error":
                raise StepFailedError(f"{step.label}: no file at {path} for artifact {name!r}")
            return f"emulated: nothing at {path}, no artifact {name!r}"
        target = self.artifacts / name
        if target.exists():
            raise StepFailedError(f"{step.label}: artifact {name!r} exists already (GitHub "
                                  "refuses a second upload of one name)")
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir(parents=True)
            shutil.copy2(source, target / source.name)
        return f"emulated: artifact {name!r} from {path}"

    def download(self, step: Step, runner: Runner, inputs: Mapping[str, str]) -> str:
        name, path = inputs.get("name", ""), inputs.get("path") or "."
        source = self.artifacts / name
        if not name or not source.is_dir():
            if self.skip_jobs:
                return f"skipped: no artifact {name!r} (its job was skipped)"
            raise StepFailedError(f"{step.label}: no artifact {name!r}")
        shutil.copytree(source, runner.checkout / path, dirs_exist_ok=True)
        return f"emulated: artifact {name!r} into {path}"


def parse_outputs(text: str) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as GitHub reads GITHUB_OUTPUT."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            else:
                raise StepFailedError(f"GITHUB_OUTPUT: {name} has no closing {delimiter}")
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


# -- preparing the workspace and collecting the results -----------------------------------------


def git(workspace: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True,
                          text=True).stdout.strip()


def release_of(workspace: Path) -> str:
    doc = YAML(typ="safe").load((workspace / "versions.yaml").read_text(encoding="utf-8"))
    return str(doc["release"])


def prepare_workspace(given: Path | None, work: Path, tag: str | None) -> tuple[Path, str]:
    """The repository to release and its tag: `given` as it is, or a clone of this one's HEAD.

    A missing tag is created in the clone only (a local lightweight tag), which is then checked
    out; a given workspace must already have the tag checked out: the dry run does not move it.
    """
    if given is None:
        workspace = work / "workspace"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(workspace)],
                       check=True)
    else:
        workspace = given.resolve()
    name = tag or f"v{release_of(workspace)}"
    if given is None:
        if not git(workspace, "tag", "--list", name):
            git(workspace, "tag", name)
        git(workspace, "checkout", "--quiet", "--detach", name)
        return workspace, name
    if not git(workspace, "tag", "--list", name):
        raise DryRunError(f"{workspace} has no tag {name}; create it (git tag {name}) or pass "
                          "--tag")
    if git(workspace, "rev-parse", f"{name}^{{commit}}") != git(workspace, "rev-parse", "HEAD"):
        raise DryRunError(f"{workspace}: HEAD is not at {name}, as a tag's release checkout "
                          f"would be (git checkout {name})")
    return workspace, name


def collect(run: Run, output: Path) -> list[str]:
    """Copy what `gh release create` was given into `output`; return what was written."""
    output.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    log = run.work / "gh-calls.jsonl"
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if (
        log.is_file()) else []
    (output / "gh-calls.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in calls), encoding="utf-8")
    written.append("gh-calls.jsonl")
    create = next((c for c in calls if c["argv"][:2] == ["release", "create"]), None)
    notes: Path | None = None
    if create is not None:
        argv, cwd = create["argv"], Path(create["cwd"])
        notes = cwd / argv[argv.index("--notes-file") + 1]
        for asset in positional_assets(argv):
            source = cwd / asset.split("#", 1)[0]  # `path#label`: the label is gh's display name
            shutil.copy2(source, output / source.name)
            written.append(source.name)
    else:  # publishing was skipped: the notes the notes step rendered, if it ran
        notes = next((r.temp / "notes.md" for r in run.runners
                      if (r.temp / "notes.md").is_file()), None)
    if notes is not None:
        shutil.copy2(notes, output / "notes.md")
        written.append("notes.md")
    lines = ["| step | name | what happened | seconds |", "|---|---|---|---|"]
    lines += [f"| {o.label} | {o.name.splitlines()[0]} | {o.status} | {o.seconds:.1f} |"
              for o in run.outcomes]
    (output / "steps.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append("steps.md")
    return written


def positional_assets(argv: Sequence[str]) -> list[str]:
    """The files of `gh release create TAG [options] FILES...` (options all take a value here,
    except the boolean ones listed)."""
    flags = {"--verify-tag", "--draft", "--prerelease", "--latest", "--generate-notes"}
    assets: list[str] = []
    rest = list(argv[3:])
    while rest:
        item = rest.pop(0)
        if item in flags:
            continue
        if item.startswith("-"):
            if "=" not in item:
                rest.pop(0)
            continue
        assets.append(item)
    return assets


# -- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="release_dry_run.py",
        description="Run .github/workflows/release.yml's steps here, against a local registry "
        "and moto.",
    )
    parser.add_argument("--workflow", type=Path, default=WORKFLOW,
                        help="the release workflow (default: %(default)s)")
    parser.add_argument("--workspace", type=Path,
                        help="git repository to release (default: a clone of this one's HEAD)")
    parser.add_argument("--tag", help="release tag (default: v<release of versions.yaml>)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where the notes, the BOM and steps.md go (default: %(default)s)")
    parser.add_argument("--registry", metavar="HOST",
                        help="push to this registry (default: start docker-registry here)")
    parser.add_argument("--ecr-endpoint", metavar="URL",
                        help="ECR API endpoint (default: start moto's server here)")
    parser.add_argument("--no-docker", action="store_true",
                        help="skip the jobs that build or read images (plan and notes only)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the scratch directory (runner temp, artifacts, clone)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return dry_run(args)
    except DryRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StepFailedError as exc:
        print(f"error: {exc}; the steps so far are in {args.output / 'steps.md'}",
              file=sys.stderr)
        return 1


def dry_run(args: argparse.Namespace) -> int:
    workflow = load_workflow(args.workflow)
    no_docker = "--no-docker was given" if args.no_docker else docker_engine()
    if no_docker is not None and not args.no_docker and os.environ.get("CI") == "true":
        raise DryRunError(f"CI=true and {no_docker}")
    work = Path(tempfile.mkdtemp(prefix="release-dry-run-"))
    run: Run | None = None
    try:
        with ExitStack() as stack:
            workspace, tag = prepare_workspace(args.workspace, work, args.tag)
            registry, ecr = args.registry, args.ecr_endpoint
            skip_jobs: dict[str, str] = {}
            skip_steps: dict[tuple[str, str], str] = {}
            if no_docker is not None:
                reason = no_docker if args.no_docker else f"no Docker engine: {no_docker}"
                skip_jobs = dict.fromkeys(DOCKER_JOBS, reason)
                skip_steps = dict.fromkeys(DOCKER_STEPS, f"{reason}: no bill of materials")
                print(f"release dry run: {reason}; skipping the jobs {', '.join(DOCKER_JOBS)} "
                      "and the publish step", file=sys.stderr)
            else:
                registry = registry or stack.enter_context(local_registry(work / "registry"))
                ecr = ecr or stack.enter_context(local_ecr())
            bin_dir = work / "bin"
            bin_dir.mkdir()
            gh = bin_dir / "gh"
            gh.write_text(GH_STAND_IN.format(python=sys.executable), encoding="utf-8")
            gh.chmod(0o755)
            path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent),
                                    os.environ.get("PATH", "")])
            # Nothing of the caller's AWS, GitHub Actions or runner settings leaks into a step:
            # no real AWS account can be reached, and an outer GITHUB_OUTPUT is never written.
            base_env = {k: v for k, v in os.environ.items()
                        if not k.startswith(("AWS_", "GITHUB_", "RUNNER_"))}
            base_env |= {"PATH": path, "DRY_RUN_GH_LOG": str(work / "gh-calls.jsonl"),
                         "DELPHI_RELEASE_DRY_RUN": "1"}
            if ecr:
                base_env["AWS_ENDPOINT_URL_ECR"] = ecr
            variables = {"AWS_RELEASE_ROLE_ARN": FAKE_ROLE, "AWS_REGION": REGION,
                         "RELEASE_REGISTRY": registry or "", "ECR_SCAN_FAIL_ON": "HIGH"}
            print(f"release dry run of {tag} in {workspace}; registry {registry}, ECR {ecr}",
                  file=sys.stderr)
            run = Run(workflow=workflow, workspace=workspace, work=work, tag=tag,
                      sha=git(workspace, "rev-parse", "HEAD"), variables=variables,
                      base_env=base_env, skip_jobs=skip_jobs, skip_steps=skip_steps)
            run.execute()
    finally:
        if run is not None:
            written = collect(run, args.output)
            print(f"release dry run: wrote {', '.join(written)} in {args.output}",
                  file=sys.stderr)
        if args.keep_work:
            print(f"release dry run: scratch directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if no_docker is not None:
        print("release dry run: PARTIAL (plan and notes only): " + no_docker, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

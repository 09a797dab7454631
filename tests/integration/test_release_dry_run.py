"""`scripts/release_dry_run.py`: the release workflow's own steps, run here in order.

The repository released is a small one (docker_support's three test images on a busybox base)
with two release tags, so the notes have a previous release and a third-party change to show.
Without Docker the plan and the notes still run (`--no-docker`); with an engine, a real
`docker-registry` and moto's ECR, the whole workflow runs: plan, one build per matrix entry,
the bill of materials, the notes, and `gh release create` (a stand-in that records it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from docker_support import (
    TEST_IMAGES,
    BaseImage,
    DockerEngine,
    LocalRegistry,
    MotoEcr,
    commit_all,
    engine_or_reason,
    git,
    make_base_image,
    write_tree,
)

from release.cli import main

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release_dry_run.py"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
FAKE_BASE = BaseImage(repository="127.0.0.1:9/test/base", tag="1.0.0",
                      digest="sha256:" + "ab" * 32)
CHECKLIST = """\
items:
  - id: preflight-health
    phase: pre-flight
    title: Check that every service this release replaces is healthy
    services: all
    when: {always: true}
    steps:
      - do: List what runs now.
        run: docker compose ps
"""


def release_tree(root: Path, base: BaseImage) -> Path:
    """Tag v2026.10.0, then alpha-tool 1.2.3 -> 1.2.4 (pinned with the CLI) tagged v2026.11.0."""
    write_tree(root, base)
    (root / "checklists").mkdir()
    (root / "checklists" / "10-pre-flight.yaml").write_text(CHECKLIST, encoding="utf-8")
    manifest = root / "versions.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("release: 2026.11.0", "release: 2026.10.0"), "utf-8")
    commit_all(root, "chore: the checklist")
    git(root, "tag", "v2026.10.0")
    assert main(["pin", "--root", str(root), "alpha-tool", "1.2.4"]) == 0
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("release: 2026.10.0", "release: 2026.11.0"), "utf-8")
    commit_all(root, "feat(alpha): alpha-tool 1.2.4")
    git(root, "tag", "v2026.11.0")
    git(root, "checkout", "--quiet", "--detach", "v2026.11.0")
    return root


def dry_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})}, timeout=900,
    )


def step_rows(output: Path) -> list[tuple[str, str]]:
    """(step label, what happened) of steps.md, in order."""
    rows = []
    for line in (output / "steps.md").read_text(encoding="utf-8").splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows.append((cells[0], cells[2]))
    return rows


def status_of(rows: list[tuple[str, str]], label: str) -> str:
    return next(status for step, status in rows if step == label)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return release_tree(tmp_path / "repo", FAKE_BASE)


# -- without Docker -------------------------------------------------------------------------------


def test_without_docker_the_plan_and_the_notes_run(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = dry_run("--no-docker", "--workspace", str(tree), "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "PARTIAL (plan and notes only): --no-docker was given" in done.stderr
    rows = step_rows(out)
    assert status_of(rows, "plan/ci") == "ran"
    assert status_of(rows, "plan/plan") == "ran"
    assert status_of(rows, "plan/verify-online") == (
        "skipped: it asks the real upstreams; run `nox -s verify -- --online` where there is a "
        "network")
    assert status_of(rows, "plan/install") == (
        "skipped: this environment already has `release` installed")
    assert status_of(rows, "build") == "skipped: --no-docker was given"
    assert status_of(rows, "bom") == "skipped: --no-docker was given"
    assert status_of(rows, "publish/4") == "skipped: no artifact 'bom' (its job was skipped)"
    assert status_of(rows, "publish/5") == "skipped: no artifact 'sbom' (its job was skipped)"
    assert status_of(rows, "publish/notes") == "ran"
    assert status_of(rows, "publish/publish") == (
        "skipped: --no-docker was given: no bill of materials")
    notes = (out / "notes.md").read_text(encoding="utf-8")
    assert "# Delphi 2026.11.0" in notes
    assert re.search(r"alpha-tool.*1\.2\.3.*1\.2\.4", notes)
    # The only gh call: the CI check of the tagged commit (the stand-in answers "success").
    calls = [json.loads(line)["argv"] for line in
             (out / "gh-calls.jsonl").read_text(encoding="utf-8").splitlines()]
    sha = git(tree, "rev-parse", "HEAD").strip()
    assert calls == [["api", f"repos/local/dry-run/actions/workflows/ci.yml/runs?head_sha={sha}"
                      "&status=completed&per_page=1", "--jq",
                      '.workflow_runs[0].conclusion // "no run"']]
    assert not list(out.glob("*bom*.json"))


def test_a_tag_that_is_not_the_release_fails_the_plan_step(tree: Path, tmp_path: Path) -> None:
    git(tree, "tag", "v9.9.9")
    out = tmp_path / "out"
    done = dry_run("--no-docker", "--workspace", str(tree), "--tag", "v9.9.9", "--output",
                   str(out))
    assert done.returncode == 1
    assert "tag v9.9.9 does not match release 2026.11.0 of versions.yaml" in done.stdout
    rows = step_rows(out)
    assert status_of(rows, "plan/plan") == "FAILED: plan/plan exited with 1"
    assert [label for label, _ in rows][-1] == "plan/plan"  # nothing after the failed job


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("        id: plan\n", "        id: planning\n"),
         "job 'plan': step ids ['install', 'verify-online'], expected ['install', "
         "'verify-online', 'plan'] in order"),
        (lambda t: t.replace(
            "      - name: Plan the build\n",
            "      - uses: example/other-action@" + "0" * 40 + " # v1.0.0\n"
            "      - name: Plan the build\n"),
         "jobs.plan.steps[5]: the dry run does not emulate `example/other-action`"),
        (lambda t: t.replace("IMAGE: ${{ matrix.image }}", "IMAGE: ${{ matrix.image || 'x' }}"),
         "jobs.build.steps[6].IMAGE: the dry run does not evaluate "
         "`${{ matrix.image || 'x' }}`"),
    ],
    ids=["renamed-step", "unknown-action", "unknown-expression"],
)
def test_a_workflow_the_dry_run_cannot_follow_is_refused(
    tree: Path, tmp_path: Path, change: object, message: str
) -> None:
    assert callable(change)
    workflow = tmp_path / "release.yml"
    workflow.write_text(change(WORKFLOW.read_text(encoding="utf-8")), encoding="utf-8")
    done = dry_run("--workflow", str(workflow), "--workspace", str(tree), "--output",
                   str(tmp_path / "out"), "--no-docker")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


# -- with Docker, a registry and moto -------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_engine() -> Iterator[DockerEngine]:
    found = engine_or_reason()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, and this test needs a Docker engine: {found}")
        pytest.skip(f"no Docker engine: {found}")
    yield found
    found.stop()


@pytest.mark.docker
def test_the_whole_release_runs_in_order(docker_engine: DockerEngine, tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    ecr = MotoEcr()
    try:
        with docker_engine.connected() as client:
            base = make_base_image(client, registry)
        tree = release_tree(tmp_path / "repo", base)
        out = tmp_path / "out"
        done = dry_run("--workspace", str(tree), "--registry", registry.host,
                       "--ecr-endpoint", ecr.url, "--output", str(out),
                       env={"DOCKER_HOST": docker_engine.host})
        assert done.returncode == 0, done.stderr[-4000:]

        rows = step_rows(out)
        ran = [label for label, status in rows if status == "ran"]
        assert ran == [
            "plan/ci", "plan/plan",
            *(f"build/build [image={name}]" for name in TEST_IMAGES),
            "bom/bom", "bom/scan", "bom/sbom", "bom/sign", "publish/notes", "publish/publish",
        ]
        # What cannot run here says so, instead of pretending.
        assert status_of(rows, "build/4 [image=alpha]").startswith(
            "not run: no QEMU emulators here")
        assert status_of(rows, "build/5 [image=alpha]").startswith(
            "not run: no BuildKit (docker buildx) or QEMU here")
        assert status_of(rows, "bom/8").startswith("not run: no cosign and no OIDC identity")
        assert "dry run: classic builder" in done.stdout

        bom = json.loads((out / "delphi-2026.11.0-bom.json").read_text(encoding="utf-8"))
        assert bom["complete"] is True
        assert bom["release"] == "2026.11.0"
        assert bom["commit"] == git(tree, "rev-parse", "HEAD").strip()
        digests = {i["name"]: i["digest"] for i in bom["images"]}
        for name in TEST_IMAGES:
            assert digests[name] == registry.digest(f"delphi/{name}", "2026.11.0")

        # Signatures are not invented: the dry run's bill of materials says there are none.
        assert {i["signature"] for i in bom["images"]} == {"not signed (dry run)"}
        assert {i["sbom_attestation"] for i in bom["images"]} == {"not attested (dry run)"}
        sbom = json.loads((out / "delphi-2026.11.0-sbom.cdx.json").read_text(encoding="utf-8"))
        assert (sbom["bomFormat"], sbom["specVersion"]) == ("CycloneDX", "1.6")
        images = {c["bom-ref"]: c for c in sbom["components"] if c["bom-ref"].startswith("image:")}
        assert sorted(images) == [f"image:{name}" for name in TEST_IMAGES]

        notes = (out / "notes.md").read_text(encoding="utf-8")
        assert all(digest in notes for digest in digests.values())
        # ... and the notes show it per image, with no cosign command to run.
        for name in TEST_IMAGES:
            assert f"`{digests[name]}` | not signed (dry run) |" in notes
        assert "Not verifiable: alpha (not signed (dry run))" in notes
        assert "cosign verify" not in notes.split("## Operator rollout checklist", 1)[0]

        calls = [json.loads(line)["argv"] for line in
                 (out / "gh-calls.jsonl").read_text(encoding="utf-8").splitlines()]
        assert calls[0][0] == "api"  # the CI check of the tagged commit
        assert calls[1] == ["release", "view", "v2026.11.0"]
        create = calls[2]
        assert create[:4] == ["release", "create", "v2026.11.0", "--verify-tag"]
        assert create[create.index("--title") + 1] == "Delphi 2026.11.0"
        assert create[-2].endswith(
            "/delphi-2026.11.0-bom.json#Bill of materials (releases/2026.11.0.json)")
        assert create[-1].endswith(
            "/delphi-2026.11.0-sbom.cdx.json#SBOM, CycloneDX 1.6 (releases/2026.11.0.cdx.json)")

        ecr_client = boto3.client(
            "ecr", endpoint_url=ecr.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        repositories = ecr_client.describe_repositories()["repositories"]
        assert sorted(r["repositoryName"] for r in repositories) == [
            f"delphi/{name}" for name in TEST_IMAGES
        ]
        assert {r["imageTagMutability"] for r in repositories} == {"IMMUTABLE"}
    finally:
        ecr.stop()
        registry.stop()

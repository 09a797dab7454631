"""`build` against a real Docker engine, a real registry and moto's ECR API.

The engine is the running one, or a vfs `dockerd` started for the session (docker_support);
every test gets its own `docker-registry` on 127.0.0.1 and a reset moto ECR. The test images
(alpha, beta, gamma) are a few kilobytes on a busybox base made with `docker import`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from docker_support import (
    BaseImage,
    DockerEngine,
    LocalRegistry,
    MotoEcr,
    commit_all,
    dockerfile_text,
    engine_or_reason,
    git,
    make_base_image,
    write_tree,
)

from release.cli import main
from release.images.build import BuildOptions, execute
from release.images.ecr import login
from release.images.plan import make_plan, read_sources
from release.images.provenance import read_provenance
from release.images.run import Event, Phase, Status
from release.manifest.load import load_manifest

pytestmark = [pytest.mark.integration, pytest.mark.docker]

IMAGES = ("alpha", "beta", "gamma")
REGION = "us-east-1"


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    found = engine_or_reason()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, and these tests need a Docker engine: {found}")
        pytest.skip(f"no Docker engine: {found}")
    yield found
    found.stop()


@pytest.fixture(scope="session")
def base_image(
    docker_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BaseImage]:
    registry = LocalRegistry(tmp_path_factory.mktemp("base-registry"))
    try:
        with docker_engine.connected() as client:
            base = make_base_image(client, registry)
        yield base
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def moto_ecr() -> Iterator[MotoEcr]:
    server = MotoEcr()
    yield server
    server.stop()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    server = LocalRegistry(tmp_path / "registry")
    yield server
    server.stop()


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, docker_engine: DockerEngine, moto_ecr: MotoEcr
) -> MotoEcr:
    """The environment the CLI reads: this engine, moto's ECR, no proxy, no CI provenance."""
    moto_ecr.reset()
    monkeypatch.setenv("DOCKER_HOST", docker_engine.host)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto_ecr.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY",
                 "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy", "SOURCE_DATE_EPOCH",
                 "GITHUB_SERVER_URL", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return moto_ecr


@pytest.fixture
def tree(tmp_path: Path, base_image: BaseImage) -> Path:
    return write_tree(tmp_path / "repo", base_image)


def build(
    capsys: pytest.CaptureFixture[str], tree: Path, *args: str
) -> tuple[int, dict[str, Any] | None, str]:
    """`python -m release build --root TREE --json ARGS`: exit code, JSON document, stderr."""
    capsys.readouterr()
    code = main(["build", "--root", str(tree), "--json", *args])
    captured = capsys.readouterr()
    doc = json.loads(captured.out) if captured.out.strip() else None
    return code, doc, captured.err


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i["status"] for i in doc["images"]}


def ecr_client(moto: MotoEcr) -> Any:
    return boto3.client("ecr", endpoint_url=moto.url, region_name=REGION)


def read_bom(tree: Path, release: str = "2026.11.0") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tree / "releases" / f"{release}.json").read_text())
    return data


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_build_push_then_rerun_is_a_noop(
    tree: Path, registry: LocalRegistry, env: MotoEcr, *, docker_engine: DockerEngine,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host, "--jobs", "2")
    assert code == 0, err
    assert doc is not None
    assert doc["counts"] == {"builds": 3, "pushes": 3, "tagged": 0, "present": 0, "failed": 0}
    assert statuses(doc) == dict.fromkeys(IMAGES, "pushed")
    head = git(tree, "rev-parse", "HEAD").strip()

    # Both tags are in the registry, on the digest the run reports and the BOM records.
    bom = read_bom(tree)
    assert bom["complete"] is True
    assert bom["commit"] == head
    assert bom["registry"] == registry.host
    for image in doc["images"]:
        repository = f"delphi/{image['name']}"
        content = next(t for t in image["tags"] if t.startswith("input-"))
        assert registry.tags(repository) == sorted(["2026.11.0", content])
        assert registry.digest(repository, "2026.11.0") == image["digest"]
        assert registry.digest(repository, content) == image["digest"]
    assert {i["name"]: i["digest"] for i in bom["images"]} == {
        i["name"]: i["digest"] for i in doc["images"]
    }
    assert {i["status"] for i in bom["images"]} == {"published"}
    assert [c["name"] for c in bom["components"]] == [
        "testbase", "alpha-tool", "beta-tool", "gamma-tool"
    ]
    alpha = next(i for i in bom["images"] if i["name"] == "alpha")
    assert alpha["base_images"] == [
        f"{tree_base(tree)}"
    ]

    # The image carries the OCI labels and the pinned component versions; its log is kept.
    with docker_engine.connected() as client:
        labels = client.images.get(f"{registry.host}/delphi/alpha:2026.11.0").labels
    assert labels["org.opencontainers.image.version"] == "2026.11.0"
    assert labels["org.opencontainers.image.revision"] == head
    assert labels["io.delphi.component.alpha-tool.version"] == "1.2.3"
    assert labels["io.delphi.image.input-hash"] == alpha["input_hash"]
    log = (tree / "build" / "logs" / "alpha.log").read_text()
    assert "Step 1/" in log
    assert "alpha-tool 1.2.3" in log

    # ECR: each repository made immutable, scanned on push, untagged images expire.
    ecr = ecr_client(env)
    repositories = ecr.describe_repositories()["repositories"]
    assert sorted(r["repositoryName"] for r in repositories) == [f"delphi/{n}" for n in IMAGES]
    for repository in repositories:
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
        policy = json.loads(ecr.get_lifecycle_policy(
            repositoryName=repository["repositoryName"])["lifecyclePolicyText"])
        assert policy["rules"][0]["selection"]["tagStatus"] == "untagged"
        assert policy["rules"][0]["action"] == {"type": "expire"}

    # The re-run finds every content tag: nothing built, nothing pushed, the BOM as it was.
    bom_text = (tree / "releases" / "2026.11.0.json").read_text()
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host, "--jobs", "2")
    assert code == 0, err
    assert doc is not None
    assert doc["counts"] == {"builds": 0, "pushes": 0, "tagged": 0, "present": 3, "failed": 0}
    assert "bill of materials releases/2026.11.0.json unchanged" in err
    assert (tree / "releases" / "2026.11.0.json").read_text() == bom_text

    # Without --registry the push goes to ECR's own host, after a login whose token is never
    # shown. That host is reached through HTTPS_PROXY, here a closed port on 127.0.0.1 (no
    # request leaves this machine): a clear error, and nothing written.
    target = login(ecr)
    assert target.credentials is not None
    password = target.credentials.password
    assert password not in repr(target)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    code, doc, err = build(capsys, tree, "--push")
    assert code == 1
    assert doc is None
    assert f"error: registry {target.host} is unreachable" in err
    assert "nothing was built or pushed and no bill of materials was written" in err
    assert password not in err
    assert (tree / "releases" / "2026.11.0.json").read_text() == bom_text


def tree_base(tree: Path) -> str:
    """The FROM line's image reference of the test images."""
    first = (tree / "images" / "alpha" / "Dockerfile").read_text().splitlines()[0]
    return first.removeprefix("FROM ")


def test_a_changed_pin_rebuilds_only_the_images_that_pin_it(
    tree: Path, registry: LocalRegistry, env: MotoEcr, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 0, err
    assert doc is not None
    first = {i["name"]: i["digest"] for i in doc["images"]}

    assert main(["pin", "alpha-tool", "1.2.4", "--root", str(tree)]) == 0
    manifest = tree / "versions.yaml"
    manifest.write_text(manifest.read_text().replace("release: 2026.11.0", "release: 2026.11.1"))
    commit_all(tree, "alpha-tool 1.2.4, release 2026.11.1")

    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 0, err
    assert doc is not None
    assert doc["counts"] == {"builds": 1, "pushes": 1, "tagged": 2, "present": 0, "failed": 0}
    assert statuses(doc) == {"alpha": "pushed", "beta": "tagged", "gamma": "tagged"}
    second = {i["name"]: i["digest"] for i in doc["images"]}
    assert second["alpha"] != first["alpha"]
    for name in ("beta", "gamma"):
        assert second[name] == first[name]
        assert registry.digest(f"delphi/{name}", "2026.11.1") == first[name]
    assert "alpha-tool 1.2.4" in (tree / "build" / "logs" / "alpha.log").read_text()

    capsys.readouterr()
    assert main(["bom", "diff", "2026.11.0", "2026.11.1", "--root", str(tree)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "components: 1 changed",
        "  alpha-tool: 1.2.3 -> 1.2.4",
        "images: 1 changed",
        f"  alpha: {first['alpha'][:19]}... -> {second['alpha'][:19]}... (inputs changed)",
        "unchanged images: beta, gamma",
    ]


def test_an_existing_tag_with_a_different_digest_is_refused(
    tree: Path, registry: LocalRegistry, env: MotoEcr, docker_engine: DockerEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 0, err
    assert doc is not None
    pushed = {i["name"]: i for i in doc["images"]}

    # gamma's inputs change but the release version does not: its release tag is taken.
    conf = tree / "images" / "gamma" / "gamma.conf"
    conf.write_text(conf.read_text() + "verbose = yes\n")
    commit_all(tree, "gamma: verbose")
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 1
    assert doc is None
    gamma_digest = pushed["gamma"]["digest"]
    assert "error: refusing to overwrite 1 existing tag; nothing was built or pushed:" in err
    assert (f"delphi/gamma:2026.11.0 already exists in {registry.host} as {gamma_digest}, but "
            "this release's gamma image is not there") in err
    assert "hint: a pushed release tag is immutable: bump `release` in versions.yaml" in err
    assert registry.digest("delphi/gamma", "2026.11.0") == gamma_digest
    assert len(registry.tags("delphi/gamma")) == 2

    # beta's release tag is moved behind the tool's back: its content tag is still there, on
    # another digest than the release tag.
    git(tree, "revert", "--no-edit", "HEAD")
    intruder = f"{registry.host}/delphi/beta"
    with docker_engine.connected() as client:
        client.api.tag(f"{registry.host}/delphi/alpha:2026.11.0", intruder, "2026.11.0")
        for event in client.api.push(intruder, tag="2026.11.0", stream=True, decode=True):
            assert "error" not in event, event
    moved = registry.digest("delphi/beta", "2026.11.0")
    assert moved == pushed["alpha"]["digest"] != pushed["beta"]["digest"]
    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 1
    assert (f"delphi/beta:2026.11.0 already exists in {registry.host} as {moved}, but this "
            f"release's beta image is {pushed['beta']['digest']}") in err
    assert registry.digest("delphi/beta", "2026.11.0") == moved


def test_the_version_probe_catches_a_build_arg_that_did_not_reach_the_binary(
    tree: Path, registry: LocalRegistry, env: MotoEcr, base_image: BaseImage,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # alpha's Dockerfile writes a fixed version into its binary instead of the build arg.
    dockerfile = tree / "images" / "alpha" / "Dockerfile"
    dockerfile.write_text(dockerfile_text(base_image, "alpha", version_from="1.2.3"))
    commit_all(tree, "alpha: ignores its build arg")
    assert main(["pin", "alpha-tool", "1.2.4", "--root", str(tree)]) == 0
    commit_all(tree, "alpha-tool 1.2.4")

    code, doc, err = build(capsys, tree, "--push", "--registry", registry.host)
    assert code == 1
    assert doc is not None
    assert statuses(doc) == {"alpha": "failed", "beta": "pushed", "gamma": "pushed"}
    alpha = doc["images"][0]
    assert alpha["stage"] == "probe"
    assert alpha["built"] is True
    assert alpha["error"] == (
        "version probe `alpha-tool --version` printed 'alpha-tool 1.2.3', not the pinned "
        "version 1.2.4 (alpha-tool): a build arg did not reach the binary"
    )
    assert f"error: alpha failed at probe: {alpha['error']} (log: " in err
    assert registry.tags("delphi/alpha") == []
    bom = read_bom(tree)
    assert bom["complete"] is False
    bom_alpha = bom["images"][0]
    assert (bom_alpha["status"], bom_alpha["digest"], bom_alpha["tags"]) == ("failed", None, [])


def test_a_failing_dockerfile_reports_its_step_while_the_others_build(
    tree: Path, env: MotoEcr, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images" / "alpha" / "Dockerfile"
    lines = dockerfile.read_text().splitlines(keepends=True)
    lines.insert(3, "RUN echo configuring alpha && exit 3\n")
    dockerfile.write_text("".join(lines))

    # One build at a time, alpha first: beta and gamma are built after alpha failed.
    code, doc, err = build(capsys, tree, "--jobs", "1")
    assert code == 1
    assert doc is not None
    assert statuses(doc) == {"alpha": "failed", "beta": "built", "gamma": "built"}
    alpha = doc["images"][0]
    assert alpha["stage"] == "build"
    assert alpha["error"].startswith(
        "step 4/12 `RUN echo configuring alpha && exit 3` failed: The command '/bin/sh -c echo "
        "configuring alpha && exit 3' returned a non-zero code: 3"
    )
    assert "| configuring alpha" in alpha["error"]
    log = tree / "build" / "logs" / "alpha.log"
    assert alpha["log"] == str(log)
    assert "Step 4/12 : RUN echo configuring alpha && exit 3" in log.read_text()
    assert "error: alpha failed at build: step 4/12" in err
    # The progress display named each image's steps as they ran.
    assert "alpha: step 4/12: RUN echo configuring alpha && exit 3" in err
    assert "beta: step 3/11: RUN printf" in err
    assert not (tree / "releases").exists()


def test_the_registry_being_down_is_a_clear_error_and_the_bom_records_nothing_false(
    tree: Path, registry: LocalRegistry, env: MotoEcr, docker_engine: DockerEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Down from the start: nothing is built, no BOM is written.
    host = registry.host
    registry.stop()
    code, doc, err = build(capsys, tree, "--push", "--registry", host)
    assert code == 1
    assert doc is None
    assert err.splitlines()[0] == (
        f"error: registry {host} is unreachable: connection refused; nothing was built or "
        "pushed and no bill of materials was written"
    )
    assert not (tree / "releases").exists()

    # Down while building: every push fails, the BOM says so and holds no digest at all.
    live = LocalRegistry(tree.parent / "registry-2")
    stopped = threading.Event()

    def on_event(event: Event) -> None:
        if event.phase is Phase.BUILDING and not stopped.is_set():
            stopped.set()
            live.stop()

    loaded = load_manifest(tree / "versions.yaml")
    sources, not_built = read_sources(tree)
    plan = make_plan(loaded.manifest, sources, read_provenance(tree, os.environ),
                     not_built=not_built)
    options = BuildOptions(root=tree, log_dir=tree / "build" / "logs", push=True,
                           registry=live.host, jobs=1)
    try:
        with httpx.Client(timeout=10) as http:
            report = execute(options, manifest=loaded.manifest, plan=plan,
                             docker_factory=docker_engine.client, ecr_client=ecr_client(env),
                             http=http, on_event=on_event)
    finally:
        live.stop()
    assert [(o.status, o.stage, o.built) for o in report.outcome.outcomes] == [
        (Status.FAILED, "push", True)
    ] * 3
    for outcome in report.outcome.outcomes:
        assert outcome.error is not None
        assert outcome.error.startswith(f"push of {live.host}/delphi/{outcome.name}:input-")
        assert "connection refused" in outcome.error
    bom = read_bom(tree)
    assert bom["complete"] is False
    assert bom["registry"] == live.host
    assert [(i["status"], i["digest"], i["tags"], i["registry"]) for i in bom["images"]] == [
        ("failed", None, [], None)
    ] * 3


def test_one_commit_built_twice_gives_one_image_id(
    tmp_path: Path, base_image: BaseImage, env: MotoEcr, *, docker_engine: DockerEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Reproducible by default: no SOURCE_DATE_EPOCH, the build cache gone between the builds."""
    # Salted: no step can come from the cache of another test's build.
    tree = write_tree(tmp_path / "repo", base_image, salt="reproducible")
    code, doc, err = build(capsys, tree, "--only", "alpha")
    assert code == 0, err
    assert doc is not None
    # The local build says what it cannot do.
    assert err.splitlines()[-1] == (
        "build: the engine's classic builder made these images for its own architecture only, "
        "without SBOM or provenance attestations; the release builds linux/amd64 and "
        "linux/arm64 with both, with BuildKit (build --plan --bake, release.yml)")
    first = next(i for i in doc["images"] if i["name"] == "alpha")["image_id"]
    committed = int(git(tree, "log", "-1", "--format=%ct").strip())
    log = (tree / "build" / "logs" / "alpha.log").read_text()
    clamped = re.search(r"# timestamps clamped to \S+: (\S+) -> (\S+)\n", log)
    assert clamped is not None
    built, reproducible = clamped.groups()
    assert reproducible == first != built
    with docker_engine.connected() as client:
        attrs = client.images.get(first).attrs
        # Removing an image removes its untagged parents too: nothing is left to cache from.
        client.images.remove(first, force=True)
        client.images.remove(built, force=True)
    created = dt.datetime.fromtimestamp(committed, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert attrs["Created"].startswith(created.removesuffix("Z"))
    assert attrs["Config"]["Labels"]["org.opencontainers.image.created"] == created

    code, doc, err = build(capsys, tree, "--only", "alpha")
    assert code == 0, err
    assert doc is not None
    second = next(i for i in doc["images"] if i["name"] == "alpha")["image_id"]
    log = (tree / "build" / "logs" / "alpha.log").read_text()
    assert "Using cache" not in log  # the RUN step really ran again, at another time
    assert second == first

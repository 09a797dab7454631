"""Real Docker parts for the image tests, started here when none is running.

- `DockerEngine`: the engine of `DOCKER_HOST` or `/var/run/docker.sock` when one answers, else a
  `dockerd` of Debian's docker.io started in a temp dir (`--storage-driver=vfs --iptables=false
  --bridge=none`, its own socket, exec root and pid file), stopped at the end.
- `LocalRegistry`: Debian's `docker-registry` (distribution) on 127.0.0.1, filesystem storage.
- `MotoEcr`: moto's server mode on 127.0.0.1, for the ECR API (it stores no layers: pushes go to
  a `LocalRegistry` through `--registry`).
- `make_base_image`: base images cannot be pulled here, so the test images start from a base
  made with `docker import` of a tarball holding Debian's static busybox (a shell, for `RUN`
  and the version probe), pushed once so that it has a digest to pin.
- `write_tree`: a repository with a versions.yaml and three tiny images pinning it.

When no engine can be had, `engine_or_reason` says exactly why, so tests can skip with that
reason (or fail under CI=true).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
from moto.server import ThreadedMotoServer

DEFAULT_SOCKET = "/var/run/docker.sock"
START_TIMEOUT = 60.0
TEST_IMAGES = ("alpha", "beta", "gamma")
TOOL_VERSIONS = {"alpha": "1.2.3", "beta": "2.0.1", "gamma": "3.1.0"}
BASE_REPOSITORY = "test/base"
BASE_TAG = "1.0.0"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pings(host: str) -> bool:
    """Whether an engine answers `GET /_ping` at `host` (plain HTTP: docker-py leaks a socket
    when its client's constructor meets an engine that is still starting)."""
    transport = None
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        if not Path(path).exists():
            return False
        transport, url = httpx.HTTPTransport(uds=path), "http://docker/_ping"
    elif host.startswith("tcp://"):
        url = f"http://{host.removeprefix('tcp://')}/_ping"
    else:
        return False
    try:
        with httpx.Client(transport=transport, timeout=5) as client:
            return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:])


@dataclass
class DockerEngine:
    """A Docker engine the tests may use: `host` is a DOCKER_HOST value."""

    host: str
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None

    def client(self, timeout: int = 600) -> Any:
        return docker.DockerClient(base_url=self.host, timeout=timeout)

    @contextmanager
    def connected(self) -> Iterator[Any]:
        """A client of this engine, closed afterwards."""
        client = self.client()
        try:
            yield client
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def engine_or_reason() -> DockerEngine | str:
    """A running engine, one started here, or the reason there can be none."""
    for host in (os.environ.get("DOCKER_HOST"), f"unix://{DEFAULT_SOCKET}"):
        if host and _pings(host):
            return DockerEngine(host=host)
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        return ("no Docker engine answers and `dockerd` is not installed "
                "(apt-get install docker.io)")
    if os.geteuid() != 0:
        return "no Docker engine answers and starting `dockerd` needs root"
    # A short path: containerd's sockets live under the exec root (108-byte socket path limit).
    workdir = Path(tempfile.mkdtemp(prefix="dkr-", dir="/tmp"))
    sock = workdir / "docker.sock"
    log = workdir / "dockerd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [dockerd, "--storage-driver=vfs", "--iptables=false", "--ip-masq=false",
             "--bridge=none", "--data-root", str(workdir / "root"),
             "--exec-root", str(workdir / "exec"), "--pidfile", str(workdir / "docker.pid"),
             "--host", f"unix://{sock}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    engine = DockerEngine(host=f"unix://{sock}", process=process, workdir=workdir)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            reason = f"dockerd exited with {process.returncode}: {_tail(log)}"
            engine.stop()
            return reason
        if sock.exists() and _pings(engine.host):
            return engine
        time.sleep(0.2)
    reason = f"dockerd did not answer within {START_TIMEOUT:.0f}s: {_tail(log)}"
    engine.stop()
    return reason


class LocalRegistry:
    """Debian's docker-registry on 127.0.0.1, storing into a temp dir."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        if not Path(binary).exists():
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        self.workdir = workdir
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
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
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{self.port}
            """), encoding="utf-8")
        self.log = workdir / "registry.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {_tail(self.log)}")
            try:
                if httpx.get(f"http://{self.host}/v2/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer: {_tail(self.log)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tags(self, repository: str) -> list[str]:
        response = httpx.get(f"http://{self.host}/v2/{repository}/tags/list", timeout=10)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])

    def digest(self, repository: str, tag: str) -> str | None:
        response = httpx.head(
            f"http://{self.host}/v2/{repository}/manifests/{tag}", timeout=10,
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                     "application/vnd.oci.image.manifest.v1+json"},
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.headers["Docker-Content-Digest"]


class MotoEcr:
    """moto's server mode on 127.0.0.1 (the ECR API)."""

    def __init__(self) -> None:
        # werkzeug logs every request of moto's server on stderr; only errors matter here.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto's backends are per process, not per server: what an earlier test's server
        # created (test_scan_gate's delphi/redis) would still be listed by this one.
        self.reset()

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        self.server.stop()


@dataclass(frozen=True)
class BaseImage:
    repository: str  # host:port/test/base
    tag: str
    digest: str


def _rootfs_tar() -> bytes:
    """A root filesystem of one static busybox and a symlink per applet."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    data = Path(busybox).read_bytes()
    applets = subprocess.run(
        [busybox, "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind in (("bin", tarfile.DIRTYPE), ("etc", tarfile.DIRTYPE),
                           ("tmp", tarfile.DIRTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = kind, 0o1777 if name == "tmp" else 0o755
            tar.addfile(info)
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in applets:
            if applet == "busybox":
                continue
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
    return buffer.getvalue()


def make_base_image(client: Any, registry: LocalRegistry) -> BaseImage:
    """`docker import` the busybox rootfs and push it, so it has a digest to pin."""
    repository = f"{registry.host}/{BASE_REPOSITORY}"
    client.api.import_image_from_data(_rootfs_tar(), repository=repository, tag=BASE_TAG)
    digest = None
    for event in client.api.push(repository, tag=BASE_TAG, stream=True, decode=True):
        if "error" in event:
            raise RuntimeError(f"cannot push the base image: {event['error']}")
        aux = event.get("aux")
        if isinstance(aux, dict) and "Digest" in aux:
            digest = str(aux["Digest"])
    if digest is None:
        raise RuntimeError("pushing the base image reported no digest")
    return BaseImage(repository=repository, tag=BASE_TAG, digest=digest)


def manifest_text(base: BaseImage, release: str = "2026.11.0") -> str:
    pins = "\n".join(
        f"      - {{kind: dockerfile-from, file: images/{name}/Dockerfile, "
        f"image: {base.repository}}}"
        for name in TEST_IMAGES
    )
    tools = "".join(
        f"  {name}-tool:\n"
        f"    description: the tool of the {name} test image\n"
        "    services: [ops]\n"
        f"    version: {TOOL_VERSIONS[name]}\n"
        "    versioning:\n"
        "      tag: v{version}\n"
        "    upstream:\n"
        "      kind: github-releases\n"
        f"      repo: example/{name}-tool\n"
        "    pins:\n"
        f"      - {{kind: dockerfile-arg, file: images/{name}/Dockerfile, "
        f"name: {name.upper()}_VERSION}}\n"
        for name in TEST_IMAGES
    )
    return (
        "schema: 1\n"
        f"release: {release}\n"
        "\n"
        "components:\n"
        "  testbase:\n"
        "    description: busybox base of the test images (docker import)\n"
        "    services: [ops]\n"
        f'    version: "{base.tag}"\n'
        "    versioning:\n"
        '      tag: "{version}"\n'
        "    upstream:\n"
        "      kind: registry\n"
        f"      image: {BASE_REPOSITORY}\n"
        f"      registry: {base.repository.split('/')[0]}\n"
        "    image:\n"
        f"      repository: {base.repository}\n"
        '      tag: "{version}"\n'
        f"      digest: {base.digest}\n"
        "    pins:\n"
        f"{pins}\n"
        "\n"
        f"{tools}"
    )


def dockerfile_text(
    base: BaseImage, name: str, *, version_from: str | None = None, salt: str | None = None
) -> str:
    """A tiny image whose `<name>-tool --version` prints the version its build arg carries.

    `version_from` hard-codes the printed version instead: a build arg that does not reach
    the binary. `salt` adds a label right after FROM, so no step can come from the engine's
    build cache (for benchmarks).
    """
    arg = f"{name.upper()}_VERSION"
    printed = version_from if version_from is not None else f"${arg}"
    salted = f"LABEL io.delphi.test.salt={salt}\n" if salt else ""
    return (
        f"FROM {base.repository}:{base.tag}@{base.digest}\n"
        f"{salted}"
        f"ARG {arg}={TOOL_VERSIONS[name]}\n"
        f"RUN printf '#!/bin/sh\\necho \"{name}-tool %s\"\\n' \"{printed}\" > /bin/{name}-tool"
        f" && chmod 0755 /bin/{name}-tool\n"
        f"COPY {name}.conf /etc/{name}.conf\n"
        f'CMD ["{name}-tool"]\n'
    )


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env=env).stdout


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def write_tree(root: Path, base: BaseImage, *, salt: str | None = None) -> Path:
    """A git repository with versions.yaml and the images alpha, beta, gamma (committed)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "versions.yaml").write_text(manifest_text(base), encoding="utf-8")
    for name in TEST_IMAGES:
        folder = root / "images" / name
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text(dockerfile_text(base, name, salt=salt),
                                           encoding="utf-8")
        (folder / f"{name}.conf").write_text(f"# {name} configuration\nname = {name}\n",
                                             encoding="utf-8")
        (folder / "probe").write_text(f"{name}-tool --version\n", encoding="utf-8")
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "test images")
    return root

"""The Docker engine through the docker SDK: build, version probe, pull, tag, push.

The client is injected (the CLI makes it from `DOCKER_HOST`; tests pass one for their own
daemon). Each built image is then made reproducible (`release.images.reproduce`: every timestamp
clamped to the plan's `created`, so one commit gives one image ID). Builds go through the
engine's build API (the classic builder, whose output names each step as
`Step N/M : INSTRUCTION`), from the context tar `release.images.context` made, so the engine
sees exactly the hashed files. docker and requests exceptions are translated here into
`EngineError` (the engine refused or broke off) and `EngineUnavailable` (no engine at all).
"""

from __future__ import annotations

import contextlib
import re
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import docker
import docker.errors
import requests

from release.errors import ReleaseError
from release.images.reproduce import clamp_image

STEP_RE = re.compile(r"Step (\d+)/(\d+) : (.*)")
TAIL_LINES = 8
PROBE_TIMEOUT = 120.0


class EngineError(ReleaseError):
    """The engine refused or failed a request."""


class EngineUnavailable(EngineError):  # noqa: N818 - a state, like InvalidInput
    """No Docker engine answers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    number: int
    total: int
    instruction: str

    def __str__(self) -> str:
        return f"step {self.number}/{self.total} `{self.instruction}`"


class BuildError(EngineError):
    """A build stopped at `step` (None when it failed before the first one)."""

    def __init__(self, message: str, *, step: Step | None, tail: Sequence[str]) -> None:
        super().__init__(message)
        self.step = step
        self.tail = tuple(tail)


class PushError(EngineError):
    """The engine could not push a tag."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeOutput:
    exit_code: int
    output: str


def connect(factory: Callable[[], Any]) -> Any:
    """Make a docker client with `factory`, translating 'no engine' into `EngineUnavailable`."""
    client = None
    try:
        client = factory()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        if client is not None:
            client.close()
        raise EngineUnavailable(
            f"cannot reach a Docker engine: {exc}",
            hint="start dockerd, or point DOCKER_HOST at a running engine",
        ) from None
    return client


class Engine:
    """Builds, probes, tags and pushes with one injected `docker.DockerClient`."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def build(
        self,
        *,
        context: bytes,
        dockerfile: str,
        args: Mapping[str, str],
        labels: Mapping[str, str],
        log: TextIO,
        on_step: Callable[[Step], None],
    ) -> str:
        """Build from a context tar; returns the image ID. Raises `BuildError` at a failed step.

        Every line of the engine's output goes to `log`; `on_step` hears of each step as it
        starts. The image is not tagged here: it is tagged once its version probe passed.
        """
        step: Step | None = None
        tail: list[str] = []
        image_id: str | None = None
        try:
            stream = self.client.api.build(
                fileobj=context, custom_context=True, dockerfile=dockerfile,
                buildargs=dict(args), labels=dict(labels), rm=True, forcerm=True, pull=False,
                decode=True,
            )
            for event in stream:
                if "stream" in event:
                    text = str(event["stream"])
                    log.write(text)
                    for line in text.splitlines():
                        match = STEP_RE.match(line.strip())
                        if match:
                            step = Step(number=int(match[1]), total=int(match[2]),
                                        instruction=match[3])
                            tail.clear()
                            on_step(step)
                        elif line.strip():
                            tail.append(line.rstrip())
                            del tail[:-TAIL_LINES]
                elif "aux" in event and isinstance(event["aux"], dict) and "ID" in event["aux"]:
                    image_id = str(event["aux"]["ID"])
                elif "error" in event:
                    detail = event.get("errorDetail") or {}
                    message = str(detail.get("message") or event["error"]).strip()
                    log.write(f"ERROR: {message}\n")
                    where = f"{step}" if step is not None else "before the first step"
                    raise BuildError(f"{where} failed: {message}", step=step, tail=tail)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            log.write(f"ERROR: {exc}\n")
            raise BuildError(f"the engine broke off the build: {exc}", step=step,
                              tail=tail) from None
        finally:
            log.flush()
        if image_id is None:
            raise BuildError("the engine reported no image ID", step=step, tail=tail)
        return image_id

    def reproducible(self, image_id: str, epoch: int) -> str:
        """The image with every timestamp clamped to `epoch` (see `reproduce`); its new ID."""
        try:
            return clamp_image(self.client, image_id, epoch)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(f"cannot rewrite the timestamps of {image_id[:19]}: {exc}") from None
        except (ValueError, KeyError, tarfile.TarError) as exc:
            raise EngineError(f"cannot read the saved image {image_id[:19]}: {exc}") from None

    def probe(
        self, image_id: str, argv: Sequence[str], *, timeout: float = PROBE_TIMEOUT
    ) -> ProbeOutput:
        """Run `argv` in a throw-away container of the image (no network); stdout and stderr."""
        container = None
        try:
            container = self.client.containers.create(
                image_id, command=list(argv[1:]), entrypoint=[argv[0]], network_mode="none",
                detach=True,
            )
            container.start()
            try:
                result = container.wait(timeout=timeout)
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                return ProbeOutput(exit_code=-1, output=f"(no answer within {timeout:.0f}s)")
            output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
            return ProbeOutput(exit_code=int(result.get("StatusCode", -1)), output=output)
        except docker.errors.APIError as exc:
            # The command could not even start (no such executable): that is the probe's answer.
            return ProbeOutput(exit_code=-1, output=str(exc.explanation or exc))
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(f"cannot run the version probe: {exc}") from None
        finally:
            if container is not None:
                with contextlib.suppress(
                    docker.errors.DockerException, requests.exceptions.RequestException
                ):
                    container.remove(force=True)

    def pull(self, repository: str, digest: str, *, platform: str,
             auth: Mapping[str, str] | None) -> str:
        """Pull `repository@digest` for `platform` (an index's member); its local image ID."""
        try:
            image = self.client.images.pull(repository, tag=digest, platform=platform,
                                            auth_config=dict(auth) if auth else None)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(f"cannot pull {repository}@{digest} ({platform}): {exc}") from None
        return str(image.id)

    def tag(self, image_id: str, repository: str, tag: str) -> None:
        try:
            self.client.api.tag(image_id, repository, tag, force=True)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(f"cannot tag {image_id[:19]} as {repository}:{tag}: {exc}") from None

    def push(
        self, repository: str, tag: str, *, auth: Mapping[str, str] | None, log: TextIO
    ) -> str:
        """Push `repository:tag` (repository includes the registry host); returns its digest."""
        digest: str | None = None
        started = time.monotonic()
        try:
            stream = self.client.api.push(
                repository, tag=tag, auth_config=dict(auth) if auth else None, stream=True,
                decode=True,
            )
            for event in stream:
                if "error" in event:
                    detail = event.get("errorDetail") or {}
                    message = str(detail.get("message") or event["error"]).strip()
                    log.write(f"push {repository}:{tag}: ERROR: {message}\n")
                    raise PushError(f"push of {repository}:{tag} failed: {message}")
                aux = event.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = str(aux["Digest"])
                status = event.get("status")
                if status and not event.get("progressDetail"):
                    ident = f"{event['id']}: " if event.get("id") else ""
                    log.write(f"push {repository}:{tag}: {ident}{status}\n")
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise PushError(f"push of {repository}:{tag} failed: {exc}") from None
        finally:
            log.flush()
        if digest is None:
            raise PushError(f"push of {repository}:{tag} reported no digest")
        log.write(f"push {repository}:{tag}: {digest} in {time.monotonic() - started:.1f}s\n")
        return digest

"""Deciding what each image needs, then building, probing, pushing and tagging.

`lookup` reads what the target registry holds for each image (its content tag and its release
tag). `decide` is pure over that: an image whose content tag is there is not built again (its
inputs are already an image), and only gets the release tag when it lacks it; a release tag that
already points at something else is a `TagConflict` raised before anything is built, because an
existing tag is never overwritten. `apply` carries the decisions out, several builds at once, and
returns an outcome per image; a failed image never stops the others.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from release.errors import ReleaseError
from release.images.context import context_tar
from release.images.engine import BuildError, Engine, EngineError, Step
from release.images.plan import OCI, BuildPlan, ImagePlan
from release.images.registry import Registry, RegistryError
from release.images.reproduce import epoch_of

CREATED_LABEL = f"{OCI}created"


class Action(StrEnum):
    BUILD = "build"  # the content tag is not in the target registry (or there is none)
    TAG = "tag"  # the image is there under its content tag; add the release tag
    PRESENT = "present"  # both tags are there, on one digest: nothing to do
    SKIP = "not-selected"  # left out by --only


class Status(StrEnum):
    BUILT = "built"  # built and probed, kept in the engine (no push)
    PUSHED = "pushed"  # built, probed and pushed under both tags
    TAGGED = "tagged"  # the existing image got the release tag
    PRESENT = "present"  # already in the registry under both tags
    NOT_SELECTED = "not-selected"
    FAILED = "failed"


class Phase(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    STEP = "step"
    PROBING = "probing"
    PUSHING = "pushing"
    TAGGING = "tagging"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryState:
    """The digests the target registry holds for an image's content and release tags."""

    content: str | None = None
    release: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    image: ImagePlan
    action: Action
    state: RegistryState = field(default_factory=RegistryState)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Progress of one image, for the display: a phase, the build step, a short detail."""

    image: str
    phase: Phase
    step: Step | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageOutcome:
    """What happened to one image.

    `digest` and `tags` are only what the target registry was seen to hold (after a push, or by
    `lookup`); `built` says whether an image was built in this run; `stage` says where a failed
    image stopped (`build`, `probe`, `push`, `tag`).
    """

    name: str
    status: Status
    digest: str | None = None
    tags: tuple[str, ...] = ()
    built: bool = False
    image_id: str | None = None
    stage: str | None = None
    error: str | None = None
    log: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    outcomes: tuple[ImageOutcome, ...]
    registry: str | None
    pushed: bool

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def builds(self) -> int:
        return sum(1 for o in self.outcomes if o.built)

    @property
    def pushes(self) -> int:
        return self.count(Status.PUSHED)

    @property
    def failed(self) -> tuple[ImageOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.FAILED)


class TagConflict(ReleaseError):  # noqa: N818 - named by what it is, like InvalidInput
    """A tag this release would push already points at another image."""


# -- read ----------------------------------------------------------------------------------------


def lookup(registry: Registry, plan: BuildPlan) -> dict[str, RegistryState]:
    """What the registry holds for every image of `plan` (raises `RegistryUnavailable`)."""
    registry.ping()
    return {
        image.name: RegistryState(
            content=registry.tag_digest(image.repository, image.content_tag),
            release=registry.tag_digest(image.repository, image.release_tag),
        )
        for image in plan.images
    }


# -- decide (pure) -------------------------------------------------------------------------------


def decide(
    plan: BuildPlan,
    states: Mapping[str, RegistryState] | None,
    *,
    selected: Sequence[str] | None = None,
    registry: str = "the registry",
    push: bool = True,
) -> list[Decision]:
    """One decision per image; `states` None means there is no target registry (build all).

    When pushing, raises `TagConflict` naming every selected image whose release tag already
    points elsewhere; a build that pushes nothing cannot overwrite anything, so it goes on.
    """
    chosen = set(selected) if selected else set(plan.names())
    decisions: list[Decision] = []
    conflicts: list[str] = []
    for image in plan.images:
        state = (states or {}).get(image.name, RegistryState())
        if image.name not in chosen:
            decisions.append(Decision(image=image, action=Action.SKIP, state=state))
            continue
        if states is None or state.content is None:
            if state.release is not None:
                conflicts.append(
                    f"{image.repository}:{image.release_tag} already exists in {registry} as "
                    f"{state.release}, but this release's {image.name} image is not there (its "
                    f"content tag {image.content_tag} is missing): its inputs changed since that "
                    "tag was pushed"
                )
            decisions.append(Decision(image=image, action=Action.BUILD, state=state))
        elif state.release is None:
            decisions.append(Decision(image=image, action=Action.TAG, state=state))
        elif state.release == state.content:
            decisions.append(Decision(image=image, action=Action.PRESENT, state=state))
        else:
            conflicts.append(
                f"{image.repository}:{image.release_tag} already exists in {registry} as "
                f"{state.release}, but this release's {image.name} image is {state.content} "
                f"({image.repository}:{image.content_tag})"
            )
            decisions.append(Decision(image=image, action=Action.PRESENT, state=state))
    if conflicts and push:
        count = len(conflicts)
        raise TagConflict(
            f"refusing to overwrite {count} existing tag{'s' if count > 1 else ''}; nothing was "
            "built or pushed:\n  " + "\n  ".join(conflicts),
            hint="a pushed release tag is immutable: bump `release` in versions.yaml for a "
            "release with different images",
        )
    return decisions


def version_in_output(version: str, output: str) -> bool:
    """Whether `output` names `version` as a whole version (1.2.3 is not in 1.2.30 or 11.2.3)."""
    pattern = rf"(?<![0-9.]){re.escape(version)}(?![0-9]|\.[0-9])"
    return re.search(pattern, output) is not None


def probe_problem(image: ImagePlan, exit_code: int, output: str) -> str | None:
    """Why a probe's output fails `image` (None when it names every expected version)."""
    missing = [c for c in image.expected if not version_in_output(c.version, output)]
    if not missing:
        return None
    shown = " ".join(output.split())[:200] or "(nothing)"
    wanted = ", ".join(f"{c.version} ({c.name})" for c in missing)
    if exit_code:
        return (f"version probe `{' '.join(image.probe)}` printed {shown!r} and exited "
                f"{exit_code}, not the pinned version {wanted}")
    return (
        f"version probe `{' '.join(image.probe)}` printed {shown!r}, not the pinned version "
        f"{wanted}: a build arg did not reach the binary"
    )


# -- apply ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where images go: the registry (None for a local build) and whether to push there."""

    registry: Registry | None
    push: bool
    auth: Mapping[str, str] | None = field(default=None, repr=False)


def apply(
    decisions: Sequence[Decision],
    *,
    engine: Engine | None,
    target: Target,
    log_dir: Path,
    jobs: int,
    on_event: Callable[[Event], None],
) -> RunOutcome:
    """Carry out every decision, at most `jobs` builds at a time; one outcome per image."""
    if any(d.action is Action.BUILD for d in decisions) and engine is None:
        raise ReleaseError("a build needs a Docker engine")  # pragma: no cover - CLI ensures it
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReleaseError(
            f"cannot create the build log directory {log_dir}: {exc.strerror}"
        ) from None
    for decision in decisions:
        if decision.action is Action.BUILD:
            on_event(Event(image=decision.image.name, phase=Phase.QUEUED))

    def one(decision: Decision) -> ImageOutcome:
        worker = _Worker(decision=decision, engine=engine, target=target, log_dir=log_dir,
                         on_event=on_event)
        outcome = worker.run()
        phase = Phase.FAILED if outcome.status is Status.FAILED else Phase.DONE
        on_event(Event(image=outcome.name, phase=phase,
                       detail=outcome.error or outcome.status.value))
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="build") as pool:
        futures = [pool.submit(one, d) for d in decisions]
        try:
            outcomes = tuple(f.result() for f in futures)
        except BaseException:
            # Interrupted (or a bug): start nothing more; builds already running finish.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    registry = target.registry.host if target.registry is not None else None
    return RunOutcome(outcomes=outcomes, registry=registry, pushed=target.push)


@dataclass(slots=True, kw_only=True)
class _Worker:
    decision: Decision
    engine: Engine | None
    target: Target
    log_dir: Path
    on_event: Callable[[Event], None]
    started: float = field(default_factory=time.monotonic)

    @property
    def image(self) -> ImagePlan:
        return self.decision.image

    def event(self, phase: Phase, *, step: Step | None = None, detail: str = "") -> None:
        self.on_event(Event(image=self.image.name, phase=phase, step=step, detail=detail))

    def outcome(
        self,
        status: Status,
        *,
        digest: str | None = None,
        tags: tuple[str, ...] = (),
        built: bool = False,
        image_id: str | None = None,
        stage: str | None = None,
        error: str | None = None,
        log: str | None = None,
    ) -> ImageOutcome:
        return ImageOutcome(
            name=self.image.name, status=status, digest=digest, tags=tags, built=built,
            image_id=image_id, stage=stage, error=error, log=log,
            seconds=round(time.monotonic() - self.started, 3),
        )

    def run(self) -> ImageOutcome:
        image, state = self.image, self.decision.state
        action = self.decision.action
        if action is Action.SKIP:
            if state.content is not None and state.release == state.content:
                return self.outcome(Status.PRESENT, digest=state.content, tags=image.tags)
            return self.outcome(Status.NOT_SELECTED)
        if action is Action.PRESENT:
            return self.outcome(Status.PRESENT, digest=state.content, tags=image.tags)
        if action is Action.TAG:
            return self.add_release_tag(state.content or "")
        return self.build()

    def add_release_tag(self, digest: str) -> ImageOutcome:
        registry = self.target.registry
        assert registry is not None
        image = self.image
        if not self.target.push:
            # Built already, only the release tag is missing: --push adds it.
            return self.outcome(Status.PRESENT, digest=digest, tags=(image.content_tag,))
        self.event(Phase.TAGGING, detail=image.release_tag)
        try:
            registry.add_tag(image.repository, digest, image.release_tag)
        except RegistryError as exc:
            return self.outcome(Status.FAILED, digest=digest, tags=(image.content_tag,),
                                stage="tag", error=exc.message)
        return self.outcome(Status.TAGGED, digest=digest, tags=image.tags)

    def build(self) -> ImageOutcome:
        engine = self.engine
        assert engine is not None
        image = self.image
        log_path = self.log_dir / f"{image.name}.log"
        with log_path.open("w", encoding="utf-8") as log:
            log.write(f"# {image.name}: {image.context}/{image.dockerfile}, inputs "
                      f"{image.input_hash}\n")
            for key, value in image.args.items():
                log.write(f"# build arg {key}={value}\n")
            self.event(Phase.BUILDING)
            try:
                image_id = engine.build(
                    context=context_tar(image.files), dockerfile=image.dockerfile,
                    args=image.args, labels=image.labels, log=log,
                    on_step=lambda step: self.event(Phase.STEP, step=step),
                )
            except BuildError as exc:
                tail = "".join(f"\n    | {line}" for line in exc.tail[-4:])
                return self.outcome(Status.FAILED, stage="build", log=str(log_path),
                                    error=f"{exc.message}{tail}")
            except EngineError as exc:
                return self.outcome(Status.FAILED, stage="build", log=str(log_path),
                                    error=exc.message)
            created = image.labels.get(CREATED_LABEL)
            if created is not None:
                try:
                    built_id = image_id
                    image_id = engine.reproducible(image_id, epoch_of(created))
                except EngineError as exc:
                    return self.outcome(Status.FAILED, built=True, image_id=image_id,
                                        stage="build", log=str(log_path), error=exc.message)
                log.write(f"# timestamps clamped to {created}: {built_id} -> {image_id}\n")
            failed = self.probe(engine, image_id, log)
            if failed is not None:
                return self.outcome(Status.FAILED, built=True, image_id=image_id,
                                    stage="probe", log=str(log_path), error=failed)
            return self.tag_and_push(engine, image_id, log, log_path)

    def probe(self, engine: Engine, image_id: str, log: TextIO) -> str | None:
        image = self.image
        if not image.probe:
            log.write("# no version probe for this image\n")
            return None
        self.event(Phase.PROBING, detail=" ".join(image.probe))
        try:
            result = engine.probe(image_id, image.probe)
        except EngineError as exc:
            return exc.message
        log.write(f"# probe `{' '.join(image.probe)}` exited {result.exit_code}:\n")
        log.write(result.output if result.output.endswith("\n") else result.output + "\n")
        problem = probe_problem(image, result.exit_code, result.output)
        log.write(f"# probe: {problem or 'pinned version found'}\n")
        return problem

    def tag_and_push(
        self, engine: Engine, image_id: str, log: TextIO, log_path: Path
    ) -> ImageOutcome:
        image, target = self.image, self.target
        host = target.registry.host if target.registry is not None else None
        local = f"{host}/{image.repository}" if host else image.repository
        try:
            for tag in image.tags:
                engine.tag(image_id, local, tag)
        except EngineError as exc:
            return self.outcome(Status.FAILED, built=True, image_id=image_id, stage="tag",
                                log=str(log_path), error=exc.message)
        if not target.push or target.registry is None:
            return self.outcome(Status.BUILT, built=True, image_id=image_id, log=str(log_path))
        registry = target.registry
        self.event(Phase.PUSHING, detail=image.content_tag)
        try:
            digest = engine.push(local, image.content_tag, auth=target.auth, log=log)
        except EngineError as exc:
            return self.outcome(Status.FAILED, built=True, image_id=image_id, stage="push",
                                log=str(log_path), error=exc.message)
        pushed = (image.content_tag,)
        try:
            # Looked up again: another run may have pushed the release tag since `lookup`.
            existing = registry.tag_digest(image.repository, image.release_tag)
            if existing is not None and existing != digest:
                return self.outcome(
                    Status.FAILED, built=True, image_id=image_id, digest=digest, tags=pushed,
                    stage="push", log=str(log_path),
                    error=f"{image.repository}:{image.release_tag} already exists in "
                    f"{registry.host} as {existing}, not {digest}; refusing to overwrite it",
                )
            if existing is None:
                self.event(Phase.PUSHING, detail=image.release_tag)
                again = engine.push(local, image.release_tag, auth=target.auth, log=log)
                if again != digest:
                    return self.outcome(
                        Status.FAILED, built=True, image_id=image_id, digest=digest,
                        tags=pushed, stage="push", log=str(log_path),
                        error=f"{image.repository}:{image.release_tag} was pushed as {again}, "
                        f"but {image.content_tag} is {digest}",
                    )
        except (EngineError, RegistryError) as exc:
            return self.outcome(Status.FAILED, built=True, image_id=image_id, digest=digest,
                                tags=pushed, stage="push", log=str(log_path), error=exc.message)
        return self.outcome(Status.PUSHED, built=True, image_id=image_id, digest=digest,
                            tags=image.tags, log=str(log_path))

"""One build run, wired from injected clients: look up, decide, ensure repositories, apply, BOM.

`execute` is what `python -m release build` runs once it has parsed its arguments and made its
clients; tests call it too. The order matters for "never push what cannot be accounted for":

1. refuse a push from an unknown or dirty commit (the revision label and the BOM would lie);
2. read the target registry (unreachable: stop here, nothing built, no BOM written);
3. decide (a tag conflict stops here, nothing built, no BOM written);
4. make the ECR repositories the pushes need;
5. build, probe, push, tag: each image on its own, failures recorded, not raised;
6. write `releases/<version>.json` from what really happened (only with --push).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from release.bom import Bom, bom_json, bom_relpath
from release.errors import InvalidInput
from release.fsutil import write_if_changed
from release.images import ecr
from release.images.bom import make_bom
from release.images.engine import Engine, connect
from release.images.plan import BuildPlan
from release.images.provenance import UNKNOWN_REVISION
from release.images.registry import Registry, RegistryTarget, RegistryUnavailable, parse_registry
from release.images.run import Action, Event, RunOutcome, Target, apply, decide, lookup
from release.manifest.model import Manifest


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    root: Path
    log_dir: Path
    only: tuple[str, ...] = ()
    push: bool = False
    jobs: int = 2
    registry: str | None = None  # --registry HOST: push there instead of ECR's own host
    ecr: bool = True  # manage ECR repositories (False: --no-ecr, a plain registry)
    allow_dirty: bool = False
    allow_unconfirmed: bool = False  # push images whose pins include unconfirmed values


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    plan: BuildPlan
    outcome: RunOutcome
    repositories: tuple[ecr.RepositoryState, ...] = ()
    bom: Bom | None = None
    bom_path: str | None = None
    bom_written: bool = False


def execute(
    options: BuildOptions,
    *,
    manifest: Manifest,
    plan: BuildPlan,
    docker_factory: Callable[[], Any],
    ecr_client: Any | None,
    http: httpx.Client,
    on_event: Callable[[Event], None],
) -> BuildReport:
    """Run one build as `options` say; see the module docstring for the order of things."""
    plan.select(options.only)  # unknown names are bad usage, before anything else
    if options.push:
        _check_pushable(plan, options)
        _check_confirmed(manifest, plan.select(options.only), options)
    target = _target(options, ecr_client)
    registry = Registry(target, http) if target is not None else None
    states = None
    if registry is not None:
        try:
            states = lookup(registry, plan)
        except RegistryUnavailable as exc:
            raise RegistryUnavailable(
                f"{exc.message}; nothing was built or pushed and no bill of materials was "
                "written", hint=exc.hint,
            ) from None
    decisions = decide(plan, states, selected=options.only or None,
                       registry=registry.host if registry else "the registry",
                       push=options.push)
    repositories: tuple[ecr.RepositoryState, ...] = ()
    if options.push and options.ecr and ecr_client is not None:
        needed = [d.image.repository for d in decisions if d.action in (Action.BUILD, Action.TAG)]
        repositories = tuple(ecr.ensure_repositories(ecr_client, needed))
    auth = target.credentials.docker_auth() if target and target.credentials else None
    with contextlib.ExitStack() as stack:
        engine = None
        if any(d.action is Action.BUILD for d in decisions):
            engine = Engine(stack.enter_context(contextlib.closing(connect(docker_factory))))
        outcome = apply(
            decisions, engine=engine,
            target=Target(registry=registry, push=options.push, auth=auth),
            log_dir=options.log_dir, jobs=options.jobs, on_event=on_event,
        )
    if not options.push:
        return BuildReport(plan=plan, outcome=outcome, repositories=repositories)
    bom = make_bom(manifest, plan, outcome, allow_unconfirmed=options.allow_unconfirmed)
    relpath = bom_relpath(plan.release)
    written = write_if_changed(options.root, relpath, bom_json(bom))
    return BuildReport(plan=plan, outcome=outcome, repositories=repositories, bom=bom,
                       bom_path=relpath, bom_written=written)


def _check_pushable(plan: BuildPlan, options: BuildOptions) -> None:
    provenance = plan.provenance
    if provenance.revision == UNKNOWN_REVISION:
        raise InvalidInput(
            f"{options.root}: not in a git repository with a commit; a pushed image must name "
            "the commit it was built from"
        )
    if provenance.dirty and not options.allow_dirty:
        raise InvalidInput(
            "versions.yaml or images/ differ from the commit "
            f"{provenance.revision[:12]}; commit them first, so the pushed images' revision "
            "label and the bill of materials are true",
            hint="--allow-dirty pushes anyway and records `dirty: true` in the bill of materials",
        )


def unconfirmed_inputs(manifest: Manifest, plan: BuildPlan) -> list[str]:
    """`<image>: <component> <value> <pinned>` for every unconfirmed value an image is built
    from (its components: every pin in its folder, base images included)."""
    found: list[str] = []
    for image in plan.images:
        for pinned in image.components:
            component = manifest.component(pinned.name)
            if component is None:
                continue
            values = component.values()
            found += [f"{image.name}: {component.name} {name} {values.get(name, '')}"
                      for name in component.unconfirmed]
    return found


def _check_confirmed(manifest: Manifest, plan: BuildPlan, options: BuildOptions) -> None:
    found = unconfirmed_inputs(manifest, plan)
    if found and not options.allow_unconfirmed:
        images = sorted({line.split(":")[0] for line in found})
        raise InvalidInput(
            f"refusing to push {len(images)} image(s) built from values nobody checked against "
            f"upstream (unconfirmed in versions.yaml): " + "; ".join(found),
            hint="confirm them with `python -m release verify --online` (then drop the "
            "`unconfirmed:` marks), or push anyway with --allow-unconfirmed (recorded in the "
            "bill of materials)",
        )


def _target(options: BuildOptions, ecr_client: Any | None) -> RegistryTarget | None:
    if options.registry is not None:
        return parse_registry(options.registry)
    if not options.push:
        return None
    if not options.ecr or ecr_client is None:
        raise InvalidInput("--push without ECR needs --registry HOST")
    return ecr.login(ecr_client)



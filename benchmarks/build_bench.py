"""Benchmark of `build`: a full build and push of the test images, the no-op re-run, the jobs.

Uses the parts the image tests use (tests/docker_support.py): the running Docker engine or a
vfs `dockerd` started here, Debian's `docker-registry` on 127.0.0.1 and moto's ECR server, and
the three tiny test images on a `docker import`ed busybox base. Each full build starts from a
tree whose Dockerfiles carry a fresh salt label right after FROM, so no step comes from the
engine's build cache; each full build pushes into an empty registry.

Figures, each the median of `--repeat` runs:

* `full --jobs 2`: build, probe and push every image, write the bill of materials;
* `no-op re-run`: the same command again (every content tag is found: nothing is built);
* `full --jobs 1`: a full build one image at a time.

    python benchmarks/build_bench.py [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from docker_support import (
    BaseImage,
    DockerEngine,
    LocalRegistry,
    MotoEcr,
    engine_or_reason,
    make_base_image,
    write_tree,
)

from release.cli import main


@dataclass(frozen=True, slots=True)
class Run:
    label: str
    seconds: float
    builds: int
    pushes: int


def _build(tree: Path, registry: str, jobs: int, label: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["build", "--root", str(tree), "--push", "--registry", registry,
                     "--jobs", str(jobs), "--json"])
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{label}: build exited {code}:\n{err.getvalue()}")
    counts = json.loads(out.getvalue())["counts"]
    return Run(label=label, seconds=seconds, builds=counts["builds"], pushes=counts["pushes"])


@contextlib.contextmanager
def _world(workdir: Path) -> Iterator[tuple[DockerEngine, BaseImage, MotoEcr]]:
    found = engine_or_reason()
    if isinstance(found, str):
        raise SystemExit(f"no Docker engine: {found}")
    base_registry = LocalRegistry(workdir / "base-registry")
    moto = MotoEcr()
    try:
        with found.connected() as client:
            base = make_base_image(client, base_registry)
        yield found, base, moto
    finally:
        moto.stop()
        base_registry.stop()
        found.stop()


def _environment(engine: DockerEngine, moto: MotoEcr) -> None:
    os.environ.update({
        "DOCKER_HOST": engine.host, "AWS_ENDPOINT_URL_ECR": moto.url,
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    })
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "SOURCE_DATE_EPOCH"):
        os.environ.pop(name, None)


def measure(repeat: int) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {"full --jobs 2": [], "no-op re-run": [], "full --jobs 1": []}
    workdir = Path(tempfile.mkdtemp(prefix="build-bench-"))
    try:
        with _world(workdir) as (engine, base, moto):
            _environment(engine, moto)
            for n in range(repeat):
                for jobs in (2, 1):
                    label = f"full --jobs {jobs}"
                    tree = write_tree(workdir / f"tree-{n}-{jobs}", base, salt=uuid.uuid4().hex)
                    registry = LocalRegistry(workdir / f"registry-{n}-{jobs}")
                    try:
                        moto.reset()
                        runs[label].append(_build(tree, registry.host, jobs, label))
                        if jobs == 2:
                            runs["no-op re-run"].append(
                                _build(tree, registry.host, jobs, "no-op re-run")
                            )
                    finally:
                        registry.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return runs


def main_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    runs = measure(max(1, args.repeat))
    median = {label: statistics.median(r.seconds for r in rs) for label, rs in runs.items()}
    full_over_noop = median["full --jobs 2"] / median["no-op re-run"]
    jobs1_over_jobs2 = median["full --jobs 1"] / median["full --jobs 2"]
    if args.json:
        print(json.dumps({
            "repeat": args.repeat,
            "median_seconds": {label: round(value, 2) for label, value in median.items()},
            "runs": {label: [{"seconds": round(r.seconds, 2), "builds": r.builds,
                              "pushes": r.pushes} for r in rs] for label, rs in runs.items()},
            "full_over_noop": round(full_over_noop, 1),
            "jobs1_over_jobs2": round(jobs1_over_jobs2, 2),
        }, indent=2))
        return 0
    print(f"build benchmark: 3 test images, median of {args.repeat} run(s)")
    for label, rs in runs.items():
        every = ", ".join(f"{r.seconds:.2f}" for r in rs)
        print(f"  {label:<15} {median[label]:7.2f} s   builds {rs[0].builds}, pushes "
              f"{rs[0].pushes}   ({every})")
    print(f"  full / no-op    {full_over_noop:.1f}x")
    print(f"  jobs 1 / jobs 2 {jobs1_over_jobs2:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())

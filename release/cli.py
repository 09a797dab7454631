"""Command-line interface: argument parsing, and the one place errors become exit codes.

`main(argv) -> int` is called by `python -m release` and directly by tests. Exit codes: 0 done;
1 done but problems found; 2 bad usage or invalid input (nothing was changed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the commands import their modules lazily, at run time
    from release.images.plan import BuildPlan
    from release.manifest.load import LoadedManifest
    from release.manifest.model import Manifest
    from release.refresh.decide import CheckResult
    from release.refresh.execute import Outcome

from release.errors import InvalidInput, ProblemsFound, ReleaseError
from release.versioning import UnsafeValueError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so bad usage goes through the error path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        choice = re.match(r"argument \S+: invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice is not None:
            from release.yamlcheck import closest

            options = re.findall(r"'?([\w-]+)'?", choice.group(2))
            guess = closest(choice.group(1), options)
            if guess is not None:
                message = f"{message}; did you mean {guess!r}?"
        raise UsageError(f"{self.prog}: {message}")


class UsageError(ReleaseError):
    exit_code = 2


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[_Parser]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=None,
        help="repository root holding versions.yaml and images/ (default: the nearest folder "
        "holding versions.yaml, from the current directory upwards, as git finds .git)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m release",
        description="Delphi's release and version-pinning pipeline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    verify = commands.add_parser(
        "verify", help="check that every pin agrees with versions.yaml and nothing is unmanaged"
    )
    _common(verify)
    verify.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    verify.set_defaults(handler=_verify)

    pin = commands.add_parser("pin", help="set one component's version by hand")
    _common(pin)
    pin.add_argument("component", help="component name in versions.yaml")
    pin.add_argument("version", help="the version to pin (as versions.yaml writes it)")
    pin.add_argument(
        "--checksum", metavar="ALGO:HEX",
        help="new archive checksum, or image index digest, for the version (sha256:<hex>)",
    )
    pin.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    pin.add_argument("--allow-downgrade", action="store_true", help="allow moving backwards")
    pin.set_defaults(handler=_pin)

    check = commands.add_parser(
        "check", help="compare every pin with upstream, within each component's policy"
    )
    _common(check)
    _upstream_options(check)
    check.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    check.set_defaults(handler=_check)

    refresh = commands.add_parser(
        "refresh", help="move every pin to its candidate, with new checksums and digests"
    )
    _common(refresh)
    _upstream_options(refresh)
    refresh.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    refresh.add_argument(
        "--commit", action="store_true",
        help="commit the change on a new branch refresh/YYYY-MM-DD (refuses a dirty tree)",
    )
    refresh.set_defaults(handler=_refresh)

    _add_build_commands(commands)
    _add_notes_commands(commands)
    return parser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _positive_seconds(value: str) -> float:
    """A bound in seconds: finite and above zero (`-1`, `0`, `nan`, `inf` are usage errors)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds above 0")
    return seconds


def _upstream_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only", metavar="NAME", nargs="+", action="extend",
        help="check only these components",
    )
    recording = parser.add_mutually_exclusive_group()
    recording.add_argument(
        "--record", metavar="DIR", type=Path, help="record every upstream response into DIR"
    )
    recording.add_argument(
        "--replay", metavar="DIR", type=Path,
        help="answer every upstream request from a recording in DIR (no network at all)",
    )
    parser.add_argument(
        "--cache-dir", metavar="DIR", type=Path, default=_default_cache(),
        help="persistent HTTP cache, revalidated with ETag/Last-Modified (default: %(default)s)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")
    parser.add_argument(
        "--timeout", metavar="SECONDS", type=_positive_seconds, default=600.0,
        help="bound on the whole run; unfinished components are reported (default: %(default)s)",
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", type=_date, default=None,
        help="evaluate holds and name the branch as of this date (default: today)",
    )


def _today() -> dt.date:
    """Today in UTC: holds expire and refresh branches are named by the UTC date."""
    return dt.datetime.now(tz=dt.UTC).date()


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "delphi-release" / "http"


def _verify(args: argparse.Namespace) -> int:
    from release.manifest.load import load_manifest
    from release.verify import render_json, render_text, verify_tree

    root: Path = args.root
    loaded = load_manifest(root / "versions.yaml")
    report = verify_tree(root, loaded.manifest)
    if args.json:
        print(render_json(report))
    else:
        print(render_text(report), file=sys.stderr)
    return 1 if report.problems else 0


def _pin(args: argparse.Namespace) -> int:
    from release.fsutil import write_files
    from release.manifest.load import load_manifest
    from release.refresh.decide import PinRequest, decide_pin
    from release.refresh.plan import plan_updates, unified_diff

    root: Path = args.root
    loaded = load_manifest(root / "versions.yaml")
    request = PinRequest(
        component=args.component, version=args.version, checksum=args.checksum,
        allow_downgrade=args.allow_downgrade,
    )
    update = decide_pin(loaded.manifest, request)
    if update is None:
        print(f"{args.component} is already pinned to {args.version}; nothing to do",
              file=sys.stderr)
        return 0
    plan = plan_updates(root, loaded, [update])
    if args.dry_run:
        sys.stdout.write(unified_diff(plan.changes))
        print(f"dry run: {len(plan.changes)} file(s) would change; nothing was written",
              file=sys.stderr)
        return 0
    write_files(root, plan.changes)
    component = loaded.manifest.component(update.component)
    old = component.version if component is not None else "?"
    moved = f"{old} -> {update.version}" if old != update.version else f"{old} (new checksum)"
    print(f"pinned {update.component} {moved} in {len(plan.changes)} file(s):", file=sys.stderr)
    for change in plan.changes:
        print(f"  {change.path}", file=sys.stderr)
    return 0


def _run_upstream(
    args: argparse.Namespace, *, resolve: bool
) -> tuple[LoadedManifest, Outcome]:
    """Load the manifest and check it against upstream; returns (loaded manifest, outcome)."""
    from release.manifest.load import load_manifest
    from release.refresh.decide import select
    from release.refresh.execute import run_check
    from release.refresh.report import stderr_console
    from release.upstream.http import GitHubAuth, open_fetcher
    from release.upstream.sources import Endpoints

    root: Path = args.root
    loaded = load_manifest(root / "versions.yaml")
    total = len(select(loaded.manifest, args.only))
    console = stderr_console()
    today = args.today or _today()
    cache = None if args.no_cache else args.cache_dir

    async def go() -> Outcome:
        async with open_fetcher(
            github=GitHubAuth.from_env(os.environ), cache_dir=cache,
            record_dir=args.record, replay_dir=args.replay,
        ) as fetcher:
            with console.status(f"checking {total} components...") as status:
                done: list[str] = []

                def progress(result: CheckResult) -> None:
                    done.append(result.component)
                    status.update(f"checked {len(done)}/{total}: {result.component} "
                                  f"({result.status.value})")

                return await run_check(
                    loaded.manifest, fetcher, today=today,
                    endpoints=Endpoints.from_environ(os.environ), only=args.only,
                    resolve=resolve, run_timeout=args.timeout, on_done=progress,
                )

    return loaded, asyncio.run(go())


def _step_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        # The summary is a convenience of the CI page: the run's result stands without it.
        print(f"warning: cannot append to GITHUB_STEP_SUMMARY ({path}): {exc.strerror}",
              file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from release.refresh.report import (
        check_json,
        check_markdown,
        check_table,
        stderr_console,
        summary_line,
    )

    loaded, outcome = _run_upstream(args, resolve=False)
    if args.json:
        print(check_json(outcome.results, loaded.manifest))
    else:
        stderr_console().print(check_table(outcome.results))
    print(f"check: {summary_line(outcome.results)}", file=sys.stderr)
    _step_summary(check_markdown(outcome.results))
    return 1 if outcome.errors else 0


def _refresh(args: argparse.Namespace) -> int:
    from release.fsutil import write_files
    from release.refresh.commit import commit_on_branch, ensure_clean
    from release.refresh.plan import plan_updates, unified_diff
    from release.refresh.report import (
        check_markdown,
        check_table,
        commit_message,
        refresh_markdown,
        refresh_table,
        stderr_console,
        summary_line,
    )

    root: Path = args.root
    if args.commit and not args.dry_run:
        ensure_clean(root)
    loaded, outcome = _run_upstream(args, resolve=True)
    console = stderr_console()
    console.print(check_table(outcome.results))
    console.print(f"refresh: {summary_line(outcome.results)}", markup=False, highlight=False)
    _step_summary(check_markdown(outcome.results))
    status = 1 if outcome.errors else 0
    if outcome.results and len(outcome.errors) == len(outcome.results):
        console.print(
            f"refresh: nothing could be checked: all {len(outcome.results)} upstreams failed "
            f"(first: {outcome.errors[0].component}: {outcome.errors[0].reason}); nothing was "
            "changed"
        )
        console.print(
            "hint: with no network, replay a recording (--replay tests/data/replay); behind a "
            "proxy, set HTTPS_PROXY (and NO_PROXY) and SSL_CERT_FILE to a bundle that holds the "
            "proxy's CA and the public ones"
        )
        return status
    if not outcome.updates:
        console.print("refresh: every pin is at its candidate; nothing to change")
        return status
    plan = plan_updates(root, loaded, outcome.updates)
    console.print(refresh_table(loaded.manifest, outcome.updates))
    if args.dry_run:
        sys.stdout.write(unified_diff(plan.changes))
        console.print(f"dry run: {len(plan.changes)} file(s) would change; nothing was written")
        return status
    write_files(root, plan.changes)
    _step_summary(refresh_markdown(loaded.manifest, outcome.updates))
    console.print(f"refresh: wrote {len(plan.changes)} file(s)")
    if args.commit:
        branch, sha = commit_on_branch(
            root, [c.path for c in plan.changes], commit_message(loaded.manifest, outcome.updates),
            today=args.today or _today(),
        )
        console.print(f"refresh: committed {sha[:12]} on branch {branch}")
    return status


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def _add_build_commands(commands: Subcommands) -> None:
    """`build` (plan, exports, build and push) and `bom diff`."""
    build = commands.add_parser(
        "build", help="build the images of images/ (and push them with --push)",
        description="Build every image of images/ that the target registry does not hold yet "
        "(by its input hash), probe its version, push it and record the release's bill of "
        "materials in releases/<version>.json.",
    )
    _common(build)
    exports = build.add_argument_group("plan only (nothing is built)")
    exports.add_argument("--plan", action="store_true", help="print the build plan")
    exports.add_argument(
        "--github-matrix", action="store_true",
        help='print the plan as a GitHub Actions matrix ({"include": [...]}) on stdout',
    )
    exports.add_argument(
        "--bake", metavar="FILE", type=Path, help="write the plan as a docker buildx bake file"
    )
    build.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    build.add_argument(
        "--only", metavar="IMAGE", nargs="+", action="extend", help="only these images"
    )
    build.add_argument("--push", action="store_true",
                       help="push to ECR (or --registry) and write releases/<version>.json")
    build.add_argument("--jobs", metavar="N", type=_positive_int, default=2,
                       help="builds at once (default: %(default)s)")
    build.add_argument(
        "--registry", metavar="HOST",
        help="push to this v2 registry (host[:port]) instead of ECR's own; ECR still gets the "
        "repositories unless --no-ecr",
    )
    build.add_argument("--no-ecr", action="store_true",
                       help="with --registry: do not create ECR repositories (plain registry)")
    build.add_argument(
        "--ecr-repositories", action="store_true",
        help="only make the ECR repositories of the images (immutable tags, scan on push) and "
        "exit: before a BuildKit push (release.yml)",
    )
    build.add_argument("--namespace", default="delphi",
                       help="repository path before the image name (default: %(default)s)")
    build.add_argument("--log-dir", metavar="DIR", type=Path,
                       help="per-image build logs (default: ROOT/build/logs)")
    build.add_argument("--allow-dirty", action="store_true",
                       help="push even when versions.yaml or images/ differ from the commit")
    build.add_argument("--source", metavar="URL",
                       help="org.opencontainers.image.source (default: the GitHub repository, "
                       "else the origin remote)")
    build.set_defaults(handler=_build)

    sbom = commands.add_parser(
        "sbom", help="write the CycloneDX SBOM of a release from its bill of materials",
        description="Write the CycloneDX 1.6 SBOM of what versions.yaml pins and the images of "
        "a bill of materials, validated against the CycloneDX schema.",
    )
    _common(sbom)
    sbom.add_argument("--bom", metavar="FILE", type=Path, required=True,
                      help="the bill of materials (releases/<version>.json)")
    sbom.add_argument("--output", metavar="FILE", type=Path, required=True,
                      help="where to write the SBOM (releases/<version>.cdx.json)")
    sbom.add_argument("--image", metavar="IMAGE",
                      help="the SBOM of this image only: it and the components it pins")
    sbom.set_defaults(handler=_sbom)

    scan = commands.add_parser(
        "scan", help="gate a release on ECR's scan findings of its images",
        description="Wait for ECR's scan of every image digest of a bill of materials and exit "
        "1 when any has a finding at or above --fail-on (a table goes to the job summary).",
    )
    _common(scan)
    scan.add_argument("--bom", metavar="FILE", type=Path, required=True,
                      help="the bill of materials (releases/<version>.json)")
    scan.add_argument("--fail-on", metavar="SEVERITY", default="HIGH",
                      help="INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL (default: %(default)s)")
    scan.set_defaults(handler=_scan)

    bom = commands.add_parser("bom", help="bills of materials of releases (releases/*.json)")
    actions = bom.add_subparsers(dest="bom_command", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    diff = actions.add_parser("diff", help="what changed between two releases")
    _common(diff)
    diff.add_argument("before", help="a release version (releases/<version>.json) or a file")
    diff.add_argument("after", help="a release version (releases/<version>.json) or a file")
    diff.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    diff.set_defaults(handler=_bom_diff)


def _build(args: argparse.Namespace) -> int:
    from release.images.plan import make_plan, read_sources
    from release.images.provenance import read_provenance
    from release.manifest.load import load_manifest

    if args.github_matrix and args.json:
        raise UsageError("--github-matrix and --json both print on stdout; choose one")
    if args.no_ecr and args.registry is None:
        raise UsageError("--no-ecr needs --registry HOST (where else would images go?)")
    root: Path = args.root
    loaded = load_manifest(root / "versions.yaml")
    sources, not_built = read_sources(root)
    provenance = read_provenance(root, os.environ, source=args.source)
    plan = make_plan(loaded.manifest, sources, provenance, namespace=args.namespace,
                     not_built=not_built)
    if args.plan or args.github_matrix or args.bake is not None:
        return _build_plan(args, plan.select(args.only))
    if args.ecr_repositories:
        from release.images import ecr

        client = ecr.make_client(os.environ)
        for state in ecr.ensure_repositories(
                client, [i.repository for i in plan.select(args.only).images]):
            print(f"build: {state.describe()}", file=sys.stderr)
        return 0
    return _build_run(args, loaded.manifest, plan)


def _build_plan(args: argparse.Namespace, plan: BuildPlan) -> int:
    import json

    from release.fsutil import FileChange, write_files
    from release.images.exports import bake_document, github_matrix, plan_json, plan_table
    from release.refresh.report import stderr_console

    if args.bake is not None:
        bake: Path = args.bake.resolve()
        old = bake.read_text(encoding="utf-8") if bake.is_file() else ""
        text = json.dumps(bake_document(plan, registry=args.registry), indent=2) + "\n"
        write_files(bake.parent, [FileChange(path=bake.name, old=old, new=text)])
        print(f"build: wrote bake file {args.bake} ({len(plan.images)} targets)", file=sys.stderr)
    if args.github_matrix:
        print(json.dumps(github_matrix(plan)))
    elif args.json:
        print(plan_json(plan, registry=args.registry))
    elif args.plan:
        stderr_console().print(plan_table(plan))
    return 0


CLASSIC_BUILD_LIMITS = (
    "build: the engine's classic builder made these images for its own architecture only, "
    "without SBOM or provenance attestations; the release builds linux/amd64 and linux/arm64 "
    "with both, with BuildKit (build --plan --bake, release.yml)"
)


def _build_run(args: argparse.Namespace, manifest: Manifest, plan: BuildPlan) -> int:
    import docker
    import httpx

    from release.images import ecr
    from release.images.build import BuildOptions, execute
    from release.images.progress import reporter
    from release.images.report import (
        failure_lines,
        outcome_json,
        outcome_table,
        summary_line,
    )
    from release.refresh.report import stderr_console

    root: Path = args.root
    options = BuildOptions(
        root=root, log_dir=args.log_dir or root / "build" / "logs", only=tuple(args.only or ()),
        push=args.push, jobs=args.jobs, registry=args.registry, ecr=not args.no_ecr,
        allow_dirty=args.allow_dirty,
    )
    ecr_client = ecr.make_client(os.environ) if args.push and not args.no_ecr else None
    console = stderr_console()

    def docker_client() -> docker.DockerClient:
        # Builds stream for as long as a step runs: no read timeout shorter than a compile.
        return docker.from_env(timeout=3600, max_pool_size=args.jobs + 4)

    with httpx.Client(timeout=30.0, trust_env=True) as http, reporter(console) as on_event:
        report = execute(
            options, manifest=manifest, plan=plan, docker_factory=docker_client,
            ecr_client=ecr_client, http=http, on_event=on_event,
        )
    lines = [r.describe() for r in report.repositories if r.created or r.mutable]
    console.print(outcome_table(report))
    lines += [*failure_lines(report.outcome.failed), summary_line(report)]
    if report.outcome.builds:
        lines.append(CLASSIC_BUILD_LIMITS)
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if args.json:
        print(outcome_json(report))
    return 1 if report.outcome.failed else 0


def _sbom(args: argparse.Namespace) -> int:
    from release.fsutil import FileChange, write_files
    from release.images.provenance import read_provenance
    from release.images.sbom import make_sbom
    from release.manifest.load import load_manifest

    root: Path = args.root
    bom = _read_bom_json(args.bom)
    manifest = load_manifest(root / "versions.yaml").manifest
    provenance = read_provenance(root, os.environ)
    components = None
    if args.image is not None:
        from release.images.plan import make_plan, read_sources

        sources, not_built = read_sources(root)
        plan = make_plan(manifest, sources, provenance, not_built=not_built).select([args.image])
        components = [c.name for c in plan.image(args.image).components]
    text = make_sbom(manifest, bom, created=provenance.created, image=args.image,
                     components=components)
    output: Path = args.output.resolve()
    old = output.read_text(encoding="utf-8") if output.is_file() else ""
    write_files(output.parent, [FileChange(path=output.name, old=old, new=text)])
    counted = len(components) if components is not None else len(manifest.components)
    print(f"sbom: wrote {args.output} (CycloneDX 1.6, {counted} components"
          + (f", image {args.image})" if args.image else f", {len(bom.get('images', []))} images)"),
          file=sys.stderr)
    return 0


def _read_bom_json(path: Path) -> dict[str, Any]:
    import json

    from release.manifest.load import read_text

    try:
        bom = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(bom, dict):
        raise InvalidInput(f"{path}: a bill of materials is a JSON object")
    return bom


def _scan(args: argparse.Namespace) -> int:
    from release.images import ecr
    from release.images.scan import check_severity, report_markdown, scan_gate

    fail_on = check_severity(args.fail_on)
    bom = _read_bom_json(args.bom)
    scans = scan_gate(ecr.make_client(os.environ), bom)
    report = report_markdown(scans, fail_on)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(report)
    failed = [s for s in scans if s.at_or_above(fail_on)]
    for s in scans:
        counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(s.counts.items())) or "none"
        print(f"scan: {s.reference}: {counts}", file=sys.stderr)
    print(f"scan: {len(failed)} of {len(scans)} images with findings at {fail_on} or above",
          file=sys.stderr)
    return 1 if failed else 0


def _bom_diff(args: argparse.Namespace) -> int:
    import json

    from release.images.bom import diff_boms, diff_document, load_bom, render_diff, resolve_bom

    root: Path = args.root
    before = load_bom(resolve_bom(root, args.before))
    after = load_bom(resolve_bom(root, args.after))
    diff = diff_boms(before, after)
    if args.json:
        print(json.dumps(diff_document(diff), indent=2))
    else:
        print(render_diff(diff))
    return 0


def _add_notes_commands(commands: Subcommands) -> None:
    """`notes` (release notes with the operator checklist) and `docs` (third-party versions)."""
    notes = commands.add_parser(
        "notes", help="render the release notes with the operator rollout checklist",
        description="Render the release notes of the commits FROM..TO as GitHub Markdown: "
        "header, action-required notes, changelog, third-party versions, images, and the "
        "operator rollout checklist selected by what changed.",
    )
    _common(notes)
    notes.add_argument("--version", metavar="V",
                       help="the release (default: `release` of versions.yaml at --to)")
    notes.add_argument("--from", dest="from_ref", metavar="REF",
                       help="the previous release (default: the last v* tag before --to; "
                       "with none, the whole history, as the first release)")
    notes.add_argument("--to", dest="to_ref", metavar="REF", help="the release (default: HEAD)")
    notes.add_argument("--date", metavar="YYYY-MM-DD", type=_date,
                       help="the release date (default: the commit date of --to, UTC)")
    notes.add_argument("--repo-url", metavar="URL",
                       help="GitHub repository for commit and PR links (default: "
                       "$DELPHI_REPOSITORY_URL, GitHub Actions' repository, the origin remote)")
    notes.add_argument("--output", metavar="FILE", type=Path,
                       help="write the notes to FILE (default: stdout)")
    notes.add_argument("--sample", action="store_true",
                       help="render the sample docs/examples/release-notes.md from "
                       "docs/examples/sample-release.yaml and the current tree")
    notes.add_argument("--check", action="store_true",
                       help="with --sample or --output: fail (exit 1) when the file is stale")
    notes.set_defaults(handler=_notes)

    docs = commands.add_parser(
        "docs", help="render docs/third-party-versions.md from versions.yaml"
    )
    _common(docs)
    docs.add_argument("--check", action="store_true",
                      help="fail (exit 1) when the committed page is stale; write nothing")
    docs.set_defaults(handler=_docs)


def _notes(args: argparse.Namespace) -> int:
    from release.notes.docs import write_or_check
    from release.notes.notes import decide, read_git_inputs, render_notes
    from release.notes.sample import SAMPLE_OUTPUT, read_sample_inputs

    root: Path = args.root
    if args.sample:
        given = [flag for flag, value in (("--from", args.from_ref), ("--to", args.to_ref),
                 ("--version", args.version), ("--date", args.date), ("--output", args.output))
                 if value is not None]
        if given:
            raise UsageError(f"--sample renders from docs/examples/; drop {', '.join(given)}")
        inputs = read_sample_inputs(root)
    else:
        if args.check and args.output is None:
            raise UsageError("--check needs --output FILE (or --sample)")
        inputs = read_git_inputs(
            root, version=args.version, from_ref=args.from_ref, to_ref=args.to_ref,
            date=args.date, repo_url=args.repo_url, env=os.environ,
        )
    text = render_notes(decide(inputs))
    if args.sample or args.output is not None:
        target = root / SAMPLE_OUTPUT if args.sample else Path(args.output)
        where, name = (root, SAMPLE_OUTPUT) if args.sample else (target.parent, target.name)
        regenerate = "nox -s docs" if args.sample else "python -m release notes --output FILE"
        changed = write_or_check(where, name, text, check=args.check, regenerate=regenerate)
        state = "up to date" if not changed else "written"
        print(f"notes: {target} {state}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _docs(args: argparse.Namespace) -> int:
    from release.manifest.load import load_manifest
    from release.notes.docs import PAGE, render_page, write_or_check

    root: Path = args.root
    page = render_page(load_manifest(root / "versions.yaml").manifest)
    changed = write_or_check(root, PAGE, page, check=args.check, regenerate="nox -s docs")
    print(f"docs: {PAGE} {'written' if changed else 'up to date'}", file=sys.stderr)
    return 0


@contextmanager
def _reported(codes: list[int]) -> Iterator[None]:
    """Turn every expected failure into a message on stderr and an exit code."""
    try:
        yield
    except ProblemsFound as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        codes.append(exc.exit_code)
    except ReleaseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        codes.append(exc.exit_code)
    except UnsafeValueError as exc:
        print(f"error: refused: {exc}; nothing was changed", file=sys.stderr)
        codes.append(2)
    except KeyboardInterrupt:
        print("interrupted; files are either old or new, never half-written", file=sys.stderr)
        codes.append(130)


def find_root(start: Path) -> Path:
    """The nearest folder from `start` upwards holding versions.yaml (else `start` itself).

    So a command run from `images/redis/` works as it does from the root; with no versions.yaml
    anywhere above, the command's own "no such file" error names the path it looked for.
    """
    for folder in (start, *start.parents):
        if (folder / "versions.yaml").is_file():
            return folder if folder != start else Path()
    return Path()


def main(argv: Sequence[str] | None = None) -> int:
    codes: list[int] = []
    with _reported(codes):
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if "root" in vars(args) and args.root is None:
            args.root = find_root(Path.cwd())
        if extra:
            # argparse names only the top-level program; say which subcommand got the flag.
            raise UsageError(
                f"{parser.prog} {args.command}: unrecognized arguments: {' '.join(extra)}"
            )
        handler: Handler = args.handler
        codes.append(handler(args))
    return codes[-1] if codes else 0

"""Command-line interface: argument parsing, and the one place errors become exit codes.

`main(argv) -> int` is called by `python -m release` and directly by tests. Exit codes: 0 done;
1 done but problems found; 2 bad usage or invalid input (nothing was changed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the commands import their modules lazily, at run time
    from release.bom import Bom
    from release.images.plan import BuildPlan
    from release.manifest.model import Manifest
    from release.notes.notes import NotesInputs
    from release.notes.upstream_notes import UpstreamAttention
    from release.refresh.flow import CheckOptions, Fetching, Progress

from release.errors import InvalidInput, ProblemsFound, ReleaseError
from release.versioning import GITHUB_ACTIONS_ISSUER, UnsafeValueError

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
    verify.add_argument(
        "--online", action="store_true",
        help="also re-derive every pinned checksum, digest and commit from upstream",
    )
    verify.add_argument("--strict", action="store_true",
                        help="with --online: an unverifiable value fails the run too")
    verify.add_argument(
        "--confirm", action="store_true",
        help="with --online: drop the unconfirmed: mark of every value it verified "
        "(writes versions.yaml)",
    )
    _upstream_options(verify)
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
    pin.add_argument("--beyond-policy", action="store_true",
                     help="pin a version the component's policy does not admit")
    recording = pin.add_mutually_exclusive_group()
    recording.add_argument("--record", metavar="DIR", type=Path,
                           help="record the upstream responses into DIR")
    recording.add_argument("--replay", metavar="DIR", type=Path,
                           help="answer upstream requests from a recording in DIR")
    pin.add_argument("--cache-dir", metavar="DIR", type=Path, default=_default_cache(),
                     help="persistent HTTP cache (default: %(default)s)")
    pin.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")
    pin.add_argument("--break-set", action="store_true",
                     help="move one member of a coherent set (policy.group with a leader) alone")
    pin.set_defaults(handler=_pin)

    check = commands.add_parser(
        "check", help="compare every pin with upstream, within each component's policy"
    )
    _common(check)
    _upstream_options(check)
    check.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    check.add_argument(
        "--fail-on", metavar="SEVERITY", choices=("low", "moderate", "high", "critical"),
        help="exit 1 when a pinned version has a published advisory this severe or worse",
    )
    check.add_argument(
        "--revalidate", dest="serve_fresh", action="store_false",
        help="ask upstream about every cached response, even one its Cache-Control: max-age "
        "still calls fresh (default: served from the cache; refresh, pin and verify --online "
        "always ask)",
    )
    check.set_defaults(handler=_check, serve_fresh=True)

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
    refresh.add_argument(
        "--accept-changed", metavar="NAME", nargs="+", action="extend",
        help="apply a changed archive checksum or moved Action commit of these components, "
        "at their pinned version (a reviewed decision; refresh never does it by itself)",
    )
    refresh.set_defaults(handler=_refresh)

    _add_build_commands(commands)
    _add_notes_commands(commands)
    _add_version_command(commands)
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
        "--wide", action="store_true",
        help="the check table with its notes column at any width (default: from 140 columns; "
        "narrower, the notes follow the table)",
    )
    parser.add_argument(
        "--timeout", metavar="SECONDS", type=_positive_seconds, default=600.0,
        help="bound on the whole run; unfinished components are reported (default: %(default)s)",
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", type=_date, default=None,
        help="evaluate holds and name the branch as of this date (default: today)",
    )
    parser.add_argument(
        "--no-advisories", action="store_true",
        help="do not ask OSV and GitHub for the advisories of the pinned versions",
    )
    parser.add_argument(
        "--no-eol", action="store_true",
        help="do not ask endoflife.date when the pinned release lines reach their end of life",
    )
    parser.add_argument(
        "--refresh-advisories", action="store_true",
        help="ask OSV, GitHub and endoflife.date again even when their answers kept in the "
        "cache are younger than 6 hours",
    )


def _today() -> dt.date:
    """Today in UTC: holds expire and refresh branches are named by the UTC date."""
    return dt.datetime.now(tz=dt.UTC).date()


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "delphi-release" / "http"


def _verify(args: argparse.Namespace) -> int:
    from release.manifest.tree import load_tree
    from release.verify import render_json, render_text, verify_tree

    if not args.online:
        given = [flag for flag, value in (("--strict", args.strict), ("--only", args.only),
                 ("--confirm", args.confirm),
                 ("--record", args.record), ("--replay", args.replay)) if value]
        if given:
            raise UsageError(f"verify: {', '.join(given)} needs --online")
    root: Path = args.root
    if args.online:
        return _verify_online(args)
    loaded = load_tree(root)
    report = verify_tree(root, loaded.manifest)
    if args.json:
        print(render_json(report))
    else:
        print(render_text(report), file=sys.stderr)
    return 1 if report.problems else 0


def _verify_online(args: argparse.Namespace) -> int:
    from release.refresh.report import stderr_console
    from release.trust.command import print_confirmed, print_verified, progress_line
    from release.trust.flow import OnlineOptions, OnlineVerifyReport, verify_online_flow

    console = stderr_console()
    only = tuple(args.only) if args.only is not None else None
    options = OnlineOptions(fetching=_fetching(args), only=only, timeout=args.timeout,
                            strict=args.strict, confirm=args.confirm)

    def show(report: OnlineVerifyReport) -> None:
        print_verified(console, report, as_json=args.json)

    with progress_line(console) as progress:
        report = verify_online_flow(args.root, options, progress=progress, on_verified=show)
    if report.confirmed is not None:
        print_confirmed(console, report.confirmed)
    return report.status


def _fetching(args: argparse.Namespace) -> Fetching:
    from release.refresh.flow import Fetching

    return Fetching(cache_dir=None if args.no_cache else args.cache_dir, record_dir=args.record,
                    replay_dir=args.replay, environ=os.environ,
                    serve_fresh=getattr(args, "serve_fresh", False))


def _pin(args: argparse.Namespace) -> int:
    from release.refresh.decide import PinRequest
    from release.refresh.flow import PinOptions, pin
    from release.textdiff import unified_diff
    from release.trust.steps import TRUST

    root: Path = args.root
    request = PinRequest(
        component=args.component, version=args.version, checksum=args.checksum,
        allow_downgrade=args.allow_downgrade, beyond_policy=args.beyond_policy,
        break_set=args.break_set,
    )
    report = pin(root, PinOptions(request=request, fetching=_fetching(args),
                                  dry_run=args.dry_run), trust=TRUST)
    update = report.update
    if update is None:
        print(f"{args.component} is already pinned to {args.version}; nothing to do",
              file=sys.stderr)
        return 0
    if not report.written:
        sys.stdout.write(unified_diff(report.changes, color=_color_stdout()))
        print(f"dry run: {len(report.changes)} file(s) would change; nothing was written",
              file=sys.stderr)
        return 0
    component = report.loaded.manifest.component(update.component)
    old = component.version if component is not None else "?"
    moved = f"{old} -> {update.version}" if old != update.version else f"{old} (new checksum)"
    print(f"pinned {update.component} {moved} in {len(report.changes)} file(s):",
          file=sys.stderr)
    for change in report.changes:
        print(f"  {change.path}", file=sys.stderr)
    return 0


def _check_options(args: argparse.Namespace, *, fail_on: str | None = None) -> CheckOptions:
    from release.refresh.flow import CheckOptions

    return CheckOptions(
        today=args.today or _today(), fetching=_fetching(args),
        only=tuple(args.only) if args.only is not None else None, timeout=args.timeout,
        advisories=not args.no_advisories, end_of_life=not args.no_eol,
        refresh_advisories=args.refresh_advisories, fail_on=fail_on,
    )


@contextmanager
def _progress() -> Iterator[Callable[[Progress], None]]:
    """The progress line of a check, on a terminal only: in a log or a pipe it would only cost
    start-up."""
    from release.refresh.report import stderr_console

    console = stderr_console() if sys.stderr.isatty() else None
    status: Any = None

    def show(step: Progress) -> None:
        nonlocal status
        if console is None:
            return
        if step.finished:
            if status is not None:
                status.stop()
            status = None
        elif step.result is None:
            status = console.status(f"checking {step.total} components...")
            status.start()
        elif status is not None:
            status.update(f"checked {step.done}/{step.total}: {step.result.component} "
                          f"({step.result.status.value})")

    try:
        yield show
    finally:
        if status is not None:
            status.stop()


def _color_stdout() -> bool:
    from release.textdiff import color_wanted

    return color_wanted(sys.stdout.isatty())


def _step_summary(markdown: str) -> None:
    from release.stepsummary import append

    append(markdown)


def _check(args: argparse.Namespace) -> int:
    from release.refresh.flow import check
    from release.refresh.report import (
        check_json,
        check_markdown,
        print_check,
        stderr_console,
        summary_line,
    )
    from release.trust.steps import TRUST
    from release.upstream.http import shared_ssl_context

    with _progress() as progress, shared_ssl_context():
        report = check(args.root, _check_options(args, fail_on=args.fail_on), trust=TRUST,
                       progress=progress)
    outcome, manifest = report.outcome, report.loaded.manifest
    if args.json:
        print(check_json(outcome.results, manifest, rate_limit=outcome.rate_limit,
                         warnings=outcome.warnings))
    else:
        print_check(stderr_console(), outcome.results, wide=args.wide)
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"check: {summary_line(outcome.results)}", file=sys.stderr)
    _step_summary(check_markdown(outcome.results))
    for line in report.severe:
        print(f"check: --fail-on {args.fail_on}: {line}", file=sys.stderr)
    return report.status


def _refresh(args: argparse.Namespace) -> int:
    from release.refresh.flow import RefreshOptions, RefreshReport, Stage, refresh
    from release.refresh.report import (
        check_markdown,
        print_check,
        refresh_markdown,
        refresh_table,
        stderr_console,
        summary_line,
    )
    from release.textdiff import unified_diff
    from release.trust.steps import TRUST

    console = stderr_console()

    def line(text: str) -> None:
        console.print(text, markup=False, highlight=False)

    def show(stage: Stage, report: RefreshReport) -> None:
        outcome, manifest = report.outcome, report.loaded.manifest
        if stage is Stage.CHECKED:
            print_check(console, outcome.results, wide=args.wide)
            for warning in outcome.warnings:
                line(f"warning: {warning}")
            line(f"refresh: {summary_line(outcome.results)}")
            for text in report.pinned.lines:
                console.print(text, markup=False, highlight=False, soft_wrap=True)
            _step_summary(check_markdown(outcome.results))
        elif stage is Stage.PLANNED:
            console.print(refresh_table(manifest, outcome.updates))
        elif stage is Stage.STOPS:
            for text in report.skipped_stops:
                line(f"refresh: warning: {text}")
        elif stage is Stage.WRITTEN:
            _step_summary(refresh_markdown(manifest, outcome.updates, outcome.results))
            console.print(f"refresh: wrote {len(report.changes)} file(s)")

    options = RefreshOptions(check=_check_options(args), dry_run=args.dry_run,
                             commit=args.commit, accept_changed=tuple(args.accept_changed or ()))
    from release.upstream.http import shared_ssl_context

    with _progress() as progress, shared_ssl_context():
        report = refresh(args.root, options, trust=TRUST, progress=progress, on_stage=show)
    outcome = report.outcome
    if report.all_failed:
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
    elif not outcome.updates:
        console.print("refresh: every pin is at its candidate; nothing to change")
    elif args.dry_run:
        sys.stdout.write(unified_diff(report.changes, color=_color_stdout()))
        console.print(f"dry run: {len(report.changes)} file(s) would change; nothing was written")
    elif report.commit is not None:
        console.print(f"refresh: committed {report.commit[:12]} on branch {report.branch}")
    return report.status


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
    exports.add_argument(
        "--by-digest", action="store_true",
        help="with --bake: each target pushes its image index by digest only, untagged (tagged "
        "by --pushed once probed)",
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
    build.add_argument(
        "--pushed", metavar="DIGEST",
        help="with one --only IMAGE: probe the image index BuildKit pushed by digest on each "
        "of its platforms, then give it its content and release tags (release.yml)",
    )
    build.add_argument("--namespace", default="delphi",
                       help="repository path before the image name (default: %(default)s)")
    build.add_argument("--log-dir", metavar="DIR", type=Path,
                       help="per-image build logs (default: ROOT/build/logs)")
    build.add_argument("--allow-dirty", action="store_true",
                       help="push even when versions.yaml or images/ differ from the commit")
    build.add_argument("--allow-unconfirmed", action="store_true",
                       help="push even when an image's pins include values marked unconfirmed "
                       "(recorded in the bill of materials)")
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
    diff.add_argument(
        "--repo", metavar="OWNER/NAME",
        help="the GitHub repository whose releases carry the bills of materials not in "
        "releases/ (default: GITHUB_REPOSITORY, else the origin remote)",
    )
    diff.add_argument("--no-fetch", action="store_true",
                      help="use only releases/*.json of this tree; fetch nothing")
    diff.set_defaults(handler=_bom_diff)
    signatures = actions.add_parser(
        "signatures", help="record each image's cosign signature and SBOM attestation",
        description="Read, from the registry the bill of materials names, the manifests that "
        "refer to each image digest, and record the digests of cosign's signature and CycloneDX "
        "attestation in the file (exit 1, the file unchanged, when an image has either "
        "missing). --dry-run records `not signed (dry run)` instead.",
    )
    _common(signatures)
    signatures.add_argument("--bom", metavar="FILE", type=Path, required=True,
                            help="the bill of materials (releases/<version>.json)")
    signed = signatures.add_mutually_exclusive_group(required=True)
    signed.add_argument("--identity", metavar="URL",
                        help="the certificate identity cosign signed with (the release "
                        "workflow: https://github.com/OWNER/NAME/.github/workflows/release.yml"
                        "@refs/tags/vX)")
    signed.add_argument("--dry-run", action="store_true",
                        help="nothing was signed: record that, with no digest")
    signatures.add_argument("--issuer", metavar="URL", default=GITHUB_ACTIONS_ISSUER,
                            help="the certificate's OIDC issuer (default: %(default)s)")
    signatures.add_argument("--registry", metavar="HOST",
                            help="the v2 registry the images were pushed to, read without "
                            "credentials (as build --registry); default: log in to the "
                            "account's ECR")
    signatures.set_defaults(handler=_bom_signatures)


def _build(args: argparse.Namespace) -> int:
    from release.images.plan import make_plan, read_sources
    from release.images.provenance import read_provenance
    from release.manifest.tree import load_tree

    if args.github_matrix and args.json:
        raise UsageError("--github-matrix and --json both print on stdout; choose one")
    if args.no_ecr and args.registry is None:
        raise UsageError("--no-ecr needs --registry HOST (where else would images go?)")
    root: Path = args.root
    loaded = load_tree(root)
    sources, not_built = read_sources(root)
    provenance = read_provenance(root, os.environ, source=args.source)
    plan = make_plan(loaded.manifest, sources, provenance, namespace=args.namespace,
                     not_built=not_built)
    if args.by_digest and args.bake is None:
        raise UsageError("--by-digest shapes the bake file: it needs --bake FILE")
    if args.plan or args.github_matrix or args.bake is not None:
        return _build_plan(args, plan.select(args.only))
    if args.pushed is not None:
        return _build_pushed(args, plan)
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

    from release.fsutil import write_if_changed
    from release.images.exports import bake_document, github_matrix, plan_json, plan_table
    from release.refresh.report import stderr_console

    if args.bake is not None:
        bake: Path = args.bake.resolve()
        text = json.dumps(bake_document(plan, registry=args.registry, by_digest=args.by_digest),
                          indent=2) + "\n"
        write_if_changed(bake.parent, bake.name, text)
        print(f"build: wrote bake file {args.bake} ({len(plan.images)} targets)", file=sys.stderr)
    if args.github_matrix:
        print(json.dumps(github_matrix(plan)))
    elif args.json:
        print(plan_json(plan, registry=args.registry))
    elif args.plan:
        stderr_console().print(plan_table(plan))
    return 0


def _build_pushed(args: argparse.Namespace, plan: BuildPlan) -> int:
    import docker
    import httpx

    from release.images import ecr
    from release.images.engine import Engine, connect
    from release.images.pushed import probe_and_tag
    from release.images.registry import Registry, parse_registry

    if len(args.only or ()) != 1:
        raise UsageError("--pushed DIGEST names the index of one image: give --only IMAGE")
    image = plan.select(args.only).images[0]
    target = (parse_registry(args.registry) if args.registry is not None
              else ecr.login(ecr.make_client(os.environ)))
    auth = target.credentials.docker_auth() if target.credentials is not None else None
    engine = Engine(connect(lambda: docker.from_env(timeout=600)))
    with httpx.Client(timeout=30.0, trust_env=True) as http:
        probed = probe_and_tag(engine, Registry(target, http), image, args.pushed, auth=auth)
    for item in probed:
        print(f"build: {image.name} {item.platform}: {item.output}", file=sys.stderr)
    print(f"build: {target.host}/{image.repository}@{args.pushed} probed on "
          f"{', '.join(image.platforms)}, tagged {image.content_tag} and {image.release_tag}",
          file=sys.stderr)
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
        allow_dirty=args.allow_dirty, allow_unconfirmed=args.allow_unconfirmed,
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


def _release_bom(root: Path, ref: str, args: argparse.Namespace) -> Bom:
    from release.bom import bom_relpath
    from release.images.bom_fetch import release_bom

    bom, fetched_from = release_bom(root, ref, repo=args.repo, fetch=not args.no_fetch,
                                    environ=os.environ)
    if fetched_from is not None:
        print(f"bom: {bom_relpath(ref)} fetched from {fetched_from}", file=sys.stderr)
    return bom


def _sbom(args: argparse.Namespace) -> int:
    from release.bom import SBOM_FIELDS, load_bom
    from release.fsutil import write_if_changed
    from release.images.provenance import read_provenance
    from release.images.sbom import make_sbom
    from release.manifest.load import load_manifest
    from release.manifest.model import MANIFEST

    root: Path = args.root
    bom = load_bom(args.bom, needed=SBOM_FIELDS)
    manifest = load_manifest(root / MANIFEST).manifest
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
    write_if_changed(output.parent, output.name, text)
    counted = len(components) if components is not None else len(manifest.components)
    print(f"sbom: wrote {args.output} (CycloneDX 1.6, {counted} components"
          + (f", image {args.image})" if args.image else f", {len(bom.images)} images)"),
          file=sys.stderr)
    return 0


def _scan(args: argparse.Namespace) -> int:
    from release.bom import SCAN_FIELDS, load_bom
    from release.images import ecr
    from release.images.scan import check_severity, report_markdown, scan_gate

    fail_on = check_severity(args.fail_on)
    bom = load_bom(args.bom, needed=SCAN_FIELDS)
    scans = scan_gate(ecr.make_client(os.environ), bom)
    report = report_markdown(scans, fail_on)
    _step_summary(report.removesuffix("\n"))
    failed = [s for s in scans if s.at_or_above(fail_on)]
    for s in scans:
        counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(s.counts.items())) or "none"
        print(f"scan: {s.reference}: {counts}", file=sys.stderr)
    print(f"scan: {len(failed)} of {len(scans)} images with findings at {fail_on} or above",
          file=sys.stderr)
    return 1 if failed else 0


def _bom_signatures(args: argparse.Namespace) -> int:
    import httpx

    from release.bom import bom_json, load_bom
    from release.fsutil import write_if_changed
    from release.images.registry import Registry, parse_registry
    from release.images.signatures import find_signatures, record_dry_run

    bom = load_bom(args.bom)
    path: Path = args.bom.resolve()
    if args.dry_run:
        write_if_changed(path.parent, path.name, bom_json(record_dry_run(bom)))
        print(f"bom: {args.bom}: {len(bom.images)} images recorded as not signed (dry run)",
              file=sys.stderr)
        return 0
    if not args.identity.startswith("https://"):
        raise UsageError(f"--identity {args.identity!r} is not an https:// URL (the workflow's "
                         "certificate identity)")
    if bom.registry is None:
        raise InvalidInput(f"{args.bom}: names no registry: nothing was pushed to sign")
    if args.registry is not None:
        target = parse_registry(args.registry)
    else:
        from release.images import ecr

        target = ecr.login(ecr.make_client(os.environ))
    if target.host != bom.registry:
        raise InvalidInput(f"{args.bom}: its images are in {bom.registry}, not in "
                           f"{target.host}" + ("" if args.registry else " (the account's ECR; "
                                                "--registry HOST names another)"))
    with httpx.Client(timeout=30.0, trust_env=True) as http:
        registry = Registry(target, http)
        signed = find_signatures(bom, registry.referrers, identity=args.identity,
                                 issuer=args.issuer)
    write_if_changed(path.parent, path.name, bom_json(signed))
    for image in signed.images:
        print(f"bom: {image.name}: signed {getattr(image.signature, 'digest', '')}, attested "
              f"{getattr(image.sbom_attestation, 'digest', '')}", file=sys.stderr)
    return 0


def _bom_diff(args: argparse.Namespace) -> int:
    import json

    from release.images.bom import diff_boms, diff_document, render_diff

    root: Path = args.root
    before, after = (_release_bom(root, ref, args) for ref in (args.before, args.after))
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
    notes.add_argument("--upstream-notes", action="store_true",
                       help="read upstream's GitHub release notes between the old and new "
                       "version of each component and quote what needs attention (network)")
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
    if args.upstream_notes:
        if args.sample:
            raise UsageError("--sample renders offline; drop --upstream-notes")
        inputs = _with_upstream_notes(inputs)
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


def _with_upstream_notes(inputs: NotesInputs) -> NotesInputs:
    """`inputs` with what upstream's release notes in each component's range ask for."""
    import dataclasses

    from release.notes.diff import diff_manifests
    from release.notes.upstream_notes import fetch_attention
    from release.upstream.http import GitHubAuth, open_fetcher
    from release.upstream.sources import Endpoints

    changes = diff_manifests(inputs.old_manifest, inputs.new_manifest, today=inputs.date)
    endpoints = Endpoints.from_environ(os.environ)

    async def go() -> tuple[UpstreamAttention, ...]:
        async with open_fetcher(github=GitHubAuth.from_env(os.environ)) as fetcher:
            return await fetch_attention(changes, inputs.new_manifest, fetcher,
                                         api_url=endpoints.github_api_url)

    import asyncio

    return dataclasses.replace(inputs, upstream_attention=asyncio.run(go()))


def _docs(args: argparse.Namespace) -> int:
    from release.manifest.load import load_manifest
    from release.manifest.model import MANIFEST
    from release.notes.docs import PAGE, render_page, write_or_check

    root: Path = args.root
    page = render_page(load_manifest(root / MANIFEST).manifest)
    changed = write_or_check(root, PAGE, page, check=args.check, regenerate="nox -s docs")
    print(f"docs: {PAGE} {'written' if changed else 'up to date'}", file=sys.stderr)
    return 0


def _add_version_command(commands: Subcommands) -> None:
    version = commands.add_parser(
        "version", help="the release version: what versions.yaml says, the newest release tag, "
        "and the next release's version (YYYY.MM.N)",
    )
    _common(version)
    version.add_argument(
        "--set", metavar="VERSION", dest="set_to",
        help="move versions.yaml's release to VERSION, or to the proposed one with 'next'",
    )
    version.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    version.add_argument(
        "--today", metavar="YYYY-MM-DD", type=_date, default=None,
        help="propose the version as of this date (default: today, UTC)",
    )
    version.set_defaults(handler=_version)


def _version(args: argparse.Namespace) -> int:
    """Show where the release version stands; with --set, move it. stdout: the version the next
    release tag carries (so `v$(python -m release version)` is the tag to push)."""
    from release.calver import parse_or_fail, release_state
    from release.fsutil import FileChange, write_files
    from release.manifest.model import MANIFEST
    from release.manifest.tree import load_tree
    from release.manifest.write import set_scalars
    from release.notes.gitlog import tag_names
    from release.textdiff import unified_diff

    root: Path = args.root
    loaded = load_tree(root, pins=False)
    tags = tag_names(root)
    if tags is None:
        print(f"warning: {root.resolve()} is not a git repository: release tags are unknown",
              file=sys.stderr)
    state = release_state(loaded.manifest.release, tags or (), args.today or _today())
    if args.set_to is None:
        print(f"version: {state.describe()}", file=sys.stderr)
        print(state.proposed if state.released else state.current)
        return 0
    if args.set_to == "next":
        if not state.released:
            print(f"version: {state.describe()}; nothing was changed", file=sys.stderr)
            print(state.current)
            return 0
        target = state.proposed
    else:
        target = parse_or_fail(args.set_to, "--set")
        if state.latest_tag is not None and target <= state.latest_tag:
            raise UsageError(f"--set {target}: not after the newest release tag "
                             f"{state.latest_tag.tag} (the next is {state.proposed})")
    if target == state.current:
        print(f"version: release is already {target}; nothing was changed", file=sys.stderr)
        print(target)
        return 0
    text = set_scalars(loaded.text, {"release": str(target)}, filename=MANIFEST)
    change = FileChange(path=MANIFEST, old=loaded.text, new=text)
    if args.dry_run:
        sys.stdout.write(unified_diff([change], color=_color_stdout()))
        print(f"dry run: release {state.current} -> {target}; nothing was written",
              file=sys.stderr)
        return 0
    write_files(root, [change])
    print(f"version: release {state.current} -> {target} in {MANIFEST}; once merged, tag the "
          f"release commit {target.tag}", file=sys.stderr)
    print(target)
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
    from release.manifest.model import MANIFEST

    for folder in (start, *start.parents):
        if (folder / MANIFEST).is_file():
            return folder if folder != start else Path()
    return Path()


def _cwd() -> Path:
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "the current directory no longer exists (deleted or moved away): cd into the "
            "repository again, or pass --root"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    codes: list[int] = []
    with _reported(codes):
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if "root" in vars(args) and args.root is None:
            args.root = find_root(_cwd())
        if extra:
            # argparse names only the top-level program; say which subcommand got the flag.
            raise UsageError(
                f"{parser.prog} {args.command}: unrecognized arguments: {' '.join(extra)}"
            )
        handler: Handler = args.handler
        with _manifest_cache(args):
            codes.append(handler(args))
    return codes[-1] if codes else 0


def _manifest_cache(args: argparse.Namespace) -> AbstractContextManager[None]:
    """Validated manifests cached beside the HTTP cache (`<cache-dir>/manifest/`), for the
    commands that have one and unless `--no-cache` (see `release.manifest.fastload`)."""
    from release.manifest.fastload import parse_cache

    cache_dir: Path | None = getattr(args, "cache_dir", None)
    if cache_dir is None or getattr(args, "no_cache", False):
        return parse_cache(None)
    return parse_cache(cache_dir / "manifest")

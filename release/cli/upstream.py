"""The commands that ask upstream: `verify` (with `--online`), `pin`, `check` and `refresh`.

Each handler imports what it runs lazily, so `--help` and the other commands stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.cli.common import (
    UsageError,
    color_stdout,
    fetching_options,
    json_option,
    root_option,
    step_summary,
    today,
    upstream_options,
)

if TYPE_CHECKING:
    from release.cli.common import Subcommands
    from release.refresh.flow import CheckOptions, Fetching, Progress


def add_commands(commands: Subcommands) -> None:
    """`verify`, `pin`, `check` and `refresh`."""
    verify = commands.add_parser(
        "verify", help="check that every pin agrees with versions.yaml and nothing is unmanaged"
    )
    root_option(verify)
    json_option(verify)
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
    upstream_options(verify)
    verify.set_defaults(handler=_verify)

    pin = commands.add_parser("pin", help="set one component's version by hand")
    root_option(pin)
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
    fetching_options(pin)
    pin.add_argument("--break-set", action="store_true",
                     help="move one member of a coherent set (policy.group with a leader) alone")
    pin.set_defaults(handler=_pin)

    check = commands.add_parser(
        "check", help="compare every pin with upstream, within each component's policy"
    )
    root_option(check)
    upstream_options(check)
    json_option(check)
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
    root_option(refresh)
    upstream_options(refresh)
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
        sys.stdout.write(unified_diff(report.changes, color=color_stdout()))
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
        today=args.today or today(), fetching=_fetching(args),
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
    step_summary(check_markdown(outcome.results))
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
            step_summary(check_markdown(outcome.results))
        elif stage is Stage.PLANNED:
            console.print(refresh_table(manifest, outcome.updates))
        elif stage is Stage.STOPS:
            for text in report.skipped_stops:
                line(f"refresh: warning: {text}")
        elif stage is Stage.WRITTEN:
            step_summary(refresh_markdown(manifest, outcome.updates, outcome.results))
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
        sys.stdout.write(unified_diff(report.changes, color=color_stdout()))
        console.print(f"dry run: {len(report.changes)} file(s) would change; nothing was written")
    elif report.commit is not None:
        console.print(f"refresh: committed {report.commit[:12]} on branch {report.branch}")
    return report.status

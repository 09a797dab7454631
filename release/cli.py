"""Command-line interface: argument parsing, and the one place errors become exit codes.

`main(argv) -> int` is called by `python -m release` and directly by tests. Exit codes: 0 done;
1 done but problems found; 2 bad usage or invalid input (nothing was changed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from release.errors import ProblemsFound, ReleaseError
from release.versioning import UnsafeValueError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so bad usage goes through the error path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class UsageError(ReleaseError):
    exit_code = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=Path(),
        help="repository root holding versions.yaml and images/ (default: current directory)",
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
    return parser


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


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
        "--timeout", metavar="SECONDS", type=float, default=600.0,
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
    from release.apply import plan_updates, unified_diff
    from release.fsutil import write_files
    from release.manifest.load import load_manifest
    from release.pinning import PinRequest, decide_pin

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
    print(f"pinned {update.component} {old} -> {update.version} in {len(plan.changes)} file(s):",
          file=sys.stderr)
    for change in plan.changes:
        print(f"  {change.path}", file=sys.stderr)
    return 0


def _run_upstream(args: argparse.Namespace, *, resolve: bool) -> tuple[Any, Any]:
    """Load the manifest and check it against upstream; returns (loaded manifest, outcome)."""
    from release.manifest.load import load_manifest
    from release.report import stderr_console
    from release.runner import run_check, select
    from release.upstream.http import GitHubAuth, open_fetcher
    from release.upstream.sources import Endpoints

    root: Path = args.root
    loaded = load_manifest(root / "versions.yaml")
    total = len(select(loaded.manifest, args.only))
    console = stderr_console()
    today = args.today or _today()
    cache = None if args.no_cache else args.cache_dir

    async def go() -> Any:
        async with open_fetcher(
            github=GitHubAuth.from_env(os.environ), cache_dir=cache,
            record_dir=args.record, replay_dir=args.replay,
        ) as fetcher:
            with console.status(f"checking {total} components...") as status:
                done: list[str] = []

                def progress(result: Any) -> None:
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
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


def _check(args: argparse.Namespace) -> int:
    from release.report import check_json, check_markdown, check_table, stderr_console

    loaded, outcome = _run_upstream(args, resolve=False)
    if args.json:
        print(check_json(outcome.results, loaded.manifest))
    else:
        stderr_console().print(check_table(outcome.results))
    _step_summary(check_markdown(outcome.results))
    return 1 if outcome.errors else 0


def _refresh(args: argparse.Namespace) -> int:
    from release.apply import plan_updates, unified_diff
    from release.fsutil import write_files
    from release.gitops import commit_on_branch, ensure_clean
    from release.report import (
        check_markdown,
        check_table,
        commit_message,
        refresh_markdown,
        refresh_table,
        stderr_console,
    )

    root: Path = args.root
    if args.commit and not args.dry_run:
        ensure_clean(root)
    loaded, outcome = _run_upstream(args, resolve=True)
    console = stderr_console()
    console.print(check_table(outcome.results))
    _step_summary(check_markdown(outcome.results))
    status = 1 if outcome.errors else 0
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


def main(argv: Sequence[str] | None = None) -> int:
    codes: list[int] = []
    with _reported(codes):
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        codes.append(handler(args))
    return codes[-1] if codes else 0

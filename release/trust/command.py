"""The command side of `verify --online`: open the fetcher, run, print, choose the exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from rich.console import Console

from release.fsutil import FileChange, read_text_exact, write_files
from release.manifest.model import MANIFEST, Manifest
from release.refresh.decide import select
from release.refresh.report import stderr_console
from release.stepsummary import append as append_step_summary
from release.trust.marks import without_marks
from release.trust.online import OnlineReport, Verdict, verify_online
from release.trust.report import online_json, online_markdown, online_table, summary_line
from release.upstream.http import GitHubAuth, open_fetcher
from release.upstream.sources import Endpoints
from release.verify import VerifyReport, render_json, render_text


def run_online(args: argparse.Namespace, manifest: Manifest) -> OnlineReport:
    """Every pinned value of `args.only` (default all) re-derived through the shared fetcher."""
    root: Path = args.root
    total = len(select(manifest, args.only))
    cache = None if args.no_cache else args.cache_dir
    console = stderr_console()

    async def go() -> OnlineReport:
        async with open_fetcher(
            github=GitHubAuth.from_env(os.environ), cache_dir=cache,
            record_dir=args.record, replay_dir=args.replay,
        ) as fetcher:
            with console.status(f"verifying {total} components against upstream...") as status:
                done: list[str] = []

                def progress(name: str) -> None:
                    done.append(name)
                    status.update(f"verified {len(done)}/{total}: {name}")

                return await verify_online(
                    manifest, fetcher, root=root, endpoints=Endpoints.from_environ(os.environ),
                    only=args.only, run_timeout=args.timeout, on_done=progress,
                )

    return asyncio.run(go())


def verify_online_command(args: argparse.Namespace, manifest: Manifest,
                          files: VerifyReport) -> int:
    """Exit 0 when every value is verified (and the files agree), 1 on a mismatch or move (or
    any unverifiable value with `--strict`, or drift in the files)."""
    report = run_online(args, manifest)
    console = stderr_console()
    console.print(render_text(files), markup=False, highlight=False, soft_wrap=True)
    console.print(online_table(report))
    console.print(f"verify --online: {summary_line(report)}", markup=False, highlight=False)
    for verdict in report.alarms:
        console.print(f"alarm: {verdict.component} {verdict.value}: {verdict.reason}",
                      markup=False, highlight=False, soft_wrap=True)
    if args.json:
        document = json.loads(online_json(report, strict=args.strict))
        document["files"] = json.loads(render_json(files))
        print(json.dumps(document, indent=2))
    append_step_summary(online_markdown(report))
    if args.confirm:
        confirm(args.root, report, console)
    code = report.exit_code(strict=args.strict)
    return 1 if files.problems or code else 0


def confirm(root: Path, report: OnlineReport, console: Console) -> None:
    """Drop the `unconfirmed:` mark of every value this run verified (versions.yaml, atomic)."""
    drops: dict[str, list[str]] = {}
    for v in report.verdicts:
        if v.unconfirmed and v.verdict is Verdict.VERIFIED:
            drops.setdefault(v.component, []).append(v.value)
    if not drops:
        console.print("verify: --confirm: no unconfirmed value was verified; nothing written",
                      markup=False, highlight=False)
        return
    old = read_text_exact(root / MANIFEST)
    write_files(root, [FileChange(path=MANIFEST, old=old,
                                  new=without_marks(old, drops, filename=MANIFEST))])
    shown = ", ".join(f"{name} {value}" for name, values in drops.items() for value in values)
    console.print(f"verify: confirmed {shown}; dropped their unconfirmed: marks in {MANIFEST} "
                  "(`nox -s docs` updates docs/third-party-versions.md)",
                  markup=False, highlight=False, soft_wrap=True)

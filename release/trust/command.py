"""The command side of `verify --online`: what the CLI shows of the flow's report.

The flow (`release.trust.flow.verify_online_flow`) runs the steps and returns a report; these
render it: its progress line, the files' check, the verdicts' table, the alarms, the JSON
document, the job summary and what `--confirm` dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from rich.console import Console

from release.manifest.model import MANIFEST
from release.stepsummary import append as append_step_summary
from release.trust.flow import OnlineProgress, OnlineVerifyReport
from release.trust.report import online_json, online_markdown, online_table, summary_line
from release.verify import render_json, render_text


@contextmanager
def progress_line(console: Console) -> Iterator[Callable[[OnlineProgress], None]]:
    """`verifying N components against upstream...`, then `verified 3/N: name`."""
    with console.status("verifying components against upstream...") as status:

        def show(step: OnlineProgress) -> None:
            if step.finished:
                status.stop()
            elif step.component is None:
                status.update(f"verifying {step.total} components against upstream...")
            else:
                status.update(f"verified {step.done}/{step.total}: {step.component}")

        yield show


def print_verified(console: Console, report: OnlineVerifyReport, *, as_json: bool) -> None:
    """The files' check, the verdicts, the alarms (stderr), the JSON document (stdout) and
    the GitHub job summary."""
    console.print(render_text(report.files), markup=False, highlight=False, soft_wrap=True)
    console.print(online_table(report.online))
    console.print(f"verify --online: {summary_line(report.online)}", markup=False,
                  highlight=False)
    for verdict in report.online.alarms:
        console.print(f"alarm: {verdict.component} {verdict.value}: {verdict.reason}",
                      markup=False, highlight=False, soft_wrap=True)
    if as_json:
        document = json.loads(online_json(report.online, strict=report.strict))
        document["files"] = json.loads(render_json(report.files))
        print(json.dumps(document, indent=2))
    append_step_summary(online_markdown(report.online))


def print_confirmed(console: Console, confirmed: Mapping[str, tuple[str, ...]]) -> None:
    """What `--confirm` dropped (or that nothing was verified that was unconfirmed)."""
    if not confirmed:
        console.print("verify: --confirm: no unconfirmed value was verified; nothing written",
                      markup=False, highlight=False)
        return
    shown = ", ".join(f"{name} {value}" for name, values in confirmed.items() for value in values)
    console.print(f"verify: confirmed {shown}; dropped their unconfirmed: marks in {MANIFEST} "
                  "(`nox -s docs` updates docs/third-party-versions.md)",
                  markup=False, highlight=False, soft_wrap=True)

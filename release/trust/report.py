"""Rendering `verify --online` verdicts: a terminal table, one JSON document, GitHub Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.table import Table

from release.refresh.report import md_cell
from release.trust.online import OnlineReport, PinVerdict, Verdict

VERDICT_STYLE = {
    Verdict.VERIFIED: "green",
    Verdict.MISMATCH: "bold red",
    Verdict.MOVED: "bold red",
    Verdict.UNVERIFIABLE: "yellow",
}


def detail(v: PinVerdict, *, full: bool = False) -> str:
    """What the verdict rests on: how and where from, and why a value is unverifiable; `full`
    adds what a mismatch or move means (the table prints that once per alarm, below it)."""
    parts: list[str] = []
    if v.verdict is Verdict.VERIFIED:
        parts.append(f"{v.how} {v.source}" if v.source else v.how or "")
    else:
        if v.verdict is not Verdict.UNVERIFIABLE:
            parts.append(f"pinned {v.pinned}, upstream {v.upstream} ({v.how} {v.source})")
        if v.reason and (v.verdict is Verdict.UNVERIFIABLE or full):
            parts.append(v.reason)
    if v.unconfirmed:
        parts.append("marked unconfirmed in versions.yaml")
    return "; ".join(p for p in parts if p)


def online_table(report: OnlineReport) -> Table:
    table = Table(title="Verify against upstream", title_justify="left")
    for column in ("component", "version", "value", "verdict"):
        table.add_column(column, no_wrap=True)
    table.add_column("details", overflow="fold")
    for v in report.verdicts:
        table.add_row(v.component, v.version, v.value,
                      f"[{VERDICT_STYLE[v.verdict]}]{v.verdict.value}[/]", detail(v))
    return table


def summary_line(report: OnlineReport) -> str:
    """`20 verified · 1 mismatch · 0 moved · 2 unverifiable` (every count, zeros too)."""
    return " · ".join(f"{report.count(v)} {v.value}" for v in Verdict)


def online_json(report: OnlineReport, *, strict: bool) -> str:
    return json.dumps({
        "ok": report.exit_code(strict=strict) == 0,
        "strict": strict,
        "counts": {v.value: report.count(v) for v in Verdict},
        "verdicts": [asdict(v) for v in report.verdicts],
    }, indent=2)


def online_markdown(report: OnlineReport) -> str:
    lines = ["### Pinned values against upstream", "",
             "| component | version | value | verdict | details |", "|---|---|---|---|---|"]
    lines += [f"| {md_cell(v.component)} | {md_cell(v.version)} | {v.value} | "
              f"{v.verdict.value} | {md_cell(detail(v, full=True))} |" for v in report.verdicts]
    lines += ["", f"verify --online: {summary_line(report)}"]
    return "\n".join(lines) + "\n"

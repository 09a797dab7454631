"""Rendering a build run: a terminal table, one JSON document, the failure lines."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from release.images.build import BuildReport
from release.images.run import ImageOutcome, Status

STATUS_STYLE = {
    Status.BUILT: "green",
    Status.PUSHED: "green",
    Status.TAGGED: "green",
    Status.PRESENT: "dim",
    Status.NOT_SELECTED: "dim",
    Status.FAILED: "bold red",
}


def counts(report: BuildReport) -> dict[str, int]:
    outcome = report.outcome
    return {
        "builds": outcome.builds,
        "pushes": outcome.pushes,
        "tagged": outcome.count(Status.TAGGED),
        "present": outcome.count(Status.PRESENT),
        "failed": len(outcome.failed),
    }


def _short(digest: str | None) -> str:
    return digest[:19] + "..." if digest else ""


def outcome_table(report: BuildReport) -> Table:
    outcome = report.outcome
    where = f" to {outcome.registry}" if outcome.pushed and outcome.registry else ""
    table = Table(title=f"Release {report.plan.release}{where}", title_justify="left")
    for column in ("image", "status", "digest", "tags", "seconds"):
        table.add_column(column, overflow="fold")
    for o in outcome.outcomes:
        table.add_row(o.name, f"[{STATUS_STYLE[o.status]}]{o.status.value}[/]", _short(o.digest),
                      ", ".join(o.tags), f"{o.seconds:.1f}")
    return table


def summary_line(report: BuildReport) -> str:
    c = counts(report)
    text = (f"build: {c['builds']} built, {c['pushes']} pushed, {c['tagged']} tagged, "
            f"{c['present']} already present, {c['failed']} failed")
    if report.bom_path is not None:
        state = "written" if report.bom_written else "unchanged"
        text += f"; bill of materials {report.bom_path} {state}"
    return text


def failure_lines(failed: tuple[ImageOutcome, ...]) -> list[str]:
    lines = []
    for o in failed:
        log = f" (log: {o.log})" if o.log else ""
        lines.append(f"error: {o.name} failed at {o.stage}: {o.error}{log}")
    return lines


def outcome_document(report: BuildReport) -> dict[str, Any]:
    outcome = report.outcome
    return {
        "release": report.plan.release,
        "revision": report.plan.provenance.revision,
        "registry": outcome.registry,
        "pushed": outcome.pushed,
        "ok": not outcome.failed,
        "counts": counts(report),
        "images": [
            {
                "name": o.name, "status": o.status.value, "built": o.built,
                "digest": o.digest, "tags": list(o.tags), "image_id": o.image_id,
                "stage": o.stage, "error": o.error, "log": o.log, "seconds": o.seconds,
            }
            for o in outcome.outcomes
        ],
        "repositories": [
            {"name": r.name, "created": r.created, "mutable": r.mutable}
            for r in report.repositories
        ],
        "bom": report.bom_path,
    }


def outcome_json(report: BuildReport) -> str:
    return json.dumps(outcome_document(report), indent=2)

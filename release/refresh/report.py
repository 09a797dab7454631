"""Rendering check and refresh results: a terminal table, JSON, and GitHub Markdown."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich costs ~25 ms to import; `check --json` in a pipeline never needs it
    from rich.console import Console
    from rich.table import Table

from release.manifest.model import Manifest
from release.refresh.decide import CheckResult, Status, Update
from release.upstream.interface import RejectedTag
from release.versioning import Version, bump_kind

STATUS_STYLE = {
    Status.CURRENT: "green",
    Status.UPDATE: "yellow",
    Status.HELD: "blue",
    Status.ERROR: "bold red",
}


def _detail(result: CheckResult) -> str:
    parts = []
    if result.reason:
        parts.append(result.reason)
    elif result.notes_url:
        parts.append(result.notes_url)
    if result.rejected:
        parts.append(f"{len(result.rejected)} malformed tag(s) rejected")
    return "; ".join(parts)


def check_table(results: Sequence[CheckResult]) -> Table:
    from rich.table import Table  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import

    table = Table(title="Upstream check", title_justify="left")
    for column in ("component", "pinned", "candidate", "beyond policy", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("notes", overflow="fold")
    for r in results:
        table.add_row(
            r.component, r.pinned, r.candidate or "", r.newest or "",
            f"[{STATUS_STYLE[r.status]}]{r.status.value}[/]", _detail(r),
        )
    return table


_SUMMARY_WORDS = {
    Status.UPDATE: ("update", "updates"),
    Status.HELD: ("held", "held"),
    Status.CURRENT: ("current", "current"),
    Status.ERROR: ("error", "errors"),
}


def summary_line(results: Sequence[CheckResult]) -> str:
    """One closing line: `14 updates · 1 held · 8 current · 0 errors` (every count, zeros too)."""
    counts = dict.fromkeys(_SUMMARY_WORDS, 0)
    for result in results:
        counts[result.status] += 1
    return " · ".join(
        f"{counts[status]} {one if counts[status] == 1 else many}"
        for status, (one, many) in _SUMMARY_WORDS.items()
    )


def _rejected(tags: Sequence[RejectedTag]) -> list[dict[str, str]]:
    return [{"tag": t.tag, "reason": t.reason} for t in tags]


def check_json(
    results: Sequence[CheckResult], manifest: Manifest,
    rate_limit: Mapping[str, int] | None = None,
) -> str:
    """The check as one JSON document; `rate_limit`: GitHub points spent (core, graphql)."""
    spent = dict(rate_limit or {})
    doc = {
        "release": manifest.release,
        "ok": not any(r.status is Status.ERROR for r in results),
        "github_rate_limit_spent": {
            "core": spent.get("core", 0), "graphql": spent.get("graphql", 0),
        },
        "components": [
            {
                "name": r.component,
                "pinned": r.pinned,
                "candidate": r.candidate,
                "newest_beyond_policy": r.newest,
                "status": r.status.value,
                "bump": r.bump.value if r.bump else None,
                "release_notes": r.notes_url,
                "reason": r.reason,
                "releases_seen": r.releases_seen,
                "rejected_tags": _rejected(r.rejected),
            }
            for r in results
        ],
    }
    return json.dumps(doc, indent=2)


def md_cell(text: str) -> str:
    """Text safe inside a GitHub Markdown table cell (no HTML, no cell breaks)."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(out.split())


def check_markdown(results: Sequence[CheckResult]) -> str:
    lines = [
        "### Upstream check",
        "",
        "| component | pinned | candidate | newest beyond policy | status | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        notes = md_cell(r.reason or "")
        if not r.reason and r.notes_url:
            notes = f"[release notes]({md_cell(r.notes_url)})"
        lines.append(
            f"| {md_cell(r.component)} | {md_cell(r.pinned)} | {md_cell(r.candidate or '')} | "
            f"{md_cell(r.newest or '')} | {r.status.value} | {notes} |"
        )
    return "\n".join(lines) + "\n"


def refresh_rows(manifest: Manifest, updates: Sequence[Update]) -> list[tuple[str, str, str, str]]:
    rows = []
    for update in updates:
        component = manifest.component(update.component)
        old = component.version if component is not None else Version("?")
        kind = bump_kind(old, update.version).value
        rows.append((update.component, str(old), str(update.version), kind))
    return rows


def refresh_table(manifest: Manifest, updates: Sequence[Update]) -> Table:
    from rich.table import Table  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import

    table = Table(title="Refresh", title_justify="left")
    for column in ("component", "old", "new", "bump"):
        table.add_column(column)
    for row in refresh_rows(manifest, updates):
        table.add_row(*row)
    return table


def refresh_markdown(manifest: Manifest, updates: Sequence[Update]) -> str:
    lines = ["| component | old | new | bump |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in refresh_rows(manifest, updates)]
    return "\n".join(lines) + "\n"


def commit_message(manifest: Manifest, updates: Sequence[Update]) -> str:
    count = len(updates)
    lines = [f"refresh: update {count} component{'s' if count != 1 else ''}", ""]
    lines += [f"- {a} {b} -> {c} ({d})" for a, b, c, d in refresh_rows(manifest, updates)]
    return "\n".join(lines) + "\n"


def stderr_console() -> Console:
    """The console of human output: stderr; wide when it is a log, not a terminal."""
    from rich.console import Console  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import

    console = Console(stderr=True, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(stderr=True, highlight=False, soft_wrap=False, width=200)
    return console

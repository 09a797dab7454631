"""Rendering check and refresh results: a terminal table, JSON, and GitHub Markdown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich costs ~25 ms to import; `check --json` in a pipeline never needs it
    from rich.console import Console
    from rich.table import Table

from release.manifest.model import Component, Manifest
from release.refresh.decide import CheckResult, Status, Update
from release.risk.advisories import Severity
from release.upstream.interface import RejectedTag
from release.versioning import BumpKind, move_kind

STATUS_STYLE = {
    Status.CURRENT: "green",
    Status.UPDATE: "yellow",
    Status.WAITING: "cyan",
    Status.HELD: "blue",
    Status.OFF_POLICY: "magenta",
    Status.ERROR: "bold red",
}


def waiting_note(result: CheckResult) -> str | None:
    """`26.1.0 waits until 2026-09-17` when a newer version within policy is still gated."""
    if result.waiting is None or result.status is Status.WAITING:
        return None  # a waiting result says it in its reason
    until = result.waiting_eligible_from
    return f"{result.waiting} waits until {until.isoformat() if until else '?'}"


def advisory_notes(result: CheckResult) -> list[str]:
    """`GHSA-... (high): fixed by the candidate`, one per advisory of the pinned version."""
    return [f"{f.id} ({f.severity.value}): {f.state}" for f in result.advisories]


def eol_note(result: CheckResult) -> str | None:
    """`end of life of the 7.4 line in 75 days (2026-11-30)`, or None when not near or past."""
    return result.eol.note() if result.eol is not None else None


def _detail(result: CheckResult) -> str:
    parts = []
    if result.reason:
        parts.append(result.reason)
    elif result.notes_url:
        parts.append(result.notes_url)
    if (waiting := waiting_note(result)) is not None:
        parts.append(waiting)
    parts.extend(advisory_notes(result))
    if (eol := eol_note(result)) is not None:
        parts.append(eol)
    if result.rejected:
        parts.append(f"{len(result.rejected)} malformed tag(s) rejected")
    return "; ".join(parts)


WIDE_AT = 140  # from this many columns the check table carries its notes column
WIDE_MAX = 240  # the widest `--wide` makes the table on a narrower terminal


def check_table(results: Sequence[CheckResult], *, notes: bool = True) -> Table:
    """The check table; `notes=False` is the compact one (`print_check` lists notes below it):
    no edges, and `beyond` for the newest version beyond policy."""
    from rich import box  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import
    from rich.table import Table  # noqa: PLC0415

    if notes:
        table = Table(title="Upstream check", title_justify="left")
    else:
        table = Table(title="Upstream check", title_justify="left", box=box.SIMPLE_HEAD,
                      show_edge=False, pad_edge=False)
    for column in ("component", "pinned", "candidate", "beyond policy" if notes else "beyond",
                   "status"):
        table.add_column(column, no_wrap=True)
    if notes:
        table.add_column("notes", overflow="fold")
    for r in results:
        row = [r.component, r.pinned, r.candidate or "", r.newest or "",
               f"[{STATUS_STYLE[r.status]}]{r.status.value}[/]"]
        table.add_row(*row, *([_detail(r)] if notes else []))
    return table


def print_check(console: Console, results: Sequence[CheckResult], *, wide: bool = False) -> None:
    """The check on a terminal, readable at 80 columns without losing a version.

    From `WIDE_AT` columns (a log is 200), or with `wide`, one table with a notes column.
    Narrower, the table without notes, then each component's notes on lines of their own
    (a URL is never cut); narrower than even that table, one line per component.
    """
    if wide or console.width >= WIDE_AT:
        table = check_table(results)
        natural = console.measure(table, options=console.options.update_width(WIDE_MAX)).maximum
        narrow = console.width
        console.width = max(narrow, natural)  # print(width=) is capped at the console's width
        try:
            console.print(table)
        finally:
            console.width = narrow
        return
    compact = check_table(results, notes=False)
    if console.measure(compact, options=console.options.update_width(10_000)).maximum \
            <= console.width:
        console.print(compact)
    else:
        console.print("Upstream check", markup=False)
        for r in results:
            moves = f" -> {r.candidate}" if r.candidate else ""
            beyond = f" (beyond policy: {r.newest})" if r.newest else ""
            console.print(f"  {r.component} {r.pinned}{moves}{beyond} "
                          f"[{STATUS_STYLE[r.status]}]{r.status.value}[/]", soft_wrap=True)
    noted = [(r.component, _detail(r)) for r in results if _detail(r)]
    if noted:
        console.print("notes:", markup=False)
    for name, detail in noted:
        for index, part in enumerate(detail.split("; ")):
            lead = f"  {name}: " if index == 0 else "    "
            if len(lead) + len(part) > console.width and index == 0 and "://" in part:
                # A URL that does not fit beside the name gets a line of its own, whole (a
                # terminal may wrap it, but it stays one string to copy or click).
                console.print(lead.rstrip(), markup=False, highlight=False)
                lead = "    "
            # A URL is never cut; other text wraps at words, under its lead.
            console.print(lead + part, markup=False, highlight=False,
                          soft_wrap=part.startswith(("https://", "http://")))


_SUMMARY_WORDS = {
    Status.UPDATE: ("update", "updates"),
    Status.HELD: ("held", "held"),
    Status.CURRENT: ("current", "current"),
    Status.OFF_POLICY: ("off-policy", "off-policy"),
    Status.ERROR: ("error", "errors"),
}


def summary_line(results: Sequence[CheckResult]) -> str:
    """One closing line: `14 updates · 1 held · 8 current · 0 errors` (every count, zeros too).

    `N waiting` (versions inside their release-age gate) follows the updates when there are any.
    """
    counts = dict.fromkeys([*_SUMMARY_WORDS, Status.WAITING], 0)
    for result in results:
        counts[result.status] += 1
    parts = [
        f"{counts[status]} {one if counts[status] == 1 else many}"
        for status, (one, many) in _SUMMARY_WORDS.items()
        if counts[status] or status is not Status.OFF_POLICY  # off-policy shown when it occurs
    ]
    if counts[Status.WAITING]:
        parts.insert(1, f"{counts[Status.WAITING]} waiting")
    return " · ".join(parts)


def _rejected(tags: Sequence[RejectedTag]) -> list[dict[str, str]]:
    return [{"tag": t.tag, "reason": t.reason} for t in tags]


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def check_json(
    results: Sequence[CheckResult], manifest: Manifest, *,
    rate_limit: Mapping[str, int] | None = None, warnings: Sequence[str] = (),
) -> str:
    """The check as one JSON document; `rate_limit`: GitHub points spent (core, graphql);
    `warnings`: what could not be consulted (an advisory source that failed)."""
    spent = dict(rate_limit or {})
    doc = {
        "release": manifest.release,
        "ok": not any(r.status is Status.ERROR for r in results),
        "github_rate_limit_spent": {
            "core": spent.get("core", 0), "graphql": spent.get("graphql", 0),
        },
        "warnings": list(warnings),
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
                "published": r.published,
                "eligible_from": _day(r.eligible_from),
                "security": r.security,
                "waiting": None if r.waiting is None else {
                    "version": r.waiting,
                    "published": r.waiting_published,
                    "eligible_from": _day(r.waiting_eligible_from),
                },
                "eol": None if r.eol is None else {
                    "line": r.eol.line, "date": _day(r.eol.date), "source": r.eol.source,
                    "state": r.eol.state, "days_left": r.eol.days_left,
                },
                "advisories": [
                    {"id": f.id, "aliases": list(f.aliases), "severity": f.severity.value,
                     "summary": f.summary, "fixed_in": list(f.fixed_in),
                     "fixed_by_candidate": f.fixed_by_candidate, "state": f.state,
                     "source": f.source}
                    for f in r.advisories
                ],
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
        extra = [w for w in (waiting_note(r),) if w is not None] + advisory_notes(r)
        extra += [e for e in (eol_note(r),) if e is not None]
        for text in extra:
            notes = f"{notes}; {md_cell(text)}" if notes else md_cell(text)
        lines.append(
            f"| {md_cell(r.component)} | {md_cell(r.pinned)} | {md_cell(r.candidate or '')} | "
            f"{md_cell(r.newest or '')} | {r.status.value} | {notes} |"
        )
    return "\n".join(lines) + "\n"


def update_kind(component: Component, update: Update) -> BumpKind:
    """The bump kind of `update` (the vocabulary of `release.versioning.BumpKind`)."""
    image = component.image
    digest_changed = (image is not None and update.digest is not None
                      and update.digest != image.digest)
    return move_kind(component.version, update.version, digest_changed=digest_changed,
                     security=update.security)


def refresh_rows(manifest: Manifest, updates: Sequence[Update]) -> list[tuple[str, str, str, str]]:
    rows = []
    for update in updates:
        component = manifest.component(update.component)
        if component is None:
            rows.append((update.component, "?", str(update.version), "?"))
            continue
        kind = update_kind(component, update)
        # Same version, same digest: an archive or tag change a person accepted (--accept-changed).
        shown = "accepted-change" if kind is BumpKind.NONE else kind.value
        rows.append((update.component, str(component.version), str(update.version), shown))
    return rows


def refresh_table(manifest: Manifest, updates: Sequence[Update]) -> Table:
    from rich.table import Table  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import

    table = Table(title="Refresh", title_justify="left")
    for column in ("component", "old", "new", "bump"):
        table.add_column(column)
    for row in refresh_rows(manifest, updates):
        table.add_row(*row)
    return table


def refresh_markdown(
    manifest: Manifest, updates: Sequence[Update], results: Sequence[CheckResult] = ()
) -> str:
    lines = ["| component | old | new | bump |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in refresh_rows(manifest, updates)]
    lines += advisory_summary(results, updates)
    ending = [f"- {md_cell(r.component)} {md_cell(r.pinned)}: {md_cell(note)}"
              for r in results if (note := eol_note(r)) is not None]
    if ending:
        lines += ["", "Lines near or past their end of life:", "", *ending]
    return "\n".join(lines) + "\n"


def advisory_summary(results: Sequence[CheckResult], updates: Sequence[Update]) -> list[str]:
    """What the refresh fixes and what stays open, as Markdown lines (none: no advisories)."""
    moved = {u.component for u in updates}
    fixed: list[str] = []
    still: list[str] = []
    for r in results:
        for f in r.advisories:
            line = (f"- {md_cell(r.component)} {md_cell(r.pinned)}: {md_cell(f.id)} "
                    f"({f.severity.value})")
            if f.fixed_by_candidate and r.component in moved:
                fixed.append(f"{line}, fixed in {md_cell(r.candidate or '')}")
            else:
                still.append(f"{line}: {md_cell(f.state)}")
    out: list[str] = []
    if fixed:
        out += ["", "Advisories this refresh fixes:", "", *fixed]
    if still:
        out += ["", "Advisories that stay open:", "", *still]
    return out


def commit_message(
    manifest: Manifest, updates: Sequence[Update], results: Sequence[CheckResult] = ()
) -> str:
    """The refresh commit: one line per update, then the advisories the refresh fixes."""
    count = len(updates)
    lines = [f"refresh: update {count} component{'s' if count != 1 else ''}", ""]
    lines += [f"- {a} {b} -> {c} ({d})" for a, b, c, d in refresh_rows(manifest, updates)]
    moved = {u.component: u.version for u in updates}
    fixed = [f"- {r.component} {moved[r.component]} fixes {f.id} ({f.severity.value})"
             for r in results if r.component in moved
             for f in r.advisories if f.fixed_by_candidate]
    if fixed:
        lines += ["", "Security fixes:", *fixed]
    ending = [f"- {r.component} {r.eol.line} ends {r.eol.date.isoformat()}"
              for r in results if r.eol is not None and r.eol.date is not None
              and r.eol.state in ("near", "past") and r.eol.line != "?"]
    if ending:
        lines += ["", "End of life:", *ending]
    return "\n".join(lines) + "\n"


def severe_findings(results: Sequence[CheckResult], threshold: str) -> list[str]:
    """`check --fail-on`: `redis 7.4.10: WORLD-2026-0002 (critical): no fix yet`, for each
    advisory of a pinned version at `threshold` or worse.

    An advisory of unknown severity never meets a threshold (check lists it all the same).
    """
    floor = Severity(threshold).rank
    return [
        f"{r.component} {r.pinned}: {f.id} ({f.severity.value}): {f.state}"
        for r in results for f in r.advisories
        if f.severity is not Severity.UNKNOWN and f.severity.rank >= floor
    ]


def stderr_console() -> Console:
    """The console of human output: stderr; wide when it is a log, not a terminal."""
    from rich.console import Console  # noqa: PLC0415 - lazy, see the TYPE_CHECKING import

    console = Console(stderr=True, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(stderr=True, highlight=False, soft_wrap=False, width=200)
    return console

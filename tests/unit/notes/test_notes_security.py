"""The release notes name the advisories the release's refreshes fixed; the move is `security`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap

from release.manifest.load import parse_manifest
from release.manifest.model import Manifest
from release.notes.changelog import RawCommit
from release.notes.checklist_load import parse_checklists
from release.notes.diff import ChangeKind
from release.notes.notes import NotesInputs, decide, render_notes
from release.notes.security import SecurityFix, security_fixes

TEXT = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      coturn:
        services: [telpro]
        version: {version}
        versioning: {{tag: "{{version}}"}}
        upstream: {{kind: github-releases, repo: coturn/coturn}}
        pins:
          - {{kind: dockerfile-arg, file: images/coturn/Dockerfile, name: COTURN_VERSION}}
    """
)
FAST = """\
items:
  - id: security-rollout
    phase: rollout-app
    title: Roll out the security release of coturn within 24 hours
    services: [telpro]
    when: {components: [coturn], bump: [security]}
    rollback: same-steps
    steps: [{do: Roll it out now.}]
"""
REFRESH = RawCommit(
    sha="a" * 40, subject="refresh: update 1 component",
    body="- coturn 4.17.1 -> 4.18.0 (security)\n\nSecurity fixes:\n"
         "- coturn 4.18.0 fixes GHSA-wwww-0000-0001 (high)\n"
         "- coturn 4.18.0 fixes $(evil) (high)\n",
)


def manifest(version: str) -> Manifest:
    return parse_manifest(TEXT.format(version=version))


def notes_inputs(commits: tuple[RawCommit, ...]) -> NotesInputs:
    checklist = parse_checklists([("checklists/x.yaml", FAST)], components=("coturn",),
                                 images=("coturn",), ci_tooling=())
    return NotesInputs(
        release="2026.11.0", previous="2026.10.0", from_label="v2026.10.0", to_label="HEAD",
        date=dt.date(2026, 11, 3), old_manifest=manifest("4.17.1"),
        new_manifest=manifest("4.18.0"), commits=commits,
        changed_paths=("images/coturn/Dockerfile",), checklist=checklist, bom=None,
        bom_file="releases/2026.11.0.json", repo_url=None,
    )


def test_refresh_commits_name_the_fixes_and_well_formed_lines_only() -> None:
    assert security_fixes([REFRESH], manifest("4.18.0")) == (
        SecurityFix(component="coturn", version="4.18.0", id="GHSA-wwww-0000-0001",
                    severity="high"),)
    assert security_fixes([REFRESH], manifest("4.18.1")) == ()  # moved again since


def test_the_header_states_the_fixes_and_the_checklist_selects_security() -> None:
    notes = decide(notes_inputs((REFRESH,)))
    assert [c.kind for c in notes.components] == [ChangeKind.SECURITY]
    text = render_notes(notes)
    assert "- **Security fixes:** GHSA-wwww-0000-0001 (coturn 4.18.0, high)\n" in text
    assert "Roll out the security release of coturn within 24 hours" in text


def test_without_a_recorded_fix_the_move_is_a_minor() -> None:
    notes = decide(notes_inputs(()))
    assert [c.kind for c in notes.components] == [ChangeKind.MINOR]
    text = render_notes(notes)
    assert "Security fixes" not in text
    assert "within 24 hours" not in text


def test_the_header_names_lines_near_or_past_their_end_of_life() -> None:
    refresh = RawCommit(sha="b" * 40, subject="refresh: update 1 component",
                        body="- coturn 4.17.1 -> 4.18.0 (minor)\n\nEnd of life:\n"
                             "- coturn 4.18 ends 2026-11-30\n- gone 1.0 ends 2026-01-01\n")
    text = render_notes(decide(notes_inputs((refresh,))))
    assert "- **End of life:** coturn: the 4.18 line ends on 2026-11-30 (in 27 days)\n" in text
    late = dataclasses.replace(notes_inputs((refresh,)), date=dt.date(2026, 12, 1))
    assert "- **End of life:** coturn: the 4.18 line ended on 2026-11-30\n" in render_notes(
        decide(late))

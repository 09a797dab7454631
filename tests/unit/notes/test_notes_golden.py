"""Golden release notes, one per kind of release an operator meets, byte for byte.

Each scenario is release 2026.11.0 against the frozen `versions.yaml` of 2026.10.0
(`tests/data/notes/versions.yaml`), changed as a refresh would change it, rendered with the
real checklist (`checklists/`) and templates. The expected notes are in
`tests/data/notes/golden/<scenario>.md`. After a deliberate change to the checklist or the
templates, regenerate them with

    DELPHI_UPDATE_GOLDEN=1 python -m pytest tests/unit/notes/test_notes_golden.py

and read each changed note as the operator who will follow it before committing it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from release.manifest.load import parse_manifest
from release.notes.changelog import RawCommit
from release.notes.notes import NotesInputs, decide, load_checklist_for, render_notes

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "notes"
GOLDEN = DATA / "golden"
OLD_TEXT = (DATA / "versions.yaml").read_text(encoding="utf-8")
AUTHOR = ("Ana Lima", "ana@delphi.example")


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    edits: tuple[tuple[str, str], ...]
    subject: str
    paths: tuple[str, ...] = ()
    body: str = ""


SCENARIOS = (
    Scenario("postgres-minor", (('version: "17.11"', 'version: "17.12"'),),
             "refresh: postgresql 17.11 -> 17.12 (minor)"),
    Scenario("postgres-major", (('version: "17.11"', 'version: "18.1"'),),
             "feat(postgres)!: PostgreSQL 18"),
    # A patch that fixes an advisory, as `refresh --commit` records it (the id is the fake
    # world's, not a real advisory).
    Scenario("asterisk-patch", (("version: 22.10.1", "version: 22.10.2"),),
             "refresh: update 1 component",
             body="- asterisk 22.10.1 -> 22.10.2 (security)\n\nSecurity fixes:\n"
                  "- asterisk 22.10.2 fixes GHSA-wwww-0000-0003 (moderate)\n"),
    Scenario("debian-rebuild", (('version: "20260803"', 'version: "20260831"'),),
             "refresh: debian 20260803 -> 20260831 (Debian point release)"),
    Scenario("signoz-set", (("version: 0.138.0", "version: 0.140.1"),
                            ("version: 0.144.7", "version: 0.150.2"),
                            ("version: 25.5.6", "version: 25.8.3")),
             "refresh: signoz 0.138.0 -> 0.140.1 (set: collector 0.150.2, clickhouse 25.8.3)"),
    Scenario("nothing", (), "docs: explain the rollout conventions", ("README.md",)),
)


def edited(text: str, edits: tuple[tuple[str, str], ...]) -> str:
    text = text.replace("release: 2026.10.0", "release: 2026.11.0", 1)
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur once in the frozen versions.yaml"
        text = text.replace(old, new)
    return text


def render(scenario: Scenario) -> str:
    old = parse_manifest(OLD_TEXT, "v2026.10.0:versions.yaml")
    new = parse_manifest(edited(OLD_TEXT, scenario.edits), "HEAD:versions.yaml")
    commit = RawCommit(sha="5" * 40, subject=scenario.subject, body=scenario.body,
                       author_name=AUTHOR[0], author_email=AUTHOR[1], parents=("4" * 40,),
                       merged=())
    inputs = NotesInputs(
        release="2026.11.0", previous="2026.10.0", from_label="v2026.10.0", to_label="HEAD",
        date=dt.date(2026, 11, 3), old_manifest=old, new_manifest=new, commits=(commit,),
        changed_paths=(*scenario.paths, *(("versions.yaml",) if scenario.edits else ())),
        checklist=load_checklist_for(REPO, [old, new]), bom=None,
        bom_file="releases/2026.11.0.json", repo_url="https://github.com/acme/delphi-release",
    )
    return render_notes(decide(inputs))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_golden_release_notes(scenario: Scenario) -> None:
    text = render(scenario)
    golden = GOLDEN / f"{scenario.name}.md"
    if os.environ.get("DELPHI_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_note_has_a_scenario() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.md")) == sorted(s.name for s in SCENARIOS)


def test_on_the_way_back_pgbouncer_still_restarts_after_postgresql() -> None:
    """Reversing every item would restart pgbouncer before PostgreSQL: roles are reversed, the
    items of one role keep their rollout order."""
    for name in ("postgres-minor", "debian-rebuild"):
        text = render(next(s for s in SCENARIOS if s.name == name))
        rollback = text.split("### 9. Rollback" if name == "debian-rebuild" else "### 6. Rollback")
        ids = re.findall(r"^\*Services: [^*]*\* · `([a-z0-9-]+)`$", rollback[1], re.MULTILINE)
        assert ids.index("rollback-postgres-restart") < ids.index("rollback-pgbouncer"), name
        if name == "debian-rebuild":
            assert ids == ["rollback-start", "rollback-telpro", "rollback-web", "rollback-voice",
                           "rollback-postgres-restart", "rollback-pgbouncer", "rollback-redis",
                           "rollback-media", "rollback-squid", "rollback-finish"]

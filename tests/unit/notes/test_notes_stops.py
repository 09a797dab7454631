"""Required stops: the data file (`checklists/required-stops.yaml`), validated with file and
line. How a release that skips one reads: tests/unit/notes/test_notes_render.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import load_manifest
from release.notes.stops import load_stops, parse_stops

REPO = Path(__file__).resolve().parents[3]
def test_the_delphi_stops_are_valid_and_name_their_sources() -> None:
    manifest_ = load_manifest(REPO / "versions.yaml").manifest
    stops = load_stops(REPO / "checklists", manifest_.names())
    assert [(s.component, s.version, s.source) for s in stops] == [
        ("signoz", "0.86.0", "https://signoz.io/docs/operate/migration/upgrade-0-86"),
        ("postgresql", "9.2", "https://www.postgresql.org/docs/current/pgupgrade.html"),
    ]


def test_every_problem_of_the_stops_file_is_located() -> None:
    text = textwrap.dedent("""\
        stops:
          - component: signos
            version: soon
            why: Because.
            source: http://example.org
          - component: signoz
            version: 1.0.0
            reason: x
        """)
    with pytest.raises(ProblemsFound) as info:
        parse_stops(text, "checklists/required-stops.yaml", ["signoz", "postgresql"])
    assert [str(p) for p in info.value.problems] == [
        "checklists/required-stops.yaml:2: stops[0].component: unknown component 'signos' (did "
        "you mean 'signoz'?)",
        "checklists/required-stops.yaml:3: stops[0].version: 'soon' is not a version",
        "checklists/required-stops.yaml:5: stops[0].source: expected the https:// address of the "
        "upstream page that states the stop",
        "checklists/required-stops.yaml:8: stops[1].reason: unknown key; did you mean 'version'? "
        "valid keys: component, "
        "version, why, source",
        "checklists/required-stops.yaml:6: stops[1]: missing required key 'why'",
        "checklists/required-stops.yaml:6: stops[1]: missing required key 'source'",
    ]
    assert info.value.message == ("checklists/required-stops.yaml has 6 problems; nothing was "
                                  "rendered")


def test_refresh_warns_about_an_update_past_a_required_stop(tmp_path: Path) -> None:
    from release.refresh.decide import Update
    from release.refresh.flow import skipped_stops as _skipped_stops
    from release.versioning import Version

    manifest_ = load_manifest(REPO / "versions.yaml").manifest
    signoz = next(c for c in manifest_.components if c.name == "signoz")
    (tmp_path / "checklists").mkdir()
    (tmp_path / "checklists" / "required-stops.yaml").write_text(textwrap.dedent("""\
        stops:
          - component: signoz
            version: 9.0.0
            why: A required migration.
            source: https://signoz.io/docs/operate/migration/
        """))
    updates = [Update(component="signoz", version=Version("9.1.0")),
               Update(component="caddy", version=Version("9.9.9"))]
    assert _skipped_stops(tmp_path, manifest_, updates) == [
        f"signoz {signoz.version} -> 9.1.0 skips the required stop 9.0.0 "
        "(https://signoz.io/docs/operate/migration/): deployments still on "
        f"{signoz.version} must roll out a release with 9.0.0 first; the release notes will "
        "say so",
    ]
    assert _skipped_stops(tmp_path, manifest_, [Update(component="signoz",
                                                       version=Version("9.0.0"))]) == []

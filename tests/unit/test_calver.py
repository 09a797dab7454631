"""CalVer release versions: parsing, tags, and the next release."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from release.calver import CalVer, next_release, parse, release_state, release_tags

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026.11.0", CalVer(2026, 11, 0)),
    ("2026.9.3", CalVer(2026, 9, 3)),
    ("2026.09.3", CalVer(2026, 9, 3)),
    ("2026.13.0", None),
    ("2026.0.1", None),
    ("2026.11", None),
    ("v2026.11.0", None),
    ("2026.11.0-rc1", None),
])
def test_parse(text: str, expected: CalVer | None) -> None:
    assert parse(text) == expected


def test_release_tags_ignore_other_tags_and_sort_by_number_not_text() -> None:
    assert release_tags(["v2026.9.0", "v2026.10.0", "v2026.10.10", "v2026.10.2", "latest",
                         "v1", "kamailio-6.0", "v2026.13.1"]) == [
        CalVer(2026, 9, 0), CalVer(2026, 10, 0), CalVer(2026, 10, 2), CalVer(2026, 10, 10)]


@pytest.mark.parametrize(("tags", "today", "expected"), [
    ([], "2026-12-03", "2026.12.0"),
    (["v2026.11.0"], "2026-12-03", "2026.12.0"),
    (["v2026.12.0"], "2026-12-20", "2026.12.1"),
    (["v2026.12.0", "v2026.12.1"], "2026-12-20", "2026.12.2"),
    (["v2026.12.0"], "2027-01-02", "2027.1.0"),
    # A tag dated ahead of this machine's clock: never propose a version below it.
    (["v2027.1.0"], "2026-12-31", "2027.1.1"),
])
def test_next_release(tags: list[str], today: str, expected: str) -> None:
    assert str(next_release(release_tags(tags), dt.date.fromisoformat(today))) == expected


def test_release_state_of_a_first_release() -> None:
    state = release_state("2026.11.0", [], dt.date(2026, 11, 3))
    assert not state.released
    assert state.describe() == ("release 2026.11.0: no release tag yet; the first release is "
                                "tagged v2026.11.0")


def test_versions_yaml_refuses_an_impossible_release_month() -> None:
    from release.errors import ProblemsFound
    from release.manifest.load import parse_manifest

    text = (REPO / "versions.yaml").read_text().replace("release: 2026.11.0",
                                                         "release: 2026.13.0", 1)
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(text)
    assert [str(p) for p in caught.value.problems] == [
        "versions.yaml:13: release: '2026.13.0' is not a Delphi release version such as "
        "2026.11.0"]

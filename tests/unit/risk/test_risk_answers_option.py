"""Where check keeps advisory and end-of-life answers: beside the HTTP cache, never while
recording or replaying, lifetime 0 with --refresh-advisories."""

from __future__ import annotations

from pathlib import Path

from release.cli import build_parser
from release.refresh.flow import Fetching
from release.risk.fresh import DEFAULT_TTL


def test_beside_the_http_cache_and_off_without_it(tmp_path: Path) -> None:
    answers = Fetching(cache_dir=tmp_path / "http").answers()
    assert answers is not None
    assert (answers.directory, answers.ttl) == (tmp_path / "http" / "answers", DEFAULT_TTL)
    refreshed = Fetching(cache_dir=tmp_path).answers(refresh=True)
    assert refreshed is not None
    assert refreshed.ttl == 0
    assert Fetching(cache_dir=None).answers() is None
    assert Fetching(cache_dir=tmp_path, record_dir=tmp_path / "r").answers() is None
    assert Fetching(cache_dir=tmp_path, replay_dir=tmp_path / "r").answers() is None


def test_check_and_refresh_take_refresh_advisories() -> None:
    parser = build_parser()
    for command in ("check", "refresh"):
        assert parser.parse_args([command, "--refresh-advisories"]).refresh_advisories
        assert not parser.parse_args([command]).refresh_advisories

"""release.risk.fresh.Answers: fresh within the lifetime, kept whatever the age, unreadable
files ignored, a failed write never raised."""

from __future__ import annotations

from pathlib import Path

from release.risk.fresh import Answers


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_within_the_lifetime_then_only_stored(tmp_path: Path) -> None:
    clock = Clock()
    answers = Answers(tmp_path / "a", ttl=3600, clock=clock)
    assert answers.fresh("GET x") is None
    answers.keep("GET x", '{"a": 1}')
    assert answers.fresh("GET x") == '{"a": 1}'
    clock.now += 3599
    assert answers.fresh("GET x") == '{"a": 1}'
    clock.now += 1
    assert answers.fresh("GET x") is None
    stored = answers.stored("GET x")
    assert stored is not None
    assert (stored.body, stored.fetched) == ('{"a": 1}', 1_000_000.0)
    assert answers.age(stored) == "1 h"
    clock.now += 3 * 86400
    assert answers.age(stored) == "3 d"


def test_a_lifetime_of_zero_is_never_fresh(tmp_path: Path) -> None:
    answers = Answers(tmp_path, ttl=0.0)
    answers.keep("k", "v")
    assert answers.fresh("k") is None
    assert answers.stored("k") is not None


def test_an_answer_from_the_future_is_not_fresh(tmp_path: Path) -> None:
    clock = Clock()
    answers = Answers(tmp_path, ttl=3600, clock=clock)
    answers.keep("k", "v")
    clock.now -= 60  # the clock went back
    assert answers.fresh("k") is None


def test_unreadable_or_foreign_files_are_ignored(tmp_path: Path) -> None:
    answers = Answers(tmp_path)
    answers.keep("k", "v")
    (path,) = tmp_path.iterdir()
    for garbage in (b"", b"not json", b"[]", b'{"key": "other", "fetched": 1, "body": "v"}',
                    b'{"key": "k", "fetched": "x", "body": "v"}'):
        path.write_bytes(garbage)
        assert answers.stored("k") is None


def test_a_failed_write_is_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    Answers(blocker / "answers").keep("k", "v")  # a file where the directory should be

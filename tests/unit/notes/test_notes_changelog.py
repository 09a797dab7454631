"""Conventional commits grouped for the changelog: parsing, groups, merges, reverts, bots."""

from __future__ import annotations

import pytest

from release.notes.changelog import (
    Entry,
    Group,
    RawCommit,
    breaking_notes,
    build_changelog,
    is_bot,
    parse,
)


def sha(n: int) -> str:
    return f"{n:040x}"


def commit(
    n: int, subject: str, body: str = "", *, name: str = "Ana Lima",
    email: str = "ana@delphi.example", parents: tuple[str, ...] = (),
    merged: tuple[str, ...] = (),
) -> RawCommit:
    return RawCommit(sha=sha(n), subject=subject, body=body, author_name=name,
                     author_email=email, parents=parents, merged=merged)


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("feat(voice): barge-in for prompts", "",
         (Group.FEATURES, "feat", "voice", "barge-in for prompts", None)),
        ("fix: drop stale dialogs (#42)", "",
         (Group.FIXES, "fix", None, "drop stale dialogs", 42)),
        ("feat(api)!: remove v1 webhooks", "",
         (Group.BREAKING, "feat", "api", "remove v1 webhooks", None)),
        ("fix(db): x", "BREAKING CHANGE: y", (Group.BREAKING, "fix", "db", "x", None)),
        ("security(squid): deny CONNECT", "",
         (Group.SECURITY, "security", "squid", "deny CONNECT", None)),
        ("fix(security): escape input", "",
         (Group.SECURITY, "fix", "security", "escape input", None)),
        ("fix: patch CVE-2026-12345 in caddy", "",
         (Group.SECURITY, "fix", None, "patch CVE-2026-12345 in caddy", None)),
        ("docs(readme): typo", "", (Group.OTHER, "docs", "readme", "typo", None)),
        ("benchmarks: annotate figures", "",
         (Group.OTHER, None, None, "benchmarks: annotate figures", None)),
        ("Update the squid config", "",
         (Group.OTHER, None, None, "Update the squid config", None)),
        ("Feat: capitalised type", "", (Group.FEATURES, "feat", None, "capitalised type", None)),
    ],
)
def test_parse(subject: str, body: str, expected: tuple[object, ...]) -> None:
    entry = parse(commit(1, subject, body))
    assert (entry.group, entry.kind, entry.scope, entry.description, entry.pr) == expected


def test_labels() -> None:
    assert parse(commit(1, "docs(readme): typo")).label == "docs(readme)"
    assert parse(commit(1, "chore: bump")).label == "chore"
    assert parse(commit(1, "feat(voice): x")).label == "voice"
    assert parse(commit(1, "plain subject")).label is None


def test_breaking_footers() -> None:
    body = (
        "Some text.\n\n"
        "BREAKING CHANGE: the Redis image refuses to start\n"
        "without REDIS_PASSWORD.\n"
        "Refs: #12\n"
        "BREAKING-CHANGE: second one\n"
    )
    assert breaking_notes(body) == (
        "the Redis image refuses to start without REDIS_PASSWORD.",
        "second one",
    )
    assert breaking_notes("no footers here") == ()


@pytest.mark.parametrize(
    ("name", "email", "bot"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", True),
        ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com", True),
        ("renovate", "bot@renovateapp.com", True),
        ("Ana Lima", "ana@delphi.example", False),
    ],
)
def test_is_bot(name: str, email: str, bot: bool) -> None:
    assert is_bot(name, email) is bot


def test_groups_order_and_bots() -> None:
    commits = [
        commit(1, "docs: notes"),
        commit(2, "fix: two"),
        commit(3, "chore(deps): bump x", name="dependabot[bot]",
               email="1+dependabot[bot]@users.noreply.github.com"),
        commit(4, "feat: one"),
        commit(5, "feat!: big"),
        commit(6, "fixup! feat: one"),
        commit(7, "security: s"),
    ]
    log = build_changelog(commits)
    assert [(e.group, e.description) for e in log.entries] == [
        (Group.BREAKING, "big"),
        (Group.FEATURES, "one"),
        (Group.FIXES, "two"),
        (Group.SECURITY, "s"),
        (Group.OTHER, "notes"),
    ]
    assert (log.bot_commits, log.bots) == (1, ("dependabot[bot]",))
    assert [g for g, _ in log.groups()] == list(Group)


def test_pr_merge_with_title_stands_for_its_commits() -> None:
    inner_a = commit(2, "wip")
    inner_b = commit(3, "fix typo", "BREAKING CHANGE: config key renamed")
    merge = commit(1, "Merge pull request #57 from acme/kamailio-topos", "feat(kamailio): topos",
                   parents=(sha(9), sha(3)), merged=(sha(2), sha(3)))
    log = build_changelog([merge, inner_b, inner_a, commit(4, "fix: other (#50)")])
    assert log.entries == (
        Entry(group=Group.BREAKING, description="topos", sha=sha(1), kind="feat",
              scope="kamailio", pr=57, breaking=("config key renamed",)),
        Entry(group=Group.FIXES, description="other", sha=sha(4), kind="fix", pr=50),
    )


def test_pr_merge_without_title_lends_its_number() -> None:
    inner = commit(2, "fix(sip): handle glare")
    merge = commit(1, "Merge pull request #61 from acme/glare", parents=(sha(9), sha(2)),
                   merged=(sha(2),))
    other_merge = commit(3, "Merge branch 'main' into feature", parents=(sha(8), sha(7)))
    log = build_changelog([other_merge, merge, inner])
    assert [(e.description, e.pr) for e in log.entries] == [("handle glare", 61)]


def test_revert_in_range_cancels_both() -> None:
    original = commit(2, "feat: risky")
    revert = commit(1, 'Revert "feat: risky"', f"This reverts commit {sha(2)}.")
    kept_revert = commit(3, 'Revert "feat: older"', f"This reverts commit {sha(99)}.")
    log = build_changelog([kept_revert, revert, original])
    assert [e.description for e in log.entries] == ['Revert "feat: older"']


def test_empty() -> None:
    log = build_changelog([])
    assert log.entries == ()
    assert log.groups() == []

"""The product changelog: commits between two refs, grouped as conventional commits (pure).

Input is a list of `RawCommit` values, newest first, as `release.notes.gitlog` reads them.
Rules, in the order they apply:

- a GitHub pull-request merge (`Merge pull request #N from ...`) stands for its pull request:
  its title (the merge commit's body) becomes the entry, linked to PR #N, and the commits it
  merged are not listed again (their `BREAKING CHANGE:` footers are kept). A PR merge without a
  title lends its number to the commits it merged instead. Other merges (`Merge branch ...`)
  are left out;
- a revert whose reverted commit is in the same range cancels it: neither is listed;
- `fixup!`/`squash!`/`amend!` commits are left out;
- commits by bots (`dependabot[bot]`, `renovate[bot]`, `github-actions[bot]`, ...) are counted,
  not listed: the third-party version table says what they changed;
- every other commit is one entry: `type(scope)!: description` for the conventional types
  (others are kept whole), `(#N)` at the end of a squash merge's subject is its PR; `!` or a
  `BREAKING CHANGE:` footer makes it breaking.

Groups, in display order: breaking changes, features, fixes, security, other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True, kw_only=True)
class RawCommit:
    """One commit as read from git. `merged` lists, for a merge commit, the commits of the range
    that it brought in (reachable from its second parent, not from its first)."""

    sha: str
    subject: str
    body: str = ""
    author_name: str = ""
    author_email: str = ""
    parents: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class Group(StrEnum):
    BREAKING = "breaking"
    FEATURES = "features"
    FIXES = "fixes"
    SECURITY = "security"
    OTHER = "other"


GROUP_TITLES = {
    Group.BREAKING: "Breaking changes",
    Group.FEATURES: "Features",
    Group.FIXES: "Fixes",
    Group.SECURITY: "Security",
    Group.OTHER: "Other changes",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One changelog line. `breaking` holds the `BREAKING CHANGE:` texts (may be empty when the
    commit is breaking by `!` alone)."""

    group: Group
    description: str
    sha: str
    kind: str | None = None
    scope: str | None = None
    pr: int | None = None
    breaking: tuple[str, ...] = ()

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    @property
    def label(self) -> str | None:
        """What precedes the description: the scope, and in "other" also the type (`docs`)."""
        if self.group is not Group.OTHER:
            return self.scope
        if self.kind is None:
            return None
        return f"{self.kind}({self.scope})" if self.scope else self.kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Changelog:
    entries: tuple[Entry, ...] = ()
    bot_commits: int = 0
    bots: tuple[str, ...] = ()

    def group(self, group: Group) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.group is group)

    def groups(self) -> list[tuple[Group, tuple[Entry, ...]]]:
        """The non-empty groups in display order."""
        return [(g, self.group(g)) for g in Group if self.group(g)]

    @property
    def breaking(self) -> tuple[Entry, ...]:
        return self.group(Group.BREAKING)


_CONVENTIONAL = re.compile(
    r"(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>\S.*)"
)
_SQUASH_PR = re.compile(r"\s*\(#(?P<pr>\d{1,9})\)\s*$")
_PR_MERGE = re.compile(r"Merge pull request #(?P<pr>\d{1,9}) from \S+")
_REVERT = re.compile(r'Revert ".*"')
_REVERTS_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,40})")
_AUTOSQUASH = re.compile(r"(fixup|squash|amend)! ")
_FOOTER = re.compile(r"(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z-]*)(?::[ \t]| #)(?P<text>.*)")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)

FEATURE_TYPES = frozenset({"feat", "feature"})
FIX_TYPES = frozenset({"fix", "bugfix", "hotfix"})
SECURITY_TYPES = frozenset({"security", "sec"})
# Other types of the conventional-commits convention (Angular's list, plus deps and revert); a
# subject starting with any other word and a colon ("benchmarks: ...") is not a typed commit.
OTHER_TYPES = frozenset({
    "build", "chore", "ci", "deps", "docs", "perf", "refactor", "revert", "style", "test",
    "tests",
})
KNOWN_TYPES = FEATURE_TYPES | FIX_TYPES | SECURITY_TYPES | OTHER_TYPES
BOT_NAMES = frozenset({"dependabot", "renovate", "renovate-bot", "github-actions", "pre-commit-ci"})


def is_bot(name: str, email: str) -> bool:
    """GitHub Apps commit as `<app>[bot]` with a `...[bot]@users.noreply.github.com` address."""
    lowered = name.strip().lower()
    return lowered.endswith("[bot]") or "[bot]@" in email.lower() or lowered in BOT_NAMES


def breaking_notes(body: str) -> tuple[str, ...]:
    """The texts of `BREAKING CHANGE:` / `BREAKING-CHANGE:` footers (continuation lines joined)."""
    notes: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        footer = _FOOTER.fullmatch(line)
        if footer is not None:
            if current is not None:
                notes.append(" ".join(current).strip())
            token = footer.group("token")
            current = [footer.group("text")] if token.startswith("BREAKING") else None
        elif not line.strip():
            if current is not None:
                notes.append(" ".join(current).strip())
            current = None
        elif current is not None:
            current.append(line.strip())
    if current is not None:
        notes.append(" ".join(current).strip())
    return tuple(n for n in notes if n)


def parse(
    commit: RawCommit, *, pr: int | None = None, extra_breaking: tuple[str, ...] = ()
) -> Entry:
    """The entry for one ordinary commit (`pr` from its merge, when the subject has none)."""
    subject = commit.subject.strip()
    squash = _SQUASH_PR.search(subject)
    if squash is not None:
        pr = int(squash.group("pr"))
        subject = subject[: squash.start()]
    notes = breaking_notes(commit.body) + extra_breaking
    match = _CONVENTIONAL.fullmatch(subject)
    if match is not None and match.group("type").lower() not in KNOWN_TYPES:
        match = None
    if match is None:
        group = Group.BREAKING if notes else Group.OTHER
        return Entry(group=group, description=subject, sha=commit.sha, pr=pr, breaking=notes)
    kind = match.group("type").lower()
    scope = (match.group("scope") or "").strip() or None
    if match.group("bang") or notes:
        group = Group.BREAKING
    elif kind in SECURITY_TYPES or (scope or "").lower() == "security" or _CVE.search(subject):
        group = Group.SECURITY
    elif kind in FEATURE_TYPES:
        group = Group.FEATURES
    elif kind in FIX_TYPES:
        group = Group.FIXES
    else:
        group = Group.OTHER
    return Entry(
        group=group, description=match.group("desc").strip(), sha=commit.sha, kind=kind,
        scope=scope, pr=pr, breaking=notes,
    )


def build_changelog(commits: list[RawCommit] | tuple[RawCommit, ...]) -> Changelog:
    """Group `commits` (newest first) into a changelog; see the module docstring for the rules."""
    by_sha = {c.sha: c for c in commits}
    hidden: set[str] = set()
    lent_pr: dict[str, int] = {}
    pr_entries: dict[str, Entry] = {}

    for merge in commits:
        if not merge.is_merge:
            continue
        hidden.add(merge.sha)
        m = _PR_MERGE.match(merge.subject)
        if m is None:
            continue
        number = int(m.group("pr"))
        title = next((line.strip() for line in merge.body.splitlines() if line.strip()), "")
        inner = [by_sha[s] for s in merge.merged if s in by_sha]
        if title:
            notes = tuple(n for c in inner for n in breaking_notes(c.body))
            titled = RawCommit(sha=merge.sha, subject=title, body=merge.body)
            pr_entries[merge.sha] = parse(titled, pr=number, extra_breaking=notes)
            hidden.update(c.sha for c in inner)
        else:
            for c in inner:
                lent_pr.setdefault(c.sha, number)

    for commit in commits:
        if _REVERT.fullmatch(commit.subject.strip()):
            reverted = _REVERTS_SHA.search(commit.body)
            if reverted is not None:
                target = next((s for s in by_sha if s.startswith(reverted.group("sha"))), None)
                if target is not None and target not in hidden:
                    hidden.update({commit.sha, target})

    entries: list[Entry] = []
    bots: set[str] = set()
    bot_commits = 0
    for commit in commits:
        if commit.sha in pr_entries:
            entries.append(pr_entries[commit.sha])
            continue
        if commit.sha in hidden or _AUTOSQUASH.match(commit.subject):
            continue
        if is_bot(commit.author_name, commit.author_email):
            bot_commits += 1
            bots.add(commit.author_name.strip() or commit.author_email)
            continue
        entries.append(parse(commit, pr=lent_pr.get(commit.sha)))
    order = list(Group)
    entries.sort(key=lambda e: order.index(e.group))  # stable: git order within a group
    return Changelog(entries=tuple(entries), bot_commits=bot_commits, bots=tuple(sorted(bots)))

"""The release notes decided and rendered from literal inputs: the rollback line, CI tooling,
and the first release."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap

import pytest

from release.manifest.load import parse_manifest
from release.manifest.model import Manifest
from release.notes.changelog import RawCommit
from release.notes.checklist import Checklist
from release.notes.checklist_load import parse_checklists
from release.notes.notes import NotesInputs, ReleaseNotes, decide, render_notes

MANIFEST = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      postgresql:
        services: [database]
        version: "17.11"
        versioning: {tag: "REL_{version}", pattern: '\\d+\\.\\d+', separator: _}
        upstream:
          kind: postgres-versions
          url: https://www.postgresql.org/versions.json
          release-notes: https://www.postgresql.org/docs/release/{version}/
        pins:
          - {kind: dockerfile-arg, file: images/postgres/Dockerfile, name: POSTGRES_VERSION}
      actions-checkout:
        description: actions/checkout, the repository checkout of every job
        version: 6.0.1
        versioning: {tag: "v{version}"}
        upstream:
          kind: github-releases
          repo: actions/checkout
          release-notes: https://github.com/actions/checkout/releases/tag/{tag}
        policy: {specifier: ">=6"}
        commit: 8e8c483db84b4bee98b60c0593521ed34d9990e8
        pins:
          - {kind: github-action, file: .github/workflows/ci.yml, action: actions/checkout}
    """
)
PREFLIGHT = """\
  - id: preflight-health
    phase: pre-flight
    title: Check health
    services: all
    when: {always: true}
    steps: [{do: Look.}]
"""
RESTART = """\
  - id: rollout-postgres
    phase: rollout-stateful
    title: Restart PostgreSQL
    services: [database]
    when: {images: [postgres]}
    steps: [{do: Restart it.}]
"""
MAJOR = """\
  - id: rollout-postgres-major
    phase: rollout-stateful
    title: Upgrade PostgreSQL with pg_upgrade
    services: [database]
    when: {components: [postgresql], bump: [major]}
    irreversible: Restore the dumps to go back.
    steps: [{do: Upgrade it.}]
"""
ROLLBACK = """\
  - id: rollback-by-image
    phase: rollback
    title: Roll back by image
    services: all
    when: {always: true}
    steps: [{do: "Set DELPHI_RELEASE=@{previous}."}]
"""
TODAY = dt.date(2026, 11, 3)


def manifest(**replace: str) -> Manifest:
    text = MANIFEST
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_manifest(text)


def checklist(*items: str) -> Checklist:
    return parse_checklists(
        [("checklists/x.yaml", "items:\n" + "".join(items))],
        components=("postgresql", "actions-checkout"), images=("postgres",),
        ci_tooling=("actions-checkout",),
    )


def inputs(
    old: Manifest | None, new: Manifest, *, paths: tuple[str, ...] = (),
    items: tuple[str, ...] = (PREFLIGHT, RESTART, MAJOR, ROLLBACK),
    commits: tuple[RawCommit, ...] = (), first: bool = False,
) -> NotesInputs:
    return NotesInputs(
        release=new.release, previous=None if first else "2026.10.0",
        from_label=None if first else "v2026.10.0", to_label="HEAD", date=TODAY,
        old_manifest=old, new_manifest=new, commits=commits, changed_paths=paths,
        checklist=checklist(*items), bom=None, bom_file="releases/2026.11.0.json", repo_url=None,
    )


def rendered(notes: ReleaseNotes) -> str:
    return render_notes(notes)


def rollback_line(text: str) -> str:
    line = text.split("**Rolling back:** ", maxsplit=1)[1].split("\n\n", maxsplit=1)[0]
    return line.strip().replace("\n", " ")


# -- the rollback line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "new_version", "expected"),
    [
        ((PREFLIGHT, RESTART, ROLLBACK), '"17.12"',
         "every step of this release can be rolled back by image alone (step 3.1)."),
        ((PREFLIGHT, RESTART), '"17.12"',
         "every step of this release can be rolled back by image alone."),
        ((PREFLIGHT, MAJOR, ROLLBACK), '"18.1"',
         "by image (step 3.1) until step 2.1 (Upgrade PostgreSQL with pg_upgrade); once that "
         "step has run, follow the recovery it names."),
        ((PREFLIGHT, MAJOR), '"18.1"',
         "by image until step 2.1 (Upgrade PostgreSQL with pg_upgrade); once that step has "
         "run, follow the recovery it names."),
    ],
)
def test_rollback_line_names_a_step_only_when_the_checklist_has_one(
    items: tuple[str, ...], new_version: str, expected: str
) -> None:
    """A checklist without a selected rollback item (a small repository's own checklist) once
    printed `(step )`."""
    notes = decide(inputs(manifest(), manifest(**{'"17.11"': new_version}),
                          paths=("images/postgres/Dockerfile",), items=items))
    text = rendered(notes)
    assert "(step )" not in text
    assert rollback_line(text) == expected


# -- CI tooling ----------------------------------------------------------------------------------


def test_a_github_action_change_needs_no_operator_action() -> None:
    new = manifest(**{"version: 6.0.1": "version: 7.0.0", '">=6"': '">=7"'})
    notes = decide(inputs(manifest(), new, paths=(".github/workflows/ci.yml",)))
    assert (notes.phases, notes.action_required, notes.upstream_notes, notes.services) == (
        (), False, (), ())
    assert (notes.risk, notes.risk_reason) == ("none", "nothing in a deployment changes")
    assert [c.name for c in notes.components] == []
    assert [(c.name, c.action, c.old, c.new, c.kind.value) for c in notes.ci_components] == [
        ("actions-checkout", "actions/checkout", "6.0.1", "7.0.0", "major"),
    ]
    assert notes.unchanged == ("postgresql",)
    text = rendered(notes)
    assert "## Action required" not in text
    assert "- **Action required:** no: nothing in a deployment changes" in text
    assert "No third-party version a deployment runs changed; only CI tooling did (below)." in text
    assert ("### CI tooling (GitHub Actions)\n\n"
            "The GitHub Actions of this repository's workflows build, test and publish the "
            "release; they run\nin no deployment, so their changes need no operator action.\n\n"
            "| Component | Action | From | To | Change | Upstream release notes |\n"
            "|---|---|---|---|---|---|\n"
            "| actions-checkout | `actions/checkout` | `6.0.1` | `7.0.0` | major | "
            "[7.0.0](https://github.com/actions/checkout/releases/tag/v7.0.0) |\n") in text


def test_a_github_action_beside_a_deployment_change_adds_nothing_to_the_checklist() -> None:
    new = manifest(**{'"17.11"': '"17.12"', "version: 6.0.1": "version: 7.0.0",
                      '">=6"': '">=7"'})
    notes = decide(inputs(manifest(), new, paths=("images/postgres/Dockerfile",
                                                   ".github/workflows/ci.yml")))
    ids = [item.title for phase in notes.phases for item in phase.items]
    assert ids == ["Check health", "Restart PostgreSQL", "Roll back by image"]
    assert notes.upstream_notes == ()  # the action's major is not an operator's concern
    assert notes.risk == "low"
    text = rendered(notes)
    assert "Read the upstream release notes" not in text
    assert "| postgresql | Database | `17.11` | `17.12` | minor |" in text
    assert "| actions-checkout | `actions/checkout` | `6.0.1` | `7.0.0` | major |" in text


def test_unchanged_github_actions_take_one_line() -> None:
    text = rendered(decide(inputs(manifest(), manifest(**{'"17.11"': '"17.12"'}))))
    assert "### CI tooling" not in text
    assert ("Unchanged CI tooling (GitHub Actions, not part of a deployment): "
            "actions-checkout.") in text


# -- the first release ---------------------------------------------------------------------------


def test_the_first_release_has_every_component_new_and_no_upgrade() -> None:
    commits = (
        RawCommit(sha="b" * 40, subject="feat(api)!: a new API (#2)", author_name="Ana"),
        RawCommit(sha="a" * 40, subject="chore: initial commit", author_name="Ana"),
    )
    notes = decide(inputs(None, manifest(), paths=("images/postgres/Dockerfile", "versions.yaml"),
                          commits=commits, first=True))
    assert notes.first_release
    assert (notes.phases, notes.action_required, notes.notices, notes.breaking) == (
        (), False, (), ())
    assert [(c.name, c.kind.value) for c in (*notes.components, *notes.ci_components)] == [
        ("postgresql", "new"), ("actions-checkout", "new"),
    ]
    text = rendered(notes)
    header = text.split("\n## ")[0]
    assert header.endswith(
        "- **Release:** 2026.11.0, 2026-11-03\n"
        "- **First release:** no earlier release is tagged (`v*`), so there is nothing to "
        "upgrade from: install it as a new deployment. These notes cover the whole history up "
        "to `HEAD`, and every component is new.\n"
    )
    for absent in ("Upgrade from", "Action required", "Expected downtime", "Risk", "(step"):
        assert absent not in text
    assert "### Breaking changes\n\n- **api:** a new API (#2, `bbbbbbb`)" in text
    assert "| postgresql | Database | (new) | `17.11` | new |" in text
    assert "| actions-checkout | `actions/checkout` | (new) | `6.0.1` | new |" in text
    assert ("This is the first release: there is no deployment of an earlier release to back "
            "up, replace or\nroll back to, so there is no rollout checklist.") in text
    assert "`DELPHI_RELEASE=2026.11.0` in the `.env`" in text


def test_the_first_release_without_commits_says_so() -> None:
    empty = dataclasses.replace(inputs(None, manifest(), first=True), commits=())
    assert "No product changes up to `HEAD`." in rendered(decide(empty))

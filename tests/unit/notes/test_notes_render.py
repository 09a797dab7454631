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
from release.notes.stops import RequiredStop, skipped

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
    rollback: same-steps
    steps: [{do: "Restart it on @{release} (PostgreSQL @{postgresql.new})."}]
"""
MAJOR = """\
  - id: rollout-postgres-major
    phase: rollout-stateful
    title: Upgrade PostgreSQL with pg_upgrade
    services: [database]
    when: {components: [postgresql], bump: [major]}
    irreversible: Restore the dumps to go back.
    rollback: rollback-postgres-major
    steps: [{do: Upgrade it.}]
"""
ROLLBACK = """\
  - id: rollback-start
    phase: rollback
    title: Decide to roll back
    services: all
    when: {always: true}
    steps: [{do: "Keep the Scaler paused."}]
  - id: rollback-finish
    phase: rollback
    title: Resume the Scaler
    services: all
    when: {always: true}
    last: true
    steps: [{do: "Resume it on @{previous}."}]
"""
ROLLBACK_MAJOR = """\
  - id: rollback-postgres-major
    phase: rollback
    title: Restore the dumps
    services: [database]
    when: {components: [postgresql], bump: [major]}
    steps: [{do: Restore them.}]
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
    items: tuple[str, ...] = (PREFLIGHT, RESTART, MAJOR, ROLLBACK, ROLLBACK_MAJOR),
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
         "every step of this release can be rolled back by running its rollout steps again "
         "with the previous release (step 3.1 on)."),
        ((PREFLIGHT,), '"17.12"',
         "every step of this release can be rolled back by running its rollout steps again "
         "with the previous release."),
        ((PREFLIGHT, MAJOR, ROLLBACK, ROLLBACK_MAJOR), '"18.1"',
         "by running the rollout steps again (step 3.1 on), until step 2.1 (Upgrade PostgreSQL "
         "with pg_upgrade) has run; from then on, that step is undone by the recovery it names, "
         "at the cost in data that it states."),
        ((PREFLIGHT, MAJOR, ROLLBACK_MAJOR), '"18.1"',
         "by running the rollout steps again (step 3.1 on), until step 2.1 (Upgrade PostgreSQL "
         "with pg_upgrade) has run; from then on, that step is undone by the recovery it names, "
         "at the cost in data that it states."),
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
    assert ids == ["Check health", "Restart PostgreSQL", "Decide to roll back",
                   "Back to 2026.10.0: Restart PostgreSQL", "Resume the Scaler"]
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


# -- the rollback phase --------------------------------------------------------------------------

APP = """\
  - id: rollout-voice
    phase: rollout-app
    title: Drain and replace Voice on @{release}
    services: all
    when: {images: [postgres]}
    rollback: same-steps
    downtime: None while drained one at a time.
    steps:
      - {do: Drain it., run: "kamcmd dispatcher.set_state d 1 sip:voice"}
      - {do: "Replace it with @{release}.", run: "sed -i 's/=.*/=@{release}/' .env"}
"""


def test_rollback_reruns_each_rollout_item_in_reverse_order_with_the_previous_release() -> None:
    """The old rollback ran `docker compose up -d --wait` everywhere: Voice replaced undrained.
    Now each service's rollback is its own rollout steps (the drain included), in reverse."""
    notes = decide(inputs(manifest(), manifest(**{'"17.11"': '"17.12"'}),
                          paths=("images/postgres/Dockerfile",),
                          items=(PREFLIGHT, RESTART, APP, ROLLBACK)))
    rollback = notes.phases[-1]
    assert rollback.title == "Rollback"
    assert [(i.number, i.id, i.title) for i in rollback.items] == [
        ("4.1", "rollback-start", "Decide to roll back"),
        ("4.2", "rollback-voice", "Back to 2026.10.0: Drain and replace Voice on 2026.10.0"),
        ("4.3", "rollback-postgres", "Back to 2026.10.0: Restart PostgreSQL"),
        ("4.4", "rollback-finish", "Resume the Scaler"),
    ]
    voice = rollback.items[1]
    assert [(s.text, s.run) for s in voice.steps] == [
        ("Drain it.", "kamcmd dispatcher.set_state d 1 sip:voice"),
        ("Replace it with 2026.10.0.", "sed -i 's/=.*/=2026.10.0/' .env"),
    ]
    assert voice.why == (
        "The steps of step 3.1 again, with 2026.10.0 in place of 2026.11.0. Skip this item if "
        "step 3.1 has not started; if it ran for some instances only, run it for those."
    )
    assert [s.text for s in rollback.items[2].steps] == [
        "Restart it on 2026.10.0 (PostgreSQL 17.11).",
    ]
    # A rollback's downtime is not the rollout's: the header lists the rollout's only.
    assert [step for step, _ in notes.downtime] == ["3.1"]


def test_an_irreversible_rollout_item_is_undone_by_the_rollback_item_it_names_once() -> None:
    notes = decide(inputs(manifest(), manifest(**{'"17.11"': '"18.1"'}),
                          paths=("images/postgres/Dockerfile",),
                          items=(PREFLIGHT, MAJOR, ROLLBACK, ROLLBACK_MAJOR)))
    assert [i.id for i in notes.phases[-1].items] == [
        "rollback-start", "rollback-postgres-major", "rollback-finish",
    ]


# -- required stops ------------------------------------------------------------------------------

STOP = RequiredStop(component="postgresql", version="17.12", why="17.12 rewrites the catalog.",
                    source="https://www.postgresql.org/docs/release/17.12/")


def test_a_release_that_skips_a_stop_says_so_at_the_top_and_in_the_checklist() -> None:
    given = inputs(manifest(), manifest(**{'"17.11"': '"18.1"'}),
                   paths=("images/postgres/Dockerfile",),
                   items=(PREFLIGHT, MAJOR, ROLLBACK, ROLLBACK_MAJOR))
    given = dataclasses.replace(
        given, checklist=dataclasses.replace(given.checklist, stops=(STOP,)))
    notes = decide(given)
    text = render_notes(notes)
    assert [(s.stop.version, s.old, s.new) for s in notes.skipped_stops] == [
        ("17.12", "17.11", "18.1"),
    ]
    assert ("- **Required stop skipped:** postgresql 17.11 → 18.1 passes over 17.12, a version "
            "upstream requires every upgrade to pass through. Roll out a Delphi release that pins "
            "postgresql 17.12 first (see [Action required](#action-required)).\n") in text
    assert ("- **Risk:** high: it skips a required stop (postgresql 17.12): see Action "
            "required\n") in text
    assert ("- **Do not roll this release out over postgresql 17.11:** it moves postgresql to "
            "18.1, past the required stop 17.12. 17.12 rewrites the catalog. "
            "([upstream](https://www.postgresql.org/docs/release/17.12/)) First roll out a Delphi "
            "release that pins postgresql 17.12 and let it run, then this one.\n") in text
    assert ("> **Stop:** this checklist assumes postgresql already runs 17.12 or later (a "
            "required stop; see [Action required](#action-required)). With postgresql 17.11 "
            "deployed, do not start it.\n") in text


def test_no_stop_is_skipped_from_it_or_to_it() -> None:
    given = inputs(manifest(**{'"17.11"': '"17.12"'}), manifest(**{'"17.11"': '"18.1"'}),
                   paths=("images/postgres/Dockerfile",))
    notes = decide(dataclasses.replace(
        given, checklist=dataclasses.replace(given.checklist, stops=(STOP,))))
    assert notes.skipped_stops == ()
    assert "Required stop" not in render_notes(notes)
    changes = decide(given).components
    assert skipped([dataclasses.replace(STOP, version="18.1")], changes) == ()

"""The checklist: validation with file and line, conditions, selection, and the real Delphi data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import load_manifest
from release.manifest.model import Service
from release.notes.checklist import (
    Checklist,
    Condition,
    Item,
    Phase,
    ReleaseFacts,
    Step,
    fill,
    matches,
    select,
)
from release.notes.checklist_load import load_checklist, parse_checklists
from release.notes.diff import ChangeKind, image_services, is_ci_tooling

REPO = Path(__file__).resolve().parents[3]
COMPONENTS = ("postgresql", "pgbouncer", "redis", "asterisk", "node")
IMAGES = ("postgres", "pgbouncer", "redis", "asterisk", "node-app")


def problems(text: str) -> list[str]:
    with pytest.raises(ProblemsFound) as info:
        parse_checklists([("checklists/x.yaml", textwrap.dedent(text))],
                         components=COMPONENTS, images=IMAGES)
    return [str(p) for p in info.value.problems]


GOOD = """\
items:
  - id: backup-database
    phase: backup
    title: Back up @{postgresql.old}
    services: [database]
    when: {services: [database]}
    steps:
      - do: Dump it.
        run: |
          pg_dumpall > /mnt/data/backup/@{release}.sql
"""


def test_good_file() -> None:
    checklist = parse_checklists([("checklists/x.yaml", GOOD)], components=COMPONENTS,
                                 images=IMAGES)
    assert checklist.items == (
        Item(id="backup-database", phase=Phase.BACKUP, title="Back up @{postgresql.old}",
             when=Condition(services=(Service.DATABASE,)),
             steps=(Step(text="Dump it.", run="pg_dumpall > /mnt/data/backup/@{release}.sql"),),
             services=(Service.DATABASE,), file="checklists/x.yaml", line=2),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("phase: backup", "phase: bakup"),
         ["checklists/x.yaml:3: items.backup-database.phase: unknown phase 'bakup' (did you "
          "mean 'backup'?); valid: pre-flight, backup, drain, rollout-egress, rollout-stateful, "
          "rollout-app, rollout-edge, verification, rollback"]),
        (GOOD.replace("services: [database]\n    when", "services: [databse]\n    when"),
         ["checklists/x.yaml:5: items.backup-database.services: unknown service 'databse' (did "
          "you mean 'database'?); valid: telpro, web, api, voice, ops, database, media, signoz, "
          "squid"]),
        (GOOD.replace("when: {services: [database]}", "when: {components: [postgres]}"),
         ["checklists/x.yaml:6: items.backup-database.when.components: unknown component "
          "'postgres' (did you mean 'postgresql'?); valid: asterisk, node, pgbouncer, "
          "postgresql, redis"]),
        (GOOD.replace("when: {services: [database]}",
                      "when: {components: [postgresql], bump: [huge]}"),
         ["checklists/x.yaml:6: items.backup-database.when.bump: unknown bump kind 'huge'; "
          "valid: digest, rebuild, security, major, minor, patch, new line, downgrade, new, removed, held"]),
        (GOOD.replace("when: {services: [database]}", "when: {images: [postgresql]}"),
         ["checklists/x.yaml:6: items.backup-database.when.images: unknown image 'postgresql' "
          "(did you mean 'postgres'?); valid: asterisk, node-app, pgbouncer, postgres, redis"]),
        (GOOD.replace("    title:", "    titel: x\n    title:"),
         ["checklists/x.yaml:4: items.backup-database.titel: unknown key; did you mean 'title'? "
          "valid keys: id, phase, title, services, when, why, notice, downtime, irreversible, "
          "rollback, last, steps"]),
        (GOOD.replace("when: {services: [database]}", "when: {servces: [database]}"),
         ["checklists/x.yaml:6: items.backup-database.when.servces: unknown key; did you mean "
          "'services'? valid keys: always, components, bump, services, images, base-image, any, "
          "unless",
          "checklists/x.yaml:6: items.backup-database.when: a condition needs one of: always, "
          "components, services, images, base-image, any"]),
        (GOOD.replace("@{release}", "@{relase}"),
         ["checklists/x.yaml:10: items.backup-database.steps[0].run: unknown placeholder "
          "@{relase}; valid: @{release}, @{previous}, @{services}, "
          "@{<component>.old|new|old_major|new_major}"]),
        (GOOD.replace("title: Back up @{postgresql.old}", "title: |\n      Two\n      lines"),
         ["checklists/x.yaml:4: items.backup-database.title: a title is one line (it becomes a "
          "heading)"]),
        (GOOD.replace("@{postgresql.old}", "@{postgres.old}"),
         ["checklists/x.yaml:4: items.backup-database.title: placeholder @{postgres.old} names "
          "an unknown component 'postgres'"]),
        (GOOD.replace("@{postgresql.old}", "@{postgresql.minor}"),
         ["checklists/x.yaml:4: items.backup-database.title: placeholder @{postgresql.minor}: "
          "unknown field 'minor'; valid: old, new, old_major, new_major"]),
        (GOOD.replace("when: {services: [database]}", "when: {bump: [major]}"),
         ["checklists/x.yaml:6: items.backup-database.when: a condition needs one of: always, "
          "components, services, images, base-image, any",
          "checklists/x.yaml:6: items.backup-database.when.bump: 'bump' qualifies "
          "'components'; add the components it applies to"]),
        (GOOD + GOOD.replace("items:\n", ""),
         ["checklists/x.yaml:11: items.backup-database.id: duplicate id 'backup-database' "
          "(first defined in checklists/x.yaml:2)"]),
        (GOOD.replace("      - do: Dump it.\n        run:", "      - run:"),
         ["checklists/x.yaml:8: items.backup-database.steps[0]: missing required key 'do'"]),
        ("items:\n  - id: x1\n    phase: backup\n",
         ["checklists/x.yaml:2: items.x1: missing required key 'title'",
          "checklists/x.yaml:2: items.x1: missing required key 'services'",
          "checklists/x.yaml:2: items.x1: missing required key 'when'",
          "checklists/x.yaml:2: items.x1: missing required key 'steps'"]),
        ("items: [\n", ["checklists/x.yaml:2: invalid YAML: while parsing a flow node expected "
                        "the node content, but found '<stream end>'"]),
    ],
)
def test_validation_problems(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_every_problem_of_every_file_is_reported_together() -> None:
    with pytest.raises(ProblemsFound) as info:
        parse_checklists(
            [("checklists/a.yaml", GOOD.replace("backup\n", "bakup\n")),
             ("checklists/b.yaml", GOOD.replace("[database]\n    when", "[db]\n    when"))],
            components=COMPONENTS, images=IMAGES,
        )
    assert [(p.file, p.line) for p in info.value.problems] == [
        ("checklists/a.yaml", 3), ("checklists/b.yaml", 5),
    ]
    assert info.value.message == "the checklist has 2 problems; nothing was rendered"


FACTS = ReleaseFacts(
    components={"postgresql": ChangeKind.MINOR, "redis": ChangeKind.HELD},
    images=frozenset({"postgres"}),
    services=frozenset({Service.DATABASE}),
)


@pytest.mark.parametrize(
    ("condition", "selected"),
    [
        (Condition(always=True), True),
        (Condition(components=("postgresql",)), True),
        (Condition(components=("postgresql",), bumps=(ChangeKind.MAJOR,)), False),
        (Condition(components=("postgresql",), bumps=(ChangeKind.MINOR, ChangeKind.PATCH)), True),
        (Condition(components=("redis",)), False),
        (Condition(components=("redis",), bumps=(ChangeKind.HELD,)), True),
        (Condition(services=(Service.VOICE,)), False),
        (Condition(services=(Service.VOICE, Service.DATABASE)), True),
        (Condition(images=("postgres",)), True),
        (Condition(images=("redis",)), False),
        (Condition(base_image=True), False),
        (Condition(any_of=(Condition(images=("redis",)), Condition(services=(Service.DATABASE,)))),
         True),
        (Condition(images=("postgres",), unless=Condition(
            components=("postgresql",), bumps=(ChangeKind.MAJOR,))), True),
        (Condition(images=("postgres",), unless=Condition(components=("postgresql",))), False),
        (Condition(images=("postgres",), services=(Service.VOICE,)), False),
        (Condition(), False),
    ],
)
def test_matches(condition: Condition, selected: bool) -> None:
    assert matches(condition, FACTS) is selected


def item(item_id: str, phase: Phase, when: Condition) -> Item:
    return Item(id=item_id, phase=phase, title=item_id, when=when, steps=(Step(text="x"),))


def test_select_orders_by_phase_and_needs_a_rollout() -> None:
    checklist = Checklist(items=(
        item("verify", Phase.VERIFICATION, Condition(always=True)),
        item("restart", Phase.ROLLOUT_STATEFUL, Condition(images=("postgres",))),
        item("voice", Phase.ROLLOUT_APP, Condition(services=(Service.VOICE,))),
        item("backup", Phase.BACKUP, Condition(services=(Service.DATABASE,))),
        item("preflight", Phase.PRE_FLIGHT, Condition(always=True)),
    ))
    assert [i.id for i in select(checklist, FACTS)] == [
        "preflight", "backup", "restart", "verify",
    ]
    assert select(checklist, ReleaseFacts(components={"redis": ChangeKind.HELD})) == ()


def test_fill() -> None:
    values = {"release": "2026.11.0", "postgresql.new_major": "18"}
    assert fill("upgrade to @{postgresql.new_major} in @{release}; {{.Status}} ${X}", values) == (
        "upgrade to 18 in 2026.11.0; {{.Status}} ${X}"
    )


def test_the_delphi_checklist_is_valid_and_covers_every_phase() -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    checklist = load_checklist(
        REPO / "checklists", components=manifest.names(),
        images=[p.name for p in (REPO / "images").iterdir() if p.is_dir()],
    )
    assert {i.phase for i in checklist.items} == set(Phase)
    ids = [i.id for i in checklist.items]
    for required in ("backup-database", "rollout-postgres-restart", "rollout-postgres-major",
                     "rollout-pgbouncer", "drain-pause-scaler", "rollout-voice",
                     "rollout-telpro", "rollout-signoz", "rollout-squid", "rollback-start",
                     "rollback-postgres-major", "rollback-finish", "resume-scaler"):
        assert required in ids
    # Every image folder the checklist names is one that components pin into.
    assert set(image_services([manifest])) >= {"postgres", "pgbouncer", "redis"}


def test_a_condition_cannot_name_ci_tooling() -> None:
    text = GOOD.replace("when: {services: [database]}",
                        "when: {components: [postgresql, actions-checkout]}")
    with pytest.raises(ProblemsFound) as info:
        parse_checklists([("checklists/x.yaml", text)],
                         components=(*COMPONENTS, "actions-checkout"), images=IMAGES,
                         ci_tooling=("actions-checkout",))
    assert [str(p) for p in info.value.problems] == [
        "checklists/x.yaml:6: items.backup-database.when.components: 'actions-checkout' is CI "
        "tooling (a GitHub Action of .github/workflows): it runs in no deployment, so it selects "
        "no operator checklist item",
    ]
    # Placeholders may still name it (its versions are facts of the release like any other).
    allowed = GOOD.replace("Back up @{postgresql.old}", "Back up @{actions-checkout.new}")
    parse_checklists([("checklists/x.yaml", allowed)], components=(*COMPONENTS, "actions-checkout"),
                     images=IMAGES, ci_tooling=("actions-checkout",))


def test_the_delphi_checklist_names_no_ci_tooling() -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    ci = [c.name for c in manifest.components if is_ci_tooling(c)]
    assert ci == ["actions-checkout", "actions-setup-python", "actions-cache",
                  "actions-upload-artifact", "actions-download-artifact",
                  "aws-configure-aws-credentials", "docker-setup-buildx-action",
                  "docker-setup-qemu-action", "sigstore-cosign-installer", "binfmt",
                  "buildkit"]
    load_checklist(REPO / "checklists", components=manifest.names(),
                   images=[p.name for p in (REPO / "images").iterdir() if p.is_dir()],
                   ci_tooling=ci)


ROLLOUT = """\
items:
  - id: rollout-postgres
    phase: rollout-stateful
    title: Restart PostgreSQL
    services: [database]
    when: {images: [postgres]}
    rollback: same-steps
    steps: [{do: Restart it.}]
  - id: rollback-postgres
    phase: rollback
    title: Restore it
    services: [database]
    when: {images: [postgres]}
    steps: [{do: Restore it.}]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ROLLOUT.replace("    rollback: same-steps\n", ""),
         ["checklists/x.yaml:2: items.rollout-postgres: missing required key 'rollback' (a "
          "rollout item says how it is rolled back: 'same-steps', or the id of a rollback "
          "item)"]),
        (ROLLOUT.replace("rollback: same-steps", "rollback: rollback-postgress"),
         ["checklists/x.yaml:2: items.rollout-postgres.rollback: rollback 'rollback-postgress' "
          "names no item; expected 'same-steps' or the id of an item of the rollback phase"]),
        (ROLLOUT.replace("rollback: same-steps", "rollback: rollout-postgres"),
         ["checklists/x.yaml:2: items.rollout-postgres.rollback: rollback 'rollout-postgres' "
          "is an item of the rollout-stateful phase, not of the rollback phase"]),
        (ROLLOUT.replace("    rollback: same-steps\n",
                         "    irreversible: Gone.\n    rollback: same-steps\n"),
         ["checklists/x.yaml:8: items.rollout-postgres.rollback: an irreversible item cannot "
          "roll back with 'same-steps'; name the rollback item that undoes it"]),
        (ROLLOUT.replace("    steps: [{do: Restore it.}]", "    rollback: same-steps\n"
                         "    steps: [{do: Restore it.}]"),
         ["checklists/x.yaml:14: items.rollback-postgres.rollback: only items of a rollout "
          "phase say how they roll back; this one is of the rollback phase"]),
        (ROLLOUT.replace("    steps: [{do: Restart it.}]", "    last: true\n"
                         "    steps: [{do: Restart it.}]"),
         ["checklists/x.yaml:8: items.rollout-postgres.last: 'last' places an item of the "
          "rollback phase; this item is not one"]),
    ],
)
def test_rollback_problems(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_a_rollout_item_may_name_its_rollback_item() -> None:
    text = ROLLOUT.replace("rollback: same-steps", "rollback: rollback-postgres")
    checklist = parse_checklists([("checklists/x.yaml", text)], components=COMPONENTS,
                                 images=IMAGES)
    assert [(i.id, i.rollback, i.last) for i in checklist.items] == [
        ("rollout-postgres", "rollback-postgres", False), ("rollback-postgres", None, False),
    ]

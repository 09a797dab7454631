"""Read `checklists/*.yaml`, then validate them into a `Checklist`.

`checklists/required-stops.yaml` is not a checklist file: it holds the required stops
(`release.notes.stops`), loaded alongside.

Every problem in every file is collected with its file, line and key path and raised together
as one `ProblemsFound`: unknown keys, phases, services, components, images, bump kinds and
placeholders, duplicate ids, missing steps. A file looks like:

```yaml
items:
  - id: database-backup
    phase: backup
    title: Back up the Database and check that the backup restores
    services: [database]
    when: {services: [database]}
    steps:
      - do: Dump every database.
        run: docker compose exec -T postgres pg_dumpall --globals-only > globals.sql
```
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from release.errors import InvalidInput, Problem, ProblemsFound
from release.manifest.load import parse_yaml, read_text
from release.manifest.model import Service
from release.notes.checklist import (
    PLACEHOLDER,
    ROLLOUT_PHASES,
    SAME_STEPS,
    Checklist,
    Condition,
    Item,
    Notice,
    NoticeWhen,
    Phase,
    Step,
    placeholder_error,
)
from release.notes.diff import ChangeKind
from release.notes.stops import STOPS_FILE, load_stops
from release.yamlcheck import LocatedChecker

TOP_KEYS = ("items",)
ITEM_KEYS = (
    "id", "phase", "title", "services", "when", "why", "notice", "downtime", "irreversible",
    "rollback", "last", "steps",
)
ITEM_REQUIRED = ("id", "phase", "title", "services", "when", "steps")
CONDITION_KEYS = ("always", "components", "bump", "services", "images", "base-image", "any",
                  "unless")
# What a condition selects by; `bump` qualifies `components`, `unless` excludes.
PRIMARY_CONDITION_KEYS = tuple(k for k in CONDITION_KEYS if k not in ("bump", "unless"))
NOTICE_KEYS = ("when", "text")
STEP_KEYS = ("do", "run")
ITEM_ID = re.compile(r"[a-z][a-z0-9-]{1,60}")
ALL_SERVICES = "all"


def load_checklist(
    directory: Path, *, components: Iterable[str], images: Iterable[str],
    ci_tooling: Iterable[str] = (),
) -> Checklist:
    """Every `*.yaml` file of `directory`, in name order, validated against the known names."""
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: no checklist directory")
    files = sorted(p for p in directory.glob("*.yaml") if p.name != STOPS_FILE)
    if not files:
        raise InvalidInput(f"{directory}: no checklist files (*.yaml)")
    sources = [(f"{directory.name}/{path.name}", read_text(path)) for path in files]
    components = list(components)
    checklist = parse_checklists(
        sources, components=components, images=images, ci_tooling=ci_tooling
    )
    return dataclasses.replace(checklist, stops=load_stops(directory, components))


def parse_checklists(
    sources: Iterable[tuple[str, str]], *, components: Iterable[str], images: Iterable[str],
    ci_tooling: Iterable[str] = (),
) -> Checklist:
    """Validate (filename, text) pairs; raises `ProblemsFound` listing every problem.

    `ci_tooling` names components that run only in CI (GitHub Actions): a condition naming one
    is a problem, since they never change what operators run. Placeholders may still use them.
    """
    known_components = frozenset(components)
    known_ci = frozenset(ci_tooling)
    known_images = frozenset(images)
    problems: list[Problem] = []
    items: list[Item] = []
    seen: dict[str, str] = {}
    for filename, text in sources:
        try:
            doc = parse_yaml(text, filename)
        except ProblemsFound as exc:
            problems.extend(exc.problems)
            continue
        validator = _Validator(filename, known_components, known_images, known_ci)
        for item in validator.document(doc):
            if item.id in seen:
                validator.problem(
                    item.line, f"items.{item.id}.id",
                    f"duplicate id {item.id!r} (first defined in {seen[item.id]})",
                )
                continue
            seen[item.id] = f"{filename}:{item.line}"
            items.append(item)
        problems.extend(validator.problems)
    problems.extend(_rollback_problems(items))
    if problems:
        count = len(problems)
        raise ProblemsFound(
            f"the checklist has {count} problem{'s' if count != 1 else ''}; nothing was rendered",
            sorted(problems, key=lambda p: (p.file, p.line)),
            hint="phases, services, bump kinds and condition keys are listed in "
            "release/notes/checklist.py",
        )
    return Checklist(items=tuple(items))


def _rollback_problems(items: Iterable[Item]) -> list[Problem]:
    """A rollout item's `rollback` must name an item of the rollback phase."""
    by_id = {item.id: item for item in items}
    problems: list[Problem] = []
    for item in by_id.values():
        if item.rollback is None or item.rollback == SAME_STEPS:
            continue
        target = by_id.get(item.rollback)
        if target is None:
            message = (f"rollback {item.rollback!r} names no item; expected {SAME_STEPS!r} or "
                       "the id of an item of the rollback phase")
        elif target.phase is not Phase.ROLLBACK:
            message = (f"rollback {item.rollback!r} is an item of the {target.phase.value} "
                       "phase, not of the rollback phase")
        else:
            continue
        problems.append(Problem(file=item.file, line=item.line, path=f"items.{item.id}.rollback",
                                message=message))
    return problems


class _Validator(LocatedChecker):
    """Walks one parsed checklist file, building items and collecting located problems."""

    def __init__(
        self, filename: str, components: frozenset[str], images: frozenset[str],
        ci_tooling: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(filename)
        self.components = components
        self.images = images
        self.ci_tooling = ci_tooling

    # -- the document --------------------------------------------------------------------------

    def document(self, doc: Any) -> list[Item]:
        if doc is None:
            self.problem(1, "", "the file is empty; expected the key 'items'")
            return []
        top = self.mapping(doc, "", 1)
        if top is None:
            return []
        self.check_keys(top, "", TOP_KEYS, TOP_KEYS)
        items: list[Item] = []
        for index, (_, node) in enumerate(
                self.objects(top, "items", "", "a list of items", nonempty=True)):
            item = self.item(node, index)
            if item is not None:
                items.append(item)
        return items

    def item(self, node: CommentedMap, index: int) -> Item | None:
        before = len(self.problems)
        raw_id = node.get("id")
        path = f"items.{raw_id}" if isinstance(raw_id, str) else f"items[{index}]"
        line = self.node_line(node, 0)
        self.check_keys(node, path, ITEM_KEYS, ITEM_REQUIRED)
        item_id = self.text(node, "id", path)
        if item_id is not None and not ITEM_ID.fullmatch(item_id):
            self.problem(
                self.key_line(node, "id"), f"{path}.id",
                f"{item_id!r} is not an id (lowercase letters, digits and '-')",
            )
        phase: Phase | None = None
        raw_phase = self.text(node, "phase", path)
        if raw_phase is not None and self.one_of(
            raw_phase, self.key_line(node, "phase"), f"{path}.phase", [p.value for p in Phase],
            "phase",
        ):
            phase = Phase(raw_phase)
        title = self.text(node, "title", path)
        if title is not None and "\n" in title:
            self.problem(self.key_line(node, "title"), f"{path}.title",
                         "a title is one line (it becomes a heading)")
        services = self.services(node, path) if "services" in node else ()
        condition = None
        if "when" in node:
            condition = self.condition(node["when"], f"{path}.when", self.key_line(node, "when"))
        why = self.text(node, "why", path)
        downtime = self.text(node, "downtime", path)
        irreversible = self.text(node, "irreversible", path)
        notice = self.notice(node, path) if "notice" in node else None
        steps = self.steps(node, path) if "steps" in node else ()
        rollback = self.rollback(node, path, phase, irreversible)
        last = self.flag(node, "last", path)
        if last and phase is not None and phase is not Phase.ROLLBACK:
            self.problem(self.key_line(node, "last"), f"{path}.last",
                         "'last' places an item of the rollback phase; this item is not one")
        for key in ("title", "why", "downtime", "irreversible"):
            self.placeholders(node, key, path)
        if len(self.problems) != before:
            return None
        if item_id is None or phase is None or title is None or condition is None:
            return None  # each was reported missing by check_keys
        return Item(
            id=item_id, phase=phase, title=title, when=condition, steps=steps,
            services=services, why=why, notice=notice, downtime=downtime,
            irreversible=irreversible, rollback=rollback, last=last, file=self.file,
            line=line,
        )

    def rollback(
        self, node: CommentedMap, path: str, phase: Phase | None, irreversible: str | None
    ) -> str | None:
        """How a rollout item is rolled back; only rollout items say it, and each must."""
        if phase is None:
            return None
        if phase not in ROLLOUT_PHASES:
            if "rollback" in node:
                self.problem(self.key_line(node, "rollback"), f"{path}.rollback",
                             f"only items of a rollout phase say how they roll back; this one "
                             f"is of the {phase.value} phase")
            return None
        if "rollback" not in node:
            self.problem(self.node_line(node, 0), path,
                         f"missing required key 'rollback' (a rollout item says how it is "
                         f"rolled back: {SAME_STEPS!r}, or the id of a rollback item)")
            return None
        value = self.text(node, "rollback", path)
        if value is None:
            return None
        if value == SAME_STEPS and irreversible is not None:
            self.problem(self.key_line(node, "rollback"), f"{path}.rollback",
                         f"an irreversible item cannot roll back with {SAME_STEPS!r}; name the "
                         "rollback item that undoes it")
            return None
        if value != SAME_STEPS and not ITEM_ID.fullmatch(value):
            self.problem(self.key_line(node, "rollback"), f"{path}.rollback",
                         f"expected {SAME_STEPS!r} or the id of a rollback item, found "
                         f"{value!r}")
            return None
        return value

    def services(self, node: CommentedMap, path: str) -> tuple[Service, ...]:
        if node["services"] == ALL_SERVICES:
            return ()
        valid = [s.value for s in Service]
        return tuple(
            Service(v) for v, line in self.names(node, "services", path)
            if self.one_of(v, line, f"{path}.services", valid, "service")
        )

    def condition(self, raw: Any, path: str, line: int) -> Condition | None:
        node = self.mapping(raw, path, line)
        if node is None:
            return None
        before = len(self.problems)
        self.check_keys(node, path, CONDITION_KEYS, ())
        if not any(k in node for k in PRIMARY_CONDITION_KEYS):
            self.problem(self.node_line(node, line), path,
                         f"a condition needs one of: {', '.join(PRIMARY_CONDITION_KEYS)}")
        always = self.flag(node, "always", path)
        base_image = self.flag(node, "base-image", path)
        components: tuple[str, ...] = ()
        if "components" in node:
            components = tuple(
                v for v, vline in self.names(node, "components", path)
                if self.operator_component(v, vline, f"{path}.components")
                and self.one_of(v, vline, f"{path}.components",
                                sorted(self.components - self.ci_tooling), "component")
            )
        bumps: tuple[ChangeKind, ...] = ()
        if "bump" in node:
            if "components" not in node:
                self.problem(self.key_line(node, "bump"), f"{path}.bump",
                             "'bump' qualifies 'components'; add the components it applies to")
            valid = [k.value for k in ChangeKind if k is not ChangeKind.UNCHANGED]
            bumps = tuple(
                ChangeKind(v) for v, vline in self.names(node, "bump", path)
                if self.one_of(v, vline, f"{path}.bump", valid, "bump kind")
            )
        services: tuple[Service, ...] = ()
        if "services" in node:
            services = self.services(node, path)
            if not services and node["services"] == ALL_SERVICES:
                self.problem(self.key_line(node, "services"), f"{path}.services",
                             "a condition names services; use 'always: true' for every release")
        images: tuple[str, ...] = ()
        if "images" in node:
            images = tuple(
                v for v, vline in self.names(node, "images", path)
                if self.one_of(v, vline, f"{path}.images", sorted(self.images), "image")
            )
        any_of: list[Condition] = []
        raw_any = self.sequence(node, "any", path, "a list of conditions", nonempty=True)
        any_line = self.key_line(node, "any")
        for index, sub in enumerate(raw_any or ()):
            nested = self.condition(sub, f"{path}.any[{index}]",
                                    self.node_line(sub, self.item_line(raw_any, index, any_line)))
            if nested is not None:
                any_of.append(nested)
        unless = None
        if "unless" in node:
            unless = self.condition(node["unless"], f"{path}.unless", self.key_line(node, "unless"))
        if len(self.problems) != before:
            return None
        return Condition(
            always=always, components=components, bumps=bumps, services=services,
            images=images, base_image=base_image, any_of=tuple(any_of), unless=unless,
        )

    def operator_component(self, name: str, line: int, path: str) -> bool:
        """Whether `name` may select an item: CI tooling never does (it runs in no deployment)."""
        if name not in self.ci_tooling:
            return True
        self.problem(line, path, f"{name!r} is CI tooling (a GitHub Action of "
                     ".github/workflows): it runs in no deployment, so it selects no operator "
                     "checklist item")
        return False

    def notice(self, node: CommentedMap, path: str) -> Notice | None:
        found = self.section(node, "notice", path, NOTICE_KEYS, NOTICE_KEYS)
        if found is None:
            return None
        sub, m = found
        when = self.text(m, "when", sub)
        text = self.text(m, "text", sub)
        self.placeholders(m, "text", sub)
        if when is not None and not self.one_of(
            when, self.key_line(m, "when"), f"{sub}.when", [w.value for w in NoticeWhen], "time"
        ):
            return None
        if when is None or text is None:
            return None
        return Notice(when=NoticeWhen(when), text=text)

    def steps(self, node: CommentedMap, path: str) -> tuple[Step, ...]:
        steps: list[Step] = []
        for spath, m in self.objects(node, "steps", path, "a list of steps", nonempty=True):
            self.check_keys(m, spath, STEP_KEYS, ("do",))
            text = self.text(m, "do", spath)
            run = self.text(m, "run", spath)
            self.placeholders(m, "do", spath)
            self.placeholders(m, "run", spath)
            if run is not None and "```" in run:
                self.problem(self.key_line(m, "run"), f"{spath}.run",
                             "commands must not contain ``` (they are rendered in a code block)")
            if text is not None:
                steps.append(Step(text=text, run=run))
        return tuple(steps)

    def placeholders(self, node: CommentedMap, key: str, path: str) -> None:
        value = node.get(key)
        if not isinstance(value, str):
            return
        # A block scalar (`|`, `>`) starts on the line after its key.
        first = self.key_line(node, key) + (
            1 if isinstance(value, LiteralScalarString | FoldedScalarString) else 0
        )
        for match in PLACEHOLDER.finditer(value):
            error = placeholder_error(match.group(1), self.components)
            if error is not None:
                self.problem(first + value.count("\n", 0, match.start()), f"{path}.{key}", error)

"""Required stops: versions an upgrade must pass through, as data, and the releases that skip one.

Some upstreams cannot be upgraded across certain versions in one step (GitLab's "required
stops", Sentry's "hard stops"): a SigNoz release whose migrations later releases assume, a
PostgreSQL major that `pg_upgrade` can no longer read. `checklists/required-stops.yaml` lists
them, each with why and the upstream page that says so:

```yaml
stops:
  - component: signoz
    version: 0.86.0
    why: Its SQL migrations must have run before any later release starts.
    source: https://signoz.io/docs/operate/migration/upgrade-0-86
```

A change `old → new` of that component skips the stop when `old < version < new`: upgrading
from below it straight past it. `skipped` finds those (pure); the notes say so at the top and in
the checklist, and `refresh` warns when the updates it plans skip one. Loading validates every
entry and reports every problem with file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from release.errors import ProblemsFound
from release.manifest.load import parse_yaml, read_text
from release.notes.diff import ComponentChange
from release.versioning import parses, sort_key
from release.yamlcheck import LocatedChecker, closest

STOPS_FILE = "required-stops.yaml"
STOP_KEYS = ("component", "version", "why", "source")


@dataclass(frozen=True, slots=True, kw_only=True)
class RequiredStop:
    component: str
    version: str
    why: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedStop:
    """A change that passes over a required stop."""

    stop: RequiredStop
    old: str
    new: str


def skipped(stops: Iterable[RequiredStop], changes: Iterable[ComponentChange]) -> tuple[
        SkippedStop, ...]:
    """Every (stop, change) where the change goes from below the stop to above it."""
    return skipped_moves(stops, [(c.name, str(c.old), str(c.new)) for c in changes
                                 if c.old is not None and c.new is not None])


def skipped_moves(
    stops: Iterable[RequiredStop], moves: Iterable[tuple[str, str, str]]
) -> tuple[SkippedStop, ...]:
    """The same for (component, old, new) moves, such as the updates a refresh plans."""
    by_name = {name: (old, new) for name, old, new in moves}
    found = []
    for stop in stops:
        if stop.component not in by_name:
            continue
        old, new = by_name[stop.component]
        if sort_key(old) < sort_key(stop.version) < sort_key(new):
            found.append(SkippedStop(stop=stop, old=old, new=new))
    return tuple(found)


def warning(skip: SkippedStop) -> str:
    """One line for a refresh that plans a move past a required stop."""
    return (f"{skip.stop.component} {skip.old} -> {skip.new} skips the required stop "
            f"{skip.stop.version} ({skip.stop.source}): deployments still on {skip.old} must roll "
            f"out a release with {skip.stop.version} first; the release notes will say so")


def load_stops(directory: Path, components: Iterable[str]) -> tuple[RequiredStop, ...]:
    """The stops of `directory/required-stops.yaml` (none when the file does not exist)."""
    path = directory / STOPS_FILE
    if not path.is_file():
        return ()
    return parse_stops(read_text(path), f"{directory.name}/{STOPS_FILE}", components)


def parse_stops(text: str, filename: str, components: Iterable[str]) -> tuple[RequiredStop, ...]:
    checker = _StopsChecker(filename, sorted(set(components)))
    stops = checker.document(parse_yaml(text, filename))
    if checker.problems:
        count = len(checker.problems)
        raise ProblemsFound(
            f"{filename} has {count} problem{'s' if count != 1 else ''}; nothing was rendered",
            checker.problems,
        )
    return stops


class _StopsChecker(LocatedChecker):
    def __init__(self, filename: str, components: Sequence[str]) -> None:
        super().__init__(filename)
        self.components = components

    def document(self, doc: Any) -> tuple[RequiredStop, ...]:
        top = self.mapping(doc, "", 1)
        if top is None:
            return ()
        self.check_keys(top, "", ("stops",), ("stops",))
        return tuple(stop for path, node in self.objects(top, "stops", "", "a list of stops")
                     if (stop := self.stop(node, path)) is not None)

    def stop(self, node: CommentedMap, path: str) -> RequiredStop | None:
        before = len(self.problems)
        self.check_keys(node, path, STOP_KEYS, STOP_KEYS)
        values = {key: value for key in STOP_KEYS
                  if (value := self.text(node, key, path)) is not None}
        component = values.get("component")
        if component is not None and component not in self.components:
            close = closest(component, self.components)
            hint = f" (did you mean {close!r}?)" if close else ""
            self.problem(self.key_line(node, "component"), f"{path}.component",
                         f"unknown component {component!r}{hint}")
        version = values.get("version")
        if version is not None and not parses(version):
            self.problem(self.key_line(node, "version"), f"{path}.version",
                         f"{version!r} is not a version")
        source = values.get("source")
        if source is not None and not source.startswith("https://"):
            self.problem(self.key_line(node, "source"), f"{path}.source",
                         "expected the https:// address of the upstream page that states the stop")
        if len(self.problems) != before or len(values) != len(STOP_KEYS):
            return None
        return RequiredStop(component=values["component"], version=values["version"],
                            why=values["why"], source=values["source"])

"""The package's import graph: no cycle between `release` subpackages, no backward pipeline step.

Walks every module's `import` statements (ast, nothing is imported). Run it alone with
`nox -s tests -- tests/unit/test_layout.py -q`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "release"

# Each pipeline's steps, in order: a step may import only from the steps before it.
PIPELINES: dict[str, tuple[str, ...]] = {
    "release.refresh": ("decide", "lookup", "plan", "report", "commit", "execute", "flow"),
    "release.trust": ("online", "report", "flow", "command"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every `release...` module `path` imports (at any depth, TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("release"))
        elif (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
              and node.module.startswith("release")):
            found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _subpackage(module: str) -> str | None:
    """`release.X` for a module of subpackage X (None for a top-level module)."""
    parts = module.split(".")
    if len(parts) >= 2 and (PACKAGE / parts[1]).is_dir():
        return ".".join(parts[:2])
    return None


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph `edges`, as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_subpackages() -> None:
    edges: dict[str, set[str]] = {}
    for module, imported in _graph().items():
        source = _subpackage(module)
        if source is None:
            continue
        for target in imported:
            other = _subpackage(target)
            if other is not None and other != source:
                edges.setdefault(source, set()).add(other)
    assert _cycle(edges) is None


def test_no_import_cycle_between_modules() -> None:
    graph = _graph()
    edges = {m: {t for t in imported if t in graph and t != m} for m, imported in graph.items()}
    assert _cycle(edges) is None


@pytest.mark.parametrize("package", sorted(PIPELINES))
def test_no_step_imports_a_later_step(package: str) -> None:
    steps = PIPELINES[package]
    graph = _graph()
    backward = []
    for index, step in enumerate(steps):
        module = f"{package}.{step}"
        assert module in graph, f"{module} is not a module of the package"
        later = {f"{package}.{s}" for s in steps[index + 1:]}
        backward += [f"{module} imports {t}" for t in sorted(graph[module] & later)]
    assert backward == []


def test_manifest_and_pins_do_not_import_each_other() -> None:
    graph = _graph()
    manifest_to_pins = sorted(
        f"{m} imports {t}" for m, ts in graph.items() if m.startswith("release.manifest")
        for t in ts if t.startswith("release.pins")
    )
    assert manifest_to_pins == []

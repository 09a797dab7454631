"""The one set of typed, located getters (release.yamlcheck.LocatedChecker) and its readers.

Each getter records `file:line: path.to.key: message` and the walk goes on, so one reading
lists every problem; a JSON document (plain dicts) has no lines, so its problems say line 0.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from release.bom import SBOM_FIELDS, SCAN_FIELDS, parse_bom, read_bom
from release.cli import main
from release.errors import ProblemsFound
from release.manifest.load import load_manifest, parse_yaml
from release.notes.sample import parse_sample
from release.yamlcheck import LocatedChecker

REPO = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32


def problems(check: LocatedChecker) -> list[str]:
    return [str(p) for p in check.problems]


DOC = textwrap.dedent("""\
    name: 1.10
    flag: yes please
    count: seven
    items: {a: 1}
    steps:
      - do: x
      - just text
    day: 2026-02-3
    names: [a, 2]
    """)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (lambda c, d: c.string(d, "name", ""),
         'f.yaml:1: name: expected a string, found the number 1.10; quote it ("1.10") so YAML '
         "keeps it as written"),
        (lambda c, d: c.string(d, "absent", "top"), "f.yaml:1: top: missing required key 'absent'"),
        (lambda c, d: c.boolean(d, "flag", "", default=False),
         "f.yaml:2: flag: expected true or false, found str"),
        (lambda c, d: c.flag(d, "flag", ""),
         "f.yaml:2: flag: expected true (leave the key out otherwise), found str"),
        (lambda c, d: c.typed(d, "count", "", int, "a number"),
         "f.yaml:3: count: expected a number, found str"),
        (lambda c, d: c.sequence(d, "items", "", "a list of items"),
         "f.yaml:4: items: expected a list of items, found a mapping"),
        (lambda c, d: list(c.objects(d, "steps", "")),
         "f.yaml:7: steps[1]: expected a mapping, found str"),
        (lambda c, d: c.date(d, "day", ""),
         "f.yaml:8: day: '2026-02-3' is not a date; write it as YYYY-MM-DD"),
        (lambda c, d: c.strings(d, "names", ""),
         "f.yaml:9: names[1]: expected a string, found the number 2"),
        (lambda c, d: c.matching(d, "count", "", re.compile(r"\d+"), "a count"),
         "f.yaml:3: count: 'seven' is not a count"),
        (lambda c, _: c.one_of("flg", 2, "flag", ["flag", "name"], "key"),
         "f.yaml:2: flag: unknown key 'flg' (did you mean 'flag'?); valid: flag, name"),
    ],
    ids=["number-as-string", "missing", "boolean", "flag", "typed", "sequence", "objects", "date",
         "strings", "matching", "one-of"],
)
def test_each_getter_locates_its_problem_in_yaml(read: Any, expected: str) -> None:
    check = LocatedChecker("f.yaml", DOC)
    read(check, parse_yaml(DOC, "f.yaml"))
    assert problems(check) == [expected]


def test_json_nodes_have_no_line_and_every_problem_is_collected() -> None:
    doc = json.loads('{"a": {"b": 3, "c": [1, "x"]}}')
    check = LocatedChecker("d.json")
    inner = check.mapping(doc["a"], "a", 0)
    check.string(inner, "b", "a")
    check.strings(inner, "c", "a")
    check.string(inner, "d", "a")
    assert problems(check) == [
        'd.json: a.b: expected a string, found the number 3; quote it ("3") so YAML keeps it '
        "as written",
        "d.json: a.c[0]: expected a string, found the number 1",
        "d.json: a: missing required key 'd'",
    ]


def bom_document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": 1, "release": "2026.11.0", "commit": "c" * 40, "dirty": False,
        "registry": None, "complete": False, "allow_unconfirmed": False, "components": [],
        "images": [{"name": "redis", "repository": "delphi/redis", "registry": None,
                    "tags": [], "digest": None, "input_hash": "sha256:x", "content_tag": "in-x",
                    "base_images": [], "status": "failed", "error": "boom"}],
    }
    doc.update(changes)
    return doc


def test_a_bom_lists_every_problem_with_its_path() -> None:
    image = {**bom_document()["images"][0], "tags": "latest", "status": 3}
    del image["input_hash"]
    text = json.dumps(bom_document(complete="yes", components=[7], images=[image]))
    with pytest.raises(ProblemsFound) as info:
        parse_bom(text, "r.json")
    assert [str(p) for p in info.value.problems] == [
        "r.json: components[0]: expected a mapping, found the number 7",
        "r.json: images[0].tags: expected a list of strings, found str",
        "r.json: images[0]: missing required key 'input_hash'",
        "r.json: images[0].status: expected a string, found the number 3",
        "r.json: complete: expected true or false, found str",
    ]


def test_what_scan_and_sbom_need_of_a_bom() -> None:
    minimal = {"release": "2026.11.0", "images": [
        {"name": "redis", "repository": "delphi/redis", "digest": DIGEST},
        {"name": "gone", "repository": "delphi/gone", "digest": None}]}
    bom = read_bom(minimal, "bom.json", needed=SCAN_FIELDS)
    assert [(i.name, i.digest) for i in bom.images] == [("redis", DIGEST), ("gone", None)]
    with pytest.raises(ProblemsFound) as info:
        read_bom(minimal, "bom.json", needed=SBOM_FIELDS)
    assert [str(p) for p in info.value.problems] == [
        "bom.json: images[0]: missing required key 'input_hash'",
        "bom.json: images[0]: missing required key 'content_tag'",
        "bom.json: images[0]: missing required key 'status'",
        "bom.json: images[1]: missing required key 'input_hash'",
        "bom.json: images[1]: missing required key 'content_tag'",
        "bom.json: images[1]: missing required key 'status'",
        "bom.json: missing required key 'commit'",
    ]


def test_sbom_refuses_a_bom_without_what_it_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"release": "2026.11.0", "commit": "c" * 40,
                               "images": [{"name": "redis"}]}), encoding="utf-8")
    out = tmp_path / "sbom.cdx.json"
    assert main(["sbom", "--root", str(REPO), "--bom", str(bom), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bom}: images[0]: missing required key 'repository'" in err
    assert not out.exists()


def test_the_sample_inputs_list_every_problem() -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    text = textwrap.dedent("""\
        previous-release: 2026.10.0
        from: v2026.10.0
        date: soon
        previous-versions:
          postgresql: 17.10
          postgress: "17.10"
        comits: []
        commits:
          - sha: abc
            subject: x
            author: nobody
        """)
    with pytest.raises(ProblemsFound) as info:
        parse_sample(parse_yaml(text, "s.yaml"), manifest, REPO)
    found = [str(p) for p in info.value.problems]
    assert found[:3] == [
        "docs/examples/sample-release.yaml:7: comits: unknown key; did you mean 'commits'? valid "
        "keys: previous-release, from, to, date, previous-versions, changed-paths, commits",
        "docs/examples/sample-release.yaml:1: missing required key 'to'",
        "docs/examples/sample-release.yaml:3: date: 'soon' is not a date; write it as YYYY-MM-DD",
    ]
    assert ("docs/examples/sample-release.yaml:5: previous-versions.postgresql: expected a quoted "
            "version") in found
    assert any(p.startswith("docs/examples/sample-release.yaml:6: previous-versions.postgress: "
                            "unknown component 'postgress' (did you mean 'postgresql'?)")
               for p in found)
    assert found[-2:] == [
        "docs/examples/sample-release.yaml:9: commits[0].sha: 'abc' is not a commit (40 "
        "lowercase hex digits)",
        "docs/examples/sample-release.yaml:11: commits[0].author: 'nobody' is not an author "
        "written 'Name <email>'",
    ]

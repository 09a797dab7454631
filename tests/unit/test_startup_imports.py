"""`check` imports only what it uses: the heavy libraries of other commands stay unimported.

Each costs tens of milliseconds at start-up (cryptography ~45 ms, gitpython, the docker SDK,
boto3, jinja2, cyclonedx), which a daily `check` would pay for nothing. Run in a child process
so this test's own imports do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("cryptography", "git", "docker", "boto3", "botocore", "jinja2", "cyclonedx")

PROGRAM = """
import contextlib, io, json, sys
from release.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({"status": status,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules}),
                  "modules": sorted(sys.modules)}))
"""


def test_check_of_the_offline_demo_leaves_the_heavy_libraries_unimported(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "check", "--replay", str(REPO / "tests/data/replay"),
         "--today", "2026-09-16"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["status"] in (0, 1)  # the demo has updates; the check itself ran
    assert sorted(set(HEAVY) & set(report["loaded"])) == []
    assert "httpx" in report["loaded"]  # it did reach the network layer


def test_a_check_whose_manifest_the_parse_cache_serves_never_loads_the_yaml_parser(
    tmp_path: Path,
) -> None:
    """The second check of the same manifest takes it from the parse cache: no ruamel.yaml, and
    nothing of what only `refresh` and `pin` run (planning edits, the checklists' stops)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    argv = [sys.executable, "-c", PROGRAM, "check", "--replay", str(REPO / "tests/data/replay"),
            "--today", "2026-09-16"]
    reports = [json.loads(subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                                         check=True, timeout=120).stdout.splitlines()[-1])
               for _run in range(2)]
    assert "ruamel.yaml" in reports[0]["modules"]  # the first one parsed it
    modules = set(reports[1]["modules"])
    assert sorted({"ruamel.yaml", "release.refresh.plan", "release.notes.stops",
                   "release.manifest.write", "release.yamlspans"} & modules) == []
    assert "release.refresh.execute" in modules


def test_building_the_command_line_imports_no_network_or_yaml_library() -> None:
    """`--help`, `version` and the parser of every command: no asyncio, httpx or ruamel.yaml
    (they cost ~0.15 s together; the commands that need them import them when they run)."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys; from release.cli import build_parser; "
         "build_parser(); print(json.dumps(sorted(m for m in sys.modules if '.' not in m)))"],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=60,
    )
    loaded = set(json.loads(done.stdout))
    assert sorted({"asyncio", "httpx", "ruamel", *HEAVY} & loaded) == []

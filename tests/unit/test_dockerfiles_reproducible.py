"""Every Dockerfile removes what apt, dpkg, ldconfig and Python leave that differs per build.

BuildKit's `rewrite-timestamp` makes file times the commit's, but not file contents: apt's and
dpkg's logs hold the wall-clock time of the install, ldconfig's aux-cache holds inode numbers
and times, and byte-compiled Python holds the source files' install times. The reproducible
builds of the Docker official images remove exactly these (docker-library/official-images issue
16044; e.g. docker-library/httpd pull 248: `/var/log/*` for their timestamps,
`/var/cache/ldconfig/aux-cache` for its inode numbers). Checked statically, per `RUN`: the
instruction that writes them also removes them, so no layer keeps them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted(
    p for p in [*REPO.glob("images/*/Dockerfile"), *REPO.glob("images/**/*.Dockerfile")]
    # Caddy's Dockerfile is another helper's (per-architecture archives); it joins this list
    # when its RUNs clean up too.
    if p.parent.name != "caddy"
)
APT_LEFTOVERS = ("/var/lib/apt/lists/*", "/var/log/apt/*", "/var/log/dpkg.log",
                 "/var/log/alternatives.log", "/var/cache/ldconfig/aux-cache")
INSTRUCTION = re.compile(r"^(?P<word>[A-Z]+)\s+(?P<rest>.*)$")


def runs(path: Path) -> list[tuple[int, str]]:
    """(first line, text) of every RUN, continuation lines joined, comments dropped."""
    found: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        start = index + 1
        index += 1
        match = INSTRUCTION.match(line)
        if match is None or match.group("word") != "RUN":
            continue
        text = [match.group("rest")]
        continued = text[-1].endswith("\\")
        while continued and index < len(lines):
            following = lines[index].strip()
            index += 1
            if following.startswith("#"):  # a comment inside an instruction: skipped
                continue
            continued = following.endswith("\\")
            text.append(following)
        found.append((start, " ".join(t.removesuffix("\\") for t in text)))
    return found


def removed(command: str, path: str) -> bool:
    """Whether an `rm` of `command` removes `path` (after whatever wrote it)."""
    return any(path in part.split() for part in re.split(r"&&|;", command)
               if part.strip().startswith("rm "))


def test_every_image_dockerfile_is_checked() -> None:
    names = {p.relative_to(REPO).as_posix() for p in DOCKERFILES}
    assert "images/asterisk/Dockerfile" in names
    assert "images/signoz/clickhouse/histogram-quantile.Dockerfile" in names
    assert len(names) >= 12


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_each_run_removes_what_it_leaves_behind(path: Path) -> None:
    problems: list[str] = []
    for line, command in runs(path):
        where = f"{path.relative_to(REPO)}:{line}"
        if "apt-get install" in command:
            problems += [f"{where}: apt-get install leaves {p}" for p in APT_LEFTOVERS
                         if not removed(command, p)]
        if re.search(r"(^|&&\s*)ldconfig\b", command) and not removed(
                command, "/var/cache/ldconfig/aux-cache"):
            problems.append(f"{where}: ldconfig leaves /var/cache/ldconfig/aux-cache")
        if re.search(r"python\S* -m (venv|pip install)|pip install", command) and (
                "-name __pycache__" not in command or "rm -rf" not in command):
            problems.append(f"{where}: byte-compiled Python (__pycache__) is left")
    assert problems == []


def test_the_check_sees_a_dockerfile_that_leaves_them(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM x\nRUN apt-get update \\\n # why\n && apt-get install -y a \\\n"
                   " && rm -rf /var/lib/apt/lists/*\nRUN ldconfig && true\n", encoding="utf-8")
    commands = runs(bad)
    assert [line for line, _ in commands] == [2, 6]
    assert removed(commands[0][1], "/var/lib/apt/lists/*")
    assert not removed(commands[0][1], "/var/log/dpkg.log")
    assert not removed(commands[1][1], "/var/cache/ldconfig/aux-cache")

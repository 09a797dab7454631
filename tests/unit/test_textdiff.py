"""The dry-run diff is the diff git would show, and applies with `git apply`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from release.fsutil import FileChange
from release.textdiff import color_wanted, unified_diff

REPO = Path(__file__).resolve().parents[2]


def _git_diff(tmp_path: Path, path: str, old: str, new: str) -> str:
    """What `git diff` prints for the same change (no colour, hunk headers without the
    function context git appends after `@@`)."""
    repo = tmp_path / "git"
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / path).write_text(old)
    subprocess.run(["git", "-C", str(repo), "add", path], check=True)
    (repo / path).write_text(new)
    out = subprocess.run(["git", "-C", str(repo), "diff", "--no-color", "-U3", "--", path],
                         check=True, capture_output=True, text=True).stdout
    body = out[out.index("--- "):]
    return re.sub(r"^(@@ [^@]+ @@).*$", r"\1", body, flags=re.MULTILINE)


def test_one_changed_line_in_versions_yaml_is_one_line_out_and_one_in(tmp_path: Path) -> None:
    # versions.yaml is over 200 lines: difflib's autojunk used to show unchanged lines (the
    # blank ones, `pins:`) as removed and re-added around every change.
    old = (REPO / "versions.yaml").read_text()
    assert old.count("\n") > 200
    new = old.replace("    version: 6.1.4\n", "    version: 6.1.5\n", 1)
    assert new != old
    diff = unified_diff([FileChange(path="versions.yaml", old=old, new=new)])
    changed = [line for line in diff.splitlines()
               if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))]
    assert changed == ["-    version: 6.1.4", "+    version: 6.1.5"]
    assert diff == _git_diff(tmp_path, "versions.yaml", old, new)


def test_many_scattered_changes_match_git(tmp_path: Path) -> None:
    old = (REPO / "versions.yaml").read_text()
    new = old.replace("digest: sha256:", "digest: sha256:0").replace("\n\n", "\n\n# moved\n", 3)
    assert unified_diff([FileChange(path="versions.yaml", old=old, new=new)]) == _git_diff(
        tmp_path, "versions.yaml", old, new)


def test_the_diff_applies_with_git_apply(tmp_path: Path) -> None:
    repo = tmp_path / "apply"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    old = (REPO / "versions.yaml").read_text()
    (repo / "versions.yaml").write_text(old)
    new = old.replace("    version: 6.1.4\n", "    version: 6.1.5\n", 1) + "# end, no newline"
    changes = [FileChange(path="versions.yaml", old=old, new=new),
               FileChange(path="docs/new.md", old="", new="a new file\n")]
    patch = tmp_path / "change.patch"
    patch.write_text(unified_diff(changes))
    subprocess.run(["git", "-C", str(repo), "apply", str(patch)], check=True)
    assert (repo / "versions.yaml").read_text() == new
    assert (repo / "docs" / "new.md").read_text() == "a new file\n"


def test_a_missing_final_newline_is_marked_as_git_marks_it(tmp_path: Path) -> None:
    change = FileChange(path="a.txt", old="one\ntwo", new="one\nthree")
    assert unified_diff([change]) == (
        "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n"
        "+three\n\\ No newline at end of file\n"
    )
    assert unified_diff([change]) == _git_diff(tmp_path, "a.txt", "one\ntwo", "one\nthree")


def test_an_unchanged_file_prints_nothing() -> None:
    assert unified_diff([FileChange(path="a.txt", old="same\n", new="same\n")]) == ""


def test_colours_are_git_s() -> None:
    change = FileChange(path="a.txt", old="one\ntwo\n", new="one\nthree\n")
    assert unified_diff([change], color=True) == (
        "\x1b[1m--- a/a.txt\x1b[m\n\x1b[1m+++ b/a.txt\x1b[m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[m\n"
        " one\n\x1b[31m-two\x1b[m\n\x1b[32m+three\x1b[m\n"
    )


@pytest.mark.parametrize(("tty", "env", "expected"), [
    (True, {}, True),
    (False, {}, False),
    (True, {"NO_COLOR": "1"}, False),
    (False, {"FORCE_COLOR": "1"}, True),
    (True, {"TERM": "dumb"}, False),
])
def test_colour_only_on_a_terminal(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert color_wanted(tty, env) is expected


def test_lines_repeated_through_a_long_file_stay_unchanged(tmp_path: Path) -> None:
    # 240 lines whose separators, `pins:` and blank lines repeat more than difflib's autojunk
    # tolerates: with it, the final blank line was shown removed and re-added.
    old_lines: list[str] = []
    for n in range(40):
        old_lines += ["  # ----------\n", f"  component-{n}:\n", f"    version: 1.{n}.0\n",
                      "    pins:\n", f"      - file: images/c{n}/Dockerfile\n", "\n"]
    old = "".join(old_lines)
    new = old.replace("images/c39/Dockerfile\n", "images/c39/Containerfile\n")
    diff = unified_diff([FileChange(path="versions.yaml", old=old, new=new)])
    assert diff.splitlines()[-5:] == [
        "     version: 1.39.0",
        "     pins:",
        "-      - file: images/c39/Dockerfile",
        "+      - file: images/c39/Containerfile",
        " ",
    ]
    assert diff == _git_diff(tmp_path, "versions.yaml", old, new)

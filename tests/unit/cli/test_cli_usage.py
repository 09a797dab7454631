"""Bad usage: exit 2 and a message that names the subcommand and, for a typo, the likely word."""

from __future__ import annotations

import pytest

from release.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["chek"],
            "error: python -m release: argument COMMAND: invalid choice: 'chek' (choose from "
            "'verify', 'pin', 'check', 'refresh', 'build', 'sbom', 'scan', 'bom', 'notes', 'docs', "
            "'version'); did you mean 'check'?",
        ),
        (
            ["bom", "dif", "a", "b"],
            "error: python -m release bom: argument ACTION: invalid choice: 'dif' (choose from "
            "'diff', 'signatures'); did you mean 'diff'?",
        ),
        (["check", "--onyl", "x"], "error: python -m release check: unrecognized arguments: "
         "--onyl x"),
        (["verify", "--strict-ish"], "error: python -m release verify: unrecognized arguments: "
         "--strict-ish"),
        *[
            (["check", "--timeout", value], "error: python -m release check: argument "
             f"--timeout: {value!r} is not a number of seconds above 0")
            for value in ("-1", "0", "nan", "inf", "soon")
        ],
        (["refresh", "--timeout", "0"], "error: python -m release refresh: argument --timeout: "
         "'0' is not a number of seconds above 0"),
    ],
)
def test_bad_usage_exits_2_with_the_exact_message(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [expected]


def test_uppercase_checksum_algorithm_is_the_same_algorithm() -> None:
    from release.refresh.decide import parse_checksum

    hexdigest = "AB" * 32
    assert parse_checksum(f"SHA256:{hexdigest}") == "ab" * 32
    assert parse_checksum(f"sha256:{hexdigest}") == "ab" * 32


def test_build_only_with_a_typo_suggests_the_image(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--plan", "--only", "asterix"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        "error: no such image: asterix (did you mean 'asterisk'?); images built here: "
    )


def test_summary_line_counts_every_status_zeros_included() -> None:
    from release.refresh.decide import CheckResult, Status
    from release.refresh.report import summary_line
    from release.versioning import Version

    def result(name: str, status: Status) -> CheckResult:
        return CheckResult(component=name, pinned=Version("1.0"), status=status)

    results = [result("a", Status.UPDATE), result("b", Status.UPDATE), result("c", Status.CURRENT),
               result("d", Status.ERROR)]
    assert summary_line(results) == "2 updates · 0 held · 1 current · 1 error"
    assert summary_line([]) == "0 updates · 0 held · 0 current · 0 errors"

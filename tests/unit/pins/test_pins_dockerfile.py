"""`scan_dockerfile`: every ARG/ENV pair and FROM, read the way BuildKit reads a Dockerfile."""

from __future__ import annotations

import pytest

from release.errors import PinError
from release.pins import ImageRef, Instruction, Keyword, scan_dockerfile, split_image_ref

D1 = "sha256:" + "a1" * 32


def arg(
    line: int, name: str, value: str | None, stage: str | None = None, index: int | None = None
) -> Instruction:
    return Instruction(line=line, keyword=Keyword.ARG, stage=stage, stage_index=index, name=name,
                       value=value)


def env(line: int, name: str, value: str, stage: str | None = None, index: int = 0) -> Instruction:
    return Instruction(line=line, keyword=Keyword.ENV, stage=stage, stage_index=index, name=name,
                       value=value)


def from_(
    line: int,
    image: ImageRef,
    stage: str | None = None,
    index: int = 0,
    *,
    refers_to_stage: bool = False,
    scratch: bool = False,
    platform: str | None = None,
) -> Instruction:
    return Instruction(line=line, keyword=Keyword.FROM, stage=stage, stage_index=index,
                       image=image, refers_to_stage=refers_to_stage, scratch=scratch,
                       platform=platform)


REAL = f"""\
# syntax=docker/dockerfile:1
ARG DEBIAN_TAG=trixie-20260803-slim
ARG KAMAILIO_VERSION=6.1.4

FROM --platform=$BUILDPLATFORM debian:trixie-20260803-slim@{D1} AS build
ARG KAMAILIO_VERSION
ARG KAMAILIO_SHA256="3eaa069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98"
RUN <<EOF
set -eu
ARG NOT_AN_ARG=1
FROM not-an-image
EOF
ENV PREFIX=/opt/kamailio \\
    # comment lines inside a continuation are skipped
    PATH="/opt/kamailio/sbin:$PATH"

FROM build AS test
RUN make check

FROM debian:trixie-20260803-slim@{D1} AS runtime
ENV LANG C.UTF-8
COPY --from=build /opt /opt

FROM scratch AS export
"""


def test_scan_a_real_multi_stage_dockerfile() -> None:
    assert scan_dockerfile(REAL) == [
        arg(2, "DEBIAN_TAG", "trixie-20260803-slim"),
        arg(3, "KAMAILIO_VERSION", "6.1.4"),
        from_(5, ImageRef(repository="debian", tag="trixie-20260803-slim", digest=D1), "build",
              platform="$BUILDPLATFORM"),
        arg(6, "KAMAILIO_VERSION", None, "build", 0),
        arg(7, "KAMAILIO_SHA256",
            "3eaa069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98", "build", 0),
        env(13, "PREFIX", "/opt/kamailio", "build"),
        env(15, "PATH", "/opt/kamailio/sbin:$PATH", "build"),
        from_(17, ImageRef(repository="build"), "test", 1, refers_to_stage=True),
        from_(20, ImageRef(repository="debian", tag="trixie-20260803-slim", digest=D1),
              "runtime", 2),
        env(21, "LANG", "C.UTF-8", "runtime", 2),
        from_(24, ImageRef(repository="scratch"), "export", 3, scratch=True),
    ]


def test_scan_crlf_is_the_same_as_lf() -> None:
    crlf = REAL.replace("\n", "\r\n")
    assert scan_dockerfile(crlf) == scan_dockerfile(REAL)


# (text, the instructions found)
SCANS = [
    pytest.param(
        "FROM a\n# escape=`\nARG X=1 \\\n  Y=2\n",
        [from_(1, ImageRef(repository="a")), arg(3, "X", "1", index=0), arg(4, "Y", "2", index=0)],
        id="escape-directive-only-at-the-top",
    ),
    pytest.param(
        "# syntax=docker/dockerfile:1\n\n# escape=`\nARG X=1 \\\n  Y=2\n",
        [arg(4, "X", "1"), arg(5, "Y", "2")],
        id="blank-line-ends-directives",
    ),
    pytest.param(
        "  # ESCAPE = `\nFROM a\nARG X=C:\\ `\n  Y=2\n",
        [from_(2, ImageRef(repository="a")), arg(3, "X", "C:\\", index=0),
         arg(4, "Y", "2", index=0)],
        id="escape-directive-backtick",
    ),
    pytest.param(
        "FROM a\nRUN echo '<<EOF'\nARG X=1\n",
        [from_(1, ImageRef(repository="a")), arg(3, "X", "1", index=0)],
        id="quoted-heredoc-marker-is-no-heredoc",
    ),
    pytest.param(
        'FROM a\nRUN ["sh", "-c", "cat <<EOF"]\nARG X=1\n',
        [from_(1, ImageRef(repository="a")), arg(3, "X", "1", index=0)],
        id="exec-form-has-no-heredoc",
    ),
    pytest.param(
        "FROM a\nONBUILD RUN <<EOF\nARG X=1\nEOF\nARG Y=2\n",
        [from_(1, ImageRef(repository="a")), arg(5, "Y", "2", index=0)],
        id="onbuild-heredoc",
    ),
    pytest.param(
        "FROM a\nRUN 3<<EOF cat <&3\nARG X=1\nEOF\nARG Y=2\n",
        [from_(1, ImageRef(repository="a")), arg(5, "Y", "2", index=0)],
        id="heredoc-with-file-descriptor",
    ),
    pytest.param(
        "FROM a\nRUN <<EOF \\\n  && true\nARG X=1\nEOF\nARG Y=2\n",
        [from_(1, ImageRef(repository="a")), arg(6, "Y", "2", index=0)],
        id="heredoc-after-continued-instruction",
    ),
    pytest.param(
        "FROM a\nRUN <<EOF\nARG X=1\n EOF\nEOF \nEOF\nARG Y=2\n",
        [from_(1, ImageRef(repository="a")), arg(7, "Y", "2", index=0)],
        id="heredoc-terminator-must-be-exact",
    ),
    pytest.param(
        "FROM a\nCOPY <<a.txt <<b.txt /x/\nFROM x\na.txt\nFROM y\nb.txt\n",
        [from_(1, ImageRef(repository="a"))],
        id="two-heredocs",
    ),
    pytest.param(
        "FROM a AS one\nFROM ONE\nFROM One:1\nfrom scratch\n",
        [
            from_(1, ImageRef(repository="a"), "one"),
            from_(2, ImageRef(repository="ONE"), None, 1, refers_to_stage=True),
            from_(3, ImageRef(repository="One", tag="1"), None, 2),
            from_(4, ImageRef(repository="scratch"), None, 3, scratch=True),
        ],
        id="stage-references-case-insensitive",
    ),
    pytest.param(
        "FROM a\nENV A=1 B='2 3' C=\"\"\n",
        [from_(1, ImageRef(repository="a")), env(2, "A", "1"), env(2, "B", "2 3"),
         env(2, "C", "")],
        id="env-pairs-quoted-and-empty",
    ),
    pytest.param(
        'FROM a\nARG A="x\\"y" B=a"b"c\n',
        [from_(1, ImageRef(repository="a")), arg(2, "A", '"x\\"y"', index=0),
         arg(2, "B", 'a"b"c', index=0)],
        id="partly-quoted-values-are-kept-as-written",
    ),
    pytest.param(
        "FROM a\nENV X  several  words here \n",
        [from_(1, ImageRef(repository="a")), env(2, "X", "several  words here")],
        id="legacy-env-value-is-the-rest-of-the-line",
    ),
    pytest.param(
        "ARG X=1 \\  \n",
        [arg(1, "X", "1")],
        id="continuation-at-end-of-file",
    ),
    pytest.param(
        "\\\n  ARG X=1\n\\\n",
        [arg(2, "X", "1")],
        id="instruction-starting-after-a-lone-continuation",
    ),
    pytest.param(
        "\ufeff# escape=`\nARG X=1 `\r\n\r\n  Y=2\r\n",
        [arg(2, "X", "1"), arg(4, "Y", "2")],
        id="byte-order-mark-then-directive",
    ),
    pytest.param(
        "FROM --platform=linux/amd64 --foo=bar registry.example:5000/x/y:1.0@" + D1 + "\n",
        [from_(1, ImageRef(repository="registry.example:5000/x/y", tag="1.0", digest=D1),
               platform="linux/amd64")],
        id="from-flags-and-registry-port",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SCANS)
def test_scan(text: str, expected: list[Instruction]) -> None:
    assert scan_dockerfile(text) == expected


def test_scan_error_names_the_file() -> None:
    with pytest.raises(PinError, match=r"^images/a/Dockerfile:2: heredoc <<END is not terminated"):
        scan_dockerfile("FROM a\nRUN <<END\n", file="images/a/Dockerfile")


SPLITS = [
    pytest.param("debian", ImageRef(repository="debian"), "", id="repository"),
    pytest.param("debian:trixie", ImageRef(repository="debian", tag="trixie"), "trixie",
                 id="tag"),
    pytest.param(f"debian@{D1}", ImageRef(repository="debian", digest=D1), f"@{D1}",
                 id="digest"),
    pytest.param(
        f"localhost:5000/a/b:1@{D1}",
        ImageRef(repository="localhost:5000/a/b", tag="1", digest=D1),
        f"1@{D1}",
        id="port-tag-digest",
    ),
    pytest.param("localhost:5000/a", ImageRef(repository="localhost:5000/a"), "", id="port"),
]


@pytest.mark.parametrize(("ref", "expected", "value"), SPLITS)
def test_split_image_ref(ref: str, expected: ImageRef, value: str) -> None:
    split = split_image_ref(ref)
    assert split == expected
    assert split.value == value
    assert str(split) == ref

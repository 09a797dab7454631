"""Pin rewriters: locations that match no place or several, and values that are refused."""

from __future__ import annotations

import pytest

from release.errors import PinError
from release.manifest.model import Pin, PinKind
from release.pins import check_value, locate, rewrite
from release.versioning import UnsafeValueError

DOCKERFILE = "images/x/Dockerfile"
COMPOSE = "images/x/compose.yaml"
VALUES = "images/x/values.yaml"
SCRIPT = "images/x/build.sh"

D1 = "sha256:" + "a1" * 32


def arg(name: str = "X_VERSION", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_ARG, file=DOCKERFILE, value="{version}", name=name,
               stage=stage)


def env(name: str = "X_VERSION", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_ENV, file=DOCKERFILE, value="{version}", name=name,
               stage=stage)


def from_(image: str = "debian", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_FROM, file=DOCKERFILE, value="{image_tag}@{digest}",
               image=image, stage=stage)


def compose(service: str = "web") -> Pin:
    return Pin(kind=PinKind.COMPOSE_IMAGE, file=COMPOSE, value="{image_tag}@{digest}",
               service=service)


def key(path: str) -> Pin:
    return Pin(kind=PinKind.YAML_KEY, file=VALUES, value="{version}", key=path)


def marker(text: str = "# delphi-pin: node") -> Pin:
    return Pin(kind=PinKind.MARKER, file=SCRIPT, value="{version}", marker=text)


# (pin, text, the exact PinError message)
PIN_ERRORS = [
    # --- zero matches ---------------------------------------------------------------------------
    pytest.param(
        arg(), "FROM debian\nARG Y_VERSION=1\n",
        "images/x/Dockerfile: no ARG X_VERSION", id="arg-none",
    ),
    pytest.param(
        arg("KAMAILIO_VERSION", "build"),
        "ARG KAMAILIO_VERSION=1\nFROM debian AS build\nRUN make\n",
        "images/x/Dockerfile: no ARG KAMAILIO_VERSION in stage 'build'", id="arg-none-in-stage",
    ),
    pytest.param(
        arg(stage="build"),
        "FROM debian AS deps\nFROM debian AS runtime\nARG X_VERSION=1\n",
        "images/x/Dockerfile: no ARG X_VERSION in stage 'build' (the file has no stage 'build'; "
        "its stages are 'deps', 'runtime')",
        id="arg-stage-does-not-exist",
    ),
    pytest.param(
        arg(stage="build"), "FROM debian\nARG X_VERSION=1\n",
        "images/x/Dockerfile: no ARG X_VERSION in stage 'build' (the file has no named stage; "
        "name one with FROM ... AS build)",
        id="arg-no-named-stage",
    ),
    pytest.param(
        arg(), "FROM debian\nRUN <<EOF\nARG X_VERSION=1\nEOF\n",
        "images/x/Dockerfile: no ARG X_VERSION", id="arg-only-in-heredoc-body",
    ),
    pytest.param(
        arg(), "FROM debian\n# ARG X_VERSION=1\nRUN echo 'ARG X_VERSION=1'\n",
        "images/x/Dockerfile: no ARG X_VERSION", id="arg-only-in-comment-and-run",
    ),
    pytest.param(
        arg(), "FROM debian\nONBUILD ARG X_VERSION=1\nENV X_VERSION=1\n",
        "images/x/Dockerfile: no ARG X_VERSION", id="arg-onbuild-and-env-do-not-count",
    ),
    pytest.param(
        env(), "FROM debian\nARG X_VERSION=1\n",
        "images/x/Dockerfile: no ENV X_VERSION", id="env-none",
    ),
    pytest.param(
        from_(), "FROM node:24 AS deps\n",
        "images/x/Dockerfile: no FROM debian", id="from-none",
    ),
    pytest.param(
        from_(), "FROM docker.io/library/debian:trixie\n",
        "images/x/Dockerfile: no FROM debian", id="from-repository-as-written",
    ),
    pytest.param(
        from_(stage="build"), "FROM node:24 AS build\n",
        "images/x/Dockerfile: no FROM debian in stage 'build' (stage 'build' is FROM node:24)",
        id="from-stage-is-another-image",
    ),
    pytest.param(
        from_("build"), "FROM debian:a AS build\nFROM build AS test\n",
        "images/x/Dockerfile: no FROM build", id="from-stage-reference-is-no-image",
    ),
    pytest.param(
        compose("api"), "services:\n  web:\n    image: caddy:2\n",
        "images/x/compose.yaml: no image of service 'api' (services has no key 'api')",
        id="compose-no-service",
    ),
    pytest.param(
        compose(), "services:\n  web:\n    build: .\n",
        "images/x/compose.yaml: no image of service 'web' (services.web has no key 'image')",
        id="compose-no-image",
    ),
    pytest.param(
        compose(), "version: '3'\n",
        "images/x/compose.yaml: no image of service 'web' (the document has no key 'services')",
        id="compose-no-services",
    ),
    pytest.param(
        key("services.web.environment.NODE_VERSION"),
        "services:\n  web:\n    environment:\n      - NODE_VERSION=24.19.0\n",
        "images/x/values.yaml: no key services.web.environment.NODE_VERSION "
        "(services.web.environment is a list of 1 items; 'NODE_VERSION' is not one of its "
        "indexes)",
        id="yaml-key-list-form",
    ),
    pytest.param(
        key("a.b.c"), "a:\n  b: 1\n",
        "images/x/values.yaml: no key a.b.c (a.b is not a mapping or a list)",
        id="yaml-key-through-scalar",
    ),
    pytest.param(
        marker(), "NODE=24.19.0 # delphi-pin: nodejs\n",
        "images/x/build.sh: no line contains the marker '# delphi-pin: node'", id="marker-none",
    ),
    # --- several matches ------------------------------------------------------------------------
    pytest.param(
        arg(),
        "FROM debian AS build\nARG X_VERSION=1\nFROM debian AS runtime\nARG X_VERSION=1\n",
        "images/x/Dockerfile:2: ARG X_VERSION occurs 2 times (lines 2, 4); give the pin a stage "
        "to choose one",
        id="arg-two-stages",
    ),
    pytest.param(
        arg(), "ARG X_VERSION=1\nFROM debian\nARG X_VERSION=2\n",
        "images/x/Dockerfile:1: ARG X_VERSION occurs 2 times (lines 1, 3); give the pin a stage "
        "to choose one",
        id="arg-global-and-stage-default",
    ),
    pytest.param(
        arg(), "FROM debian AS a\nARG X_VERSION\nFROM debian AS b\nARG X_VERSION\n",
        "images/x/Dockerfile:2: ARG X_VERSION occurs 2 times (lines 2, 4); give the pin a stage "
        "to choose one",
        id="arg-two-without-default-no-global",
    ),
    pytest.param(
        arg(stage="build"), "FROM debian AS build\nARG X_VERSION=1\nARG \\\n  X_VERSION=2\n",
        "images/x/Dockerfile:2: ARG X_VERSION in stage 'build' occurs 2 times (lines 2, 4); "
        "a pin must match exactly one place",
        id="arg-twice-in-stage",
    ),
    pytest.param(
        env(), "FROM debian\nENV X_VERSION=1 X_VERSION=2\n",
        "images/x/Dockerfile:2: ENV X_VERSION occurs 2 times (line 2); give the pin a stage to "
        "choose one",
        id="env-twice-on-one-line",
    ),
    pytest.param(
        from_(), f"FROM debian:a@{D1} AS build\nRUN make\nFROM debian:a@{D1} AS runtime\n",
        "images/x/Dockerfile:1: FROM debian occurs 2 times (lines 1, 3); give the pin a stage "
        "to choose one",
        id="from-twice",
    ),
    pytest.param(
        marker(), "A=1.0 # delphi-pin: node\nx\nB=2.0 # delphi-pin: node\n",
        "images/x/build.sh:1: the marker '# delphi-pin: node' occurs 2 times (lines 1, 3); "
        "a marker must mark exactly one line",
        id="marker-two-lines",
    ),
    # --- found, but not something a pin can hold ------------------------------------------------
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION=1.\\\n0\n",
        "images/x/Dockerfile:2: the value of ARG X_VERSION is split across lines by a line "
        "continuation; join it onto one line to pin it",
        id="arg-value-split-by-continuation",
    ),
    pytest.param(
        marker(), "NODE=latest # delphi-pin: node\n",
        "images/x/build.sh:1: the line marked with '# delphi-pin: node' holds no version-like "
        "token; it must hold exactly one",
        id="marker-no-token",
    ),
    pytest.param(
        marker(), "cp 1.0 2.0 # delphi-pin: node\n",
        "images/x/build.sh:1: the line marked with '# delphi-pin: node' holds 2 version-like "
        "tokens ('1.0', '2.0'); it must hold exactly one",
        id="marker-two-tokens",
    ),
    pytest.param(
        Pin(kind=PinKind.COMPOSE_IMAGE, file=COMPOSE, value="{image_tag}", service="web",
            image="caddy"),
        "services:\n  web:\n    image: nginx:1.27\n",
        "images/x/compose.yaml:3: image of service 'web' is 'nginx', not 'caddy'",
        id="compose-other-repository-than-pinned",
    ),
    pytest.param(
        compose(), "x-img: &img caddy:2\nservices:\n  web:\n    image: *img\n",
        "images/x/compose.yaml:1: image of service 'web' is an alias (*name) of the value "
        "written here; pin that value instead",
        id="compose-alias",
    ),
    pytest.param(
        compose(), "x-base: &base\n  image: caddy:2\nservices:\n  web:\n    <<: *base\n",
        "images/x/compose.yaml:5: image of service 'web' comes from a merge key (<<); "
        "pin the value where it is written",
        id="compose-merge-key",
    ),
    pytest.param(
        key("a.1"), "a: [&v 1.0, *v]\n",
        "images/x/values.yaml:1: key a.1 is an alias (*name) of the value written here; "
        "pin that value instead",
        id="yaml-key-alias-in-list",
    ),
    pytest.param(
        key("v"), "v: |\n  1.0\n",
        "images/x/values.yaml:1: key v is a block scalar (|); write it as a one-line scalar to "
        "pin it",
        id="yaml-key-block-scalar",
    ),
    pytest.param(
        key("v"), "v: 1.0\n  and more\n",
        "images/x/values.yaml:1: key v is a plain scalar that goes on past its line; write it "
        "on one line to pin it",
        id="yaml-key-multi-line-plain",
    ),
    pytest.param(
        key("v"), 'v: "1.0\n  and more"\n',
        "images/x/values.yaml:1: key v is a quoted scalar that goes on past its line; write it "
        "on one line to pin it",
        id="yaml-key-multi-line-quoted",
    ),
    pytest.param(
        key("a"), "a:\n  b: 1\n",
        "images/x/values.yaml:2: key a is a mapping, not a scalar", id="yaml-key-mapping",
    ),
    pytest.param(
        key("a"), "a:\nb: 1\n",
        "images/x/values.yaml:1: key a has no value", id="yaml-key-null",
    ),
    # --- files that do not parse ----------------------------------------------------------------
    pytest.param(
        arg(), "FROM debian\nRUN <<EOF\necho\n",
        "images/x/Dockerfile:2: heredoc <<EOF is not terminated (no line 'EOF' follows it)",
        id="dockerfile-unterminated-heredoc",
    ),
    pytest.param(
        arg(), "# escape=x\nARG X_VERSION=1\n",
        "images/x/Dockerfile:1: invalid escape directive 'x' (it must be \\ or `)",
        id="dockerfile-invalid-escape",
    ),
    pytest.param(
        arg(), "# escape=`\n# escape=\\\nARG X_VERSION=1\n",
        "images/x/Dockerfile:2: only one escape parser directive can be used",
        id="dockerfile-escape-twice",
    ),
    pytest.param(
        compose(), "services:\n  web:\n    image: a:1\n    image: a:2\n",
        'images/x/compose.yaml:4: not valid YAML: while constructing a mapping found duplicate '
        'key "image" with value "a:2" (original value: "a:1")',
        id="compose-duplicate-key",
    ),
    pytest.param(
        compose(), "services:\n  web: [\n",
        "images/x/compose.yaml:3: not valid YAML: while parsing a flow node expected the node "
        "content, but found '<stream end>'",
        id="compose-invalid-yaml",
    ),
    # --- a pin without its selector -------------------------------------------------------------
    pytest.param(
        Pin(kind=PinKind.DOCKERFILE_ARG, file=DOCKERFILE, value="{version}"), "ARG X=1\n",
        "images/x/Dockerfile: a dockerfile-arg pin needs a name", id="pin-without-name",
    ),
    pytest.param(
        Pin(kind=PinKind.COMPOSE_IMAGE, file=COMPOSE, value="{version}"), "services: {}\n",
        "images/x/compose.yaml: a compose-image pin needs a service", id="pin-without-service",
    ),
]


@pytest.mark.parametrize(("pin", "text", "message"), PIN_ERRORS)
def test_locate_error(pin: Pin, text: str, message: str) -> None:
    with pytest.raises(PinError) as info:
        locate(text, pin)
    assert str(info.value) == message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("pin", "text", "message"), PIN_ERRORS)
def test_rewrite_error_is_the_locate_error(pin: Pin, text: str, message: str) -> None:
    value = f"1.0@{D1}" if pin.kind in (PinKind.DOCKERFILE_FROM, PinKind.COMPOSE_IMAGE) else "1.0"
    with pytest.raises(PinError) as info:
        rewrite(text, pin, value)
    assert str(info.value) == message


ALLOWED = "allowed are letters, digits and . _ + ~ -"

# (pin, value, the exact UnsafeValueError message): refused before anything is looked at.
UNSAFE = [
    pytest.param(
        arg(), "1.0\nRUN rm -rf /",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value "
        f"'1.0\\nRUN rm -rf /' contains characters that are not allowed ('\\n', ' ', '/'); {ALLOWED}",
        id="newline-injection",
    ),
    pytest.param(
        arg(), '1.0"',
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value '1.0\"' contains "
        f"characters that are not allowed ('\"'); {ALLOWED}",
        id="double-quote",
    ),
    pytest.param(
        env(), "'1.0'",
        "images/x/Dockerfile: refusing to write dockerfile-env X_VERSION: value \"'1.0'\" contains "
        f"characters that are not allowed (\"'\"); {ALLOWED}",
        id="single-quotes",
    ),
    pytest.param(
        arg(), "$(x)",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value '$(x)' contains "
        f"characters that are not allowed ('$', '(', ')'); {ALLOWED}",
        id="command-substitution",
    ),
    pytest.param(
        arg(), "1 0",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value '1 0' contains "
        f"characters that are not allowed (' '); {ALLOWED}",
        id="space",
    ),
    pytest.param(
        arg(), "1;2",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value '1;2' contains "
        f"characters that are not allowed (';'); {ALLOWED}",
        id="semicolon",
    ),
    pytest.param(
        key("a"), "1#2",
        "images/x/values.yaml: refusing to write yaml-key a: value '1#2' contains characters "
        f"that are not allowed ('#'); {ALLOWED}",
        id="yaml-comment-sign",
    ),
    pytest.param(
        arg(), "1.0\\",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value '1.0\\\\' "
        f"contains characters that are not allowed ('\\\\'); {ALLOWED}",
        id="escape-character",
    ),
    pytest.param(
        arg(), "",
        "images/x/Dockerfile: refusing to write dockerfile-arg X_VERSION: value is empty",
        id="empty",
    ),
    pytest.param(
        from_(), "trixie",
        None, id="from-tag-only-is-allowed",
    ),
    pytest.param(
        from_(), "trixie@sha256:abc",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image digest "
        "'sha256:abc' is not sha256:<64 lowercase hex digits>",
        id="from-short-digest",
    ),
    pytest.param(
        compose(), "v1@sha256:" + "A1" * 32,
        "images/x/compose.yaml: refusing to write compose-image web: image digest "
        f"'sha256:{'A1' * 32}' is not sha256:<64 lowercase hex digits>",
        id="compose-uppercase-digest",
    ),
    pytest.param(
        compose(), f"v1@{D1} ",
        "images/x/compose.yaml: refusing to write compose-image web: image digest "
        f"'{D1} ' is not sha256:<64 lowercase hex digits>",
        id="compose-digest-trailing-blank",
    ),
    pytest.param(
        from_(), f"trixie slim@{D1}",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image tag 'trixie slim' "
        f"contains characters that are not allowed (' '); {ALLOWED}",
        id="from-tag-with-space",
    ),
    pytest.param(
        from_(), f"x:y@{D1}",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image tag 'x:y' "
        f"contains characters that are not allowed (':'); {ALLOWED}",
        id="from-tag-with-colon",
    ),
    pytest.param(
        from_(), f"1.0+b1@{D1}",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image tag '1.0+b1' is "
        "not a valid Docker tag (letters, digits, _ . -, not starting with . or -)",
        id="from-tag-outside-docker-grammar",
    ),
    pytest.param(
        from_(), f"t@{D1}\nRUN x",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image digest "
        f"'{D1}\\nRUN x' is not sha256:<64 lowercase hex digits>",
        id="from-newline-after-digest",
    ),
    pytest.param(
        from_(), "",
        "images/x/Dockerfile: refusing to write dockerfile-from debian: image reference is empty",
        id="from-empty",
    ),
    pytest.param(
        marker(), "latest",
        "images/x/build.sh: refusing to write marker # delphi-pin: node: value 'latest' is not a "
        "version-like token ([vV]?<digit>...), so the marked line could not be found again",
        id="marker-not-a-version",
    ),
]


@pytest.mark.parametrize(("pin", "value", "message"), UNSAFE)
def test_unsafe_value_is_refused(pin: Pin, value: str, message: str | None) -> None:
    if message is None:
        assert check_value(pin, value) == value
        return
    with pytest.raises(UnsafeValueError) as info:
        check_value(pin, value)
    assert str(info.value) == message
    # rewrite refuses it before looking at the text: even a text with no such pin.
    with pytest.raises(ValueError, match="refusing to write"):
        rewrite("", pin, value)


def test_value_already_there_but_unsafe_is_still_refused() -> None:
    text = "FROM debian\nARG X_VERSION=$(x)\n"
    assert locate(text, arg()).value == "$(x)"
    with pytest.raises(UnsafeValueError):
        rewrite(text, arg(), "$(x)")

"""Pin rewriters: every kind rewritten with literal before/after text, plus idempotence."""

from __future__ import annotations

import pytest

from release.manifest.model import Pin, PinKind
from release.pins import Located, locate, rewrite

DOCKERFILE = "images/x/Dockerfile"
COMPOSE = "images/x/compose.yaml"
VALUES = "images/x/values.yaml"
SCRIPT = "images/x/build.sh"

D1 = "sha256:" + "a1" * 32
D2 = "sha256:" + "b2" * 32


def arg(name: str = "X_VERSION", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_ARG, file=DOCKERFILE, value="{version}", name=name,
               stage=stage)


def env(name: str = "X_VERSION", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_ENV, file=DOCKERFILE, value="{version}", name=name,
               stage=stage)


def from_(image: str = "debian", stage: str | None = None) -> Pin:
    return Pin(kind=PinKind.DOCKERFILE_FROM, file=DOCKERFILE, value="{image_tag}@{digest}",
               image=image, stage=stage)


def compose(service: str) -> Pin:
    return Pin(kind=PinKind.COMPOSE_IMAGE, file=COMPOSE, value="{image_tag}@{digest}",
               service=service)


def key(path: str) -> Pin:
    return Pin(kind=PinKind.YAML_KEY, file=VALUES, value="{version}", key=path)


def marker(text: str = "# delphi-pin: node") -> Pin:
    return Pin(kind=PinKind.MARKER, file=SCRIPT, value="{version}", marker=text)


# (pin, before, value, after): the exact text `rewrite` must produce.
REWRITES = [
    # --- dockerfile-arg -------------------------------------------------------------------------
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION=1.0.0\nRUN make\n", "1.1.0",
        "FROM debian\nARG X_VERSION=1.1.0\nRUN make\n", id="arg-plain",
    ),
    pytest.param(
        arg(), 'FROM debian\nARG X_VERSION="1.0.0"\n', "1.1.0",
        'FROM debian\nARG X_VERSION="1.1.0"\n', id="arg-double-quoted",
    ),
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION='1.0.0'\n", "1.1.0",
        "FROM debian\nARG X_VERSION='1.1.0'\n", id="arg-single-quoted",
    ),
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION\nRUN echo $X_VERSION\n", "1.1.0",
        "FROM debian\nARG X_VERSION=1.1.0\nRUN echo $X_VERSION\n", id="arg-without-default",
    ),
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION   \n", "1.1.0",
        "FROM debian\nARG X_VERSION=1.1.0   \n", id="arg-without-default-trailing-blanks",
    ),
    pytest.param(
        arg(), "ARG X_VERSION=\nFROM debian\n", "1.1.0",
        "ARG X_VERSION=1.1.0\nFROM debian\n", id="arg-empty-default",
    ),
    pytest.param(
        arg(), 'ARG X_VERSION=""\nFROM debian\n', "1.1.0",
        'ARG X_VERSION="1.1.0"\nFROM debian\n', id="arg-empty-quoted-default",
    ),
    pytest.param(
        arg(), "FROM debian\r\nARG X_VERSION=1.0.0\r\nRUN make\r\n", "1.1.0",
        "FROM debian\r\nARG X_VERSION=1.1.0\r\nRUN make\r\n", id="arg-crlf",
    ),
    pytest.param(
        arg(), "FROM debian\n\n    arg X_VERSION=1.0.0\n", "1.1.0",
        "FROM debian\n\n    arg X_VERSION=1.1.0\n", id="arg-indented-lowercase-keyword",
    ),
    pytest.param(
        arg(), "FROM debian\nARG A=1 X_VERSION=1.0.0 B=2\n", "1.1.0",
        "FROM debian\nARG A=1 X_VERSION=1.1.0 B=2\n", id="arg-several-in-one-instruction",
    ),
    pytest.param(
        arg(), "FROM debian\nARG A=1 \\\n    X_VERSION=1.0.0 \\\n    B=2\n", "1.1.0",
        "FROM debian\nARG A=1 \\\n    X_VERSION=1.1.0 \\\n    B=2\n", id="arg-continuation",
    ),
    pytest.param(
        arg(), "FROM debian\r\nARG A=1 \\  \r\n# the version\r\n\r\n  X_VERSION=1.0.0\r\n",
        "1.1.0",
        "FROM debian\r\nARG A=1 \\  \r\n# the version\r\n\r\n  X_VERSION=1.1.0\r\n",
        id="arg-continuation-comment-blank-crlf",
    ),
    pytest.param(
        arg(), "# escape=`\nFROM debian\nARG A=C:\\dir `\n    X_VERSION=1.0.0\n", "1.1.0",
        "# escape=`\nFROM debian\nARG A=C:\\dir `\n    X_VERSION=1.1.0\n",
        id="arg-escape-directive-backtick",
    ),
    pytest.param(
        arg(stage="build"),
        "FROM debian AS build\nARG X_VERSION=1.0.0\nFROM debian AS runtime\nARG X_VERSION=1.0.0\n",
        "1.1.0",
        "FROM debian AS build\nARG X_VERSION=1.1.0\nFROM debian AS runtime\nARG X_VERSION=1.0.0\n",
        id="arg-selected-by-stage",
    ),
    pytest.param(
        arg(stage="runtime"),
        "ARG X_VERSION=1.0.0\nFROM debian AS build\nFROM debian AS runtime\nARG X_VERSION\n",
        "1.1.0",
        "ARG X_VERSION=1.0.0\nFROM debian AS build\nFROM debian AS runtime\nARG X_VERSION=1.1.0\n",
        id="arg-stage-redeclaration-selected-by-stage",
    ),
    pytest.param(
        arg(),
        "ARG X_VERSION=1.0.0\nFROM debian AS build\nARG X_VERSION\nFROM debian AS runtime\n"
        "ARG X_VERSION\n",
        "1.1.0",
        "ARG X_VERSION=1.1.0\nFROM debian AS build\nARG X_VERSION\nFROM debian AS runtime\n"
        "ARG X_VERSION\n",
        id="arg-global-redeclared-in-stages",
    ),
    pytest.param(
        arg(),
        "FROM debian\nRUN <<EOF\nARG X_VERSION=0.0.1\nFROM debian:evil\nEOF\nARG X_VERSION=1.0.0\n",
        "1.1.0",
        "FROM debian\nRUN <<EOF\nARG X_VERSION=0.0.1\nFROM debian:evil\nEOF\nARG X_VERSION=1.1.0\n",
        id="arg-heredoc-body-ignored",
    ),
    pytest.param(
        arg(),
        "FROM debian\nCOPY <<-'END' <<\"TWO\" /x/\n\tARG X_VERSION=0.0.1\n\tEND\nARG X_VERSION=0\n"
        "TWO\nARG X_VERSION=1.0.0\n",
        "1.1.0",
        "FROM debian\nCOPY <<-'END' <<\"TWO\" /x/\n\tARG X_VERSION=0.0.1\n\tEND\nARG X_VERSION=0\n"
        "TWO\nARG X_VERSION=1.1.0\n",
        id="arg-two-heredocs-chomped-and-quoted",
    ),
    pytest.param(
        arg(), "\ufeffARG X_VERSION=1.0.0\nFROM debian\n", "1.1.0",
        "\ufeffARG X_VERSION=1.1.0\nFROM debian\n", id="arg-byte-order-mark",
    ),
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION=1.0.0", "1.1.0",
        "FROM debian\nARG X_VERSION=1.1.0", id="arg-no-final-newline",
    ),
    # --- dockerfile-env -------------------------------------------------------------------------
    pytest.param(
        env(), "FROM debian\nENV A=1 X_VERSION=1.0.0 B=2\n", "1.1.0",
        "FROM debian\nENV A=1 X_VERSION=1.1.0 B=2\n", id="env-several-pairs",
    ),
    pytest.param(
        env(), 'FROM debian\nENV A="a b" X_VERSION="1.0.0" \\\n    B=\'c\'\n', "1.1.0",
        'FROM debian\nENV A="a b" X_VERSION="1.1.0" \\\n    B=\'c\'\n', id="env-quoted-pairs",
    ),
    pytest.param(
        env(), "FROM debian\nENV X_VERSION 1.0.0\n", "1.1.0",
        "FROM debian\nENV X_VERSION 1.1.0\n", id="env-legacy",
    ),
    pytest.param(
        env(), 'FROM debian\nEnv\tX_VERSION\t"1.0.0"  \n', "1.1.0",
        'FROM debian\nEnv\tX_VERSION\t"1.1.0"  \n', id="env-legacy-tabs-quoted",
    ),
    pytest.param(
        env(stage="runtime"),
        "FROM debian AS build\nENV X_VERSION=1.0.0\nFROM debian AS runtime\nENV X_VERSION=1.0.0\n",
        "1.1.0",
        "FROM debian AS build\nENV X_VERSION=1.0.0\nFROM debian AS runtime\nENV X_VERSION=1.1.0\n",
        id="env-selected-by-stage",
    ),
    # --- dockerfile-from ------------------------------------------------------------------------
    pytest.param(
        from_(stage="build"),
        f"FROM debian:trixie-20260803-slim@{D1} AS build\nRUN make\n",
        f"trixie-20260901-slim@{D2}",
        f"FROM debian:trixie-20260901-slim@{D2} AS build\nRUN make\n",
        id="from-tag-and-digest",
    ),
    pytest.param(
        from_(stage="build"),
        f"FROM --platform=$BUILDPLATFORM debian:trixie-20260803-slim@{D1} AS build\n",
        f"trixie-20260901-slim@{D2}",
        f"FROM --platform=$BUILDPLATFORM debian:trixie-20260901-slim@{D2} AS build\n",
        id="from-platform-flag",
    ),
    pytest.param(
        from_(), "FROM debian\nRUN make\n", f"trixie-slim@{D2}",
        f"FROM debian:trixie-slim@{D2}\nRUN make\n", id="from-without-tag",
    ),
    pytest.param(
        from_(), "FROM debian:trixie-slim AS base\n", f"trixie-slim@{D2}",
        f"FROM debian:trixie-slim@{D2} AS base\n", id="from-without-digest",
    ),
    pytest.param(
        from_(), f"FROM debian@{D1}\n", f"trixie-slim@{D2}",
        f"FROM debian:trixie-slim@{D2}\n", id="from-digest-only-gains-tag",
    ),
    pytest.param(
        from_(), f"FROM debian:trixie-slim@{D1}\n", f"@{D2}",
        f"FROM debian@{D2}\n", id="from-to-digest-only",
    ),
    pytest.param(
        from_(), f"FROM debian:trixie-slim@{D1}\n", "trixie-slim",
        "FROM debian:trixie-slim\n", id="from-to-tag-only",
    ),
    pytest.param(
        from_("registry.example:5000/x/y"), "FROM registry.example:5000/x/y:1.0 AS base\n",
        f"1.1@{D2}", f"FROM registry.example:5000/x/y:1.1@{D2} AS base\n",
        id="from-registry-with-port",
    ),
    pytest.param(
        from_("signoz/signoz"), "FROM signoz/signoz:v0.137.0\n", "v0.138.0",
        "FROM signoz/signoz:v0.138.0\n", id="from-namespaced-repository",
    ),
    pytest.param(
        from_(stage="runtime"),
        f"FROM debian:a@{D1} AS build\nRUN make\nFROM build AS test\nFROM debian:a@{D1} AS runtime\n"
        "COPY --from=build /x /x\n",
        f"b@{D2}",
        f"FROM debian:a@{D1} AS build\nRUN make\nFROM build AS test\nFROM debian:b@{D2} AS runtime\n"
        "COPY --from=build /x /x\n",
        id="from-same-image-twice-selected-by-stage",
    ),
    pytest.param(
        from_(stage="build"), "from debian:a as Build\r\nfrom build as test\r\n", f"b@{D2}",
        f"from debian:b@{D2} as Build\r\nfrom build as test\r\n",
        id="from-lowercase-crlf-stage-case-insensitive",
    ),
    pytest.param(
        from_(), "FROM \\\n  debian:a \\\n  AS base\n", "b",
        "FROM \\\n  debian:b \\\n  AS base\n", id="from-continuation",
    ),
    # --- compose-image --------------------------------------------------------------------------
    pytest.param(
        compose("signoz"),
        f'# SigNoz\nservices:\n  signoz:\n    # the UI\n    image: "signoz/signoz:v0.137.0@{D1}"  # pin\n'
        "    restart: unless-stopped\n",
        f"v0.138.0@{D2}",
        f'# SigNoz\nservices:\n  signoz:\n    # the UI\n    image: "signoz/signoz:v0.138.0@{D2}"  # pin\n'
        "    restart: unless-stopped\n",
        id="compose-double-quoted-with-comments",
    ),
    pytest.param(
        compose("clickhouse"),
        "services:\n  zookeeper:\n    image: signoz/zookeeper:3.7.1\n  clickhouse:\n"
        "    image: clickhouse/clickhouse-server:25.5.5 # see SigNoz\n",
        f"25.5.6@{D2}",
        "services:\n  zookeeper:\n    image: signoz/zookeeper:3.7.1\n  clickhouse:\n"
        f"    image: clickhouse/clickhouse-server:25.5.6@{D2} # see SigNoz\n",
        id="compose-unquoted-comment",
    ),
    pytest.param(
        compose("zookeeper"),
        "services:\n  zookeeper: {image: 'signoz/zookeeper:3.7.0', restart: always}\n",
        "3.7.1",
        "services:\n  zookeeper: {image: 'signoz/zookeeper:3.7.1', restart: always}\n",
        id="compose-single-quoted-flow-mapping",
    ),
    pytest.param(
        compose("web"),
        f"services:\r\n  web:\r\n    image: caddy:2.11.3@{D1}\r\n    ports: ['443:443']\r\n",
        f"2.11.4@{D2}",
        f"services:\r\n  web:\r\n    image: caddy:2.11.4@{D2}\r\n    ports: ['443:443']\r\n",
        id="compose-crlf",
    ),
    pytest.param(
        Pin(kind=PinKind.COMPOSE_IMAGE, file=COMPOSE, value="{image_tag}", service="web",
            image="caddy"),
        "services:\n  web:\n    image: caddy:2.11.3\n", "2.11.4",
        "services:\n  web:\n    image: caddy:2.11.4\n", id="compose-repository-checked",
    ),
    pytest.param(
        compose("web"), "services:\n  web:\n    image: caddy\n", f"2.11.4@{D2}",
        f"services:\n  web:\n    image: caddy:2.11.4@{D2}\n", id="compose-without-tag",
    ),
    pytest.param(
        compose("web"), "services:\n  web:\n    image: registry.example:5000/web/caddy:1\n",
        "2", "services:\n  web:\n    image: registry.example:5000/web/caddy:2\n",
        id="compose-registry-with-port",
    ),
    pytest.param(
        compose("otel-collector"),
        "services:\n  otel-collector:\n    image: &otel signoz/signoz-otel-collector:v0.144.6\n"
        "  schema-migrator:\n    image: *otel\n",
        "v0.144.7",
        "services:\n  otel-collector:\n    image: &otel signoz/signoz-otel-collector:v0.144.7\n"
        "  schema-migrator:\n    image: *otel\n",
        id="compose-anchored-image",
    ),
    # --- yaml-key -------------------------------------------------------------------------------
    pytest.param(
        key("services.web.environment.NODE_VERSION"),
        "services:\n  web:\n    environment:\n      NODE_VERSION: 24.19.0   # LTS\n      TZ: UTC\n",
        "24.20.0",
        "services:\n  web:\n    environment:\n      NODE_VERSION: 24.20.0   # LTS\n      TZ: UTC\n",
        id="yaml-key-plain",
    ),
    pytest.param(
        key("postgres.version"), 'postgres:\n  version: "17.11"\n', "17.12",
        'postgres:\n  version: "17.12"\n', id="yaml-key-double-quoted",
    ),
    pytest.param(
        key("postgres.version"), "postgres:\r\n  version: '17.11' # major 17\r\n", "17.12",
        "postgres:\r\n  version: '17.12' # major 17\r\n", id="yaml-key-single-quoted-crlf",
    ),
    pytest.param(
        key("items.1.version"),
        "items:\n  - name: a\n    version: 1.0.0\n  - name: b\n    version: 2.0.0\n",
        "2.1.0",
        "items:\n  - name: a\n    version: 1.0.0\n  - name: b\n    version: 2.1.0\n",
        id="yaml-key-list-index",
    ),
    pytest.param(
        key("matrix.python.2"), "matrix: {python: ['3.12', \"3.13\", 3.14], os: [linux]}\n",
        "3.15", "matrix: {python: ['3.12', \"3.13\", 3.15], os: [linux]}\n",
        id="yaml-key-flow-sequence",
    ),
    pytest.param(
        key("x-node"), "x-node: &node 24.19.0\nweb:\n  node: *node\n", "24.20.0",
        "x-node: &node 24.20.0\nweb:\n  node: *node\n", id="yaml-key-anchored",
    ),
    # --- marker ---------------------------------------------------------------------------------
    pytest.param(
        marker(), "#!/bin/sh\nNODE_VERSION=24.19.0  # delphi-pin: node\nexec node\n", "24.20.0",
        "#!/bin/sh\nNODE_VERSION=24.20.0  # delphi-pin: node\nexec node\n",
        id="marker-trailing-comment",
    ),
    pytest.param(
        marker(),
        "curl -O https://nodejs.org/dist/v24.19.0/SHASUMS256.txt # delphi-pin: node\n",
        "v24.20.0",
        "curl -O https://nodejs.org/dist/v24.20.0/SHASUMS256.txt # delphi-pin: node\n",
        id="marker-v-prefixed-token-in-url",
    ),
    pytest.param(
        marker("# delphi-pin: python3"),
        "all:\r\n\tPY := 3.14.7 # delphi-pin: python3\r\n",
        "3.14.8",
        "all:\r\n\tPY := 3.14.8 # delphi-pin: python3\r\n",
        id="marker-digits-in-marker-crlf",
    ),
    pytest.param(
        marker(),
        "A=24.19.0 # delphi-pin: node\nB=24.19.0 # delphi-pin: node-app\n",
        "24.20.0",
        "A=24.20.0 # delphi-pin: node\nB=24.19.0 # delphi-pin: node-app\n",
        id="marker-longer-marker-on-another-line",
    ),
    pytest.param(
        marker("delphi-pin:node"),
        "node-24.19.0.tar.gz 24.19.0 x86_64 python3.14 delphi-pin:node\n",
        "24.20.0",
        "node-24.19.0.tar.gz 24.20.0 x86_64 python3.14 delphi-pin:node\n",
        id="marker-glued-tokens-ignored",
    ),
]


@pytest.mark.parametrize(("pin", "before", "value", "after"), REWRITES)
def test_rewrite(pin: Pin, before: str, value: str, after: str) -> None:
    assert rewrite(before, pin, value) == after


@pytest.mark.parametrize(("pin", "before", "value", "after"), REWRITES)
def test_rewrite_is_idempotent(pin: Pin, before: str, value: str, after: str) -> None:
    assert rewrite(after, pin, value) == after
    assert locate(after, pin).value == value
    # Rewriting twice is rewriting once with the last value.
    image = pin.kind in (PinKind.DOCKERFILE_FROM, PinKind.COMPOSE_IMAGE)
    other = f"0.0.1@{D1}" if image else "0.0.1"
    assert rewrite(rewrite(before, pin, other), pin, value) == after
    old = locate(before, pin).value
    if old:  # an absent value (`ARG X`, `FROM debian`) cannot be written back
        assert rewrite(after, pin, old) == before


# Texts whose value is already the one written: `rewrite` returns them unchanged.
UNCHANGED = [
    pytest.param(arg(), 'FROM debian\nARG X_VERSION="1.0.0"\r\n', "1.0.0", id="arg"),
    pytest.param(env(), "FROM debian\nENV X_VERSION 1.0.0\n", "1.0.0", id="env-legacy"),
    pytest.param(from_(), f"FROM debian:t@{D1}\n", f"t@{D1}", id="from"),
    pytest.param(from_(), f"FROM debian@{D1}\n", f"@{D1}", id="from-digest-only"),
    pytest.param(compose("a"), "services:\n  a:\n    image: 'x:1'\n", "1", id="compose"),
    pytest.param(key("a.b"), "a: {b: 1.0}\n", "1.0", id="yaml-key"),
    pytest.param(marker(), "V=1.0 # delphi-pin: node\n", "1.0", id="marker"),
]


@pytest.mark.parametrize(("pin", "text", "value"), UNCHANGED)
def test_rewrite_with_the_value_already_there(pin: Pin, text: str, value: str) -> None:
    assert rewrite(text, pin, value) is text


# (pin, text, where the value is)
LOCATES = [
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION=1.0.0\n",
        Located(line=2, start=26, end=31, value="1.0.0"), id="arg",
    ),
    pytest.param(
        arg(), 'FROM debian\r\nARG X_VERSION="1.0.0"\r\n',
        Located(line=2, start=28, end=33, value="1.0.0"), id="arg-quoted-crlf",
    ),
    pytest.param(
        arg(), "FROM debian\nARG X_VERSION\n",
        Located(line=2, start=25, end=25, value=""), id="arg-without-default-empty-span",
    ),
    pytest.param(
        arg(), "FROM debian\nARG A=1 \\\n  # note\n  X_VERSION=1.0.0\n",
        Located(line=4, start=43, end=48, value="1.0.0"), id="arg-after-continuation",
    ),
    pytest.param(
        env(), "FROM debian\nENV X_VERSION some text\n",
        Located(line=2, start=26, end=35, value="some text"), id="env-legacy-rest-of-line",
    ),
    pytest.param(
        from_(), f"FROM debian:trixie-20260803-slim@{D1}\n",
        Located(line=1, start=12, end=104, value=f"trixie-20260803-slim@{D1}"),
        id="from-tag-and-digest",
    ),
    pytest.param(
        from_(), "FROM debian AS base\n",
        Located(line=1, start=11, end=11, value=""), id="from-without-tag-empty-span",
    ),
    pytest.param(
        from_(), f"FROM debian@{D1}\n",
        Located(line=1, start=11, end=83, value=f"@{D1}"), id="from-digest-only",
    ),
    pytest.param(
        compose("web"), 'services:\n  web:\n    image: "caddy:2.11.4"\n',
        Located(line=3, start=35, end=41, value="2.11.4"), id="compose",
    ),
    pytest.param(
        key("a.b"), "a:\n  b: 'x y'  # c\n",
        Located(line=2, start=9, end=12, value="x y"), id="yaml-key-quoted",
    ),
    pytest.param(
        marker(), "x\nV=1.0 # delphi-pin: node\n",
        Located(line=2, start=4, end=7, value="1.0"), id="marker",
    ),
]


@pytest.mark.parametrize(("pin", "text", "expected"), LOCATES)
def test_locate(pin: Pin, text: str, expected: Located) -> None:
    located = locate(text, pin)
    assert located == expected
    assert text[located.start : located.end] == located.value


def test_several_pins_in_one_file() -> None:
    before = (
        "# syntax=docker/dockerfile:1\n"
        "ARG DEBIAN=trixie-20260803-slim\n"
        f"FROM debian:trixie-20260803-slim@{D1} AS build\n"
        "ARG KAMAILIO_VERSION=6.1.3\n"
        'ARG KAMAILIO_SHA256="0000000000000000000000000000000000000000000000000000000000000000"\n'
        "RUN <<EOF\n"
        "set -eu\n"
        'echo "${KAMAILIO_SHA256}  kamailio.tar.gz" | sha256sum -c -\n'
        "EOF\n"
        "\n"
        f"FROM debian:trixie-20260803-slim@{D1} AS runtime\n"
        "ENV KAMAILIO_VERSION=6.1.3 PATH=/opt/kamailio/sbin:$PATH\n"
        "COPY --from=build /opt /opt\n"
    )
    sha = "3eaa069b371de7c12aedcd350d31d63ec4e910b3edad8c93d46586309e00ba98"
    text = before
    text = rewrite(text, from_(stage="build"), f"trixie-20260901-slim@{D2}")
    text = rewrite(text, from_(stage="runtime"), f"trixie-20260901-slim@{D2}")
    text = rewrite(text, arg("KAMAILIO_VERSION"), "6.1.4")
    text = rewrite(text, arg("KAMAILIO_SHA256"), sha)
    text = rewrite(text, env("KAMAILIO_VERSION"), "6.1.4")
    assert text == (
        "# syntax=docker/dockerfile:1\n"
        "ARG DEBIAN=trixie-20260803-slim\n"
        f"FROM debian:trixie-20260901-slim@{D2} AS build\n"
        "ARG KAMAILIO_VERSION=6.1.4\n"
        f'ARG KAMAILIO_SHA256="{sha}"\n'
        "RUN <<EOF\n"
        "set -eu\n"
        'echo "${KAMAILIO_SHA256}  kamailio.tar.gz" | sha256sum -c -\n'
        "EOF\n"
        "\n"
        f"FROM debian:trixie-20260901-slim@{D2} AS runtime\n"
        "ENV KAMAILIO_VERSION=6.1.4 PATH=/opt/kamailio/sbin:$PATH\n"
        "COPY --from=build /opt /opt\n"
    )
    assert locate(text, arg("KAMAILIO_SHA256")) == Located(line=5, start=223, end=287, value=sha)

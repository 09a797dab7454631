"""The fake world's SigNoz Compose file: what the set's leader pins at each of its tags.

`GET https://raw.githubusercontent.com/SigNoz/signoz/{tag}/deploy/docker/docker-compose.yaml`,
in the shape of the real file (YAML anchors, `${VAR:-default}` tags, the init container pinning
ClickHouse a second time). `PINS` is the world's: v0.138.0 pins what `versions.yaml` pins; other
tags are not served (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from world.server import Reply

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld

RAW = "https://raw.githubusercontent.com"
FILE = "deploy/docker/docker-compose.yaml"

# signoz tag -> (clickhouse, collector tag, zookeeper)
PINS = {
    "v0.140.0": ("25.5.6", "v0.144.7", "3.7.1"),  # a tag tests add (Override extra_tags)
    "v0.138.0": ("25.5.6", "v0.144.7", "3.7.1"),
    "v0.137.1": ("25.5.4", "v0.144.5", "3.7.0"),
    "v0.137.0": ("25.5.3", "v0.144.4", "3.7.0"),
}


def compose(tag: str) -> str:
    clickhouse, collector, zookeeper = PINS[tag]
    return f"""\
version: "3"
x-clickhouse-defaults: &clickhouse-defaults
  image: clickhouse/clickhouse-server:{clickhouse}
  tty: true
x-zookeeper-defaults: &zookeeper-defaults
  image: signoz/zookeeper:{zookeeper}
  user: root
services:
  init-clickhouse:
    image: clickhouse/clickhouse-server:{clickhouse}
    container_name: signoz-init-clickhouse
  zookeeper-1:
    !!merge <<: *zookeeper-defaults
  clickhouse:
    !!merge <<: *clickhouse-defaults
  signoz:
    image: signoz/signoz:${{VERSION:-{tag}}}
  otel-collector:
    image: signoz/signoz-otel-collector:${{OTELCOL_TAG:-{collector}}}
  signoz-telemetrystore-migrator:
    image: signoz/signoz-otel-collector:${{OTELCOL_TAG:-{collector}}}
"""


def add_sets(world: FakeWorld) -> None:
    from world.faults import Role

    for tag in PINS:
        reply = Reply(body=compose(tag).encode(), headers={"Content-Type": "text/plain"})
        world._add(f"{RAW}/SigNoz/signoz/{tag}/{FILE}", "signoz", Role.OTHER, _constant(reply))


def _constant(reply: Reply) -> Callable[[object, object], Reply]:
    return lambda _request, _fault: reply

"""Coherent sets: the SigNoz followers take the versions SigNoz pins (tests/world/sets.py)."""

from __future__ import annotations

import asyncio
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from world import TODAY, serve_world, world_fetcher

from release.cli import main
from release.errors import ProblemsFound
from release.manifest.load import load_manifest, parse_manifest
from release.manifest.model import Manifest
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check
from release.upstream.leader import image_tags
from release.versioning import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
SET = ("signoz", "signoz-otel-collector", "clickhouse", "zookeeper")


def older(**versions: str) -> Manifest:
    """The SigNoz set pinned at older versions; signoz limited by `leader_spec`."""
    spec = versions.pop("leader_spec", "")
    out = []
    for c in MANIFEST.components:
        if c.name not in SET:
            continue
        moved = replace(c, version=Version(versions[c.name.replace("-", "_")]))
        if c.name == "signoz" and spec:
            moved = replace(moved, policy=replace(moved.policy, specifier=spec))
        out.append(moved)
    return replace(MANIFEST, components=tuple(out))


def check(manifest: Manifest, *, resolve: bool = False) -> Outcome:
    async def go(server_url: str) -> Outcome:
        async with world_fetcher(server_url) as fetcher:
            return await run_check(manifest, fetcher, today=TODAY, resolve=resolve)

    with serve_world() as (server, _world):
        return asyncio.run(go(server.url))


def test_the_set_follows_its_leader_not_each_members_newest() -> None:
    manifest = older(signoz="0.137.0", signoz_otel_collector="0.144.4", clickhouse="25.5.3",
                     zookeeper="3.6.3", leader_spec="<0.138")
    outcome = check(manifest, resolve=True)
    table = {r.component: (r.status, r.candidate, r.reason) for r in outcome.results}
    assert table == {
        "signoz": (Status.UPDATE, "0.137.1", None),
        "signoz-otel-collector": (Status.UPDATE, "0.144.5", "pinned by signoz 0.137.1"),
        "clickhouse": (Status.UPDATE, "25.5.4", "pinned by signoz 0.137.1"),
        "zookeeper": (Status.UPDATE, "3.7.0", "pinned by signoz 0.137.1"),
    }
    # Each member's own upstream has newer versions (0.144.7, 25.5.6, 3.7.1): not taken.
    assert [(u.component, u.version) for u in outcome.updates] == [
        ("signoz", "0.137.1"), ("signoz-otel-collector", "0.144.5"), ("clickhouse", "25.5.4"),
        ("zookeeper", "3.7.0")]


def test_the_real_set_is_where_its_leader_pins_it() -> None:
    outcome = check(MANIFEST)
    assert {r.component: r.status for r in outcome.results if r.component in SET} == dict.fromkeys(
        SET, Status.CURRENT)


def test_a_leader_file_that_cannot_be_read_holds_the_set() -> None:
    manifest = older(signoz="0.136.0", signoz_otel_collector="0.144.4", clickhouse="25.5.3",
                     zookeeper="3.7.0", leader_spec="<0.137")  # v0.136.0: not served
    table = {r.component: (r.status, r.reason) for r in check(manifest).results}
    assert table["zookeeper"] == (Status.ERROR, (
        "group signoz: what signoz 0.136.0 pins could not be read: GET https://raw."
        "githubusercontent.com/SigNoz/signoz/v0.136.0/deploy/docker/docker-compose.yaml: HTTP "
        "404 Not Found (Not Found)"))
    assert table["signoz"][0] is Status.CURRENT


def test_image_tags_of_a_compose_file() -> None:
    text = textwrap.dedent("""\
        x: &d
          image: clickhouse/clickhouse-server:25.5.6
        services:
          init: {image: "clickhouse/clickhouse-server:25.5.6"}
          signoz:
            image: signoz/signoz:${VERSION:-v0.119.0}
          other:
            image: docker.io/library/redis:7.4.10@sha256:abc
          any:
            image: nginx
          unset:
            image: x/y:${TAG}
        """)
    assert image_tags(text, "u") == {"clickhouse/clickhouse-server": "25.5.6",
                                     "signoz/signoz": "v0.119.0", "redis": "7.4.10"}


MEMBERS = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      signoz:
        version: 0.138.0
        versioning: {{tag: "v{{version}}"}}
        upstream: {{kind: github-releases, repo: SigNoz/signoz}}
        policy: {{group: signoz{leader}}}
        pins:
          - {{kind: yaml-key, file: a.yaml, key: s}}
      zookeeper:
        version: 3.7.1
        versioning: {{tag: "{{version}}"}}
        upstream: {{kind: docker-hub, image: signoz/zookeeper}}
        policy: {{group: signoz{follow}}}
        image: {{repository: signoz/zookeeper, tag: "{{version}}"}}
        pins:
          - {{kind: yaml-key, file: a.yaml, key: z}}
    """
)


@pytest.mark.parametrize(("leader", "follow", "expected"), [
    ("", "", [
        "versions.yaml:8: components.signoz.policy: member of group 'signoz' with neither a "
        "specifier nor a leader to follow: it would move to any newer tag of its own upstream",
        "versions.yaml:15: components.zookeeper.policy: member of group 'signoz' with neither a "
        "specifier nor a leader to follow: it would move to any newer tag of its own upstream"]),
    (", group-pins: deploy/docker/docker-compose.yaml", "", [
        "versions.yaml:15: components.zookeeper.policy: member of group 'signoz' with neither a "
        "specifier nor follow-leader: true (the version 'signoz' pins): it would move to any "
        "newer tag of its own upstream"]),
    ("", ", follow-leader: true", [
        "versions.yaml:8: components.signoz.policy: member of group 'signoz' with neither a "
        "specifier nor a leader to follow: it would move to any newer tag of its own upstream",
        "versions.yaml:15: components.zookeeper.policy.follow-leader: group 'signoz' has no "
        "leader (a member with 'group-pins')"]),
])
def test_a_member_without_a_specifier_is_refused_at_load(
    leader: str, follow: str, expected: list[str]
) -> None:
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(MEMBERS.format(leader=leader, follow=follow))
    assert [str(p) for p in caught.value.problems] == expected


def test_a_valid_set_loads() -> None:
    manifest = parse_manifest(MEMBERS.format(
        leader=", group-pins: deploy/docker/docker-compose.yaml", follow=", follow-leader: true"))
    zookeeper = manifest.require("zookeeper")
    assert (zookeeper.policy.follow_leader, manifest.require("signoz").policy.group_pins) == (
        True, "deploy/docker/docker-compose.yaml")


def test_pin_refuses_one_member_alone(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["pin", "--root", str(tree), "zookeeper", "3.7.2", "--checksum",
            "sha256:" + "ab" * 32, "--dry-run"]
    assert main(args) == 2
    assert ("zookeeper is in the set 'signoz' (signoz, signoz-otel-collector, clickhouse, "
            "zookeeper), which moves as one to the versions signoz pins: use refresh --only "
            "signoz signoz-otel-collector clickhouse zookeeper, or pass --break-set to move it "
            "alone") in capsys.readouterr().err
    assert main([*args, "--break-set"]) == 0


def test_follow_outside_the_members_policy_holds_and_older_is_kept() -> None:
    from release.refresh.decide import CheckResult, choose
    from release.refresh.sets import follow
    from release.upstream.interface import Listing, UpstreamRelease
    from release.versioning import Tag

    clickhouse = MANIFEST.require("clickhouse")  # 25.5.6, policy >=25.5,<25.6
    listing = Listing(releases=tuple(UpstreamRelease(version=Version(v), tag=Tag(v))
                                     for v in ("25.5.6", "25.8.3", "25.5.2")))
    own: CheckResult = choose(clickhouse, listing, today=TODAY)
    leader = MANIFEST.require("signoz")

    def at(tag: str) -> CheckResult:
        return follow(clickhouse, own, listing, leader=leader, leader_version=Version("0.139.0"),
                      pins={"clickhouse/clickhouse-server": tag}, error=None, today=TODAY)

    assert (at("25.8.3").status, at("25.8.3").candidate, at("25.8.3").reason) == (
        Status.HELD, "25.8.3", "group signoz: signoz 0.139.0 pins 25.8.3, outside the policy "
        "(>=25.5,<25.6)")
    assert (at("25.5.2").status, at("25.5.2").reason) == (
        Status.CURRENT, "signoz 0.139.0 pins 25.5.2, older than this pin; kept")
    assert (at("25.5.9").status, at("25.5.9").reason) == (
        Status.ERROR, "group signoz: signoz 0.139.0 pins 25.5.9, which upstream does not list")


def test_only_one_member_selects_the_whole_set() -> None:
    from release.refresh.decide import select

    assert [c.name for c in select(MANIFEST, ["clickhouse", "redis"])] == [
        "redis", "signoz", "signoz-otel-collector", "clickhouse", "zookeeper"]

"""What the upstreams publish, as of `TODAY`: GitHub repositories (tags, releases, assets),
Docker Hub repositories (tags, manifests), Node's and PostgreSQL's feeds, the pinned commits.

Plain data; `world.github`, `world.registry` and `world.sites` serve it in each upstream's shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from world.fakedata import _days_before, _hexid, _num
from world.supply import histogram_quantile_assets

#: The day the world is as of (for `run_check(today=...)`).
TODAY = dt.date(2026, 9, 16)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@dataclass(frozen=True, slots=True, kw_only=True)
class GhRelease:
    """One GitHub release; `assets` are asset names (bytes are `fake_bytes` of their URL)."""

    tag: str
    day: str
    time: str = "14:05:02"
    prerelease: bool = False
    draft: bool = False
    branch: str = "master"
    title: str | None = None
    assets: tuple[str, ...] = ()

    @property
    def created(self) -> str:
        return f"{self.day}T{self.time}Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class GhRepo:
    """A GitHub repository: its tags (listing order), releases (newest first) and traps."""

    component: str
    repo: str
    repo_id: int
    source: Literal["tags", "releases"]  # which listing the component's source reads
    tags: tuple[str, ...]
    releases: tuple[GhRelease, ...] = ()
    latest: str | None = None  # the tag /releases/latest answers with
    archives: bool = False  # serve github.com/<repo>/archive/refs/tags/<tag>.tar.gz
    # Tags that move (an action's `v6`): tag -> the release tag it points at now.
    moving: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubTag:
    name: str
    pushed: str  # ISO timestamp
    media_type: str = OCI_INDEX
    archs: tuple[str, ...] = ("amd64", "arm64")


@dataclass(frozen=True, slots=True, kw_only=True)
class HubRepo:
    """A Docker Hub repository (`library/debian`); tags newest first."""

    repository: str
    component: str
    listed: bool  # the component's source is this repository's Docker Hub tag listing
    tags: tuple[HubTag, ...]

    @property
    def namespace(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]


def _kamailio() -> GhRepo:
    lines = {"6.1": 5, "6.0": 8, "5.8": 8, "5.7": 7, "5.6": 6, "5.5": 7}
    stable = [f"{line}.{p}" for line, top in lines.items() for p in range(top, -1, -1)]
    junk = ["5.1.10.1", "3.0_pre1", "v0_8_14_rc1", "before_tm_rewrite", "after_tm_rewrite",
            "bigbang", "v1_0_0"]
    # Releases exist only to carry RPM bundles (rpm.yml); 6.0.8 was tagged last that day.
    releases = (
        GhRelease(tag="6.0.8", day="2026-09-09", time="12:31:40", branch="6.0",
                  assets=("rpms-centos-10-6.0.8.tar.gz", "rpms-rocky-9-6.0.8.tar.gz")),
        GhRelease(tag="6.1.5", day="2026-09-09", time="11:02:17", branch="6.1",
                  assets=("rpms-centos-10-6.1.5.tar.gz", "rpms-rocky-9-6.1.5.tar.gz")),
        GhRelease(tag="6.1.4", day="2026-08-20", branch="6.1",
                  assets=("rpms-centos-10-6.1.4.tar.gz",)),
        GhRelease(tag="6.0.7", day="2026-06-19", branch="6.0",
                  assets=("rpms-centos-10-6.0.7.tar.gz",)),
    )
    return GhRepo(component="kamailio", repo="kamailio/kamailio", repo_id=1027, source="tags",
                  tags=(*stable, *junk), releases=releases, latest="6.0.8")


def _rtpengine() -> GhRepo:
    series = {"26.2": 3, "26.1": 10, "26.0": 22, "14.1": 21, "14.0": 12, "13.5": 26, "13.4": 8,
              "13.3": 6, "12.5": 55, "11.5": 20}
    tags = [f"mr{s}.1.{d}" for s, top in series.items() for d in range(top, 0, -1)]
    tags[tags.index("mr13.3.1.1") + 1:tags.index("mr13.3.1.1") + 1] = ["mr13.1.1"]  # 3-part
    tags += [f"mr10.5.2.{d}" for d in range(3, 0, -1)]  # C=2: rebuilds

    def release(tag: str, day: str, time: str) -> GhRelease:
        version = tag.removeprefix("mr")
        # GitHub sanitises asset names: `~mr` is published as `.mr`.
        debs = tuple(f"{pkg}_{version}+0.{tag}+gh+trixie_amd64.deb"
                     for pkg in ("rtpengine-daemon", "rtpengine-utils"))
        return GhRelease(tag=tag, day=day, time=time, title=f"Release {tag}", branch=tag,
                         assets=(*debs, f"rtpengine_{version}.orig.tar.gz"))

    releases = (
        # No make_latest control upstream: "latest" is whatever was published last.
        release("mr12.5.1.55", "2026-09-10", "16:40:03"),
        release("mr26.2.1.3", "2026-09-10", "09:12:44"),
        release("mr13.5.1.26", "2026-09-10", "08:57:10"),
        release("mr26.1.1.10", "2026-08-07", "09:07:12"),
        release("mr13.5.1.25", "2026-08-05", "10:11:00"),
    )
    return GhRepo(component="rtpengine", repo="sipwise/rtpengine", repo_id=2234, source="tags",
                  tags=tuple(tags), releases=releases, latest="mr12.5.1.55", archives=True)


def _janus() -> GhRepo:
    pairs = [("1.4.2", "0.16.2", "2026-09-08"), ("1.4.1", "0.16.1", "2026-04-20"),
             ("1.4.0", "0.16.0", "2026-02-06"), ("1.3.3", "0.15.3", "2025-10-14"),
             ("1.3.2", "0.15.2", "2025-06-30"), ("1.3.1", "0.15.1", "2025-03-05"),
             ("1.3.0", "0.15.0", "2024-11-25"), ("1.2.4", "0.14.4", "2024-09-10"),
             ("1.2.3", "0.14.3", "2024-06-20"), ("1.2.0", "0.14.0", "2023-12-13"),
             ("1.1.0", "0.13.0", "2022-10-03"), ("1.0.0", "0.12.0", "2022-03-03")]
    tags = [t for new, old, _ in pairs for t in (f"v{new}", f"v{old}")]
    tags += ["v0.4.0-broken", "v0.4.0", "v0.3.1", "v0.3.0"]
    releases: list[GhRelease] = []
    for new, old, day in pairs:
        # Both lines are released together; the legacy one is created last, so it is "latest".
        releases.append(GhRelease(tag=f"v{old}", day=day, time="15:20:00", branch="0.x",
                                  title=f"v{old}"))
        releases.append(GhRelease(tag=f"v{new}", day=day, time="15:10:00", title=f"v{new}"))
    return GhRepo(component="janus", repo="meetecho/janus-gateway", repo_id=3345, source="tags",
                  tags=tuple(tags), releases=tuple(releases), latest="v0.16.2", archives=True)


def _coturn() -> GhRepo:
    versions = [("4.18.0", "2026-09-03"), ("4.17.2", "2026-08-28"), ("4.17.1", "2026-08-07"),
                ("4.17.0", "2026-07-15"), ("4.16.3", "2026-06-20"), ("4.16.2", "2026-05-30"),
                ("4.16.0", "2026-04-28"), ("4.15.0", "2026-03-02"), ("4.12.0", "2025-12-18"),
                ("4.10.0", "2025-09-30"), ("4.8.0", "2025-07-01")]
    releases: list[GhRelease] = []
    for version, day in versions:
        # docker/* tags get Releases of their own (image builds), published after the source.
        releases.append(GhRelease(tag=f"docker/{version}-r0", day=day, time="18:00:00",
                                  title=f"Docker {version}-r0"))
        releases.append(GhRelease(tag=version, day=day, title=version))
    tags = [r.tag for r in releases] + ["debian/4.6.1-1", "upstream/4.6.1", "4.6.1"]
    return GhRepo(component="coturn", repo="coturn/coturn", repo_id=4456, source="releases",
                  tags=tuple(tags), releases=tuple(releases), latest="docker/4.18.0-r0",
                  archives=True)


def _caddy_assets(version: str) -> tuple[str, ...]:
    names = [f"caddy_{version}_{p}.tar.gz" for p in ("linux_amd64", "linux_arm64")]
    return (*names, f"caddy_{version}_src.tar.gz", f"caddy_{version}_checksums.txt")


def _caddy() -> GhRepo:
    plan = [("v2.12.0-beta.1", "2026-09-10", True), ("v2.11.5", "2026-09-02", False),
            ("v2.11.4", "2026-06-02", False), ("v2.11.3", "2026-04-22", False),
            ("v2.11.2", "2026-03-11", False), ("v2.11.1", "2026-01-27", False),
            ("v2.11.0", "2026-01-08", False), ("v2.11.0-beta.2", "2025-12-02", True),
            ("v2.11.0-beta.1", "2025-11-12", True), ("v2.10.2", "2025-08-20", False),
            ("v2.10.1", "2025-07-31", False), ("v2.10.0", "2025-04-18", False),
            ("v2.10.0-rc.1", "2025-03-25", True), ("v2.10.0-beta.4", "2025-03-11", True),
            ("v2.9.1", "2025-01-08", False), ("v2.8.0-rc.1", "2024-05-02", True)]
    # goreleaser creates a draft first and publishes it later: only push access sees it.
    releases = [GhRelease(tag="v2.11.6", day="2026-09-14", draft=True, title="v2.11.6",
                          assets=_caddy_assets("2.11.6"))]
    releases += [GhRelease(tag=tag, day=day, prerelease=pre, title=tag,
                           assets=_caddy_assets(tag[1:])) for tag, day, pre in plan]
    return GhRepo(component="caddy", repo="caddyserver/caddy", repo_id=5567, source="releases",
                  tags=tuple(r.tag for r in releases if not r.draft), releases=tuple(releases),
                  latest="v2.11.5")


def _asterisk_assets(version: str) -> tuple[str, ...]:
    stem = f"asterisk-{version}"
    return (f"{stem}.tar.gz", f"{stem}.tar.gz.asc", f"{stem}.sha256", f"ChangeLog-{version}.md")


def asterisk_versions() -> list[tuple[str, str, str]]:
    """(version, day, time) of every Asterisk GA and rc release in the world.

    All branches are released on the same day (every 70 days back from 2026-08-20), each
    `X.Y.0` after an rc1 two weeks earlier; 21 is security-only (21.12.x patches); a security
    train came out on 2026-06-25.
    """
    times = {"20": "14:20:00", "21": "14:15:00", "22": "14:10:00", "23": "14:05:00"}
    out: list[tuple[str, str, str]] = []
    for step in range(22):
        day = _days_before("2026-08-20", 70 * step)
        versions = [f"{major}.{top - step}.0" for major, top in (("23", 5), ("22", 11), ("20", 21))
                    if top - step >= 0]
        if step == 0:
            versions.append("21.12.4")
        elif step <= 2:
            versions.append(f"21.12.{3 - step}")
        elif step <= 15:
            versions.append(f"21.{15 - step}.0")
        for version in versions:
            out.append((version, day, times[version[:2]]))
            if version.endswith(".0"):
                out.append((f"{version}-rc1", _days_before(day, 13), times[version[:2]]))
    out += [(v, "2026-06-25", times[v[:2]]) for v in ("23.4.1", "22.10.1", "21.12.3", "20.20.1")]
    out.append(("22.5.1", "2025-08-28", times["22"]))
    return out


def _asterisk() -> GhRepo:
    releases: list[GhRelease] = [
        GhRelease(tag="22.12.0", day="2026-09-11", draft=True, branch="releases/22",
                  title="Asterisk Release 22.12.0"),
        GhRelease(tag="23.6.0-rc1", day="2026-09-10", prerelease=True, branch="releases/23",
                  title="Asterisk Release 23.6.0-rc1", assets=_asterisk_assets("23.6.0-rc1")),
        GhRelease(tag="certified-22.8-cert4", day="2026-08-07", time="16:00:00",
                  branch="releases/certified-22.8",
                  title="Certified Asterisk Release certified-22.8-cert4"),
        GhRelease(tag="certified-22.8-cert1-pre1", day="2025-11-20", prerelease=True,
                  branch="releases/certified-22.8",
                  title="Certified Asterisk Release certified-22.8-cert1-pre1"),
        GhRelease(tag="certified-20.7-cert11", day="2026-06-25", time="16:00:00",
                  branch="releases/certified-20.7",
                  title="Certified Asterisk Release certified-20.7-cert11"),
    ]
    for version, day, time in asterisk_versions():
        recent = day >= "2026-08-01"
        kind = "Security Release" if version == "22.5.1" else "Release"
        releases.append(GhRelease(
            tag=version, day=day, time=time, prerelease="-rc" in version,
            branch=f"releases/{version.split('.')[0]}", title=f"Asterisk {kind} {version}",
            assets=_asterisk_assets(version) if recent else (),
        ))
    releases.sort(key=lambda r: r.created, reverse=True)
    return GhRepo(component="asterisk", repo="asterisk/asterisk", repo_id=6678,
                  source="releases", tags=tuple(r.tag for r in releases if not r.draft),
                  releases=tuple(releases), latest="20.21.0")


def redis_versions() -> list[str]:
    """Every Redis tag in the world, in GitHub's listing order."""
    lines: list[tuple[str, int, tuple[str, ...]]] = [
        ("8.10", 2, ("8.10-rc2", "8.10-rc1")), ("8.8", 3, ("8.8-rc1",)),
        ("8.6", 6, ("8.6-rc1",)), ("8.4", 6, ()), ("8.2", 9, ("8.2-rc1",)),
        ("8.0", 6, ("8.0-rc1", "8.0-m04", "8.0-m03", "8.0-m02", "8.0-m01")),
        ("7.4", 11, ("7.4-rc2", "7.4-rc1")), ("7.2", 16, ("7.2-rc3", "7.2-rc2", "7.2-rc1")),
        ("7.0", 15, ("7.0-rc3", "7.0-rc2", "7.0-rc1")), ("6.2", 24, ()),
    ]
    tags: list[str] = []
    for line, top, pre in lines:
        tags += [f"{line}.{p}" for p in range(top, -1, -1)]
        tags += list(pre)
    return tags


def _redis() -> GhRepo:
    releases = (
        GhRelease(tag="7.2.16", day="2026-09-09", time="10:40:00", branch="7.2"),
        GhRelease(tag="7.4.11", day="2026-09-09", time="10:30:00", branch="7.4"),
        GhRelease(tag="8.10.2", day="2026-09-09", time="10:20:00", branch="8.10"),
    )
    return GhRepo(component="redis", repo="redis/redis", repo_id=7789, source="tags",
                  tags=tuple(redis_versions()), releases=releases, latest="7.2.16")


def pgbouncer_versions() -> list[tuple[str, str]]:
    return [("1.25.3", "2026-09-04"), ("1.25.2", "2026-05-08"), ("1.25.1", "2025-12-03"),
            ("1.25.0", "2025-11-09"), ("1.24.1", "2025-04-16"), ("1.24.0", "2025-01-10"),
            ("1.23.1", "2024-08-02"), ("1.23.0", "2024-07-03"), ("1.22.1", "2024-04-15"),
            ("1.21.0", "2023-10-16"), ("1.20.1", "2023-08-09"), ("1.20.0", "2023-07-19")]


def _pgbouncer() -> GhRepo:
    releases: list[GhRelease] = []
    for version, day in pgbouncer_versions():
        tag = "pgbouncer_" + version.replace(".", "_")
        releases.append(GhRelease(tag=tag, day=day, title=f"PgBouncer {version}",
                                  assets=(f"pgbouncer-{version}.tar.gz",)))
    # Re-tags, a two-part tag and the old release candidates.
    releases.insert(6, GhRelease(tag="pgbouncer_1_23_1-fixed", day="2024-08-05",
                                 title="PgBouncer 1.23.1 (fixed tarball)"))
    releases.insert(12, GhRelease(tag="pgbouncer_1_20_0-fixed", day="2023-07-20",
                                  title="PgBouncer 1.20.0"))
    releases += [GhRelease(tag="pgbouncer_1_8", day="2017-12-20", title="PgBouncer 1.8"),
                 GhRelease(tag="pgbouncer_1_7_rc1", day="2015-12-01", prerelease=True,
                           title="PgBouncer 1.7rc1"),
                 GhRelease(tag="pgbouncer_1_4_1_rc5", day="2011-09-01", prerelease=True,
                           title="PgBouncer 1.4.1rc5")]
    return GhRepo(component="pgbouncer", repo="pgbouncer/pgbouncer", repo_id=8890,
                  source="releases", tags=tuple(r.tag for r in releases),
                  releases=tuple(releases), latest="pgbouncer_1_25_3")


def _signoz() -> GhRepo:
    plan = [("v0.139.0", "2026-09-12", True), ("v0.139.0-cloud.2", "2026-09-11", True),
            ("v0.139.0-cloud.1", "2026-09-05", True), ("v0.138.0", "2026-08-19", False),
            ("v0.137.1", "2026-08-08", False), ("v0.137.0", "2026-08-01", False),
            ("v0.136.0", "2026-07-18", False), ("v0.135.1", "2026-07-04", False),
            ("v0.135.0", "2026-06-30", False)]
    plan += [(f"v0.135.0-cloud.{n}", _days_before("2026-06-28", 3 * (5 - n)), True)
             for n in range(5, 0, -1)]
    plan.insert(3, ("histogram-quantile/v0.0.2", "2026-09-08", False))  # see world.supply
    plan += [("histogram-quantile/v0.0.1", "2026-06-10", False)]
    plan += [(f"v0.{m}.0", _days_before("2026-06-15", 14 * (134 - m)), False)
             for m in range(134, 128, -1)]
    releases = tuple(GhRelease(tag=tag, day=day, prerelease=pre, branch="main", title=tag,
                               assets=histogram_quantile_assets(tag.rpartition("/v")[2])
                               if tag.startswith("histogram") else ())
                     for tag, day, pre in plan)
    return GhRepo(component="signoz", repo="SigNoz/signoz", repo_id=9901, source="releases",
                  tags=tuple(r.tag for r in releases), releases=releases, latest="v0.138.0")


def _collector() -> GhRepo:
    tags = ["v0.144.7", "v0.144.6", "v0.144.6-rc.2", "v0.144.6-rc.1", "v0.144.5-7e8519b",
            "v0.144.5", "v0.144.4", "v0.144.3", "v0.144.2", "v0.144.1", "v0.144.0"]
    tags += [f"v0.129.{p}" for p in range(13, -1, -1)]
    tags += ["v0.129.13-rc.1", "v0.128.2-3f1c2ab"]
    return GhRepo(component="signoz-otel-collector", repo="SigNoz/signoz-otel-collector",
                  repo_id=9912, source="tags", tags=tuple(tags),
                  releases=(GhRelease(tag="v0.144.7", day="2026-08-03", title="v0.144.7"),),
                  latest="v0.144.7")


def squid_versions() -> list[tuple[str, str, bool]]:
    return [("8.0.1", "2026-09-12", True), ("7.7", "2026-09-01", False),
            ("7.6", "2026-06-07", False), ("7.5", "2026-03-30", False),
            ("7.4", "2026-01-12", False), ("7.3", "2025-11-03", False),
            ("7.2", "2025-09-22", False), ("7.1", "2025-07-14", False),
            ("7.0.2", "2025-05-26", True), ("7.0.1", "2025-04-10", True),
            ("6.14", "2025-06-24", False), ("6.13", "2025-02-04", False),
            ("6.12", "2024-10-11", False), ("6.0.3", "2023-05-02", True)]


def _squid() -> GhRepo:
    releases: list[GhRelease] = []
    for version, day, beta in squid_versions():
        tag = "SQUID_" + version.replace(".", "_")
        files = (f"squid-{version}.tar.xz", f"squid-{version}.tar.xz.asc",
                 f"squid-{version}.tar.gz")
        releases.append(GhRelease(tag=tag, day=day, prerelease=beta, branch=f"v{version[0]}",
                                  title=f"Squid {version}", assets=files))
    releases.sort(key=lambda r: r.created, reverse=True)
    tags = [r.tag for r in releases] + ["take1", "take08", "SQUID_3_0_STABLE5",
                                        "merge-candidate-2026-08-30"]
    return GhRepo(component="squid", repo="squid-cache/squid", repo_id=1122, source="releases",
                  tags=tuple(tags), releases=tuple(releases), latest="SQUID_7_7")


# The commits the pinned action tags really point at (as `versions.yaml` pins them); every other
# tag's commit is derived from repo and tag (`commit_sha`).
PINNED_COMMITS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("actions/checkout", "v6.0.1"): "8e8c483db84b4bee98b60c0593521ed34d9990e8",
    ("actions/setup-python", "v6.1.0"): "83679a892e2d95755f2dac6acb0bfd1e9ac5d548",
    ("actions/cache", "v5.0.1"): "9255dc7a253b0ccc959486e2bca901246202afeb",
    ("actions/upload-artifact", "v6.0.0"): "b7c566a772e6b6bfb58ed0dc250532a479d7789f",
    ("actions/download-artifact", "v7.0.0"): "37930b1c2abaa49bbe596cd826c3c89aef350131",
    ("aws-actions/configure-aws-credentials", "v5.1.0"):
        "00943011d9042930efac3dcd3a170e4273319bc8",
})


def commit_sha(repo: str, tag: str) -> str:
    """The commit `repo`'s tag `tag` points at (a release tag, not a moving one)."""
    return PINNED_COMMITS.get((repo, tag)) or _hexid(f"{repo}@{tag}")


#: The GitHub Actions of .github/workflows: (component, repo, repo id, releases newest first as
#: (tag, day, flag)); flag is "draft", "pre" or "". Moving major tags (`v6`) follow the newest
#: published stable release of their major.
ACTIONS: tuple[tuple[str, str, int, tuple[tuple[str, str, str], ...]], ...] = (
    # v5 keeps getting fixes after v6: v5.0.2 was published the same day, after v6.0.2.
    ("actions-checkout", "actions/checkout", 1301, (
        ("v5.0.2", "2026-09-03", ""), ("v6.0.2", "2026-09-03", ""),
        ("v6.0.1", "2025-12-02", ""), ("v6.0.0", "2025-11-20", ""),
        ("v5.0.1", "2025-11-17", ""), ("v4.3.1", "2025-11-17", ""),
        ("v5.0.0", "2025-08-11", ""), ("v4.3.0", "2025-07-28", ""),
        ("v4.2.2", "2024-10-23", ""))),
    ("actions-setup-python", "actions/setup-python", 1302, (
        ("v6.2.0", "2026-08-25", ""), ("v6.1.0", "2025-11-25", ""),
        ("v6.0.0", "2025-09-04", ""), ("v5.6.0", "2025-04-24", ""),
        ("v5.5.0", "2025-03-24", ""), ("v5.4.0", "2025-01-28", ""))),
    # A new major: beyond the policy of the pinned one.
    ("actions-cache", "actions/cache", 1303, (
        ("v6.0.0", "2026-09-10", ""), ("v5.0.1", "2025-12-01", ""),
        ("v5.0.0", "2025-11-19", ""), ("v4.3.0", "2025-09-24", ""),
        ("v4.2.4", "2025-07-29", ""), ("v4.2.3", "2025-03-19", ""))),
    # A draft: only callers with push access (here: any token) see it.
    ("actions-upload-artifact", "actions/upload-artifact", 1304, (
        ("v6.0.1", "2026-09-14", "draft"), ("v6.0.0", "2025-12-12", ""),
        ("v5.0.0", "2025-10-24", ""), ("v4.6.2", "2025-03-19", ""),
        ("v4.6.1", "2025-02-18", ""))),
    ("actions-download-artifact", "actions/download-artifact", 1305, (
        ("v7.0.0", "2025-12-12", ""), ("v6.0.0", "2025-10-24", ""),
        ("v5.0.0", "2025-08-06", ""), ("v4.3.0", "2025-04-24", ""))),
    # A stable-looking tag marked pre-release on GitHub: only the flag tells.
    ("aws-configure-aws-credentials", "aws-actions/configure-aws-credentials", 1306, (
        ("v5.2.0", "2026-09-11", "pre"), ("v5.1.0", "2025-10-06", ""),
        ("v5.0.0", "2025-09-03", ""), ("v4.3.1", "2025-08-04", ""),
        ("v4.2.1", "2025-05-14", ""))),
)


def _actions() -> list[GhRepo]:
    repos: list[GhRepo] = []
    for component, repo, repo_id, plan in ACTIONS:
        newest_major = max((t for t, _, flag in plan if not flag), key=_action_key).split(".")[0]
        releases = tuple(
            # Same-day releases are listed newest first: the earlier in the plan, the later.
            GhRelease(tag=tag, day=day, time=f"{14 + sum(d == day for _, d, _ in plan[i + 1:])}"
                      ":05:02", draft=flag == "draft", prerelease=flag == "pre",
                      branch="main" if tag.split(".")[0] == newest_major
                      else f"releases/{tag.split('.')[0]}", title=tag)
            for i, (tag, day, flag) in enumerate(plan)
        )
        published = [r for r in releases if not r.draft]
        moving: dict[str, str] = {}
        for release in sorted(published, key=lambda r: _action_key(r.tag), reverse=True):
            if not release.prerelease:
                moving.setdefault(release.tag.split(".")[0], release.tag)
        tags = sorted([*moving, *(r.tag for r in published)], key=_action_key, reverse=True)
        stable = [r for r in published if not r.prerelease]
        latest = max(stable, key=lambda r: _action_key(r.tag)).tag
        repos.append(GhRepo(component=component, repo=repo, repo_id=repo_id, source="releases",
                            tags=tuple(tags), releases=releases, latest=latest, moving=moving))
    return repos


def _action_key(tag: str) -> tuple[int, ...]:
    """`v6.0.2` -> (6, 0, 2); a moving `v6` sorts after its releases, as GitHub lists it."""
    parts = tuple(int(p) for p in tag[1:].split("."))
    return parts + (-1,) * (3 - len(parts))


def _monthly(day: str, months: int) -> list[str]:
    """Monthly build dates (`YYYYMMDD`), newest first, starting at `day` and going back."""
    start = dt.date.fromisoformat(day)
    out = []
    for back in range(months):
        year, month = start.year, start.month - back
        while month <= 0:
            month += 12
            year -= 1
        out.append(dt.date(year, month, min(start.day, 28)).strftime("%Y%m%d"))
    return out


def _debian() -> HubRepo:
    tags: list[HubTag] = []
    for date in ["20260901", "20260803", *_monthly("2026-07-06", 9)]:
        pushed = f"{date[:4]}-{date[4:6]}-{date[6:]}T03:12:44.120931Z"
        kind = OCI_INDEX if date >= "20260101" else DOCKER_LIST
        archs = ("amd64", "arm64") if date >= "20260801" else ("amd64", "arm64", "arm/v7")
        tags += [HubTag(name=f"{suite}-{date}{slim}", pushed=pushed, media_type=kind, archs=archs)
                 for suite in ("trixie", "bookworm") for slim in ("-slim", "")]
    newest = "2026-09-01T03:12:44.120931Z"
    aliases = ["trixie", "trixie-slim", "trixie-backports", "13.6", "13.6-slim", "13", "13-slim",
               "latest", "stable", "stable-slim", "bookworm", "bookworm-slim", "12.15", "12",
               "oldstable", "forky", "forky-slim", "forky-20260901-slim", "sid", "sid-slim",
               "testing", "unstable", "experimental", "rc-buggy"]
    tags[0:0] = [HubTag(name=a, pushed=newest) for a in aliases]
    return HubRepo(repository="library/debian", component="debian", listed=True, tags=tuple(tags))


def _python() -> HubRepo:
    lines = {"3.14": (7, 0), "3.13": (15, 11), "3.12": (14, 13)}
    tags: list[HubTag] = []
    for pre in ("3.15.0rc2", "3.15.0rc1", "3.15.0b4"):
        tags += [HubTag(name=f"{pre}-slim-trixie", pushed="2026-09-02T11:00:00.000000Z")]
    tags += [HubTag(name=n, pushed="2026-09-02T11:00:00.000000Z")
             for n in ("3.15-rc-slim-trixie", "3.15-rc", "3.14-slim-trixie", "3-slim-trixie",
                       "slim-trixie", "3.14", "3", "latest")]
    for line, (top, low) in lines.items():
        for patch in range(top, low - 1, -1):
            version = f"{line}.{patch}"
            pushed = f"2026-08-{max(1, 20 - patch):02d}T09:30:00.000000Z"
            kind = OCI_INDEX if line in {"3.14", "3.13"} else DOCKER_LIST
            tags += [HubTag(name=f"{version}{suffix}", pushed=pushed, media_type=kind)
                     for suffix in ("-slim-trixie", "-trixie", "-slim-bookworm", "-slim", "")]
    return HubRepo(repository="library/python", component="python", listed=True, tags=tuple(tags))


def _node_images() -> HubRepo:
    versions = ["26.9.0", "24.21.0", "24.20.0", "24.19.0", "22.23.3", "22.23.2"]
    tags: list[HubTag] = []
    for version in versions:
        kind = DOCKER_LIST if version.startswith("24.21") else OCI_INDEX
        tags += [HubTag(name=f"{version}-{variant}", pushed="2026-09-08T18:01:02.000000Z",
                        media_type=kind) for variant in ("trixie-slim", "trixie", "alpine3.22")]
    tags += [HubTag(name=n, pushed="2026-09-08T18:01:02.000000Z")
             for n in ("lts-trixie-slim", "krypton-trixie-slim", "24-trixie-slim", "current")]
    return HubRepo(repository="library/node", component="node", listed=False, tags=tuple(tags))


def clickhouse_lines() -> dict[str, int]:
    return {"26.7": 5, "26.6": 2, "26.5": 2, "26.4": 2, "26.3": 3, "25.12": 2, "25.8": 3,
            "25.6": 2, "25.5": 6, "25.4": 2, "25.3": 2}


def _clickhouse() -> HubRepo:
    tags: list[HubTag] = [HubTag(name=n, pushed="2026-09-10T20:00:00.000000Z")
                          for n in ("latest", "head", "head-alpine", "lts", "26", "25")]
    for index, (line, top) in enumerate(clickhouse_lines().items()):
        kind = OCI_INDEX if index < 5 else DOCKER_LIST
        for patch in range(top, 0, -1):
            build = 10 + _num(f"{line}.{patch}") % 90
            pushed = f"{_days_before('2026-09-10', 30 * index + 4 * (top - patch))}T07:00:00Z"
            tags += [HubTag(name=f"{line}.{patch}{suffix}", pushed=pushed, media_type=kind)
                     for suffix in (f".{build}", "", "-alpine")]
        tags += [HubTag(name=f"{line}{suffix}", pushed=f"{_days_before('2026-09-10', 30 * index)}"
                        "T07:00:00Z", media_type=kind) for suffix in ("", "-alpine")]
    return HubRepo(repository="clickhouse/clickhouse-server", component="clickhouse",
                   listed=True, tags=tuple(tags))


def _zookeeper() -> HubRepo:
    tags = tuple(HubTag(name=n, pushed=p, media_type=DOCKER_LIST)
                 for n, p in (("latest", "2023-02-01T10:00:00Z"), ("3.7.1", "2023-02-01T10:00:00Z"),
                              ("3.7.0", "2022-04-12T10:00:00Z"), ("3.6.3", "2021-09-01T10:00:00Z"),
                              ("3.6.2", "2021-01-20T10:00:00Z")))
    return HubRepo(repository="signoz/zookeeper", component="zookeeper", listed=True, tags=tags)


def _signoz_images() -> list[HubRepo]:
    signoz = [HubTag(name=n, pushed="2026-08-19T12:00:00Z")
              for n in ("latest", "v0.138.0", "v0.137.1", "v0.137.0", "v0.136.0", "v0.135.1")]
    collector = [HubTag(name=n, pushed="2026-08-03T12:00:00Z", media_type=DOCKER_LIST)
                 for n in ("latest", "v0.144.7", "v0.144.6", "v0.144.5", "v0.129.13")]
    return [HubRepo(repository="signoz/signoz", component="signoz", listed=False,
                    tags=tuple(signoz)),
            HubRepo(repository="signoz/signoz-otel-collector", component="signoz-otel-collector",
                    listed=False, tags=tuple(collector))]


def node_index() -> list[dict[str, Any]]:
    """Node's dist/index.json (newest first); `lts` is false or the line's codename."""
    plan: list[tuple[str, str, str | bool, bool]] = [
        (f"26.{m}.0", _days_before("2026-09-08", 14 * (9 - m)), False, m == 9)
        for m in range(9, -1, -1)
    ]
    plan += [(f"25.{m}.0", _days_before("2026-05-20", 21 * (9 - m)), False, False)
             for m in range(9, -1, -1)]
    plan += [(f"24.{m}.0", _days_before("2026-09-07", 14 * (21 - m)),
              "Krypton" if m >= 11 else False, m == 21) for m in range(21, -1, -1)]
    plan += [("22.23.3", "2026-09-07", "Jod", True), ("22.23.2", "2026-07-15", "Jod", False)]
    plan += [(f"22.{m}.0", _days_before("2026-06-10", 30 * (22 - m)), "Jod" if m >= 11 else False,
              False) for m in range(22, 9, -1)]
    plan += [(f"20.19.{p}", _days_before("2026-03-25", 40 * (6 - p)), "Iron", False)
             for p in range(6, -1, -1)]
    entries: list[dict[str, Any]] = []
    for version, day, lts, security in sorted(
        plan, key=lambda e: [int(x) for x in e[0].split(".")], reverse=True
    ):
        major = int(version.split(".")[0])
        entries.append({
            "version": f"v{version}", "date": day,
            "files": ["headers", "linux-arm64", "linux-x64", "osx-arm64-tar", "src",
                      "win-x64-zip"],
            "npm": {26: "11.6.0", 25: "11.5.1", 24: "11.4.2", 22: "10.9.3"}.get(major, "10.8.2"),
            "v8": {26: "14.1.146.11", 25: "13.9.205.20", 24: "13.6.233.10"}.get(
                major, "12.4.254.21-node.27"),
            "uv": "1.51.0", "zlib": "1.3.1-470d3a2",
            "openssl": "3.0.17" if major <= 22 else "3.5.2",
            "modules": {26: "147", 25: "141", 24: "137", 22: "127"}.get(major, "115"),
            "lts": lts, "security": security,
        })
    return entries


def postgres_feed() -> list[dict[str, Any]]:
    rows: list[tuple[str, str, str, str, str, bool, bool]] = [
        ("18", "7", "2025-09-25", "2030-11-14", "2026-09-11", True, True),
        ("17", "12", "2024-09-26", "2029-11-08", "2026-09-11", False, True),
        ("16", "16", "2023-09-14", "2028-11-09", "2026-09-11", False, True),
        ("15", "20", "2022-10-13", "2027-11-11", "2026-09-11", False, True),
        ("14", "25", "2021-09-30", "2026-11-12", "2026-09-11", False, True),
        ("13", "23", "2020-09-24", "2025-11-13", "2025-11-13", False, False),
        ("12", "22", "2019-10-03", "2024-11-21", "2024-11-21", False, False),
        ("11", "22", "2018-10-18", "2023-11-09", "2023-11-09", False, False),
        ("10", "23", "2017-10-05", "2022-11-10", "2022-11-10", False, False),
        ("9.6", "24", "2016-09-29", "2021-11-11", "2021-11-11", False, False),
    ]
    return [{"current": current, "eolDate": eol, "firstRelDate": first, "latestMinor": minor,
             "major": major, "relDate": rel, "supported": supported}
            for major, minor, first, eol, rel, current, supported in rows]


POSTGRES_FILES = ("17.12", "17.11", "17.10", "18.7", "18.6", "16.16", "15.20", "14.25",
                  "19beta3")

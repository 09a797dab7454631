"""The fake world's part for the image supply chain: pjproject and the histogramQuantile helper.

- pjproject (`pjsip/pjproject`, GitHub releases, bare `2.17` tags): 2.17 is pinned and current
  within policy (Asterisk 22 bundles it); 2.18 is out, beyond policy. The tarballs are served
  where Asterisk's build fetches them (`asterisk/third-party` on raw.githubusercontent.com),
  with only an md5 file next to them, so the sha256 is computed.
- histogramQuantile (releases `histogram-quantile/v<version>` of `SigNoz/signoz`, listed with
  SigNoz's own): v0.0.2 is newer than the pinned v0.0.1, within policy. Each release carries
  the amd64 and arm64 archives and a goreleaser `histogram-quantile_<version>_checksums.txt`
  (which WRONG_FILE on SigNoz's CHECKSUM role makes name other files).
- debian-snapshot reads Debian's Docker Hub listing, which the world already serves.
- docker/setup-buildx-action v4.3.0, docker/setup-qemu-action v4.2.0 and
  sigstore/cosign-installer v4.1.2 (the release's BuildKit, QEMU and cosign): current, their
  pinned tags at their real commits.
- moby/buildkit (Docker Hub, the daemon setup-buildx-action starts): v0.25.1 pinned and current;
  tonistiigi/binfmt (the emulators setup-qemu-action installs): qemu-v10.2.3 pinned and
  current (qemu-v10.0.4-59, a build-numbered tag, is not a version).

`install(world)` is called once from `FakeWorld.__init__`, after the world's own repositories.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld

PJPROJECT_RELEASES = (("2.18", "2026-09-01"), ("2.17", "2026-05-14"), ("2.16", "2025-12-02"),
                      ("2.15.1", "2025-01-10"), ("2.15", "2024-12-18"))
HISTOGRAM_QUANTILE_RELEASES = (("0.0.2", "2026-09-08"), ("0.0.1", "2026-06-10"))
HQ_TAG = "histogram-quantile/v{version}"
HQ_ARCHES = ("linux_amd64", "linux_arm64")
# (component, repo, repo id, releases newest first, the pinned tag's real commit)
RELEASE_ACTIONS = (
    ("docker-setup-buildx-action", "docker/setup-buildx-action", 1307,
     (("v4.3.0", "2026-08-17"), ("v4.2.0", "2026-07-02"), ("v4.1.0", "2026-05-22"),
      ("v4.0.0", "2026-03-05"), ("v3.12.0", "2025-12-16")),
     "37fe631027851001ddb9b187196cc803df7f5f0e"),
    ("docker-setup-qemu-action", "docker/setup-qemu-action", 1309,
     (("v4.2.0", "2026-07-01"), ("v4.1.0", "2026-05-27"), ("v4.0.0", "2026-03-04"),
      ("v3.7.0", "2025-11-05")),
     "96fe6ef7f33517b61c61be40b68a1882f3264fb8"),
    ("sigstore-cosign-installer", "sigstore/cosign-installer", 1308,
     (("v4.1.2", "2026-05-06"), ("v4.1.1", "2026-03-25"), ("v4.1.0", "2026-03-09"),
      ("v4.0.0", "2025-10-13"), ("v3.10.1", "2025-10-16")),
     "6f9f17788090df1f26f669e9d70d6ae9567deba6"),
)
THIRD_PARTY = "https://raw.githubusercontent.com/asterisk/third-party/master/pjproject"


def histogram_quantile_assets(version: str) -> tuple[str, ...]:
    return (*(f"histogram-quantile_{arch}.tar.gz" for arch in HQ_ARCHES),
            f"histogram-quantile_{version}_checksums.txt")


def install(world: FakeWorld) -> None:
    from world.catalogue import GhRelease, GhRepo, HubRepo, HubTag
    from world.fakedata import fake_bytes, sha256
    from world.faults import Role, _wrong_name
    from world.replies import _file

    buildkit = HubRepo(repository="moby/buildkit", component="buildkit", listed=True, tags=(
        HubTag(name="v0.25.1", pushed="2026-10-01T10:00:00.000000Z"),
        HubTag(name="v0.25.0", pushed="2026-09-10T10:00:00.000000Z"),
    ))
    binfmt = HubRepo(repository="tonistiigi/binfmt", component="binfmt", listed=True, tags=(
        HubTag(name="qemu-v10.2.3", pushed="2026-08-20T10:00:00.000000Z"),
        HubTag(name="qemu-v10.0.4-59", pushed="2026-06-02T10:00:00.000000Z"),
        HubTag(name="qemu-v10.0.4", pushed="2026-06-01T10:00:00.000000Z"),
    ))
    world.images = (*world.images, buildkit, binfmt)
    world._add_image(buildkit)
    world._add_image(binfmt)

    releases = tuple(GhRelease(tag=v, day=day, title=f"PJSIP {v}", branch="master")
                     for v, day in PJPROJECT_RELEASES)
    pjproject = GhRepo(component="pjproject", repo="pjsip/pjproject", repo_id=4410,
                       source="releases", tags=tuple(v for v, _ in PJPROJECT_RELEASES),
                       releases=releases, latest="2.18")
    world._add_github(pjproject)
    world.repos = (*world.repos, pjproject)  # GraphQL (world_graphql) answers from world.repos
    for version, _day in PJPROJECT_RELEASES:
        name = f"pjproject-{version}.tar.bz2"
        url = f"{THIRD_PARTY}/{version}/{name}"
        data = fake_bytes(url)
        world._static(url, "pjproject", Role.ARCHIVE, _file(data, "application/octet-stream"))
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        world._static(f"{url}.md5", "pjproject", Role.OTHER,
                      _file(f"{md5}  {name}\n".encode(), "text/plain; charset=utf-8"))
        world._sha256[("pjproject", version)] = sha256(data)

    for component, repo, repo_id, plan, commit in RELEASE_ACTIONS:
        actions = GhRepo(
            component=component, repo=repo, repo_id=repo_id, source="releases",
            tags=tuple(tag for tag, _ in plan),
            releases=tuple(GhRelease(tag=tag, day=day, title=tag, branch="main")
                           for tag, day in plan),
            latest=plan[0][0])
        world._add_github(actions)
        world.repos = (*world.repos, actions)
        world._commits[(repo, plan[0][0])] = commit
        sha_reply = _file(commit.encode(), "application/vnd.github.sha; charset=utf-8")
        world._static(f"https://api.github.com/repos/{repo}/commits/{plan[0][0]}", component,
                      Role.COMMIT, sha_reply)

    for version, _day in HISTOGRAM_QUANTILE_RELEASES:
        tag = HQ_TAG.format(version=version)
        base = f"https://github.com/SigNoz/signoz/releases/download/{tag}"
        archives = {f"histogram-quantile_{arch}.tar.gz": fake_bytes(
            f"{base}/histogram-quantile_{arch}.tar.gz", 2048) for arch in HQ_ARCHES}
        right = "".join(f"{sha256(data)}  {name}\n" for name, data in archives.items())
        wrong = "".join(f"{sha256(data)}  {_wrong_name(name)}\n" for name, data in archives.items())
        sums = f"{base}/histogram-quantile_{version}_checksums.txt"
        # Served at the download URL itself (no CDN hop): the sums file's real text.
        world._static(sums, "signoz", Role.CHECKSUM,
                      _file(right.encode(), "text/plain; charset=utf-8"),
                      _file(wrong.encode(), "text/plain; charset=utf-8"))
        world._sha256[("histogram-quantile", version)] = sha256(
            archives["histogram-quantile_linux_amd64.tar.gz"])
        world._sha256[("histogram-quantile-arm64", version)] = sha256(
            archives["histogram-quantile_linux_arm64.tar.gz"])

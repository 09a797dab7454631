"""The fake world's Caddy per architecture: `caddy` pins the linux/amd64 release archive and
`caddy-arm64` the linux/arm64 one of the same caddyserver/caddy release (both GitHub assets the
world already serves, with their `digest`); this records the arm64 one's sha256 for the tests.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld


def add_caddy_arm64(world: FakeWorld) -> None:
    from world.fakedata import fake_bytes
    from world.github import _ASSET_DIGESTS_SINCE

    for repo in world.repos:
        if repo.component != "caddy":
            continue
        for release in repo.releases:
            version = release.tag.removeprefix("v")
            name = f"caddy_{version}_linux_arm64.tar.gz"
            if name in release.assets and release.day >= _ASSET_DIGESTS_SINCE:
                data = fake_bytes(world._asset_url(repo, release, name), 2048)
                world._sha256[("caddy-arm64", version)] = hashlib.sha256(data).hexdigest()

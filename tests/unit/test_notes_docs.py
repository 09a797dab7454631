"""The third-party versions page: every component, its source, policy and every pinned file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.errors import ReleaseError
from release.manifest.load import load_manifest, parse_manifest
from release.notes.docs import render_page, write_or_check

REPO = Path(__file__).resolve().parents[2]

HELD = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      redis:
        description: Redis <b>runtime</b> state
        services: [database]
        version: 7.4.10
        versioning: {tag: "{version}"}
        upstream:
          kind: github-tags
          repo: redis/redis
          release-notes: https://github.com/redis/redis/releases/tag/{tag}
        policy: {specifier: ">=7.4,<7.5"}
        hold: {reason: "7.4.11 breaks | ndb_redis", until: 2026-12-31}
        archive:
          url: https://download.redis.io/releases/redis-{version}.tar.gz
          checksum: {kind: hashes-readme, url: "https://raw.githubusercontent.com/redis/redis-hashes/master/README"}
        pins:
          - {kind: dockerfile-arg, file: images/redis/Dockerfile, name: REDIS_VERSION}
          - {kind: dockerfile-arg, file: images/redis/Dockerfile, name: REDIS_SHA256, value: "{sha256}"}
    """
)


def test_one_component_in_full() -> None:
    page = render_page(parse_manifest(HELD))
    assert ("| [redis](#redis) | `7.4.10` | Database | GitHub tags of "
            "[redis/redis](https://github.com/redis/redis/tags) | versions `>=7.4,<7.5`; archive "
            "checksum required; **held** until 2026-12-31: 7.4.11 breaks \\| ndb\\_redis |") in page
    section = page.split("### redis\n")[1].split("## Refreshing")[0]
    assert section == textwrap.dedent(
        """\

        Redis &lt;b&gt;runtime&lt;/b&gt; state.

        - **Version:** `7.4.10` (upstream tag `7.4.10`)
        - **Services:** Database
        - **Source:** GitHub tags of [redis/redis](https://github.com/redis/redis/tags)
        - **Policy:** versions `>=7.4,<7.5`; archive checksum required; **held** until 2026-12-31: 7.4.11 breaks \\| ndb\\_redis
        - **Pinned artifact:** archive [redis-7.4.10.tar.gz](https://download.redis.io/releases/redis-7.4.10.tar.gz), **no checksum pinned**
        - **Upstream release notes:** [7.4.10](https://github.com/redis/redis/releases/tag/7.4.10)
        - **Pinned in:**
          - [`versions.yaml`](../versions.yaml): `components.redis`
          - [`images/redis/Dockerfile`](../images/redis/Dockerfile): `ARG REDIS_VERSION`, `ARG REDIS_SHA256`

        """
    )


def test_every_component_and_pinned_file_of_the_real_manifest() -> None:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    page = render_page(manifest)
    for component in manifest.components:
        assert f"\n### {component.name}\n" in page
        assert f"- **Version:** `{component.version}`" in page
        for pin in component.pins:
            assert f"[`{pin.file}`](../{pin.file})" in page
    assert "## Refreshing the pins on release day" in page
    assert render_page(manifest) == page


def test_write_or_check(tmp_path: Path) -> None:
    assert write_or_check(tmp_path, "docs/page.md", "new\n", check=False, regenerate="x")
    assert (tmp_path / "docs/page.md").read_text() == "new\n"
    assert not write_or_check(tmp_path, "docs/page.md", "new\n", check=True, regenerate="x")
    with pytest.raises(ReleaseError, match=r"docs/page.md is stale: it differs") as info:
        write_or_check(tmp_path, "docs/page.md", "newer\n", check=True, regenerate="nox -s docs")
    assert info.value.hint == "run `nox -s docs` and commit the result"
    assert info.value.exit_code == 1
    with pytest.raises(ReleaseError, match=r"docs/other.md is missing"):
        write_or_check(tmp_path, "docs/other.md", "x\n", check=True, regenerate="x")
    assert (tmp_path / "docs/page.md").read_text() == "new\n"

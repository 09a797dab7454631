"""The third-party versions page: every component, its source, policy and every pinned file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.errors import ReleaseError
from release.manifest.load import load_manifest, parse_manifest
from release.notes.docs import render_page, write_or_check

REPO = Path(__file__).resolve().parents[3]

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
            "checksum required; **held** until 2026-12-31: 7.4.11 breaks \\| ndb_redis |") in page
    section = page.split("### redis\n")[1].split("## Refreshing")[0]
    assert section == textwrap.dedent(
        """\

        Redis &lt;b&gt;runtime&lt;/b&gt; state.

        - **Version:** `7.4.10` (upstream tag `7.4.10`)
        - **Services:** Database
        - **Source:** GitHub tags of [redis/redis](https://github.com/redis/redis/tags)
        - **Policy:** versions `>=7.4,<7.5`; archive checksum required; **held** until 2026-12-31: 7.4.11 breaks \\| ndb_redis
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
    assert "`None`" not in page
    assert "- **Services:** \n" not in page
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


ACTIONS = textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      squid:
        services: [squid]
        version: "7.6"
        versioning: {tag: "SQUID_{version}", pattern: '\\d+\\.\\d+', separator: _}
        upstream: {kind: github-releases, repo: squid-cache/squid}
        pins:
          - {kind: dockerfile-arg, file: images/squid/Dockerfile, name: SQUID_VERSION}
      actions-checkout:
        description: actions/checkout, the repository checkout of every job
        version: 6.0.1
        versioning: {tag: "v{version}"}
        upstream: {kind: github-releases, repo: actions/checkout}
        policy: {specifier: ">=6,<7"}
        commit: 8e8c483db84b4bee98b60c0593521ed34d9990e8
        pins:
          - {kind: github-action, file: .github/workflows/ci.yml, action: actions/checkout}
          - {kind: github-action, file: .github/workflows/release.yml, action: actions/checkout}
    """
)
COMMIT = "8e8c483db84b4bee98b60c0593521ed34d9990e8"


def test_github_actions_are_a_group_of_their_own() -> None:
    page = render_page(parse_manifest(ACTIONS))
    summary = page.split("## Summary\n")[1].split("## Components\n")[0]
    assert "| [squid](#squid) |" in summary
    assert "actions-checkout" not in summary.split("The GitHub Actions")[0]
    assert "[CI tooling](#ci-tooling-github-actions)" in summary
    components = page.split("## Components\n")[1].split("## CI tooling")[0]
    assert "### squid" in components
    assert "actions-checkout" not in components
    ci = page.split("## CI tooling (GitHub Actions)\n")[1].split("## Refreshing")[0]
    assert (
        "| [actions-checkout](#actions-checkout) | `6.0.1` | "
        "[actions/checkout](https://github.com/actions/checkout) | "
        f"[`8e8c483`](https://github.com/actions/checkout/commit/{COMMIT}) | versions `>=6,<7` |"
    ) in ci
    assert ci.split("### actions-checkout\n")[1] == textwrap.dedent(
        f"""\

        actions/checkout, the repository checkout of every job.

        - **Version:** `6.0.1` (upstream tag `v6.0.1`)
        - **Runs in:** the GitHub Actions workflows of this repository (not in a deployment)
        - **Source:** GitHub releases of [actions/checkout](https://github.com/actions/checkout/releases)
        - **Policy:** versions `>=6,<7`
        - **Pinned artifact:** commit [`{COMMIT}`](https://github.com/actions/checkout/commit/{COMMIT})
        - **Pinned in:**
          - [`versions.yaml`](../versions.yaml): `components.actions-checkout`
          - [`.github/workflows/ci.yml`](../.github/workflows/ci.yml): every `uses:` of `actions/checkout`
          - [`.github/workflows/release.yml`](../.github/workflows/release.yml): every `uses:` of `actions/checkout`

        """
    )


def test_a_page_without_github_actions_has_no_ci_group() -> None:
    page = render_page(parse_manifest(HELD))
    assert "CI tooling" not in page


def test_each_signature_is_described_by_how_it_is_checked() -> None:
    page = render_page(load_manifest(REPO / "versions.yaml").manifest)
    sections = {s.split("\n", 1)[0]: s for s in page.split("\n### ")[1:]}
    for name in ("caddy", "caddy-arm64"):
        assert ("is checked: keyless, by "
                "`https://github.com/caddyserver/caddy/.github/workflows/release.yml@refs/tags/"
                "v2.11.4` (issuer `https://token.actions.githubusercontent.com`), against the "
                "Sigstore roots pinned in `keys/sigstore/`") in sections[name]
        assert "pinned key" not in sections[name]
    assert "is checked against the pinned key `" in sections["asterisk"]

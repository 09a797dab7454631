"""The third-party version diff between two manifests, and the images and services it touches."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from release.manifest.load import parse_manifest
from release.manifest.model import Manifest, Service
from release.notes.diff import ChangeKind, classify, diff_manifests, image_services, touched

BASE = textwrap.dedent(
    """\
    schema: 1
    release: 2026.10.0
    components:
      debian:
        services: [database, web, media]
        version: "20260720"
        versioning: {tag: "trixie-{version}-slim", pattern: '\\d{8}'}
        upstream: {kind: docker-hub, image: library/debian}
        image: {repository: debian, tag: "trixie-{version}-slim"}
        pins:
          - {kind: dockerfile-from, file: images/postgres/Dockerfile, image: debian}
          - {kind: dockerfile-from, file: images/caddy/Dockerfile, image: debian}
      node:
        services: [web, api]
        version: 24.18.0
        versioning: {tag: "v{version}"}
        upstream: {kind: node-dist, url: "https://nodejs.org/dist/index.json"}
        image: {repository: node, tag: "{version}-trixie-slim"}
        pins:
          - {kind: dockerfile-from, file: images/node-app/Dockerfile, image: node}
      postgresql:
        services: [database]
        version: "17.11"
        versioning: {tag: "REL_{version}", pattern: '\\d+\\.\\d+', separator: _}
        upstream:
          kind: postgres-versions
          url: https://www.postgresql.org/versions.json
          release-notes: https://www.postgresql.org/docs/release/{version}/
        pins:
          - {kind: dockerfile-arg, file: images/postgres/Dockerfile, name: POSTGRES_VERSION}
      caddy:
        services: [web, media]
        version: 2.11.4
        versioning: {tag: "v{version}"}
        upstream:
          kind: github-releases
          repo: caddyserver/caddy
          release-notes: https://github.com/caddyserver/caddy/releases/tag/{tag}
        pins:
          - {kind: dockerfile-arg, file: images/caddy/Dockerfile, name: CADDY_VERSION}
    """
)
TODAY = dt.date(2026, 11, 3)


def manifest(**replace: str) -> Manifest:
    text = BASE
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_manifest(text)


def kinds(old: Manifest | None, new: Manifest) -> dict[str, ChangeKind]:
    return {c.name: c.kind for c in diff_manifests(old, new, today=TODAY)}


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ('"17.11"', '"17.12"', ChangeKind.MINOR),
        ('"17.11"', '"18.1"', ChangeKind.MAJOR),
        ('"17.11"', '"17.10"', ChangeKind.DOWNGRADE),
        ('"17.11"', '"17.11"', ChangeKind.UNCHANGED),
    ],
)
def test_postgres_kinds(old: str, new: str, kind: ChangeKind) -> None:
    before = manifest(**{'"17.11"': old})
    after = manifest(**{'"17.11"': new})
    assert kinds(before, after)["postgresql"] is kind


def test_patch_new_removed_and_held() -> None:
    before = manifest()
    after = parse_manifest(
        BASE.replace("version: 2.11.4", "version: 2.11.5")
        .replace("  node:\n", "  node:\n    hold: {reason: waiting for 24.20, until: 2026-12-31}\n")
        .split("  caddy:")[0]
    )
    assert kinds(before, after) == {
        "debian": ChangeKind.UNCHANGED, "node": ChangeKind.HELD,
        "postgresql": ChangeKind.UNCHANGED, "caddy": ChangeKind.REMOVED,
    }
    assert kinds(after, before)["caddy"] is ChangeKind.NEW
    expired = parse_manifest(BASE.replace(
        "  node:\n", "  node:\n    hold: {reason: old hold, until: 2026-01-31}\n"))
    assert kinds(before, expired)["node"] is ChangeKind.UNCHANGED


def test_date_stamped_base_image_is_a_point_rebuild_unless_the_release_changes() -> None:
    before = manifest()
    rebuild = manifest(**{'"20260720"': '"20260803"'})
    assert kinds(before, rebuild)["debian"] is ChangeKind.REBUILD
    forky = parse_manifest(BASE.replace('"20260720"', '"20270110"').replace("trixie-", "forky-"))
    assert kinds(before, forky)["debian"] is ChangeKind.NEW_LINE


def test_classify_needs_a_side() -> None:
    with pytest.raises(ValueError, match="at least one side"):
        classify(None, None, today=TODAY)


def test_change_values() -> None:
    changes = diff_manifests(manifest(), manifest(**{'"17.11"': '"17.12"'}), today=TODAY)
    pg = next(c for c in changes if c.name == "postgresql")
    assert (pg.old, pg.new, pg.notes_url, pg.images, pg.base_image) == (
        "17.11", "17.12", "https://www.postgresql.org/docs/release/17.12/", ("postgres",), False
    )
    debian = next(c for c in changes if c.name == "debian")
    assert debian.base_image


def test_image_services_intersect_the_components_pinned_into_an_image() -> None:
    assert image_services([manifest()]) == {
        "postgres": (Service.DATABASE,),
        "caddy": (Service.WEB, Service.MEDIA),
        "node-app": (Service.WEB, Service.API),
    }


def test_touched_by_components_and_paths() -> None:
    before = manifest()
    services = image_services([before])
    pg = diff_manifests(before, manifest(**{'"17.11"': '"17.12"'}), today=TODAY)
    assert touched(pg, [], services).images == ("postgres",)
    assert touched(pg, [], services).services == (Service.DATABASE,)
    node = diff_manifests(before, manifest(**{"24.18.0": "24.19.0"}), today=TODAY)
    assert touched(node, [], services).services == (Service.WEB, Service.API)
    debian = diff_manifests(before, manifest(**{'"20260720"': '"20260803"'}), today=TODAY)
    assert touched(debian, [], services).services == (Service.WEB, Service.DATABASE, Service.MEDIA)
    nothing = diff_manifests(before, before, today=TODAY)
    assert touched(nothing, ["README.md", "checklists/x.yaml"], services).services == ()
    by_path = touched(nothing, ["images/caddy/Caddyfile"], services)
    assert (by_path.images, by_path.services) == (("caddy",), (Service.WEB, Service.MEDIA))


ACTION = """\
  actions-checkout:
    version: 6.0.1
    versioning: {tag: "v{version}"}
    upstream: {kind: github-releases, repo: actions/checkout}
    commit: 8e8c483db84b4bee98b60c0593521ed34d9990e8
    pins:
      - {kind: github-action, file: .github/workflows/ci.yml, action: actions/checkout}
"""


def test_a_github_action_is_ci_tooling_and_touches_nothing() -> None:
    before = parse_manifest(BASE + ACTION)
    after = parse_manifest(BASE + ACTION.replace("6.0.1", "7.0.0"))
    changes = diff_manifests(before, after, today=TODAY)
    action = next(c for c in changes if c.name == "actions-checkout")
    assert (action.kind, action.ci_tooling, action.action, action.images, action.services) == (
        ChangeKind.MAJOR, True, "actions/checkout", (), ())
    assert not any(c.ci_tooling for c in changes if c.name != "actions-checkout")
    result = touched(changes, [".github/workflows/ci.yml"], image_services([before]))
    assert (result.images, result.services) == ((), ())

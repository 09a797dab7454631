"""The BuildKit daemon of the release's builds is pinned by digest, as a component.

setup-buildx-action starts `moby/buildkit` (driver-opts `image=`); versions.yaml's `buildkit`
pins its tag and digest in release.yml's workflow-level `env.BUILDKIT_IMAGE`, so `verify` sees
drift, `verify --online` checks the digest against Docker Hub, and refresh moves it. The digest
stays marked unconfirmed until a networked `verify --online --confirm` read it from Docker Hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from release.manifest.load import load_manifest
from release.notes.diff import is_ci_tooling
from release.pins import locate, rewrite
from release.versioning import UnsafeValueError

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
_FOUND = load_manifest(REPO / "versions.yaml").manifest.component("buildkit")
assert _FOUND is not None
BUILDKIT = _FOUND


def test_setup_buildx_starts_the_pinned_buildkit_by_digest() -> None:
    doc = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert BUILDKIT.image is not None
    assert doc["env"]["BUILDKIT_IMAGE"] == f"v{BUILDKIT.version}@{BUILDKIT.image.digest}"
    setups = [s for job in doc["jobs"].values() for s in job["steps"]
              if str(s.get("uses", "")).startswith("docker/setup-buildx-action@")]
    assert setups
    assert all(s["with"]["driver-opts"] == "image=moby/buildkit:${{ env.BUILDKIT_IMAGE }}"
               for s in setups)


def test_the_digest_is_marked_unconfirmed_until_read_from_docker_hub() -> None:
    assert BUILDKIT.upstream.kind.value == "docker-hub"
    assert BUILDKIT.upstream.image == "moby/buildkit"
    assert BUILDKIT.unconfirmed == ("digest",)


def test_refresh_can_write_a_new_tag_and_digest_and_nothing_else() -> None:
    (pin,) = BUILDKIT.pins
    text = WORKFLOW.read_text(encoding="utf-8")
    new = "v0.26.0@sha256:" + "ab" * 32
    written = rewrite(text, pin, new)
    assert locate(written, pin).value == new
    assert [a for a, b in zip(text.splitlines(), written.splitlines(), strict=True)
            if a != b] == [f"  BUILDKIT_IMAGE: v{BUILDKIT.version}@{BUILDKIT.image.digest}"
                           if BUILDKIT.image else ""]
    with pytest.raises(UnsafeValueError):
        rewrite(text, pin, "moby/buildkit:v0.26.0@sha256:" + "ab" * 32)  # no '/' or ':' tag
    with pytest.raises(UnsafeValueError):
        rewrite(text, pin, "v0.26.0@sha256:" + "ab" * 31)  # not a digest


def test_it_is_ci_tooling_in_the_notes() -> None:
    # Pinned only in .github/workflows: it builds the release and runs in no deployment.
    assert is_ci_tooling(BUILDKIT)

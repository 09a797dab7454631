"""A two-component repository in memory: the inputs of the deciders' table tests.

`kamailio` is pinned by version and archive checksum, `debian` by image digest, both in one
Dockerfile. The checksums and digests are made up (repeated hex), never real upstream values.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from release.manifest.load import LoadedManifest, load_manifest

SHA_PINNED = "a1" * 32
SHA_OTHER = "b2" * 32
DIGEST_PINNED = "sha256:" + "c3" * 32
DIGEST_OTHER = "sha256:" + "d4" * 32
COMMIT = "e5" * 20
DOCKERFILE = "images/kamailio/Dockerfile"

MANIFEST = textwrap.dedent(
    f"""\
    schema: 1
    release: 2026.11.0
    components:
      kamailio:
        version: 6.1.4
        versioning:
          tag: "{{version}}"
        upstream:
          kind: github-tags
          repo: kamailio/kamailio
        policy:
          specifier: ">=6.1,<6.2"
        archive:
          url: https://www.kamailio.org/pub/kamailio/{{version}}/src/kamailio-{{version}}_src.tar.gz
          sha256: {SHA_PINNED}
          checksum: {{kind: compute}}
        pins:
          - {{kind: dockerfile-arg, file: {DOCKERFILE}, name: KAMAILIO_VERSION}}
      debian:
        version: "20260803"
        versioning:
          tag: trixie-{{version}}-slim
          pattern: '\\d{{8}}'
        upstream:
          kind: docker-hub
          image: library/debian
        image:
          repository: debian
          tag: trixie-{{version}}-slim
          digest: {DIGEST_PINNED}
        pins:
          - {{kind: dockerfile-from, file: {DOCKERFILE}, image: debian, stage: build}}
    """
)

DOCKERFILE_TEXT = textwrap.dedent(
    f"""\
    ARG KAMAILIO_VERSION=6.1.4
    FROM debian:trixie-20260803-slim@{DIGEST_PINNED} AS build
    ARG KAMAILIO_VERSION
    RUN echo "kamailio $KAMAILIO_VERSION"
    """
)


def write_tree(root: Path, files: dict[str, str] | None = None) -> LoadedManifest:
    """`root` holding the manifest and the Dockerfile (or `files` instead of the Dockerfile)."""
    for relative, text in {"versions.yaml": MANIFEST,
                           **(files if files is not None else {DOCKERFILE: DOCKERFILE_TEXT})
                           }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_manifest(root / "versions.yaml")

"""A build plan for people and other tools: a table, JSON, a GitHub matrix, a bake file.

All pure: each function takes a `BuildPlan` and returns text or a JSON-ready value.
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from release.images.plan import BuildPlan, ImagePlan
from release.images.reproduce import epoch_of

BAKE_GROUP = "default"


def plan_document(plan: BuildPlan, *, registry: str | None = None) -> dict[str, Any]:
    """The plan as one JSON document (`build --plan --json`)."""
    return {
        "release": plan.release,
        "revision": plan.provenance.revision,
        "dirty": plan.provenance.dirty,
        "created": plan.provenance.created,
        "source": plan.provenance.source,
        "registry": registry,
        "images": [_image_document(i, registry) for i in plan.images],
        "not_built": [{"folder": f, "reason": r} for f, r in plan.not_built],
    }


def _image_document(image: ImagePlan, registry: str | None) -> dict[str, Any]:
    return {
        "name": image.name,
        "context": image.context,
        "dockerfile": image.dockerfile,
        "repository": image.repository,
        "tags": list(image.tags),
        "refs": [image.ref(t, registry) for t in image.tags],
        "input_hash": image.input_hash,
        "args": dict(image.args),
        "labels": dict(image.labels),
        "base_images": list(image.base_images),
        "components": [{"name": c.name, "version": c.version} for c in image.components],
        "probe": list(image.probe),
    }


def plan_json(plan: BuildPlan, *, registry: str | None = None) -> str:
    return json.dumps(plan_document(plan, registry=registry), indent=2)


def _clip(value: str, width: int = 16) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


def plan_table(plan: BuildPlan) -> Table:
    revision = plan.provenance.revision[:12] + (" (dirty)" if plan.provenance.dirty else "")
    table = Table(
        title=f"Build plan for release {plan.release} at {revision}", title_justify="left"
    )
    for column in ("image", "content tag", "components", "build args", "probe"):
        table.add_column(column, overflow="fold")
    for image in plan.images:
        table.add_row(
            image.name,
            image.content_tag,
            ", ".join(f"{c.name} {c.version}" for c in image.components),
            "\n".join(f"{k}={_clip(v)}" for k, v in image.args.items()),
            " ".join(image.probe) or "(none)",
        )
    for folder, reason in plan.not_built:
        table.add_row(folder, "", "", "", f"not built: {reason}")
    return table


def github_matrix(plan: BuildPlan) -> dict[str, Any]:
    """`{"include": [...]}`, one entry per image, for `strategy.matrix: ${{ fromJSON(...) }}`.

    Values are strings, as matrix values are used in expressions and command lines.
    """
    return {
        "include": [
            {
                "image": i.name,
                "repository": i.repository,
                "content_tag": i.content_tag,
                "input_hash": i.input_hash,
            }
            for i in plan.images
        ]
    }


def _bake_escape(value: str) -> str:
    """Bake evaluates `${...}` and `%{...}` in JSON strings (HCL's JSON syntax); keep them literal.

    This is the escaping `docker buildx bake --print` applies itself (bake.Target.MarshalJSON).
    """
    return value.replace("${", "$${").replace("%{", "%%{")


# BuildKit's attestations, attached to each pushed image index: an SPDX SBOM of what the
# image holds, and SLSA provenance with every build parameter (mode=max).
BAKE_ATTEST = ["type=sbom", "type=provenance,mode=max"]


# With `by_digest`: BuildKit pushes the image index by digest only (no tag), so nothing carries a
# release or content tag until the tool probed the pushed image (`build --pushed DIGEST`).
BAKE_BY_DIGEST = "type=image,push-by-digest=true,name-canonical=true,push=true"


def bake_document(plan: BuildPlan, *, registry: str | None = None,
                  by_digest: bool = False) -> dict[str, Any]:
    """A `docker buildx bake` file in the JSON shape `bake --print` gives.

    Contexts are relative to the repository root (run bake from there); `dockerfile` is relative
    to its context, as bake resolves it. Each target builds for its image's platforms with
    BuildKit's SBOM and provenance attestations; `SOURCE_DATE_EPOCH` is the plan's `created`
    and the output rewrites every timestamp to it (`rewrite-timestamp=true`), so a rebuild of
    one commit gives the same layers. `--push` pushes the tags (bake's `output` stays an image).
    With `by_digest`, the target names only the repository and its output pushes the index by
    digest (`docker buildx bake` without `--push`, which would override the output); the
    metadata file's `containerimage.digest` is then the one thing that names it.
    """
    epoch = str(epoch_of(plan.provenance.created))
    return {
        "group": {BAKE_GROUP: {"targets": [i.name for i in plan.images]}},
        "target": {
            i.name: {
                "context": i.context,
                "dockerfile": i.dockerfile,
                "args": {**{k: _bake_escape(v) for k, v in i.args.items()},
                         "SOURCE_DATE_EPOCH": epoch},
                "tags": [f"{registry}/{i.repository}" if registry else i.repository]
                if by_digest else [i.ref(t, registry) for t in i.tags],
                "labels": {k: _bake_escape(v) for k, v in i.labels.items()},
                "platforms": list(i.platforms),
                "attest": list(BAKE_ATTEST),
                "output": [f"{BAKE_BY_DIGEST},rewrite-timestamp=true" if by_digest
                           else "type=image,rewrite-timestamp=true"],
            }
            for i in plan.images
        },
    }

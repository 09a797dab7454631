"""An image BuildKit pushed by digest: probed on each of its platforms, then tagged.

release.yml builds each image once, with `docker buildx bake` of `build --plan --bake FILE
--by-digest`: every platform, with BuildKit's SBOM and provenance attestations, pushed as one
image index under no tag. `build --only IMAGE --pushed DIGEST` then does what the classic build
does after its build: it pulls that index's image for each of the image's platforms (arm64 runs
under the runner's QEMU, as the build's own RUN steps did), runs the version probe in it, and
only when every platform printed every pinned version does it give the index its content tag
and then its release tag (registry API, the manifest byte for byte: the digest stays). A failed
probe leaves the index untagged: a re-run finds no content tag and builds again, and nothing an
operator pulls by tag is an unprobed image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from release.errors import InvalidInput, ReleaseError
from release.images.engine import Engine
from release.images.plan import ImagePlan
from release.images.registry import Registry
from release.images.run import probe_problem
from release.versioning import DIGEST_RE


class ProbeFailedError(ReleaseError):
    """The pushed image did not print its pinned versions on some platform (exit 1)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Probed:
    platform: str
    output: str  # what the probe printed (first 200 characters, one line)


def probe_and_tag(engine: Engine, registry: Registry, image: ImagePlan, digest: str, *,
                  auth: Mapping[str, str] | None) -> list[Probed]:
    """Probe `image`'s index `digest` on every platform, then tag it; what each probe printed."""
    if not DIGEST_RE.fullmatch(digest):
        raise InvalidInput(f"--pushed {digest!r} is not an image digest (sha256:<64 hex>)")
    repository = f"{registry.host}/{image.repository}"
    probed: list[Probed] = []
    problems: list[str] = []
    for platform in image.platforms:
        image_id = engine.pull(repository, digest, platform=platform, auth=auth)
        if not image.probe:
            probed.append(Probed(platform=platform, output="(no version probe)"))
            continue
        result = engine.probe(image_id, image.probe)
        problem = probe_problem(image, result.exit_code, result.output)
        if problem is not None:
            problems.append(f"{platform}: {problem}")
        probed.append(Probed(platform=platform, output=" ".join(result.output.split())[:200]))
    if problems:
        raise ProbeFailedError(
            f"{image.name}@{digest}: " + "; ".join(problems),
            hint="the index stays untagged in the registry; fix the image and re-run the job",
        )
    for tag in (image.content_tag, image.release_tag):
        registry.add_tag(image.repository, digest, tag)
    return probed

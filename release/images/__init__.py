"""Images: the build plan, docker builds, ECR repositories and pushes, the bill of materials.

Data flows one way, as everywhere in this package:

- read: `context` reads each image's build context (files, modes) once;
- decide (pure): `plan` turns the manifest and the contexts into an `ImagePlan` per image (build
  args, tags, labels, input hash); `run.decide` turns a plan and what the target registry holds
  into an action per image (build, add a tag, nothing) or refuses;
- apply: `run.apply` builds with `engine` (the docker SDK), probes, pushes through `registry`
  (registry HTTP API v2) after `ecr` has made the repositories; `bom` records what happened.

`exports` renders a plan for other tools (JSON, a GitHub Actions matrix, a `docker buildx bake`
file). Nothing here parses arguments or prints; `release.cli` wires it.
"""

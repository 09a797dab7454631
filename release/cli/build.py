"""The commands that build and describe images: `build`, `sbom`, `scan` and `bom`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from release.cli.common import (
    Parser,
    UsageError,
    bom_option,
    json_option,
    positive_int,
    root_option,
    step_summary,
)
from release.errors import InvalidInput
from release.versioning import GITHUB_ACTIONS_ISSUER

if TYPE_CHECKING:
    import docker

    from release.bom import Bom
    from release.cli.common import Subcommands
    from release.images.plan import BuildPlan
    from release.manifest.model import Manifest


def add_commands(commands: Subcommands) -> None:
    """`build` (plan, exports, build and push) and `bom diff`."""
    build = commands.add_parser(
        "build", help="build the images of images/ (and push them with --push)",
        description="Build every image of images/ that the target registry does not hold yet "
        "(by its input hash), probe its version, push it and record the release's bill of "
        "materials in releases/<version>.json.",
    )
    root_option(build)
    exports = build.add_argument_group("plan only (nothing is built)")
    exports.add_argument("--plan", action="store_true", help="print the build plan")
    exports.add_argument(
        "--github-matrix", action="store_true",
        help='print the plan as a GitHub Actions matrix ({"include": [...]}) on stdout',
    )
    exports.add_argument(
        "--bake", metavar="FILE", type=Path, help="write the plan as a docker buildx bake file"
    )
    exports.add_argument(
        "--by-digest", action="store_true",
        help="with --bake: each target pushes its image index by digest only, untagged (tagged "
        "by --pushed once probed)",
    )
    json_option(build)
    build.add_argument(
        "--only", metavar="IMAGE", nargs="+", action="extend", help="only these images"
    )
    build.add_argument("--push", action="store_true",
                       help="push to ECR (or --registry) and write releases/<version>.json")
    build.add_argument("--jobs", metavar="N", type=positive_int, default=2,
                       help="builds at once (default: %(default)s)")
    build.add_argument(
        "--registry", metavar="HOST",
        help="push to this v2 registry (host[:port]) instead of ECR's own; ECR still gets the "
        "repositories unless --no-ecr",
    )
    build.add_argument("--no-ecr", action="store_true",
                       help="with --registry: do not create ECR repositories (plain registry)")
    build.add_argument(
        "--ecr-repositories", action="store_true",
        help="only make the ECR repositories of the images (immutable tags, scan on push) and "
        "exit: before a BuildKit push (release.yml)",
    )
    build.add_argument(
        "--pushed", metavar="DIGEST",
        help="with one --only IMAGE: probe the image index BuildKit pushed by digest on each "
        "of its platforms, then give it its content and release tags (release.yml)",
    )
    build.add_argument("--namespace", default="delphi",
                       help="repository path before the image name (default: %(default)s)")
    build.add_argument("--log-dir", metavar="DIR", type=Path,
                       help="per-image build logs (default: ROOT/build/logs)")
    build.add_argument("--allow-dirty", action="store_true",
                       help="push even when versions.yaml or images/ differ from the commit")
    build.add_argument("--allow-unconfirmed", action="store_true",
                       help="push even when an image's pins include values marked unconfirmed "
                       "(recorded in the bill of materials)")
    build.add_argument("--source", metavar="URL",
                       help="org.opencontainers.image.source (default: the GitHub repository, "
                       "else the origin remote)")
    build.set_defaults(handler=_build)

    sbom = commands.add_parser(
        "sbom", help="write the CycloneDX SBOM of a release from its bill of materials",
        description="Write the CycloneDX 1.6 SBOM of what versions.yaml pins and the images of "
        "a bill of materials, validated against the CycloneDX schema.",
    )
    root_option(sbom)
    bom_option(sbom)
    sbom.add_argument("--output", metavar="FILE", type=Path, required=True,
                      help="where to write the SBOM (releases/<version>.cdx.json)")
    sbom.add_argument("--image", metavar="IMAGE",
                      help="the SBOM of this image only: it and the components it pins")
    sbom.set_defaults(handler=_sbom)

    scan = commands.add_parser(
        "scan", help="gate a release on ECR's scan findings of its images",
        description="Wait for ECR's scan of every image digest of a bill of materials and exit "
        "1 when any has a finding at or above --fail-on (a table goes to the job summary).",
    )
    root_option(scan)
    bom_option(scan)
    scan.add_argument("--fail-on", metavar="SEVERITY", default="HIGH",
                      help="INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL (default: %(default)s)")
    scan.set_defaults(handler=_scan)

    bom = commands.add_parser("bom", help="bills of materials of releases (releases/*.json)")
    actions = bom.add_subparsers(dest="bom_command", metavar="ACTION", parser_class=Parser)
    actions.required = True
    diff = actions.add_parser("diff", help="what changed between two releases")
    root_option(diff)
    diff.add_argument("before", help="a release version (releases/<version>.json) or a file")
    diff.add_argument("after", help="a release version (releases/<version>.json) or a file")
    json_option(diff)
    diff.add_argument(
        "--repo", metavar="OWNER/NAME",
        help="the GitHub repository whose releases carry the bills of materials not in "
        "releases/ (default: GITHUB_REPOSITORY, else the origin remote)",
    )
    diff.add_argument("--no-fetch", action="store_true",
                      help="use only releases/*.json of this tree; fetch nothing")
    diff.set_defaults(handler=_bom_diff)
    signatures = actions.add_parser(
        "signatures", help="record each image's cosign signature and SBOM attestation",
        description="Read, from the registry the bill of materials names, the manifests that "
        "refer to each image digest, and record the digests of cosign's signature and CycloneDX "
        "attestation in the file (exit 1, the file unchanged, when an image has either "
        "missing). --dry-run records `not signed (dry run)` instead.",
    )
    root_option(signatures)
    bom_option(signatures)
    signed = signatures.add_mutually_exclusive_group(required=True)
    signed.add_argument("--identity", metavar="URL",
                        help="the certificate identity cosign signed with (the release "
                        "workflow: https://github.com/OWNER/NAME/.github/workflows/release.yml"
                        "@refs/tags/vX)")
    signed.add_argument("--dry-run", action="store_true",
                        help="nothing was signed: record that, with no digest")
    signatures.add_argument("--issuer", metavar="URL", default=GITHUB_ACTIONS_ISSUER,
                            help="the certificate's OIDC issuer (default: %(default)s)")
    signatures.add_argument("--registry", metavar="HOST",
                            help="the v2 registry the images were pushed to, read without "
                            "credentials (as build --registry); default: log in to the "
                            "account's ECR")
    signatures.set_defaults(handler=_bom_signatures)


def _build(args: argparse.Namespace) -> int:
    from release.images.plan import make_plan, read_sources
    from release.images.provenance import read_provenance
    from release.manifest.tree import load_tree

    if args.github_matrix and args.json:
        raise UsageError("--github-matrix and --json both print on stdout; choose one")
    if args.no_ecr and args.registry is None:
        raise UsageError("--no-ecr needs --registry HOST (where else would images go?)")
    root: Path = args.root
    loaded = load_tree(root)
    sources, not_built = read_sources(root)
    provenance = read_provenance(root, os.environ, source=args.source)
    plan = make_plan(loaded.manifest, sources, provenance, namespace=args.namespace,
                     not_built=not_built)
    if args.by_digest and args.bake is None:
        raise UsageError("--by-digest shapes the bake file: it needs --bake FILE")
    if args.plan or args.github_matrix or args.bake is not None:
        return _build_plan(args, plan.select(args.only))
    if args.pushed is not None:
        return _build_pushed(args, plan)
    if args.ecr_repositories:
        from release.images import ecr

        client = ecr.make_client(os.environ)
        for state in ecr.ensure_repositories(
                client, [i.repository for i in plan.select(args.only).images]):
            print(f"build: {state.describe()}", file=sys.stderr)
        return 0
    return _build_run(args, loaded.manifest, plan)


def _build_plan(args: argparse.Namespace, plan: BuildPlan) -> int:
    import json

    from release.fsutil import write_if_changed
    from release.images.exports import bake_document, github_matrix, plan_json, plan_table
    from release.refresh.report import stderr_console

    if args.bake is not None:
        bake: Path = args.bake.resolve()
        text = json.dumps(bake_document(plan, registry=args.registry, by_digest=args.by_digest),
                          indent=2) + "\n"
        write_if_changed(bake.parent, bake.name, text)
        print(f"build: wrote bake file {args.bake} ({len(plan.images)} targets)", file=sys.stderr)
    if args.github_matrix:
        print(json.dumps(github_matrix(plan)))
    elif args.json:
        print(plan_json(plan, registry=args.registry))
    elif args.plan:
        stderr_console().print(plan_table(plan))
    return 0


def _build_pushed(args: argparse.Namespace, plan: BuildPlan) -> int:
    import docker
    import httpx

    from release.images import ecr
    from release.images.engine import Engine, connect
    from release.images.pushed import probe_and_tag
    from release.images.registry import Registry, parse_registry

    if len(args.only or ()) != 1:
        raise UsageError("--pushed DIGEST names the index of one image: give --only IMAGE")
    image = plan.select(args.only).images[0]
    target = (parse_registry(args.registry) if args.registry is not None
              else ecr.login(ecr.make_client(os.environ)))
    auth = target.credentials.docker_auth() if target.credentials is not None else None
    engine = Engine(connect(lambda: docker.from_env(timeout=600)))
    with httpx.Client(timeout=30.0, trust_env=True) as http:
        probed = probe_and_tag(engine, Registry(target, http), image, args.pushed, auth=auth)
    for item in probed:
        print(f"build: {image.name} {item.platform}: {item.output}", file=sys.stderr)
    print(f"build: {target.host}/{image.repository}@{args.pushed} probed on "
          f"{', '.join(image.platforms)}, tagged {image.content_tag} and {image.release_tag}",
          file=sys.stderr)
    return 0


CLASSIC_BUILD_LIMITS = (
    "build: the engine's classic builder made these images for its own architecture only, "
    "without SBOM or provenance attestations; the release builds linux/amd64 and linux/arm64 "
    "with both, with BuildKit (build --plan --bake, release.yml)"
)


def _build_run(args: argparse.Namespace, manifest: Manifest, plan: BuildPlan) -> int:
    import docker
    import httpx

    from release.images import ecr
    from release.images.build import BuildOptions, execute
    from release.images.progress import reporter
    from release.images.report import (
        failure_lines,
        outcome_json,
        outcome_table,
        summary_line,
    )
    from release.refresh.report import stderr_console

    root: Path = args.root
    options = BuildOptions(
        root=root, log_dir=args.log_dir or root / "build" / "logs", only=tuple(args.only or ()),
        push=args.push, jobs=args.jobs, registry=args.registry, ecr=not args.no_ecr,
        allow_dirty=args.allow_dirty, allow_unconfirmed=args.allow_unconfirmed,
    )
    ecr_client = ecr.make_client(os.environ) if args.push and not args.no_ecr else None
    console = stderr_console()

    def docker_client() -> docker.DockerClient:
        # Builds stream for as long as a step runs: no read timeout shorter than a compile.
        return docker.from_env(timeout=3600, max_pool_size=args.jobs + 4)

    with httpx.Client(timeout=30.0, trust_env=True) as http, reporter(console) as on_event:
        report = execute(
            options, manifest=manifest, plan=plan, docker_factory=docker_client,
            ecr_client=ecr_client, http=http, on_event=on_event,
        )
    lines = [r.describe() for r in report.repositories if r.created or r.mutable]
    console.print(outcome_table(report))
    lines += [*failure_lines(report.outcome.failed), summary_line(report)]
    if report.outcome.builds:
        lines.append(CLASSIC_BUILD_LIMITS)
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if args.json:
        print(outcome_json(report))
    return 1 if report.outcome.failed else 0


def _release_bom(root: Path, ref: str, args: argparse.Namespace) -> Bom:
    from release.bom import bom_relpath
    from release.images.bom_fetch import release_bom

    bom, fetched_from = release_bom(root, ref, repo=args.repo, fetch=not args.no_fetch,
                                    environ=os.environ)
    if fetched_from is not None:
        print(f"bom: {bom_relpath(ref)} fetched from {fetched_from}", file=sys.stderr)
    return bom


def _sbom(args: argparse.Namespace) -> int:
    from release.bom import SBOM_FIELDS, load_bom
    from release.fsutil import write_if_changed
    from release.images.provenance import read_provenance
    from release.images.sbom import make_sbom
    from release.manifest.load import load_manifest
    from release.manifest.model import MANIFEST

    root: Path = args.root
    bom = load_bom(args.bom, needed=SBOM_FIELDS)
    manifest = load_manifest(root / MANIFEST).manifest
    provenance = read_provenance(root, os.environ)
    components = None
    if args.image is not None:
        from release.images.plan import make_plan, read_sources

        sources, not_built = read_sources(root)
        plan = make_plan(manifest, sources, provenance, not_built=not_built).select([args.image])
        components = [c.name for c in plan.image(args.image).components]
    text = make_sbom(manifest, bom, created=provenance.created, image=args.image,
                     components=components)
    output: Path = args.output.resolve()
    write_if_changed(output.parent, output.name, text)
    counted = len(components) if components is not None else len(manifest.components)
    print(f"sbom: wrote {args.output} (CycloneDX 1.6, {counted} components"
          + (f", image {args.image})" if args.image else f", {len(bom.images)} images)"),
          file=sys.stderr)
    return 0


def _scan(args: argparse.Namespace) -> int:
    from release.bom import SCAN_FIELDS, load_bom
    from release.images import ecr
    from release.images.scan import check_severity, report_markdown, scan_gate

    fail_on = check_severity(args.fail_on)
    bom = load_bom(args.bom, needed=SCAN_FIELDS)
    scans = scan_gate(ecr.make_client(os.environ), bom)
    report = report_markdown(scans, fail_on)
    step_summary(report.removesuffix("\n"))
    failed = [s for s in scans if s.at_or_above(fail_on)]
    for s in scans:
        counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(s.counts.items())) or "none"
        print(f"scan: {s.reference}: {counts}", file=sys.stderr)
    print(f"scan: {len(failed)} of {len(scans)} images with findings at {fail_on} or above",
          file=sys.stderr)
    return 1 if failed else 0


def _bom_signatures(args: argparse.Namespace) -> int:
    import httpx

    from release.bom import bom_json, load_bom
    from release.fsutil import write_if_changed
    from release.images.registry import Registry, parse_registry
    from release.images.signatures import find_signatures, record_dry_run

    bom = load_bom(args.bom)
    path: Path = args.bom.resolve()
    if args.dry_run:
        write_if_changed(path.parent, path.name, bom_json(record_dry_run(bom)))
        print(f"bom: {args.bom}: {len(bom.images)} images recorded as not signed (dry run)",
              file=sys.stderr)
        return 0
    if not args.identity.startswith("https://"):
        raise UsageError(f"--identity {args.identity!r} is not an https:// URL (the workflow's "
                         "certificate identity)")
    if bom.registry is None:
        raise InvalidInput(f"{args.bom}: names no registry: nothing was pushed to sign")
    if args.registry is not None:
        target = parse_registry(args.registry)
    else:
        from release.images import ecr

        target = ecr.login(ecr.make_client(os.environ))
    if target.host != bom.registry:
        raise InvalidInput(f"{args.bom}: its images are in {bom.registry}, not in "
                           f"{target.host}" + ("" if args.registry else " (the account's ECR; "
                                                "--registry HOST names another)"))
    with httpx.Client(timeout=30.0, trust_env=True) as http:
        registry = Registry(target, http)
        signed = find_signatures(bom, registry.referrers, identity=args.identity,
                                 issuer=args.issuer)
    write_if_changed(path.parent, path.name, bom_json(signed))
    for image in signed.images:
        print(f"bom: {image.name}: signed {getattr(image.signature, 'digest', '')}, attested "
              f"{getattr(image.sbom_attestation, 'digest', '')}", file=sys.stderr)
    return 0


def _bom_diff(args: argparse.Namespace) -> int:
    import json

    from release.images.bom import diff_boms, diff_document, render_diff

    root: Path = args.root
    before, after = (_release_bom(root, ref, args) for ref in (args.before, args.after))
    diff = diff_boms(before, after)
    if args.json:
        print(json.dumps(diff_document(diff), indent=2))
    else:
        print(render_diff(diff))
    return 0

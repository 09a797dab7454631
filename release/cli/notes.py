"""The commands of a release's words and name: `notes`, `docs` and `version`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from release.cli.common import UsageError, color_stdout, date_arg, root_option, today

if TYPE_CHECKING:
    from release.cli.common import Subcommands
    from release.notes.notes import NotesInputs
    from release.notes.upstream_notes import UpstreamAttention


def add_commands(commands: Subcommands) -> None:
    """`notes` (release notes with the operator checklist) and `docs` (third-party versions)."""
    notes = commands.add_parser(
        "notes", help="render the release notes with the operator rollout checklist",
        description="Render the release notes of the commits FROM..TO as GitHub Markdown: "
        "header, action-required notes, changelog, third-party versions, images, and the "
        "operator rollout checklist selected by what changed.",
    )
    root_option(notes)
    notes.add_argument("--version", metavar="V",
                       help="the release (default: `release` of versions.yaml at --to)")
    notes.add_argument("--from", dest="from_ref", metavar="REF",
                       help="the previous release (default: the last v* tag before --to; "
                       "with none, the whole history, as the first release)")
    notes.add_argument("--to", dest="to_ref", metavar="REF", help="the release (default: HEAD)")
    notes.add_argument("--date", metavar="YYYY-MM-DD", type=date_arg,
                       help="the release date (default: the commit date of --to, UTC)")
    notes.add_argument("--repo-url", metavar="URL",
                       help="GitHub repository for commit and PR links (default: "
                       "$DELPHI_REPOSITORY_URL, GitHub Actions' repository, the origin remote)")
    notes.add_argument("--output", metavar="FILE", type=Path,
                       help="write the notes to FILE (default: stdout)")
    notes.add_argument("--sample", action="store_true",
                       help="render the sample docs/examples/release-notes.md from "
                       "docs/examples/sample-release.yaml and the current tree")
    notes.add_argument("--upstream-notes", action="store_true",
                       help="read upstream's GitHub release notes between the old and new "
                       "version of each component and quote what needs attention (network)")
    notes.add_argument("--check", action="store_true",
                       help="with --sample or --output: fail (exit 1) when the file is stale")
    notes.set_defaults(handler=_notes)

    docs = commands.add_parser(
        "docs", help="render docs/third-party-versions.md from versions.yaml"
    )
    root_option(docs)
    docs.add_argument("--check", action="store_true",
                      help="fail (exit 1) when the committed page is stale; write nothing")
    docs.set_defaults(handler=_docs)


def _notes(args: argparse.Namespace) -> int:
    from release.notes.docs import write_or_check
    from release.notes.notes import decide, read_git_inputs, render_notes
    from release.notes.sample import SAMPLE_OUTPUT, read_sample_inputs

    root: Path = args.root
    if args.sample:
        given = [flag for flag, value in (("--from", args.from_ref), ("--to", args.to_ref),
                 ("--version", args.version), ("--date", args.date), ("--output", args.output))
                 if value is not None]
        if given:
            raise UsageError(f"--sample renders from docs/examples/; drop {', '.join(given)}")
        inputs = read_sample_inputs(root)
    else:
        if args.check and args.output is None:
            raise UsageError("--check needs --output FILE (or --sample)")
        inputs = read_git_inputs(
            root, version=args.version, from_ref=args.from_ref, to_ref=args.to_ref,
            date=args.date, repo_url=args.repo_url, env=os.environ,
        )
    if args.upstream_notes:
        if args.sample:
            raise UsageError("--sample renders offline; drop --upstream-notes")
        inputs = _with_upstream_notes(inputs)
    text = render_notes(decide(inputs))
    if args.sample or args.output is not None:
        target = root / SAMPLE_OUTPUT if args.sample else Path(args.output)
        where, name = (root, SAMPLE_OUTPUT) if args.sample else (target.parent, target.name)
        regenerate = "nox -s docs" if args.sample else "python -m release notes --output FILE"
        changed = write_or_check(where, name, text, check=args.check, regenerate=regenerate)
        state = "up to date" if not changed else "written"
        print(f"notes: {target} {state}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _with_upstream_notes(inputs: NotesInputs) -> NotesInputs:
    """`inputs` with what upstream's release notes in each component's range ask for."""
    import dataclasses

    from release.notes.diff import diff_manifests
    from release.notes.upstream_notes import fetch_attention
    from release.upstream.http import GitHubAuth, open_fetcher
    from release.upstream.sources import Endpoints

    changes = diff_manifests(inputs.old_manifest, inputs.new_manifest, today=inputs.date)
    endpoints = Endpoints.from_environ(os.environ)

    async def go() -> tuple[UpstreamAttention, ...]:
        async with open_fetcher(github=GitHubAuth.from_env(os.environ)) as fetcher:
            return await fetch_attention(changes, inputs.new_manifest, fetcher,
                                         api_url=endpoints.github_api_url)

    import asyncio

    return dataclasses.replace(inputs, upstream_attention=asyncio.run(go()))


def _docs(args: argparse.Namespace) -> int:
    from release.manifest.load import load_manifest
    from release.manifest.model import MANIFEST
    from release.notes.docs import PAGE, render_page, write_or_check

    root: Path = args.root
    page = render_page(load_manifest(root / MANIFEST).manifest)
    changed = write_or_check(root, PAGE, page, check=args.check, regenerate="nox -s docs")
    print(f"docs: {PAGE} {'written' if changed else 'up to date'}", file=sys.stderr)
    return 0


def add_version_command(commands: Subcommands) -> None:
    version = commands.add_parser(
        "version", help="the release version: what versions.yaml says, the newest release tag, "
        "and the next release's version (YYYY.MM.N)",
    )
    root_option(version)
    version.add_argument(
        "--set", metavar="VERSION", dest="set_to",
        help="move versions.yaml's release to VERSION, or to the proposed one with 'next'",
    )
    version.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    version.add_argument(
        "--today", metavar="YYYY-MM-DD", type=date_arg, default=None,
        help="propose the version as of this date (default: today, UTC)",
    )
    version.set_defaults(handler=_version)


def _version(args: argparse.Namespace) -> int:
    """Show where the release version stands; with --set, move it. stdout: the version the next
    release tag carries (so `v$(python -m release version)` is the tag to push)."""
    from release.calver import parse_or_fail, release_state
    from release.fsutil import FileChange, write_files
    from release.manifest.model import MANIFEST
    from release.manifest.tree import load_tree
    from release.manifest.write import set_scalars
    from release.notes.gitlog import tag_names
    from release.textdiff import unified_diff

    root: Path = args.root
    loaded = load_tree(root, pins=False)
    tags = tag_names(root)
    if tags is None:
        print(f"warning: {root.resolve()} is not a git repository: release tags are unknown",
              file=sys.stderr)
    state = release_state(loaded.manifest.release, tags or (), args.today or today())
    if args.set_to is None:
        print(f"version: {state.describe()}", file=sys.stderr)
        print(state.proposed if state.released else state.current)
        return 0
    if args.set_to == "next":
        if not state.released:
            print(f"version: {state.describe()}; nothing was changed", file=sys.stderr)
            print(state.current)
            return 0
        target = state.proposed
    else:
        target = parse_or_fail(args.set_to, "--set")
        if state.latest_tag is not None and target <= state.latest_tag:
            raise UsageError(f"--set {target}: not after the newest release tag "
                             f"{state.latest_tag.tag} (the next is {state.proposed})")
    if target == state.current:
        print(f"version: release is already {target}; nothing was changed", file=sys.stderr)
        print(target)
        return 0
    text = set_scalars(loaded.text, {"release": str(target)}, filename=MANIFEST)
    change = FileChange(path=MANIFEST, old=loaded.text, new=text)
    if args.dry_run:
        sys.stdout.write(unified_diff([change], color=color_stdout()))
        print(f"dry run: release {state.current} -> {target}; nothing was written",
              file=sys.stderr)
        return 0
    write_files(root, [change])
    print(f"version: release {state.current} -> {target} in {MANIFEST}; once merged, tag the "
          f"release commit {target.tag}", file=sys.stderr)
    print(target)
    return 0

"""Command-line interface: argument parsing, and the one place errors become exit codes.

`main(argv) -> int` is called by `python -m release` and directly by tests. Exit codes: 0 done;
1 done but problems found; 2 bad usage or invalid input (nothing was changed). The commands
live in one module per family (`upstream`: verify, pin, check, refresh; `build`: build,
sbom, scan, bom; `notes`: notes, docs, version); what their arguments share is `common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from release.cli import build, notes, upstream
from release.cli.common import Handler, Parser, UsageError
from release.errors import ProblemsFound, ReleaseError
from release.versioning import UnsafeValueError

__all__ = ["build_parser", "find_root", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m release",
        description="Delphi's release and version-pinning pipeline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    upstream.add_commands(commands)
    build.add_commands(commands)
    notes.add_commands(commands)
    notes.add_version_command(commands)
    return parser


@contextmanager
def _reported(codes: list[int]) -> Iterator[None]:
    """Turn every expected failure into a message on stderr and an exit code."""
    try:
        yield
    except ProblemsFound as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        codes.append(exc.exit_code)
    except ReleaseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        codes.append(exc.exit_code)
    except UnsafeValueError as exc:
        print(f"error: refused: {exc}; nothing was changed", file=sys.stderr)
        codes.append(2)
    except KeyboardInterrupt:
        print("interrupted; files are either old or new, never half-written", file=sys.stderr)
        codes.append(130)


def find_root(start: Path) -> Path:
    """The nearest folder from `start` upwards holding versions.yaml (else `start` itself).

    So a command run from `images/redis/` works as it does from the root; with no versions.yaml
    anywhere above, the command's own "no such file" error names the path it looked for.
    """
    from release.manifest.model import MANIFEST

    for folder in (start, *start.parents):
        if (folder / MANIFEST).is_file():
            return folder if folder != start else Path()
    return Path()


def _cwd() -> Path:
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "the current directory no longer exists (deleted or moved away): cd into the "
            "repository again, or pass --root"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    codes: list[int] = []
    with _reported(codes):
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if "root" in vars(args) and args.root is None:
            args.root = find_root(_cwd())
        if extra:
            # argparse names only the top-level program; say which subcommand got the flag.
            raise UsageError(
                f"{parser.prog} {args.command}: unrecognized arguments: {' '.join(extra)}"
            )
        handler: Handler = args.handler
        with _manifest_cache(args):
            codes.append(handler(args))
    return codes[-1] if codes else 0


def _manifest_cache(args: argparse.Namespace) -> AbstractContextManager[None]:
    """Validated manifests cached beside the HTTP cache (`<cache-dir>/manifest/`), for the
    commands that have one and unless `--no-cache` (see `release.manifest.fastload`)."""
    from release.manifest.fastload import parse_cache

    cache_dir: Path | None = getattr(args, "cache_dir", None)
    if cache_dir is None or getattr(args, "no_cache", False):
        return parse_cache(None)
    return parse_cache(cache_dir / "manifest")


"""Record the offline demo: `run_check --resolve` on versions.yaml against the fake world.

    python scripts/record_demo.py tests/data/replay

Starts the fake internet of `tests/world/` on 127.0.0.1, runs the check (with
checksums and image digests resolved) on this repository's `versions.yaml` through a
`RecordingTransport` wrapped around the host-routing transport, so the recording holds the REAL
upstream URLs (`https://api.github.com/...`), and replaces DIRECTORY with it: the new recording
is written to a temporary directory next to DIRECTORY and swapped in only once complete.
`refresh --replay DIRECTORY` and `tests/integration/refresh/test_replay_demo.py` replay it with no
network at all. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fake world (tests/world/) lives with the tests

from world import record_check

from release.manifest.load import load_manifest
from release.upstream.recording import INDEX_NAME


def swap_in(staged: Path, target: Path) -> None:
    """Replace `target` by the complete directory `staged` (same parent), old one last to go.

    Two renames: between them `target` is briefly absent, never half-written.
    """
    retired: Path | None = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        retired.rmdir()
        target.rename(retired)
    staged.rename(target)
    if retired is not None:
        shutil.rmtree(retired)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="the recording to (re)write")
    parser.add_argument(
        "--manifest", type=Path, default=REPO / "versions.yaml",
        help="the versions.yaml to check (default: this repository's)",
    )
    args = parser.parse_args(argv)
    target: Path = args.directory.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(args.manifest).manifest

    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        outcome = record_check(manifest, staged)
        # mkdtemp/mkstemp make private files; a recording is meant to be committed and shared.
        staged.chmod(0o755)
        for path in staged.iterdir():
            path.chmod(0o644)
        if not (staged / INDEX_NAME).is_file():
            print(f"error: nothing was recorded; {target} left as it was", file=sys.stderr)
            return 1
        swap_in(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise

    files = sorted(p for p in target.iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in files)
    width = max((len(r.component) for r in outcome.results), default=0)
    for result in outcome.results:
        moved = f" -> {result.candidate}" if result.candidate else ""
        print(f"  {result.component:<{width}} {result.status.value:<8} {result.pinned}{moved}",
              file=sys.stderr)
    print(f"recorded {len(files)} files ({size // 1024} KiB) in {target}", file=sys.stderr)
    return 1 if outcome.errors else 0


if __name__ == "__main__":
    sys.exit(main())

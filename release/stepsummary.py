"""GitHub Actions' job summary: Markdown appended to the file `GITHUB_STEP_SUMMARY` names.

The summary is a convenience of the CI page: a run's result stands without it, so a summary
that cannot be written is a warning on stderr, never an error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def append(markdown: str, environ: Mapping[str, str] | None = None) -> None:
    """Append `markdown` (and a newline) to the job summary; nothing outside GitHub Actions."""
    path = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        print(f"warning: cannot append to GITHUB_STEP_SUMMARY ({path}): {exc.strerror}",
              file=sys.stderr)

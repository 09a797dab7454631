"""delphi-release: the release and version-pinning pipeline of Delphi."""

import sys

__version__ = "0.1.0"

# `import httpx` also imports httpx's command-line tool (click, pygments: 20-30 ms of every
# command's start-up); this package never runs it, and httpx falls back to a stub without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

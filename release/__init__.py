"""delphi-release: the release and version-pinning pipeline of Delphi."""

import importlib.util
import sys

__version__ = "0.1.0"

# `import httpx` also imports httpx's command-line tool (click, pygments: 20-30 ms of every
# command's start-up); this package never runs it, and httpx falls back to a stub without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
# httpcore tries `import sniffio` for every lock it takes (several per request) and falls back
# to asyncio when it is missing; missing, every try searched the whole sys.path again (~0.4 ms
# each, 0.5 s of CPU for a 1,000-component check). Recorded as missing once, it fails at once.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

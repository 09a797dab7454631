"""Deterministic data of the world: fake file bytes, digests, ids and constant header values.

Every value is derived from a label (a URL, a repository and tag), so a recording of the world is
reproducible byte for byte.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

# Constant rate-limit numbers: a recording of the world must not change from run to run.
_RATELIMIT_RESET = "1789570800"  # 2026-09-16 15:00 UTC
_FAR_RESET = "4102444800"  # 2100-01-01: longer than any fetcher waits

_MAGIC = {".tar.gz": b"\x1f\x8b\x08\x00", ".tgz": b"\x1f\x8b\x08\x00", ".tar.xz": b"\xfd7zXZ\x00",
          ".tar.bz2": b"BZh91AY&SY", ".deb": b"!<arch>\n"}


def fake_bytes(label: str, size: int = 3072) -> bytes:
    """Deterministic bytes standing for the file `label` (its real magic number first)."""
    out = bytearray(next((m for ext, m in _MAGIC.items() if label.endswith(ext)), b""))
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}#{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hexid(label: str, length: int = 40) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:length]


def _num(label: str) -> int:
    return 100_000_000 + int(_hexid(label, 12), 16) % 900_000_000


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _days_before(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()

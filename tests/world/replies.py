"""The shapes of the world's replies: JSON with a body-hash ETag, files and redirects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from world.fakedata import _compact, sha256
from world.server import Reply


def _json(document: Any, *, status: int = 200, headers: Mapping[str, str] | None = None,
          etag: bool = True) -> Reply:
    body = _compact(document)
    extra = dict(headers or {})
    if etag:
        extra["ETag"] = f'W/"{sha256(body)[:40]}"'
    return Reply(status=status, body=body,
                 headers={"Content-Type": "application/json; charset=utf-8", **extra})


def _file(body: bytes, content_type: str, *, etag: bool = True) -> Reply:
    headers = {"Content-Type": content_type}
    if etag:
        headers["ETag"] = f'"{sha256(body)[:32]}"'
    return Reply(body=body, headers=headers)


def _redirect(location: str) -> Reply:
    return Reply(status=302, headers={"Location": location, "Content-Type": "text/html"},
                 body=f'<html><body>You are being <a href="{location}">redirected</a>.'
                 "</body></html>".encode())

"""`--upstream-notes`: upstream's GitHub release bodies read from a real local server, every page,
and what needs attention quoted in the notes as text, with links."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import httpx
import pytest
from world.server import UpstreamServer

from release.manifest.load import parse_manifest
from release.notes.diff import diff_manifests
from release.notes.notes import NotesInputs, decide, load_checklist_for, render_notes
from release.notes.upstream_notes import UpstreamAttention, fetch_attention
from release.upstream.http import HttpFetcher

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
OLD_TEXT = (REPO / "tests" / "data" / "notes" / "versions.yaml").read_text(encoding="utf-8")
NEW_TEXT = (OLD_TEXT.replace("release: 2026.10.0", "release: 2026.11.0")
            .replace("version: 2.11.4", "version: 2.11.6")
            .replace("version: 4.17.1", "version: 4.18.0"))


def release(tag: str, body: str, **extra: object) -> dict[str, object]:
    return {"tag_name": tag, "html_url": f"https://github.com/caddyserver/caddy/releases/tag/{tag}",
            "body": body, "draft": False, "prerelease": False, **extra}


def fetch(server: UpstreamServer) -> tuple[UpstreamAttention, ...]:
    old, new = parse_manifest(OLD_TEXT), parse_manifest(NEW_TEXT)
    changes = diff_manifests(old, new, today=dt.date(2026, 11, 3))

    async def go() -> tuple[UpstreamAttention, ...]:
        async with httpx.AsyncClient(trust_env=False) as client:
            return await fetch_attention(changes, new, HttpFetcher(client), api_url=server.url)

    return asyncio.run(go())


def test_every_page_is_read_and_only_the_range_is_quoted() -> None:
    with UpstreamServer() as server:
        page2 = f"{server.url}/repos/caddyserver/caddy/releases?per_page=100&page=2"
        server.route("GET", "/repos/caddyserver/caddy/releases?per_page=100", json=[
            release("v2.12.0", "## Breaking\n\n- Not in the range."),
            release("v2.11.6", "## Breaking changes\n\n- `admin off` is <script>alert(1)</script>"
                    " | removed\n- [click](javascript:alert(1)) Caddyfile `import` paths moved"),
            release("v2.11.6-beta.1", "- removed in beta", prerelease=True),
        ], headers={"Link": f'<{page2}>; rel="next"'})
        server.route("GET", "/repos/caddyserver/caddy/releases?per_page=100&page=2", json=[
            release("v2.11.5", "## v2.11.5\n\nSee the change log.\n"),
            release("v2.11.4", "## Breaking\n\n- Already deployed."),
        ])
        # coturn answers 404: listed with the reason, never dropped.
        attention = fetch(server)
    assert [(a.component, a.old, a.new, [r.tag for r in a.releases], a.error is None)
            for a in attention] == [
        ("coturn", "4.17.1", "4.18.0", [], False),
        ("caddy", "2.11.4", "2.11.6", ["v2.11.6"], True),
    ]
    caddy = attention[1].releases[0]
    assert caddy.lines == (
        "`admin off` is <script>alert(1)</script> | removed",
        "[click](javascript:alert(1)) Caddyfile `import` paths moved",
    )

    old, new = parse_manifest(OLD_TEXT), parse_manifest(NEW_TEXT)
    inputs = NotesInputs(
        release="2026.11.0", previous="2026.10.0", from_label="v2026.10.0", to_label="HEAD",
        date=dt.date(2026, 11, 3), old_manifest=old, new_manifest=new, commits=(),
        changed_paths=("versions.yaml",), checklist=load_checklist_for(REPO, [old, new]),
        bom=None, bom_file="releases/2026.11.0.json", repo_url=None,
    )
    text = render_notes(decide(dataclasses.replace(inputs, upstream_attention=attention)))
    section = text.split("## Upstream changes that need attention\n", 1)[1].split("\n## ", 1)[0]
    assert "### caddy 2.11.4 → 2.11.6\n" in section
    assert ("- [v2.11.6](https://github.com/caddyserver/caddy/releases/tag/v2.11.6):\n"
            "  - \\`admin off\\` is &lt;script&gt;alert(1)&lt;/script&gt; \\| removed\n") in section
    # Escaped brackets: a quoted Markdown link stays text, it never becomes a link.
    assert ("  - \\[click\\](javascript:alert(1)) Caddyfile \\`import\\` paths moved\n"
            in section)
    assert "### coturn 4.17.1 → 4.18.0\n\n- Its releases could not be read (" in section
    assert ("- **Upstream changes:** upstream's release notes of coturn, caddy ask for attention: "
            "read [Upstream changes that need attention]"
            "(#upstream-changes-that-need-attention) before the rollout\n") in text

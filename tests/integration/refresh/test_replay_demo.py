"""The committed offline demo recording (tests/data/replay, made by scripts/record_demo.py).

It must replay with no server at all and give the results of the run that recorded it, and it
must not be stale: recording the fake world again today gives the same files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from world import TODAY, record_check

from release.manifest.load import load_manifest
from release.refresh.decide import Status
from release.refresh.execute import Outcome, run_check
from release.upstream.errors import PermanentUpstreamError
from release.upstream.http import FetchSettings, HttpFetcher
from release.upstream.recording import INDEX_NAME, ReplayTransport

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest
REPLAY = REPO / "tests" / "data" / "replay"
# Headers that differ from one recording to the next on real hosts (the world sends none).
VOLATILE = frozenset({"date", "age", "expires", "x-github-request-id", "x-request-id",
                      "x-served-by", "x-timer", "cf-ray"})
STALE_HINT = "the recording is stale: run `python scripts/record_demo.py tests/data/replay`"


async def _no_sleep(_seconds: float) -> None:
    return None


def replay(directory: Path) -> Outcome:
    """`run_check(resolve=True)` answered only by the recording in `directory`."""

    async def main() -> Outcome:
        transport = ReplayTransport(directory)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            fetcher = HttpFetcher(client, settings=FetchSettings(max_attempts=1),
                                  sleep=_no_sleep)
            return await run_check(MANIFEST, fetcher, today=TODAY, resolve=True,
                                   advisories=True, end_of_life=True)

    return asyncio.run(main())


def index(directory: Path) -> list[dict[str, Any]]:
    """The recording's index rows, without volatile headers."""
    rows: list[dict[str, Any]] = json.loads((directory / INDEX_NAME).read_text())["responses"]
    return [{**row, "headers": {k: v for k, v in row["headers"].items() if k not in VOLATILE}}
            for row in rows]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcome]:
    """A fresh recording of the world (as scripts/record_demo.py makes) and its run's outcome."""
    directory = tmp_path_factory.mktemp("record") / "replay"
    return directory, record_check(MANIFEST, directory)


def test_replay_gives_the_results_of_the_recorded_run(recorded: tuple[Path, Outcome]) -> None:
    _, live = recorded
    replayed = replay(REPLAY)

    assert replayed == live
    assert replayed.errors == ()
    statuses = {r.component: r.status for r in replayed.results}
    assert sorted(n for n, s in statuses.items() if s is Status.CURRENT) == [
        "actions-cache", "actions-download-artifact", "actions-upload-artifact",
        "aws-configure-aws-credentials", "binfmt", "buildkit", "clickhouse",
        "docker-setup-buildx-action", "docker-setup-qemu-action", "pjproject", "python", "signoz", "signoz-otel-collector", "sigstore-cosign-installer",
        "zookeeper"]
    # histogram-quantile-arm64 and caddy-arm64 move with histogram-quantile and caddy.
    assert len(replayed.updates) == 18
    # Every update carries what it pins besides its version; the Debian snapshot pins nothing
    # else (a timestamp).
    assert [u.component for u in replayed.updates
            if not (u.sha256 or u.digest or u.commit)] == ["debian-snapshot"]
    # An action's update carries the commit its new tag points at (to pin `uses:` by SHA).
    commits = {u.component: u.version for u in replayed.updates if u.commit is not None}
    assert commits == {"actions-checkout": "6.0.2", "actions-setup-python": "6.2.0"}


def test_recording_holds_real_upstream_urls_and_no_credentials() -> None:
    rows = index(REPLAY)
    hosts = {httpx.URL(row["url"]).host for row in rows}
    assert hosts == {
        "api.github.com", "github.com", "codeload.github.com", "hub.docker.com",
        "registry-1.docker.io", "auth.docker.io", "nodejs.org", "www.postgresql.org",
        "ftp.postgresql.org", "www.kamailio.org", "downloads.asterisk.org",
        "raw.githubusercontent.com", "www.pgbouncer.org", "api.osv.dev", "endoflife.date",
        # GitHub's asset CDN: Caddy's cosign-signed checksums file, its .sig/.pem, the archive
        "release-assets.githubusercontent.com",
        "rekor.sigstore.dev",  # the transparency-log entry of that signature
    }
    assert all(row["url"].startswith("https://") for row in rows)
    assert not [row["url"] for row in rows if "authorization" in row["headers"]]
    # Small: listings and checksum files, archives of a few KB, nothing big.
    sizes = [p.stat().st_size for p in REPLAY.iterdir()]
    assert max(sizes) < 128 * 1024
    assert sum(sizes) < 1024 * 1024


def test_recording_is_not_stale(recorded: tuple[Path, Outcome]) -> None:
    fresh, _ = recorded
    assert index(fresh) == index(REPLAY), STALE_HINT
    committed = sorted(p.name for p in REPLAY.iterdir())
    assert sorted(p.name for p in fresh.iterdir()) == committed, STALE_HINT
    changed = [name for name in committed if name != INDEX_NAME
               and (fresh / name).read_bytes() != (REPLAY / name).read_bytes()]
    assert changed == [], STALE_HINT


def test_replay_refuses_what_was_not_recorded() -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=ReplayTransport(REPLAY)) as client:
            await client.get("https://api.github.com/repos/redis/redis/releases/latest")

    with pytest.raises(PermanentUpstreamError, match="not in the recording"):
        asyncio.run(main())

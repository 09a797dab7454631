"""Benchmark: `check` with advisory and end-of-life lookups against without.

The real versions.yaml against the fake world (tests/world/, with its OSV, GitHub
advisories and endoflife.date parts), served by a child process that adds a fixed latency to
every request; each run has a cold cache of its own. The advisory and end-of-life lookups run
next to the version lookups, so the added wall time should stay near one round trip.

    python benchmarks/risk_bench.py [--latency 0.1] [--per-host 4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from check_bench import child_server

from release.manifest.load import load_manifest
from release.refresh.execute import run_check
from release.upstream.cache import HttpCache
from release.upstream.http import FetchSettings, HttpFetcher

TODAY = dt.date(2026, 9, 16)  # the fake world's day
Figures = tuple[float, int, dict[str, int]]


async def one(url: str, settings: FetchSettings, cache: Path, *, risk: bool) -> Figures:
    from world import HostRoutingTransport

    manifest = load_manifest(ROOT / "versions.yaml").manifest
    httpx.get(f"{url}/__reset")
    transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), url)
    async with httpx.AsyncClient(transport=transport, timeout=settings.timeout(),
                                 trust_env=False) as client:
        async with httpx.AsyncClient(trust_env=False) as warmup:
            await warmup.get(f"{url}/__stats")
        fetcher = HttpFetcher(client, settings=settings, cache=HttpCache(cache))
        start = time.perf_counter()
        outcome = await run_check(manifest, fetcher, today=TODAY,
                                  advisories=risk, end_of_life=risk)
        wall = time.perf_counter() - start
    if outcome.warnings or outcome.errors:
        raise RuntimeError(f"unexpected warnings/errors: {outcome.warnings} {outcome.errors}")
    per_host: dict[str, int] = httpx.get(f"{url}/__stats").json()["hosts"]
    return wall, fetcher.stats.requests, per_host


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--global-limit", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind (best kept)")
    args = parser.parse_args()
    settings = FetchSettings(per_host_limit=args.per_host,
                             global_limit=max(args.global_limit, args.per_host))
    best: dict[bool, Figures] = {}
    with child_server("real", 0, args.latency) as url:
        for _ in range(args.rounds):
            for risk in (False, True):
                with tempfile.TemporaryDirectory() as cache:
                    figures = asyncio.run(one(url, settings, Path(cache), risk=risk))
                if risk not in best or figures[0] < best[risk][0]:
                    best[risk] = figures
    for risk, (wall, requests, hosts) in sorted(best.items()):
        label = "with advisories + eol" if risk else "versions only"
        print(f"{label:<22} wall {wall:6.2f} s  requests {requests:4d}  per host {hosts}")
    added = best[True][0] - best[False][0]
    print(f"added wall {added:+.2f} s ({added / args.latency:+.1f} round trips of "
          f"{args.latency:g} s); added requests {best[True][1] - best[False][1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of `verify --online`: wall time against its floor, requests and bytes, cold and warm.

Runs the real code (`release.trust.online.verify_online`, the shared fetcher, its cache) on the
real versions.yaml against the fake upstream world of the tests, served by a child process
(`check_bench.py --serve real`) that adds a fixed latency to every request.

The floor is the larger of (longest chain of dependent requests x latency) and (requests to
the busiest host / per-host limit x latency). The longest chain is a registry digest: HEAD
(401 with the bearer challenge), the token, HEAD again: 3. The world's values are not the
pinned ones for the values recorded offline, so the verdicts are mostly mismatches: the
benchmark measures the requests, not the verdicts (they are counted).

    python benchmarks/verify_bench.py [--latency 0.1] [--per-host 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from check_bench import child_server
from world import HostRoutingTransport

from release.manifest.load import load_manifest
from release.trust.online import Verdict, verify_online
from release.upstream.cache import HttpCache
from release.upstream.http import FetchSettings, HttpFetcher
from release.upstream.sources import Endpoints


def floor_of(per_host: dict[str, int], latency: float, limit: int, chain: int) -> float:
    """max(longest dependent chain, busiest host's requests / per-host limit) x latency (was
    check_bench's, which no longer has it)."""
    busiest = max(per_host.values(), default=0)
    return max(chain * latency, math.ceil(busiest / limit) * latency)

CHAIN = 3


@dataclass(frozen=True, slots=True)
class Figures:
    label: str
    wall: float
    floor: float
    requests: int
    bytes_received: int
    revalidated: int
    verdicts: dict[str, int]
    busiest: str

    def line(self) -> str:
        ratio = self.wall / self.floor if self.floor else float("nan")
        counts = " ".join(f"{k} {v}" for k, v in self.verdicts.items())
        return (f"{self.label:<12} wall {self.wall:6.2f} s  floor {self.floor:5.2f} s  ratio "
                f"{ratio:4.2f}  requests {self.requests:4d}  bytes {self.bytes_received:8d}  "
                f"304s {self.revalidated:3d}  busiest {self.busiest}  [{counts}]")


async def one_run(label: str, url: str, cache: Path, args: argparse.Namespace) -> Figures:
    manifest = load_manifest(ROOT / "versions.yaml").manifest
    settings = FetchSettings(per_host_limit=args.per_host, global_limit=max(16, args.per_host))
    httpx.get(f"{url}/__reset")
    transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), url)
    async with httpx.AsyncClient(transport=transport, timeout=settings.timeout(),
                                 trust_env=False) as client:
        async with httpx.AsyncClient(trust_env=False) as warmup:  # one-time lazy imports
            await warmup.get(f"{url}/__stats")
        fetcher = HttpFetcher(client, settings=settings, cache=HttpCache(cache))
        start = time.perf_counter()
        report = await verify_online(manifest, fetcher, root=ROOT, endpoints=Endpoints())
        wall = time.perf_counter() - start
    per_host: dict[str, int] = httpx.get(f"{url}/__stats").json()["hosts"]
    host, count = max(per_host.items(), key=lambda kv: kv[1], default=("-", 0))
    counts = Counter(v.verdict.value for v in report.verdicts)
    return Figures(
        label=label, wall=wall, floor=floor_of(per_host, args.latency, args.per_host, CHAIN),
        requests=fetcher.stats.requests, bytes_received=fetcher.stats.bytes_received,
        revalidated=fetcher.stats.revalidated,
        verdicts={v.value: counts.get(v.value, 0) for v in Verdict}, busiest=f"{host}:{count}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--per-host", type=int, default=4, help="per-host concurrency limit")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    with child_server("real", 0, args.latency) as url, tempfile.TemporaryDirectory() as cache:
        figures = [asyncio.run(one_run(label, url, Path(cache), args))
                   for label in ("real cold", "real warm")]
    for f in figures:
        print(f.line())
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

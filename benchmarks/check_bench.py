"""Benchmark of `check`: wall time, requests, bytes and peak memory, cold and warm cache.

Runs the real upstream code (sources, shared fetcher, cache) against a real HTTP server on
127.0.0.1 that adds a fixed latency to every request, for:

* `real`: the real versions.yaml against the fake upstream world of the tests;
* `synthetic`: a generated manifest of N components (default 1,000), all GitHub tag listings
  on one API host, every tenth with three pages (a chain of three dependent requests).

The floor of a run is the larger of (longest chain of dependent requests x latency) and
(requests to the busiest host / per-host limit x latency). The target is a wall time within
1.5x of that floor, and a warm run (same cache directory) that transfers no response bodies.

    python benchmarks/check_bench.py [--latency 0.1] [--components 1000] [--per-host 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from upstream_server import RecordedRequest, Reply, UpstreamServer

from release.manifest.load import parse_manifest
from release.manifest.model import Manifest
from release.refresh.execute import run_check
from release.upstream.cache import HttpCache
from release.upstream.http import FetchSettings, GitHubAuth, HttpFetcher
from release.upstream.sources import Endpoints

TODAY = dt.date(2026, 11, 26)
PAGE = 100


@dataclass(frozen=True, slots=True)
class RunFigures:
    label: str
    wall: float
    requests: int
    bytes_received: int
    revalidated: int
    errors: int
    floor: float
    max_rss_mib: float

    def line(self) -> str:
        ratio = self.wall / self.floor if self.floor else float("nan")
        return (
            f"{self.label:<22} wall {self.wall:7.2f} s  floor {self.floor:6.2f} s  "
            f"ratio {ratio:4.2f}  requests {self.requests:5d}  bytes {self.bytes_received:9d}  "
            f"304s {self.revalidated:5d}  errors {self.errors}  "
            f"peak RSS {self.max_rss_mib:6.1f} MiB"
        )


def synthetic_manifest(count: int) -> str:
    lines = ["schema: 1", "release: 2026.11.0", "components:"]
    for i in range(count):
        name = f"c{i:04d}"
        lines += [
            f"  {name}:",
            "    version: 1.0.0",
            '    versioning: {tag: "v{version}"}',
            f"    upstream: {{kind: github-tags, repo: bench/{name}}}",
            "    pins:",
            (f"      - {{kind: dockerfile-arg, file: images/bench/Dockerfile, "
             f"name: {name.upper()}_VERSION}}"),
        ]
    return "\n".join(lines) + "\n"


def pages_of(index: int) -> int:
    return 3 if index % 10 == 0 else 1


def serve_synthetic(server: UpstreamServer, count: int) -> None:
    def handler(request: RecordedRequest) -> Reply:
        parts = request.path.split("/")  # /repos/bench/c0001/tags
        index = int(parts[3][1:])
        query = parse_qs(urlsplit(request.target).query)
        page = int(query.get("page", ["1"])[0])
        total = pages_of(index)
        first = (total - page) * PAGE
        tags = [{"name": f"v1.{first + k}.0", "commit": {"sha": f"{index:040d}"}}
                for k in range(PAGE)]
        headers = {}
        if page < total:
            headers["Link"] = (f'<{server.url}{request.path}?per_page={PAGE}&page={page + 1}>; '
                               'rel="next"')
        return Reply.of_json(tags, headers=headers, etag=f'"{index}-{page}"')

    for i in range(count):
        server.route_handler("GET", f"/repos/bench/c{i:04d}/tags", handler)


async def one_run(
    label: str, manifest: Manifest, endpoints: Endpoints, settings: FetchSettings,
    cache_dir: Path, routing_to: str | None, server_url: str,
    floor: Callable[[dict[str, int]], float], *, verbose: bool = False,
) -> RunFigures:
    httpx.get(f"{server_url}/__reset")
    transport: httpx.AsyncBaseTransport | None = None
    if routing_to is not None:
        from fake_world import HostRoutingTransport

        transport = HostRoutingTransport(httpx.AsyncHTTPTransport(), routing_to)
    client = httpx.AsyncClient(transport=transport, timeout=settings.timeout(), trust_env=False)
    async with client:
        # One untimed request first: it pays the one-time lazy imports of the async stack
        # (anyio's backend, httpcore's connection classes), which are not part of checking.
        async with httpx.AsyncClient(trust_env=False) as warmup:
            await warmup.get(f"{server_url}/__stats")
        fetcher = HttpFetcher(client, settings=settings, github=GitHubAuth(
            api_url=endpoints.github_api_url), cache=HttpCache(cache_dir))
        start = time.perf_counter()
        outcome = await run_check(manifest, fetcher, today=TODAY, endpoints=endpoints)
        wall = time.perf_counter() - start
    per_host: dict[str, int] = httpx.get(f"{server_url}/__stats").json()
    if verbose:
        print(f"{label}: requests per host {per_host}", file=sys.stderr)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return RunFigures(
        label=label, wall=wall, requests=fetcher.stats.requests,
        bytes_received=fetcher.stats.bytes_received, revalidated=fetcher.stats.revalidated,
        errors=len(outcome.errors), floor=floor(per_host), max_rss_mib=rss,
    )


def floor_of(per_host: dict[str, int], latency: float, limit: int, chain: int) -> float:
    """max(longest dependent chain, busiest host's requests / per-host limit) x latency."""
    busiest = max(per_host.values(), default=0)
    return max(chain * latency, math.ceil(busiest / limit) * latency)


def add_stats_routes(server: UpstreamServer, host_of: Callable[[str], str]) -> None:
    """`/__stats` (requests per upstream host since the last reset) and `/__reset`."""

    def stats(_: RecordedRequest) -> Reply:
        counts = Counter(host_of(r.path) for r in server.requests
                         if not r.path.startswith("/__"))
        return Reply.of_json(dict(counts))

    def reset(_: RecordedRequest) -> Reply:
        server.requests.clear()
        return Reply.of_json({})

    server.route_handler("GET", "/__stats", stats)
    server.route_handler("GET", "/__reset", reset)


def serve(kind: str, count: int, latency: float) -> int:
    """Child process: play the upstreams until stdin closes (own process, own GIL)."""
    with UpstreamServer() as server:
        if kind == "synthetic":
            serve_synthetic(server, count)
            add_stats_routes(server, lambda _: "api")
        else:
            from fake_world import FakeWorld

            FakeWorld().install(server)
            add_stats_routes(server, lambda path: path.split("/")[1])
        server.latency = latency
        print(server.url, flush=True)
        sys.stdin.read()
    return 0


@contextlib.contextmanager
def child_server(kind: str, count: int, latency: float) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--components", str(count),
         "--latency", str(latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the {kind} upstream server did not start")
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=30)


def synthetic(args: argparse.Namespace) -> list[RunFigures]:
    manifest = parse_manifest(synthetic_manifest(args.components), "synthetic.yaml")
    settings = FetchSettings(per_host_limit=args.per_host, global_limit=max(16, args.per_host))
    figures: list[RunFigures] = []
    with child_server("synthetic", args.components, args.latency) as url, \
            tempfile.TemporaryDirectory() as cache:
        endpoints = Endpoints(github_api_url=url)
        figures.extend(
            asyncio.run(one_run(
                f"{label} ({args.components})", manifest, endpoints, settings, Path(cache),
                None, url, lambda hosts: floor_of(hosts, args.latency, args.per_host, 3),
            ))
            for label in ("synthetic cold", "synthetic warm")
        )
    return figures


def real(args: argparse.Namespace) -> list[RunFigures]:
    if not (ROOT / "tests" / "fake_world.py").exists():
        print("real: tests/fake_world.py not available; skipped", file=sys.stderr)
        return []
    from release.manifest.load import load_manifest

    manifest = load_manifest(ROOT / "versions.yaml").manifest
    settings = FetchSettings(per_host_limit=args.per_host, global_limit=max(16, args.per_host))
    figures: list[RunFigures] = []
    with child_server("real", 0, args.latency) as url, tempfile.TemporaryDirectory() as cache:
        figures.extend(
            asyncio.run(one_run(
                label, manifest, Endpoints(), settings, Path(cache), url, url,
                lambda hosts: floor_of(hosts, args.latency, args.per_host, 4), verbose=True,
            ))
            for label in ("real cold", "real warm")
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=4, help="per-host concurrency limit")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--serve", choices=("synthetic", "real"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.components, args.latency)
    figures = real(args) + synthetic(args)
    for f in figures:
        print(f.line())
    if args.json:
        args.json.write_text(json.dumps([f.__dict__ for f in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

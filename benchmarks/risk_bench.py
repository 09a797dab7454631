"""Benchmark: `check` with advisory and end-of-life lookups against without, cold and warm.

The real versions.yaml against the fake world (tests/world/, with its OSV, GitHub
advisories and endoflife.date parts), served by a child process that adds a fixed latency to
every request. Four runs a round: versions only and with the lookups, each first with an empty
cache (`cold`), then again with the cache its cold run left (`warm`: the HTTP cache, whose
version listings are revalidated, and the advisory and end-of-life answers of
`release.risk.fresh`, used without a request while younger than their lifetime), then once
more with those answers past their lifetime (`expired`, as the weekly refresh finds them: asked
again, conditionally, OSV records whose `modified` is unchanged excepted). The lookups
start at once, next to the version lookups, as background requests (a host's version lookups
take its slots first), so the added wall time is what the busiest host's extra requests cost:
`--timeline` prints every request of the last round (start, end, host, path), to see where.

    python benchmarks/risk_bench.py [--latency 0.1] [--per-host 6] [--github-limit 20] [--rounds 3]
                                    [--timeline]
    python benchmarks/risk_bench.py --token      # the GitHub listings through GraphQL
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from check_bench import child_server

from release.manifest.load import load_manifest
from release.refresh.execute import run_check
from release.risk.fresh import DEFAULT_TTL, Answers
from release.upstream.cache import HttpCache
from release.upstream.http import FetchSettings, GitHubAuth, HttpFetcher

TODAY = dt.date(2026, 9, 16)  # the fake world's day
TOKEN = "ghp_benchTOKENvalue0123456789abcdefABCD"  # noqa: S105 - a fake one, for GraphQL
STATES = ("cold", "warm", "expired")
RISK_PATHS = ("/security-advisories", "/v1/", "/api/v1/products/")


@dataclass
class Figures:
    wall: float
    requests: int
    hosts: dict[str, int]
    log: list[tuple[float, float, str, str, str]] = field(default_factory=list)

    def risk_requests(self) -> Counter[str]:
        return Counter(host for _, _, host, _, path in self.log
                       if any(p in path for p in RISK_PATHS))


class Timed(httpx.AsyncBaseTransport):
    """Notes when each request starts and ends (seconds from `start`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.start = time.perf_counter()
        self.log: list[tuple[float, float, str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        begun = time.perf_counter() - self.start
        response = await self.inner.handle_async_request(request)
        self.log.append((begun, time.perf_counter() - self.start, request.url.host,
                         request.method, request.url.path))
        return response


async def one(url: str, settings: FetchSettings, cache: Path, *, risk: bool,
              token: bool, ttl: float = DEFAULT_TTL) -> Figures:
    from world import HostRoutingTransport

    manifest = load_manifest(ROOT / "versions.yaml").manifest
    httpx.get(f"{url}/__reset")
    transport = Timed(HostRoutingTransport(httpx.AsyncHTTPTransport(), url))
    async with httpx.AsyncClient(transport=transport, timeout=settings.timeout(),
                                 trust_env=False) as client:
        async with httpx.AsyncClient(trust_env=False) as warmup:
            await warmup.get(f"{url}/__stats")
        fetcher = HttpFetcher(client, settings=settings, cache=HttpCache(cache / "http"),
                              github=GitHubAuth(token=TOKEN if token else None))
        start = transport.start = time.perf_counter()
        outcome = await run_check(manifest, fetcher, today=TODAY, advisories=risk,
                                  end_of_life=risk, answers=Answers(cache / "answers", ttl=ttl))
        wall = time.perf_counter() - start
    if outcome.warnings or outcome.errors:
        raise RuntimeError(f"unexpected warnings/errors: {outcome.warnings} {outcome.errors}")
    per_host: dict[str, int] = httpx.get(f"{url}/__stats").json()["hosts"]
    return Figures(wall, fetcher.stats.requests, per_host, sorted(transport.log))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    defaults = FetchSettings()
    parser.add_argument("--per-host", type=int, default=defaults.per_host_limit)
    parser.add_argument("--github-limit", type=int, default=defaults.github_api_limit,
                        help="requests in flight to the GitHub API origin")
    parser.add_argument("--global-limit", type=int, default=defaults.global_limit)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind (best kept)")
    parser.add_argument("--token", action="store_true",
                        help="with a GitHub token: the GitHub listings through GraphQL")
    parser.add_argument("--timeline", action="store_true",
                        help="print every request of the last round's runs")
    args = parser.parse_args()
    settings = FetchSettings(per_host_limit=args.per_host, github_api_limit=args.github_limit,
                             global_limit=args.global_limit)
    best: dict[tuple[str, bool], Figures] = {}
    last: dict[tuple[str, bool], Figures] = {}
    with child_server("real", 0, args.latency) as url:
        for _ in range(args.rounds):
            for risk in (False, True):
                with tempfile.TemporaryDirectory() as cache:
                    for state in STATES:
                        figures = asyncio.run(one(url, settings, Path(cache), risk=risk,
                                                   token=args.token,
                                                   ttl=0.0 if state == "expired" else DEFAULT_TTL))
                        key = (state, risk)
                        last[key] = figures
                        if key not in best or figures.wall < best[key].wall:
                            best[key] = figures
    if args.timeline:
        for (state, risk), figures in sorted(last.items()):
            print(f"--- {state}, {'with' if risk else 'without'} advisories + eol")
            for begun, ended, host, method, path in figures.log:
                print(f"  {begun:5.2f}-{ended:5.2f}  {host:28} {method:4} {path}")

    def limit(host: str) -> int:
        return int(args.github_limit if host == "api.github.com" else args.per_host)

    for state in STATES:
        for risk in (False, True):
            f = best[(state, risk)]
            label = f"{state}, {'with advisories + eol' if risk else 'versions only'}"
            print(f"{label:<31} wall {f.wall:6.2f} s  requests {f.requests:4d}  "
                  f"per host {dict(sorted(f.hosts.items()))}")
        added = best[(state, True)].wall - best[(state, False)].wall
        extra = best[(state, True)].risk_requests()
        busiest = max(extra.items(), key=lambda kv: kv[1], default=("-", 0))
        print(f"{state}: added wall {added:+.2f} s ({added / args.latency:+.1f} round trips of "
              f"{args.latency:g} s); added requests "
              f"{best[(state, True)].requests - best[(state, False)].requests} "
              f"(advisory + eol requests by host {dict(sorted(extra.items()))}; the busiest, "
              f"{busiest[0]}, needs at least {math.ceil(busiest[1] / limit(busiest[0]))} "
              f"round trips of its own at {limit(busiest[0])} at a time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

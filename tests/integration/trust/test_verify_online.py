"""`verify --online` against the fake world: one verdict per pinned value, each fault exactly
its verdict, every other value still verified, nothing written."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from tree_edit import mark_unconfirmed, unsigned
from world import FakeWorld, Role, world_fetcher
from world.server import Reply, UpstreamServer
from world.signatures import world_key
from world.trust import (
    align,
    hang,
    html_sums,
    move_tag,
    repush_image,
    serve,
    serve_changed,
    sums_disagree,
    tamper_archive,
)

from release.cli import main
from release.manifest.load import load_manifest
from release.trust.online import OnlineReport, PinVerdict, Verdict, verify_online
from release.upstream.http import FetchSettings

pytestmark = pytest.mark.integration

PGBOUNCER = "https://www.pgbouncer.org/downloads/files/1.25.2/pgbouncer-1.25.2.tar.gz"
KAMAILIO = "https://www.kamailio.org/pub/kamailio/6.1.4/src/kamailio-6.1.4_src.tar.gz"
ASTERISK_SUMS = "https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-22.10.1.sha256"
ASTERISK = "https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-22.10.1.tar.gz"
POSTGRES_SUMS = "https://ftp.postgresql.org/pub/source/v17.11/postgresql-17.11.tar.bz2.sha256"
REPO_ROOT = Path(__file__).resolve().parents[3]
#: Pinned values in versions.yaml (each archive's checksum, image's digest, action's commit).
ALL = sum((c.archive is not None) + (c.image is not None) + (c.commit is not None)
          for c in load_manifest(REPO_ROOT / "versions.yaml").manifest.components)


def run(root: Path, server: UpstreamServer, *, settings: FetchSettings | None = None,
        record: Path | None = None) -> OnlineReport:
    manifest = load_manifest(root / "versions.yaml").manifest

    async def go() -> OnlineReport:
        async with world_fetcher(server.url, settings=settings, record_dir=record) as fetcher:
            return await verify_online(manifest, fetcher, root=root)

    return asyncio.run(go())


def by_key(report: OnlineReport) -> dict[tuple[str, str], PinVerdict]:
    return {(v.component, v.value): v for v in report.verdicts}


def only_this_differs(report: OnlineReport, key: tuple[str, str]) -> PinVerdict:
    verdicts = by_key(report)
    assert len(verdicts) == ALL
    others = {k: v.verdict for k, v in verdicts.items() if k != key}
    assert set(others.values()) == {Verdict.VERIFIED}
    return verdicts[key]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def aligned(tree: Path, *changes: object) -> tuple[OnlineReport, FakeWorld]:
    with serve_changed(lambda w: align(w, tree), *changes) as (server, world):  # type: ignore[arg-type]
        before = snapshot(tree)
        report = run(tree, server, settings=FetchSettings(read_timeout=0.5, max_attempts=1))
        assert snapshot(tree) == before  # verify writes nothing
        return report, world


def test_pins_equal_to_the_world_are_all_verified_and_say_how(tree: Path) -> None:
    report, _ = aligned(tree)
    verdicts = by_key(report)
    assert len(verdicts) == ALL
    assert {v.verdict for v in verdicts.values()} == {Verdict.VERIFIED}
    assert report.exit_code(strict=True) == 0
    assert {k: (v.how, v.source) for k, v in verdicts.items() if k[0] in (
        "kamailio", "caddy", "asterisk", "redis", "debian", "actions-checkout")} == {
        ("kamailio", "sha256"): ("computed", KAMAILIO),
        # Caddy's cosign-signed checksums file vouches for the archive (world_cosign).
        ("caddy", "sha256"): (
            "cosign signature by https://github.com/caddyserver/caddy/.github/workflows/"
            "release.yml@refs/tags/v2.11.4 (issuer https://token.actions.githubusercontent.com) "
            "on https://github.com/caddyserver/caddy/releases/download/v2.11.4/"
            "caddy_2.11.4_checksums.txt, logged in Rekor at 2026-06-02T14:05:42+00:00 (entry "
            "67374089); the downloaded archive matches the checksum it lists; sha256 computed "
            "from it; not checked: that Rekor shows everyone the same log (no witnessed "
            "checkpoint)",
            "https://github.com/caddyserver/caddy/releases/download/v2.11.4/"
            "caddy_2.11.4_linux_amd64.tar.gz"),
        ("asterisk", "sha256"): (f"signature by key {world_key().fingerprint} on {ASTERISK}; "
                                 "computed from the signed archive", ASTERISK),
        ("redis", "sha256"): ("hashes README",
                              "https://raw.githubusercontent.com/redis/redis-hashes/master/README"),
        ("debian", "digest"): ("registry", "https://registry-1.docker.io/v2/library/debian/"
                               "manifests/trixie-20260803-slim"),
        ("actions-checkout", "commit"): ("tag commit", "https://api.github.com/repos/actions/"
                                         "checkout/commits/v6.0.1"),
    }


def test_a_tampered_archive_with_a_matching_sums_file_is_caught_by_the_pinned_checksum(
    tree: Path,
) -> None:
    tampered: list[bytes] = []
    mark_unconfirmed(tree, "pgbouncer")
    report, world = aligned(tree, lambda w: tampered.append(
        tamper_archive(w, PGBOUNCER, "pgbouncer", sums_url=f"{PGBOUNCER}.sha256")))
    verdict = only_this_differs(report, ("pgbouncer", "sha256"))
    assert verdict.verdict is Verdict.MISMATCH
    assert verdict.pinned == world.sha256_for("pgbouncer", "1.25.2")
    assert verdict.upstream == hashlib.sha256(tampered[0]).hexdigest()
    assert (verdict.how, verdict.source) == ("sums file", f"{PGBOUNCER}.sha256")
    assert verdict.reason == (
        "the archive of a released version is not what was pinned: a supply-chain alarm, never "
        "repaired automatically; find out why, then `pin pgbouncer 1.25.2 --checksum "
        "sha256:<hex>` or `refresh --accept-changed pgbouncer`; the pinned value was recorded "
        "offline (unconfirmed), so a wrong pin is the likely cause")
    assert report.exit_code(strict=False) == 1


def test_a_tampered_archive_without_sums_is_caught_by_hashing_it(tree: Path) -> None:
    tampered: list[bytes] = []
    report, _ = aligned(tree, lambda w: tampered.append(tamper_archive(w, KAMAILIO, "kamailio")))
    verdict = only_this_differs(report, ("kamailio", "sha256"))
    assert (verdict.verdict, verdict.upstream, verdict.how) == (
        Verdict.MISMATCH, hashlib.sha256(tampered[0]).hexdigest(), "computed")


def test_a_sums_file_that_disagrees_with_the_pin_is_a_mismatch(tree: Path) -> None:
    other: list[str] = []
    unsigned(tree, "asterisk")
    report, world = aligned(tree, lambda w: other.append(
        sums_disagree(w, ASTERISK_SUMS, "asterisk", "asterisk-22.10.1.tar.gz")))
    verdict = only_this_differs(report, ("asterisk", "sha256"))
    assert (verdict.verdict, verdict.pinned, verdict.upstream, verdict.source) == (
        Verdict.MISMATCH, world.sha256_for("asterisk", "22.10.1"), other[0], ASTERISK_SUMS)


def test_an_html_page_with_a_hash_in_it_is_not_a_sums_file(tree: Path) -> None:
    report, _ = aligned(tree, lambda w: html_sums(w, POSTGRES_SUMS, "postgresql"))
    verdict = only_this_differs(report, ("postgresql", "sha256"))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.upstream is None
    assert verdict.reason == (
        "upstream publishes nothing usable to compare the sha256 with: "
        f"{POSTGRES_SUMS}: is an HTML page (text/html), not a checksum file")
    assert (report.exit_code(strict=False), report.exit_code(strict=True)) == (0, 1)


def test_a_moved_action_tag_is_an_alarm(tree: Path) -> None:
    moved: list[str] = []
    report, world = aligned(tree, lambda w: moved.append(
        move_tag(w, "actions/checkout", "v6.0.1")))
    verdict = only_this_differs(report, ("actions-checkout", "commit"))
    assert (verdict.verdict, verdict.pinned, verdict.upstream) == (
        Verdict.MOVED, world.commit_for("actions/checkout", "v6.0.1"), moved[0])
    assert verdict.reason == (
        "the tag actions/checkout@v6.0.1 now points at another commit: an alarm (a released "
        "Action tag must not move); review the new commit before pinning it")
    assert report.exit_code(strict=False) == 1


def test_a_re_pushed_base_image_is_a_moved_digest_that_refresh_takes(tree: Path) -> None:
    pushed: list[str] = []
    report, _ = aligned(tree, lambda w: pushed.append(
        repush_image(w, "library/debian", "trixie-20260803-slim")))
    verdict = only_this_differs(report, ("debian", "digest"))
    assert (verdict.verdict, verdict.upstream) == (Verdict.MOVED, pushed[0])
    assert verdict.reason == (
        "the tag debian:trixie-20260803-slim now points at another index digest: an upstream "
        "rebuild (docker-library rebuilds tags for OS security fixes); `refresh` takes it as a "
        "digest update")


def test_a_version_gone_upstream_is_unverifiable_and_says_so(tree: Path) -> None:
    gone = Reply.of_json({"message": "Not Found"}, status=404)
    report, _ = aligned(tree, lambda w: serve(w, f"{PGBOUNCER}.sha256", "pgbouncer",
                                              Role.CHECKSUM, gone))
    verdict = only_this_differs(report, ("pgbouncer", "sha256"))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"the version 1.25.2 is gone upstream: GET {PGBOUNCER}.sha256: HTTP 404 Not Found "
        "(Not Found)")


def test_a_stalled_host_leaves_its_value_unverifiable_and_the_others_verified(
    tree: Path,
) -> None:
    report, _ = aligned(tree, lambda w: hang(w, KAMAILIO, "kamailio", Role.ARCHIVE))
    verdict = only_this_differs(report, ("kamailio", "sha256"))
    assert verdict.verdict is Verdict.UNVERIFIABLE
    assert verdict.reason == (
        f"the network failed: GET {KAMAILIO}: timed out, no data for 0.5 s; gave up after 1 "
        "attempts")


def test_the_cli_prints_one_json_document_and_a_table(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recording = tmp_path / "recording"
    with serve_changed(lambda w: align(w, tree), lambda w: move_tag(
            w, "actions/cache", "v5.0.1")) as (server, _world):
        run(tree, server, record=recording)
    code = main(["verify", "--online", "--root", str(tree), "--replay", str(recording),
                 "--json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert code == 1
    assert doc["ok"] is False
    assert doc["counts"] == {"verified": ALL - 1, "mismatch": 0, "moved": 1,
                             "unverifiable": 0}
    assert doc["files"]["ok"] is True
    moved = [v for v in doc["verdicts"] if v["verdict"] != "verified"]
    assert [(v["component"], v["value"], v["verdict"]) for v in moved] == [
        ("actions-cache", "commit", "moved")]
    assert f"verify --online: {ALL - 1} verified · 0 mismatch · 1 moved · 0 unverifiable" in captured.err
    assert ("alarm: actions-cache commit: the tag actions/cache@v5.0.1 now points at another "
            "commit") in captured.err


def test_upstream_options_need_online(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--root", str(tree), "--strict", "--only", "redis"]) == 2
    assert capsys.readouterr().err == "error: verify: --strict, --only needs --online\n"


def test_confirm_drops_the_marks_of_verified_values_and_nothing_else(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recording = tmp_path / "recording"
    unsigned(tree, "asterisk")
    mark_unconfirmed(tree, "kamailio", "caddy", "asterisk", "pgbouncer")
    with serve_changed(lambda w: align(w, tree), lambda w: sums_disagree(
            w, ASTERISK_SUMS, "asterisk", "asterisk-22.10.1.tar.gz")) as (server, _world):
        run(tree, server, record=recording)
    before = (tree / "versions.yaml").read_text()
    assert main(["verify", "--online", "--root", str(tree), "--replay", str(recording),
                 "--confirm"]) == 1  # the asterisk mismatch
    err = capsys.readouterr().err
    assert ("verify: confirmed kamailio sha256, rtpengine sha256, janus sha256, coturn sha256, "
            "caddy sha256, pgbouncer sha256, signoz digest, signoz-otel-collector digest, "
            "histogram-quantile-arm64 sha256, binfmt digest, buildkit digest; "
            "dropped their unconfirmed: marks in versions.yaml (`nox -s docs` updates "
            "docs/third-party-versions.md)") in err
    manifest = load_manifest(tree / "versions.yaml").manifest
    assert {c.name: c.unconfirmed for c in manifest.components if c.unconfirmed} == {
        "asterisk": ("sha256",)}
    after = (tree / "versions.yaml").read_text()
    kept = [line for line in before.splitlines() if not line.startswith("    unconfirmed:")]
    assert [line for line in after.splitlines() if not line.startswith("    unconfirmed:")] == kept


def test_an_unknown_only_name_is_bad_usage_before_any_request(
    tree: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--online", "--root", str(tree), "--only", "redsi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --only: no component 'redsi' in versions.yaml; did you mean "
                          "'redis'?")


def test_the_cli_exits_0_when_every_value_is_verified_even_strictly(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recording = tmp_path / "recording"
    with serve_changed(lambda w: align(w, tree)) as (server, _world):
        run(tree, server, record=recording)
    assert main(["verify", "--online", "--strict", "--root", str(tree), "--replay",
                 str(recording)]) == 0
    assert (f"verify --online: {ALL} verified · 0 mismatch · 0 moved · 0 unverifiable"
            in capsys.readouterr().err)

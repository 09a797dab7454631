"""Freshness of stored responses (`release.upstream.cache.freshness_until`, `CacheEntry.fresh`)."""

from __future__ import annotations

from pathlib import Path

from world.server import http_date

from release.upstream.cache import MAX_FRESH, CacheEntry, HttpCache, freshness_until

NOW = 1_900_000_000.0


def test_max_age_counts_from_the_response_date() -> None:
    headers = {"Cache-Control": "private, max-age=60, s-maxage=60", "Date": http_date(NOW)}
    assert freshness_until(headers, NOW) == NOW + 60
    # Received 5 s after its Date (or our clock is 5 s ahead): 5 s of its life are gone.
    assert freshness_until(headers, NOW + 5) == NOW + 60


def test_age_header_and_no_date() -> None:
    assert freshness_until({"cache-control": "max-age=60", "age": "20"}, NOW) == NOW + 40
    assert freshness_until({"cache-control": "max-age=60"}, NOW) == NOW + 60
    assert freshness_until({"cache-control": "max-age=60", "age": "90"}, NOW) <= NOW


def test_expires_relative_to_date() -> None:
    headers = {"Expires": http_date(NOW + 120), "Date": http_date(NOW)}
    assert freshness_until(headers, NOW) == NOW + 120
    # max-age wins over Expires.
    assert freshness_until({**headers, "Cache-Control": "max-age=10"}, NOW) == NOW + 10
    # An invalid Expires ("0") means already expired.
    assert freshness_until({"Expires": "0"}, NOW) == 0.0


def test_what_is_never_fresh() -> None:
    for headers in (
        {},  # no heuristic freshness, even with a Last-Modified
        {"Last-Modified": http_date(NOW - 86400)},
        {"Cache-Control": "no-cache, max-age=60"},
        {"Cache-Control": "no-store"},
        {"Cache-Control": "max-age=0, must-revalidate"},
        {"Cache-Control": "max-age=soon"},
    ):
        assert freshness_until(headers, NOW) <= NOW, headers


def test_a_long_lifetime_is_capped() -> None:
    assert freshness_until({"Cache-Control": "max-age=31536000"}, NOW) == NOW + MAX_FRESH


def entry(**overrides: object) -> CacheEntry:
    values: dict[str, object] = {
        "method": "GET",
        "url": "https://api.github.com/repos/a/b/tags",
        "accept": "",
        "status": 200,
        "headers": {"etag": '"1"'},
        "body": b"[]",
        "stored_at": NOW,
        "fresh_until": NOW + 60,
        "authorized": False,
    }
    values.update(overrides)
    return CacheEntry(**values)  # type: ignore[arg-type]


def test_fresh_only_within_its_lifetime_and_for_the_same_authentication() -> None:
    stored = entry()
    assert stored.fresh(NOW + 59, authorized=False)
    assert not stored.fresh(NOW + 60, authorized=False)
    assert not stored.fresh(NOW + 1, authorized=True)  # GitHub varies on Authorization
    assert not stored.fresh(NOW - 1, authorized=False)  # the clock went back: ask


def test_revalidated_takes_the_new_validators_and_lifetime() -> None:
    renewed = entry(fresh_until=0.0).revalidated(
        {"etag": '"1"', "cache-control": "max-age=60", "x-other": "dropped"},
        NOW + 100,
        authorized=True,
    )
    assert renewed.fresh(NOW + 101, authorized=True)
    assert not renewed.fresh(NOW + 101, authorized=False)
    assert renewed.headers == {"etag": '"1"'}
    assert renewed.stored_at == NOW + 100


def test_freshness_round_trips_through_the_file(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    cache.store(entry(authorized=True))
    loaded = cache.load("GET", "https://api.github.com/repos/a/b/tags", "")
    assert loaded is not None
    assert (loaded.stored_at, loaded.fresh_until, loaded.authorized) == (NOW, NOW + 60, True)


def test_an_entry_of_the_older_format_is_never_fresh(tmp_path: Path) -> None:
    """Entries written before freshness was kept have no such fields: always revalidated."""
    import hashlib
    import json

    from release.upstream.cache import cache_key

    body = b"[]"
    meta = {
        "method": "GET",
        "url": "https://x/y",
        "accept": "",
        "status": 200,
        "headers": {"etag": '"1"'},
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    data = b"delphi-http-cache 1\n" + json.dumps(meta).encode() + b"\n" + body
    (tmp_path / cache_key("GET", "https://x/y", "")).write_bytes(data)
    loaded = HttpCache(tmp_path).load("GET", "https://x/y", "")
    assert loaded is not None
    assert loaded.body == body
    assert not loaded.fresh(NOW, authorized=False)

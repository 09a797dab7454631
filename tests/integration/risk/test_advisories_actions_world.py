"""GitHub Actions asked of OSV by their `GitHub Actions` package as well as by commit: an
advisory OSV carries only in that ecosystem (an ECOSYSTEM range of versions) is found."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from world import TODAY, serve_world, world_fetcher

from release.manifest.load import load_manifest
from release.manifest.model import Manifest
from release.refresh.execute import Outcome, run_check
from release.risk.advisories import Severity
from release.risk.lookup import osv_queries
from release.versioning import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
MANIFEST = load_manifest(REPO / "versions.yaml").manifest


def test_an_action_is_asked_by_commit_and_by_its_package() -> None:
    checkout = MANIFEST.require("actions-checkout")
    assert osv_queries(checkout) == [
        {"commit": checkout.commit},
        {"package": {"name": "actions/checkout", "ecosystem": "GitHub Actions"},
         "version": "6.0.1"},
    ]
    asterisk = MANIFEST.require("asterisk")
    assert osv_queries(asterisk) == [
        {"package": {"name": "https://github.com/asterisk/asterisk", "ecosystem": "GIT"},
         "version": asterisk.tag},
    ]
    assert osv_queries(MANIFEST.require("debian")) == []


def run(manifest: Manifest) -> tuple[Outcome, list[dict[str, Any]]]:
    async def go(url: str) -> Outcome:
        async with world_fetcher(url) as fetcher:
            return await run_check(manifest, fetcher, today=TODAY, advisories=True)

    with serve_world() as (server, _world):
        outcome = asyncio.run(go(server.url))
        (batch,) = server.requests_to("/api.osv.dev/v1/querybatch", "POST")
    return outcome, json.loads(batch.body)["queries"]


def test_an_advisory_of_an_older_action_version_is_found_through_its_ecosystem() -> None:
    checkout = MANIFEST.require("actions-checkout")
    older = replace(MANIFEST, components=(replace(checkout, version=Version("6.0.0")),))
    outcome, queries = run(older)
    assert queries[-1] == {"package": {"name": "actions/checkout", "ecosystem": "GitHub Actions"},
                           "version": "6.0.0"}
    assert outcome.warnings == ()
    (result,) = outcome.results
    assert [(f.id, f.severity, f.fixed_in, f.fixed_by_candidate, f.source)
            for f in result.advisories] == [
        ("GHSA-wwww-0000-0004", Severity.MODERATE, ("6.0.1",), True, "osv")]
    assert result.security


def test_the_pinned_action_is_not_affected() -> None:
    outcome, queries = run(MANIFEST)
    actions = [q for q in queries if q.get("package", {}).get("ecosystem") == "GitHub Actions"]
    assert len(actions) == 9
    assert outcome.warnings == ()
    assert next(r for r in outcome.results if r.component == "actions-checkout").advisories == ()

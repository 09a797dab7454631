"""Every upstream kind and pin kind is in each table a newcomer fills when adding one.

Adding an upstream kind: `UpstreamKind` and `UPSTREAM_FIELDS` (release/manifest/model.py), its
lister (a module of release/upstream/) in `SOURCES` (release/upstream/sources.py), its line in
the notes' docs (release/notes/docs.py, `source`) and in docs/manifest.md. Adding a pin kind:
`PinKind`, `PIN_SELECTORS` (and `DEFAULT_PIN_VALUES` when its value is not `{version}`) in
release/manifest/model.py, its locator (a module of release/pins/) in `release.pins._SITES`,
its words in release/notes/docs.py (`_pin_what`) and its row in docs/manifest.md. This test
names the table a new kind is missing from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from release import pins
from release.manifest.model import PIN_SELECTORS, UPSTREAM_FIELDS, PinKind, UpstreamKind
from release.upstream.sources import SOURCES

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "manifest.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(UpstreamKind))
def test_every_upstream_kind_has_its_fields_its_lister_and_its_docs(kind: UpstreamKind) -> None:
    assert kind in UPSTREAM_FIELDS, "release/manifest/model.py UPSTREAM_FIELDS"
    assert kind in SOURCES, "release/upstream/sources.py SOURCES"
    assert f"| `{kind.value}` |" in DOCS, "docs/manifest.md, the table of upstream kinds"


@pytest.mark.parametrize("kind", list(PinKind))
def test_every_pin_kind_has_its_selectors_its_locator_and_its_docs(kind: PinKind) -> None:
    assert kind in PIN_SELECTORS, "release/manifest/model.py PIN_SELECTORS"
    # github-action pins have every `uses:` as a site (release.pins._sites), not one
    assert kind in pins._SITES or kind is PinKind.GITHUB_ACTION, "release/pins/__init__.py _SITES"
    assert f"`{kind.value}`" in DOCS, "docs/manifest.md, the table of pin kinds"

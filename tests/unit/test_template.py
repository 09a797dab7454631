"""One template filler for versions.yaml's `{field}` templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.manifest.load import load_manifest
from release.template import fill_template, template_fields
from release.versioning import Version, Versioning

REPO = Path(__file__).resolve().parents[2]


def test_fill_template() -> None:
    url = "https://example.org/{tag}/pkg-{version}.tar.gz"
    assert fill_template(url, version="1.2.3", tag="v1.2.3") == (
        "https://example.org/v1.2.3/pkg-1.2.3.tar.gz")
    assert fill_template("{{literal}}-{version}", version="1") == "{literal}-1"
    assert template_fields("{{literal}}-{version}") == ["version"]
    with pytest.raises(KeyError):
        fill_template("{tag}", version="1")


def test_a_tag_and_the_component_fill_through_it() -> None:
    assert Versioning(tag="REL_{version}", separator="_").tag_for(Version("17.11")) == "REL_17_11"
    manifest = load_manifest(REPO / "versions.yaml").manifest
    for component in manifest.components:
        if component.archive is not None:
            expected = component.archive.url.replace("{version}", component.version).replace(
                "{tag}", component.tag)
            assert component.fill(component.archive.url) == expected

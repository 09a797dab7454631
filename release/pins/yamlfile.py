"""YAML pins: a compose service's `image:` (`compose-image`) and a scalar by key (`yaml-key`).

ruamel.yaml's round-trip loader finds the scalar and its line and column (`lc`); the text is
then read and spliced here, so comments, quoting, key order and line endings stay as written,
which a re-dump would not guarantee. Only single-line scalars can be pinned: plain, "double" or
'single' quoted, optionally after an `&anchor` or `!tag`. Block scalars, multi-line scalars,
aliases (`*name`) and keys that come from a merge (`<<`) are refused: rewriting them would
either be ambiguous or change the value in another place.
"""


from __future__ import annotations

from release.errors import PinError
from release.manifest.model import Pin
from release.pins.interface import Site, image_ref_site, require, split_image_ref
from release.yamlspans import Located, find_scalar, load_yaml


def compose_image_site(text: str, pin: Pin) -> Site:
    """The site of a `compose-image` pin: `services.<service>.image`, after `repository:`.

    When the pin also names an `image`, the service's repository must be that one, so a
    service switched to another image is reported instead of having its tag rewritten.
    """
    service = require(pin.service, "service", file=pin.file, kind=pin.kind.value)
    what = f"image of service {service!r}"
    doc = load_yaml(text, pin.file)
    scalar = find_scalar(doc, ["services", service, "image"], text=text, file=pin.file, what=what)
    ref = split_image_ref(text[scalar.start : scalar.end])
    if pin.image is not None and ref.repository != pin.image:
        raise PinError(
            f"{pin.file}:{scalar.line}: {what} is {ref.repository!r}, not {pin.image!r}"
        )
    return image_ref_site(
        ref, ref_start=scalar.start, ref_end=scalar.end, line=scalar.line, text=text
    )


def yaml_key_site(text: str, pin: Pin) -> Site:
    """The site of a `yaml-key` pin: the whole scalar at the dotted key path."""
    key = require(pin.key, "key", file=pin.file, kind=pin.kind.value)
    doc = load_yaml(text, pin.file)
    scalar = find_scalar(doc, key.split("."), text=text, file=pin.file, what=f"key {key}")
    located = Located(
        line=scalar.line, start=scalar.start, end=scalar.end, value=text[scalar.start : scalar.end]
    )
    return Site(located=located, edit_start=scalar.start, edit_end=scalar.end)

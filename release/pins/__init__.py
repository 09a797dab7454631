"""Pin rewriters: find and replace a component's value where a repository file pins it.

Everything here is `str -> str`: the caller reads the file, calls `locate` (verify) or
`rewrite` (refresh, pin), and writes the result atomically. `rewrite` changes only the value's
span; every other character (comments, quotes, indentation, CRLF) stays as it was.

One module per family of pin kinds (`dockerfile`, `yamlfile`, `marker`), each giving a
`Site` for a pin; `interface` holds what they share.
"""

from __future__ import annotations

from collections.abc import Callable

from release.errors import PinError
from release.manifest.model import IMAGE_PIN_KINDS, Pin, PinKind
from release.pins.actions import action_sites, check_action_value
from release.pins.dockerfile import Instruction, Keyword, from_site, pair_site, scan_dockerfile
from release.pins.interface import (
    ImageRef,
    Site,
    check_image_value,
    check_marker_value,
    split_image_ref,
)
from release.pins.marker import marker_site
from release.pins.yamlfile import compose_image_site, yaml_key_site
from release.versioning import UnsafeValueError, check_safe_value
from release.yamlspans import Located

__all__ = [
    "ImageRef",
    "Instruction",
    "Keyword",
    "Located",
    "check_value",
    "locate",
    "locate_all",
    "rewrite",
    "scan_dockerfile",
    "split_image_ref",
]

_SITES: dict[PinKind, Callable[[str, Pin], Site]] = {
    PinKind.DOCKERFILE_ARG: pair_site,
    PinKind.DOCKERFILE_ENV: pair_site,
    PinKind.DOCKERFILE_FROM: from_site,
    PinKind.COMPOSE_IMAGE: compose_image_site,
    PinKind.YAML_KEY: yaml_key_site,
    PinKind.MARKER: marker_site,
}


def _sites(text: str, pin: Pin) -> list[Site]:
    """Every site of `pin`: exactly one, except a `github-action` pin (every use, at least one)."""
    if pin.kind is PinKind.GITHUB_ACTION:
        return action_sites(text, pin)
    return [_SITES[pin.kind](text, pin)]


def _site(text: str, pin: Pin) -> Site:
    return _sites(text, pin)[0]


def locate_all(text: str, pin: Pin) -> list[Located]:
    """Every place `pin`'s value is written (one for every kind but `github-action`)."""
    return [site.located for site in _sites(text, pin)]


def locate(text: str, pin: Pin) -> Located:
    """Where `pin`'s value is written in `text` (the contents of `pin.file`).

    Raises `PinError` when the location matches no place or more than one; the message names
    the file and the line(s).
    """
    return _site(text, pin).located


def check_value(pin: Pin, value: str) -> str:
    """Return `value` if it may be written at `pin`, else raise `UnsafeValueError` (ValueError).

    Image pins take `tag@sha256:<64 hex>` (or `tag`, or `@sha256:<64 hex>`), and so does a
    `yaml-key` pin whose template is `{image_tag}@{digest}` (an image a workflow passes to an
    action); marker pins one version-like token, every other pin a value `check_safe_value`
    accepts. Nothing with a line break, quote, `$`, blank, `;` or `#` is ever accepted.
    """
    try:
        if pin.kind in IMAGE_PIN_KINDS or (
                pin.kind is PinKind.YAML_KEY and pin.value == "{image_tag}@{digest}"):
            return check_image_value(value)
        if pin.kind is PinKind.MARKER:
            return check_marker_value(value)
        if pin.kind is PinKind.GITHUB_ACTION:
            return check_action_value(value)
        return check_safe_value(value)
    except UnsafeValueError as exc:
        raise UnsafeValueError(f"{pin.file}: refusing to write {pin.describe()}: {exc}") from None


def rewrite(text: str, pin: Pin, value: str) -> str:
    """`text` with `pin`'s value replaced by `value`, and nothing else changed.

    The value is checked first (`check_value`: `UnsafeValueError`, a ValueError); then the pin
    is located (`PinError`). Writing the value already there returns `text` itself. The result
    is located again and must hold `value`, so a rewrite can always be repeated or undone.
    """
    check_value(pin, value)
    sites = _sites(text, pin)
    if all(site.located.value == value for site in sites):
        return text
    result = text
    for site in sorted(sites, key=lambda s: s.edit_start, reverse=True):
        result = site.apply(result, value)
    for again in locate_all(result, pin):
        if again.value != value:  # pragma: no cover - a safety net; every kind is tested
            raise PinError(
                f"{pin.file}:{again.line}: rewriting {pin.describe()} to {value!r} would read "
                f"back as {again.value!r}; nothing was written"
            )
    return result

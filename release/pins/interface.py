"""What every pin kind shares: the located value, the edit that rewrites it, and value checks.

A pin kind is one function `(text, pin) -> Site`: it finds the one place in `text` where the
pin's value is written, or raises `PinError` naming the file and the line(s). Rewriting is the
same for every kind (`release.pins.rewrite`): check the value, then splice it into the site.
Nothing in this package reads or writes files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from release.errors import PinError
from release.versioning import DIGEST_RE, IMAGE_TAG_RE, UnsafeValueError, check_safe_value
from release.yamlspans import Located

# Docker's tag grammar (distribution/reference): stricter than `check_safe_value`, which also
# allows `+` and `~`; a tag outside it would be rejected by `docker build`, not by us.

# A marker line's value: one version-like token, not glued to a preceding name character (so
# `python3.14`, `sha256sum` and `x86_64` hold no token).
MARKER_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9._+~-])[vV]?\d[A-Za-z0-9._+~-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A located value and how a new one is written: `text[edit_start:edit_end]` is replaced.

    The edit span is the value span, except where writing a value also writes its separator:
    `ARG X` gains `=` (`separator="="`, empty edit span after the name), and an image
    reference's edit span runs from the end of its repository to the end of the reference, so
    `:` is written before a tag and omitted for a digest-only value (`image_ref=True`).
    """

    located: Located
    edit_start: int
    edit_end: int
    separator: str = ""
    image_ref: bool = False

    def render(self, value: str) -> str:
        """The text that replaces the edit span for `value`."""
        if self.image_ref and value.startswith("@"):
            return value
        return self.separator + value

    def apply(self, text: str, value: str) -> str:
        return text[: self.edit_start] + self.render(value) + text[self.edit_end :]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRef:
    """An image reference split as written: `repository[:tag][@digest]`.

    `tag` is None when there is no `:`, `digest` (`sha256:<hex>`) None when there is no `@`.
    The pin value of a reference is what follows the repository and its colon (`value`).
    """

    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def value(self) -> str:
        """The pin value: `tag@digest`, `tag`, `@digest` or `""`."""
        return (self.tag or "") + (f"@{self.digest}" if self.digest is not None else "")

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        return self.repository + tag + (f"@{self.digest}" if self.digest is not None else "")


def split_image_ref(ref: str) -> ImageRef:
    """Split `repository[:tag][@digest]` as written, without normalising anything.

    The tag's colon is the first one after the last `/` (a registry port such as
    `registry.example:5000/x/y` comes before it).
    """
    name, at, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.find(":", slash + 1)
    if colon < 0:
        return ImageRef(repository=name, digest=digest if at else None)
    return ImageRef(repository=name[:colon], tag=name[colon + 1 :], digest=digest if at else None)


def image_ref_site(
    ref: ImageRef, *, ref_start: int, ref_end: int, line: int, text: str
) -> Site:
    """The site of an image reference written at `text[ref_start:ref_end]`."""
    repo_end = ref_start + len(ref.repository)
    start = repo_end + (1 if ref.tag is not None else 0)
    located = Located(line=line, start=start, end=ref_end, value=text[start:ref_end])
    return Site(located=located, edit_start=repo_end, edit_end=ref_end, separator=":",
                image_ref=True)


def format_lines(lines: Iterable[int]) -> str:
    unique = sorted(set(lines))
    word = "line" if len(unique) == 1 else "lines"
    return f"{word} {', '.join(str(n) for n in unique)}"


def ambiguous(file: str, what: str, lines: list[int], hint: str) -> PinError:
    """The error for a pin location that matches more than one place."""
    first = min(lines)
    return PinError(
        f"{file}:{first}: {what} occurs {len(lines)} times ({format_lines(lines)}); {hint}"
    )


def require(value: str | None, field: str, *, file: str, kind: str) -> str:
    """A pin's selector, which its kind needs (the manifest loader checks this too)."""
    if not value:
        raise PinError(f"{file}: a {kind} pin needs a {field}")
    return value


def check_image_value(value: str) -> str:
    """Return an image pin value (`tag@sha256:<64 hex>`, `tag` or `@sha256:<64 hex>`), or raise.

    The tag goes through `check_safe_value` and Docker's tag grammar; the digest must be a
    lowercase sha256 digest. Nothing else (`:`, `/`, quotes, blanks, `$`) can get through.
    """
    tag, at, digest = value.partition("@")
    if tag:
        check_safe_value(tag, what="image tag")
        if not IMAGE_TAG_RE.fullmatch(tag):
            raise UnsafeValueError(
                f"image tag {tag!r} is not a valid Docker tag (letters, digits, _ . -, "
                "not starting with . or -)"
            )
    if at:
        if not DIGEST_RE.fullmatch(digest):
            raise UnsafeValueError(
                f"image digest {digest[:80]!r} is not sha256:<64 lowercase hex digits>"
            )
    elif not tag:
        raise UnsafeValueError("image reference is empty")
    return value


def check_marker_value(value: str) -> str:
    """A marker pin's value must be safe and be one version-like token, or it can't be found."""
    check_safe_value(value)
    if not MARKER_TOKEN_RE.fullmatch(value):
        raise UnsafeValueError(
            f"value {value!r} is not a version-like token ([vV]?<digit>...), so the marked line "
            "could not be found again"
        )
    return value

"""End of life of the pinned release lines: endoflife.date products and `policy.eol` dates.

endoflife.date answers `GET /api/v1/products/{product}` with the product's release lines
(`result.releases[]`: `name` such as `24` or `7.4`, `codename`, `isEol`, `eolFrom` a date or
null). The pinned version's line is the release whose name is the longest dotted prefix of the
version (`24.19.0` -> `24`; `7.4.10` -> `7.4`), or, for date-numbered versions (Debian's
`20260803`), the release whose codename the tag template names (`trixie-{version}-slim`).
`policy.eol` gives the date by hand for software endoflife.date does not cover.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from release.manifest.model import Component
from release.risk.fresh import Answers
from release.upstream.common import gather_all
from release.upstream.errors import PermanentUpstreamError, UpstreamError
from release.upstream.http import background_requests
from release.upstream.interface import Fetcher

ENDOFLIFE_URL = "https://endoflife.date"


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One release line of an endoflife.date product."""

    name: str
    codename: str | None
    eol: dt.date | None  # None: no date announced
    is_eol: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfLife:
    """The end of life of a component's pinned line, as check reports it."""

    line: str  # `24`, `7.4`, `trixie`, or `pinned` for a policy.eol date
    date: dt.date | None
    source: str  # "endoflife.date" or "versions.yaml"
    state: str  # "past", "near" (inside the warning window), "supported", "unknown"
    days_left: int | None
    specifier: str = ""  # the policy's specifier, which keeps the component on this line

    def note(self) -> str | None:
        """The warning check shows (None when the line is supported beyond the window)."""
        where = f"{self.line} line" if self.line != "pinned" else "pinned line"
        if self.state == "past":
            day = f" on {self.date.isoformat()}" if self.date else ""
            spec = self.specifier
            keeps = f"; the policy ({spec}) keeps it on this line" if spec else ""
            return f"end of life of the {where} passed{day}{keeps}"
        if self.state == "near" and self.date is not None:
            return (f"end of life of the {where} in {self.days_left} days "
                    f"({self.date.isoformat()})")
        return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def parse_product(data: Any, url: str) -> tuple[Line, ...]:
    """`GET /api/v1/products/{product}` -> its release lines (raises on another shape)."""
    result = data.get("result") if isinstance(data, dict) else None
    releases = result.get("releases") if isinstance(result, dict) else None
    if not isinstance(releases, list):
        raise PermanentUpstreamError(f"{url}: expected a product with 'result.releases'")
    lines: list[Line] = []
    for index, item in enumerate(releases):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise PermanentUpstreamError(f"{url}: releases[{index}] has no name")
        codename = item.get("codename")
        lines.append(Line(
            name=item["name"], codename=codename if isinstance(codename, str) else None,
            eol=_date(item.get("eolFrom")), is_eol=item.get("isEol") is True,
        ))
    return tuple(lines)


def pinned_line(component: Component, lines: Sequence[Line]) -> Line | None:
    """The line of the pinned version: the longest dotted prefix, else the tag's codename."""
    parts = component.version.split(".")
    names = {line.name: line for line in lines}
    for size in range(len(parts), 0, -1):
        found = names.get(".".join(parts[:size]))
        if found is not None and (size < len(parts) or len(parts) == 1):
            return found
    tag = component.versioning.tag.lower()
    image_tag = component.image.tag.lower() if component.image is not None else ""
    for line in lines:
        codename = (line.codename or "").lower()
        if codename and (codename in tag or codename in image_tag):
            return line
    return None


def end_of_life(
    component: Component, lines: Sequence[Line] | None, today: dt.date
) -> EndOfLife | None:
    """The end of life of the component's pinned line (None when nothing is known of it)."""
    window = component.policy.eol_warning_days
    spec = component.policy.specifier
    if component.policy.eol is not None:
        return _dated("pinned", component.policy.eol, source="versions.yaml", today=today,
                      window=window, specifier=spec)
    if lines is None:
        return None
    line = pinned_line(component, lines)
    if line is None:
        return EndOfLife(line="?", date=None, source="endoflife.date", state="unknown",
                         days_left=None, specifier=spec)
    return _dated(line.name, line.eol, is_eol=line.is_eol, source="endoflife.date", today=today,
                  window=window, specifier=spec)


def _dated(line: str, day: dt.date | None, *, is_eol: bool = False, source: str,
           today: dt.date, window: int, specifier: str) -> EndOfLife:
    if day is None:
        state = "past" if is_eol else "supported"
        return EndOfLife(line=line, date=None, source=source, state=state, days_left=None,
                         specifier=specifier)
    left = (day - today).days
    state = "past" if left <= 0 or is_eol else "near" if left <= window else "supported"
    return EndOfLife(line=line, date=day, source=source, state=state, days_left=left,
                     specifier=specifier)


@dataclass(frozen=True, slots=True, kw_only=True)
class EolReport:
    products: Mapping[str, tuple[Line, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


async def find_lines(
    components: Sequence[Component], fetcher: Fetcher, *, url: str = ENDOFLIFE_URL,
    answers: Answers | None = None,
) -> EolReport:
    """Every product the components name, fetched once each, at once, in the background (a
    host's other requests go first); an answer younger than `answers.ttl` is used without a
    request; failures are warnings."""
    wanted = sorted({c.policy.eol_product for c in components
                     if c.policy.eol_product and c.policy.eol is None})
    products: dict[str, tuple[Line, ...]] = {}
    warnings: list[str] = []

    async def one(product: str) -> None:
        target = f"{url.rstrip('/')}/api/v1/products/{quote(product, safe='')}"
        key = f"GET {target}"
        kept = answers.fresh(key) if answers is not None else None
        try:
            if kept is not None:
                products[product] = parse_product(json.loads(kept), target)
                return
        except (ValueError, UpstreamError):
            pass  # not what was kept: ask again
        try:
            result = await fetcher.get(target, headers={"Accept": "application/json"})
            products[product] = parse_product(result.json(), result.url)
            if answers is not None:
                answers.keep(key, result.text())
        except UpstreamError as exc:
            old = answers.stored(key) if answers is not None else None
            if old is not None and answers is not None:
                with contextlib.suppress(ValueError, UpstreamError):
                    products[product] = parse_product(json.loads(old.body), target)
                    warnings.append(f"end of life: {exc.message}; used the answer kept "
                                    f"{answers.age(old)} ago")
                    return
            warnings.append(f"end of life: {exc.message}")

    with background_requests():
        await gather_all(*(one(p) for p in wanted))
    warnings.sort()
    if len(warnings) > 1:
        first = warnings[0].removeprefix("end of life: ")
        warnings = [f"end of life: {len(warnings)} products could not be read (first, {first})"]
    return EolReport(products=products, warnings=tuple(warnings))

"""The fake world's endoflife.date: `GET https://endoflife.date/api/v1/products/{product}`.

The products `versions.yaml` names (`policy.eol-product`), in the API's v1 shape. The dates
are the world's, chosen around `TODAY` (2026-09-16): Redis 7.4 ends inside the 90-day window
(2026-11-30), Node.js 20 has ended; they are not a statement about the real products.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from world.server import Reply

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld

ENDOFLIFE = "https://endoflife.date"

# product -> [(release name, codename, eolFrom or None)], newest first
PRODUCTS: dict[str, list[tuple[str, str | None, str | None]]] = {
    "nodejs": [("26", None, "2029-04-30"), ("24", "Krypton", "2028-04-30"),
               ("22", "Jod", "2027-04-30"), ("20", "Iron", "2026-04-30")],
    "python": [("3.14", None, "2030-10-31"), ("3.13", None, "2029-10-31"),
               ("3.12", None, "2028-10-31")],
    "debian": [("13", "Trixie", "2028-08-09"), ("12", "Bookworm", "2026-06-10")],
    "postgresql": [("18", None, "2030-11-14"), ("17", None, "2029-11-08"),
                   ("16", None, "2028-11-09")],
    "redis": [("8.10", None, None), ("8.2", None, "2027-05-31"), ("7.4", None, "2026-11-30"),
              ("7.2", None, "2026-02-28")],
}
TODAY = "2026-09-16"


def product_json(product: str) -> dict[str, Any]:
    releases = [{
        "name": name, "codename": codename, "label": name,
        "releaseDate": "2020-01-01", "isLts": False, "ltsFrom": None,
        "isEol": eol is not None and eol <= TODAY, "eolFrom": eol,
        "isMaintained": eol is None or eol > TODAY,
        "latest": {"name": f"{name}.0", "date": "2026-09-01", "link": None},
    } for name, codename, eol in PRODUCTS[product]]
    return {"schema_version": "1.2.0", "generated_at": "2026-09-16T00:00:00+00:00",
            "result": {"name": product, "label": product, "releases": releases}}


def add_eol(world: FakeWorld) -> None:
    from world.faults import Role

    for product in PRODUCTS:
        body = json.dumps(product_json(product)).encode()
        world._add(f"{ENDOFLIFE}/api/v1/products/{product}", None, Role.OTHER, _constant(
            Reply(body=body, headers={"Content-Type": "application/json"})))


def _constant(reply: Reply) -> Callable[[object, object], Reply]:
    return lambda _request, _fault: reply

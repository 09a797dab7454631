"""What a coherent set's leader pins: the image tags of a Compose file in its repository.

A group's leader (`policy.group-pins`, SigNoz) names a file of its GitHub repository that pins
the other members (`deploy/docker/docker-compose.yaml`: `image:
clickhouse/clickhouse-server:25.5.6`, `signoz/signoz-otel-collector:${OTELCOL_TAG:-v0.144.2}`).
It is read at the leader's tag from `raw.githubusercontent.com`; `${VAR:-default}` and
`${VAR-default}` stand for their default, what the file pins when nothing overrides it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from release.upstream.common import shown, shown_url
from release.upstream.errors import PermanentUpstreamError
from release.upstream.interface import Fetcher

RAW_URL = "https://raw.githubusercontent.com"
FILE_MAX_BYTES = 1024 * 1024
_IMAGE = re.compile(r"""^\s*(?:-\s*)?image:\s*["']?(?P<ref>[^"'\s#]+)""", re.MULTILINE)
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-(?P<default>[^}]*)\}")


def _repository(name: str) -> str:
    """`docker.io/library/redis` and `redis` are one repository."""
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


def image_tags(text: str, url: str) -> dict[str, str]:
    """Repository -> the tag the file pins it at (`signoz/zookeeper` -> `3.7.1`).

    A repository pinned at two different tags is refused: which one the leader means is unknown.
    """
    found: dict[str, str] = {}
    for match in _IMAGE.finditer(text):
        ref = _DEFAULT.sub(lambda m: m["default"], match["ref"]).split("@", 1)[0]
        if "${" in ref or "$" in ref:
            continue  # a variable with no default: the file does not say
        name, colon, tag = ref.rpartition(":")
        if not colon or "/" in tag:
            continue  # no tag (latest): the file pins nothing
        repository = _repository(name)
        if found.get(repository, tag) != tag:
            raise PermanentUpstreamError(
                f"{shown_url(url)}: pins {shown(repository)} at both {shown(found[repository])} "
                f"and {shown(tag)}"
            )
        found[repository] = tag
    return found


async def leader_pins(
    fetcher: Fetcher, *, repo: str, tag: str, path: str, raw_url: str = RAW_URL
) -> dict[str, str]:
    """The image tags the file `path` of GitHub `repo` pins at `tag`."""
    url = f"{raw_url.rstrip('/')}/{repo}/{quote(tag, safe='')}/{path}"
    result = await fetcher.get(url, max_bytes=FILE_MAX_BYTES)
    return image_tags(result.text(), result.url)


def repository_of(image_repository: str) -> str:
    return _repository(image_repository)

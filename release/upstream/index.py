"""HTTP directory indexes: Apache/nginx autoindex pages (downloads.asterisk.org, ftp.postgresql).

Only `<a href>` targets are read (the layout around them differs from server to server). Each
target is resolved against the page, and only direct children of the listed directory count:
files (`asterisk-22.10.1.tar.gz`) and subdirectories (`v17.11/`). Parent links, sort links
(`?C=N;O=D`) and links elsewhere are skipped. A child's name is matched against the component's
`upstream.entry` template (`asterisk-{version}.tar.gz`, `v{version}/`); names that match the
template's shape but not the component's versioning (`asterisk-22-current.tar.gz`,
`asterisk-22.10.1.tar.gz.asc`) are junk and ignored, unsafe ones are rejected and reported.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from release.manifest.model import Component
from release.upstream.common import shown
from release.upstream.errors import PermanentUpstreamError
from release.upstream.http import same_origin
from release.upstream.interface import Fetcher, Listing, Source, classify_tags
from release.versioning import Version

INDEX_MAX_BYTES = 8 * 1024 * 1024
_FIELD = re.compile(r"\{(version|tag)\}")


def parse_hrefs(html: str) -> list[str]:
    """Every `<a href>` target of an HTML page, in page order (entities decoded)."""
    # html.parser costs ~13 ms to import; only a run listing a directory index needs it.
    from html.parser import HTMLParser  # noqa: PLC0415

    hrefs: list[str] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                hrefs.extend(value for name, value in attrs if name == "href" and value)

    parser = Anchors(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return hrefs


def directory_url(url: str) -> str:
    """The URL of the listed directory: the page URL with its query dropped and a final `/`."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return parts._replace(path=path, query="", fragment="").geturl()


def child_names(hrefs: list[str], page_url: str) -> list[str]:
    """The names of the direct children of the directory at `page_url` that `hrefs` link to.

    Relative (`v17.11/`, `./x`) and absolute (`/pub/source/v17.11/`, `https://host/...`) links
    are resolved first; subdirectories keep their trailing `/`; names are percent-decoded.
    """
    base = directory_url(page_url)
    base_path = urlsplit(base).path
    names: list[str] = []
    seen: set[str] = set()
    for href in hrefs:
        target = urlsplit(urljoin(base, href.strip()))
        if target.query or not same_origin(target.geturl(), base):
            continue
        if not target.path.startswith(base_path):
            continue
        rest = target.path[len(base_path):]
        if not rest or "/" in rest.rstrip("/") or rest in ("./", "../"):
            continue
        name = unquote(rest)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def entry_pattern(entry: str) -> re.Pattern[str]:
    """A regex for an `upstream.entry` template: `{version}`/`{tag}` become captures.

    The captures are deliberately loose (anything but `/`): what they hold is then checked by
    the component's versioning, so junk is ignored and unsafe names are reported.
    """
    fields = _FIELD.findall(entry)
    if not fields:
        raise PermanentUpstreamError(
            f"upstream.entry {shown(entry)!r} uses neither {{version}} nor {{tag}}"
        )
    if "/" in entry.rstrip("/"):
        raise PermanentUpstreamError(
            f"upstream.entry {shown(entry)!r}: only direct children of the index are listed"
        )
    pattern: list[str] = []
    defined: set[str] = set()
    for index, part in enumerate(_FIELD.split(entry)):
        if index % 2 == 0:
            pattern.append(re.escape(part))
        elif part in defined:
            pattern.append(f"(?P={part})")
        else:
            defined.add(part)
            pattern.append(f"(?P<{part}>[^/]+?)")
    return re.compile("".join(pattern))


def entry_tags(component: Component, names: list[str]) -> list[str]:
    """The upstream tags that directory entries `names` stand for (non-matching names dropped)."""
    if not component.upstream.entry:
        raise PermanentUpstreamError(
            "upstream.entry is not set (a template such as x-{version}.tar.gz)"
        )
    pattern = entry_pattern(component.upstream.entry)
    tags: list[str] = []
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        groups = match.groupdict()
        if "tag" in groups:
            tags.append(groups["tag"])
        else:
            tags.append(component.versioning.tag_for(Version(groups["version"])))
    return tags


class HttpIndex(Source):
    """Versions from the autoindex page at `component.upstream.url`, via `upstream.entry`."""

    async def list_releases(self, component: Component, fetcher: Fetcher) -> Listing:
        url = component.upstream.url
        if not url:
            raise PermanentUpstreamError(
                "upstream.url is not set (a directory index URL is needed)"
            )
        result = await fetcher.get(url, headers={"Accept": "text/html"}, max_bytes=INDEX_MAX_BYTES)
        names = child_names(parse_hrefs(result.text()), result.url)
        return classify_tags(component, [(tag, False) for tag in entry_tags(component, names)])

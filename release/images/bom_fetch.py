"""Bills of materials of past releases, from the GitHub release they were published with.

The release workflow attaches `releases/<version>.json` to the GitHub release `v<version>` as
the asset `delphi-<version>-bom.json`; a clone holds only the bills of materials it built.
`bom diff` (and anyone else who names a release by version) calls `fetch_release_bom` when
`releases/<version>.json` is not in the tree: the asset is downloaded through the GitHub API
(so a private repository works with `GITHUB_TOKEN`), checked against the `digest` GitHub
records for it, validated, and kept in `releases/` for the next run.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from release import calver
from release.bom import Bom, bom_relpath, load_bom, parse_bom, resolve_bom
from release.errors import InvalidInput, ReleaseError
from release.upstream.errors import UpstreamError
from release.upstream.interface import Fetcher
from release.versioning import GITHUB_REPOSITORY_RE

MAX_BOM_BYTES = 4 * 1024 * 1024


def asset_name(version: str) -> str:
    """The name release.yml gives the bill of materials of `version` on its GitHub release."""
    return f"delphi-{version}-bom.json"


def repository_of(env: Mapping[str, str], given: str | None, origin_url: str | None) -> str:
    """`owner/name` of the repository whose releases hold the bills of materials: `--repo`,
    then GitHub Actions' `GITHUB_REPOSITORY`, then the `origin` remote."""
    for value, where in ((given, "--repo"), (env.get("GITHUB_REPOSITORY"), "GITHUB_REPOSITORY")):
        if value:
            if GITHUB_REPOSITORY_RE.fullmatch(value) is None:
                raise InvalidInput(f"{where} {value!r} is not OWNER/NAME")
            return value
    if origin_url is not None:
        path = origin_url.split("://", 1)[-1].split("/", 1)[-1]
        if GITHUB_REPOSITORY_RE.fullmatch(path):
            return path
    raise InvalidInput(
        "cannot tell which GitHub repository publishes the releases (no --repo, no "
        "GITHUB_REPOSITORY, no origin remote)", hint="pass --repo OWNER/NAME",
    )


async def fetch_release_bom(
    fetcher: Fetcher, *, api_url: str, repository: str, version: str,
) -> tuple[bytes, Bom]:
    """The bill of materials of release `version`, downloaded from its GitHub release."""
    tag = f"v{version}"
    where = f"{repository} release {tag}"
    try:
        listing = await fetcher.get(f"{api_url}/repos/{repository}/releases/tags/{tag}",
                                    ok=(200, 404))
        if listing.status == 404:
            raise InvalidInput(
                f"no bill of materials for {version}: not in {bom_relpath(version)}, and "
                f"{repository} has no GitHub release {tag}",
                hint="name a file instead, or pass --repo OWNER/NAME",
            )
        asset = _asset(listing.json(), asset_name(version), where)
        download = await fetcher.get(
            str(asset["url"]), headers={"Accept": "application/octet-stream"},
            max_bytes=MAX_BOM_BYTES,
        )
    except UpstreamError as exc:
        raise ReleaseError(f"cannot fetch the bill of materials of {version}: {exc}") from None
    body = download.body
    digest = asset.get("digest")
    actual = "sha256:" + hashlib.sha256(body).hexdigest()
    if isinstance(digest, str) and digest.startswith("sha256:") and digest != actual:
        raise ReleaseError(
            f"{where}: asset {asset_name(version)} is {actual}, but GitHub records {digest} "
            "for it: refusing a download that is not the published file"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseError(f"{where}: asset {asset_name(version)} is not UTF-8 text") from None
    bom = parse_bom(text, f"{where}: {asset_name(version)}")
    if bom.release != version:
        raise ReleaseError(f"{where}: asset {asset_name(version)} is the bill of materials of "
                           f"{bom.release}, not {version}")
    return body, bom


def _asset(document: Any, name: str, where: str) -> Mapping[str, Any]:
    assets = document.get("assets") if isinstance(document, dict) else None
    if not isinstance(assets, list):
        raise ReleaseError(f"{where}: the GitHub API answered without an asset list")
    for asset in assets:
        if isinstance(asset, dict) and asset.get("name") == name and isinstance(
                asset.get("url"), str):
            return asset
    names = ", ".join(str(a.get("name")) for a in assets if isinstance(a, dict)) or "none"
    raise InvalidInput(f"{where} has no asset {name} (assets: {names})",
                       hint="the release workflow attaches it; was the release made by hand?")


def is_version(ref: str) -> bool:
    """Whether a `bom diff` argument names a release (not a file)."""
    return not Path(ref).exists() and calver.parse(ref) is not None


def release_bom(
    root: Path, ref: str, *, repo: str | None, fetch: bool, environ: Mapping[str, str],
) -> tuple[Bom, str | None]:
    """The bill of materials `ref` names (a file, or a release version); a release that is not
    in `releases/` is fetched from its GitHub release (when `fetch`) and kept there. The second
    value says where it was fetched from (None when it was read from the tree)."""
    from release.fsutil import FileChange, write_files  # noqa: PLC0415 - only when fetching
    from release.gitremote import origin_url  # noqa: PLC0415
    from release.upstream.http import GitHubAuth, open_fetcher  # noqa: PLC0415

    if not fetch or not is_version(ref) or (root / bom_relpath(ref)).is_file():
        return load_bom(resolve_bom(root, ref)), None
    repository = repository_of(environ, repo, origin_url(root))
    auth = GitHubAuth.from_env(environ)

    async def download() -> tuple[bytes, Bom]:
        async with open_fetcher(github=auth) as fetcher:
            return await fetch_release_bom(fetcher, api_url=auth.api_url.rstrip("/"),
                                           repository=repository, version=ref)

    body, bom = asyncio.run(download())
    write_files(root, [FileChange(path=bom_relpath(ref), old="", new=body.decode("utf-8"))])
    return bom, f"{repository} release v{ref}"

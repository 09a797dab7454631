"""The third-party versions page, `docs/third-party-versions.md`, rendered from `versions.yaml`.

For every component: the pinned version and upstream tag, where new versions come from, the
policy that bounds them, the archive checksum or image digest, and every file the version is
written in; then the release-day refresh process. CI tooling (the GitHub Actions of
`.github/workflows`, which run in no deployment) has a group of its own, with the commit each
action is pinned to. `python -m release docs --check` fails when the committed page differs from
what the current `versions.yaml` renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from release.errors import ReleaseError
from release.fsutil import read_text_exact, write_if_changed
from release.manifest.model import (
    Component,
    Manifest,
    Pin,
    PinKind,
    SignatureKind,
    UpstreamKind,
)
from release.notes.checklist import SERVICE_TITLES
from release.notes.diff import action_of, is_base_image, is_ci_tooling, notes_url
from release.notes.markdown import Trusted, code, inline, link, render, safe_url

PAGE = "docs/third-party-versions.md"
TEMPLATE = "third-party-versions.md.j2"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedFile:
    path: str
    what: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentPage:
    name: str
    description: str
    services: str
    version: str
    tag: str
    source: Trusted
    policy: Trusted
    artifact: Trusted | None
    notes_url: str | None
    files: tuple[PinnedFile, ...]
    base_image: bool
    ci_tooling: bool = False
    action: Trusted | None = None  # CI tooling: a link to the GitHub Action's repository
    commit: Trusted | None = None  # CI tooling: the pinned commit, short, linked


def _pin_what(pin: Pin) -> str:
    if pin.kind in (PinKind.DOCKERFILE_ARG, PinKind.DOCKERFILE_ENV):
        word = "ARG" if pin.kind is PinKind.DOCKERFILE_ARG else "ENV"
        return f"`{word} {pin.name}`"
    if pin.kind is PinKind.DOCKERFILE_FROM:
        stage = f" (stage `{pin.stage}`)" if pin.stage else ""
        return f"`FROM {pin.image}`{stage}"
    if pin.kind is PinKind.COMPOSE_IMAGE:
        return f"service `{pin.service}` `image:`"
    if pin.kind is PinKind.YAML_KEY:
        return f"key `{pin.key}`"
    if pin.kind is PinKind.GITHUB_ACTION:
        return f"every `uses:` of {code(pin.action or '')}"
    return f"the line marked `{pin.marker}`"


def source(component: Component) -> Trusted:
    """Where new versions of `component` come from, as Markdown."""
    up = component.upstream
    repo = up.repo or ""
    match up.kind:
        case UpstreamKind.GITHUB_RELEASES:
            return Trusted(f"GitHub releases of {link(repo, f'https://github.com/{repo}/releases')}")
        case UpstreamKind.GITHUB_TAGS:
            return Trusted(f"GitHub tags of {link(repo, f'https://github.com/{repo}/tags')}")
        case UpstreamKind.GIT_TAGS:
            return Trusted(f"git tags of {code(up.url or '')}")
        case UpstreamKind.DOCKER_HUB:
            image = up.image or ""
            page = (f"https://hub.docker.com/_/{image.removeprefix('library/')}"
                    if image.startswith("library/") else f"https://hub.docker.com/r/{image}")
            return Trusted(f"Docker Hub tags of {link(image, page)}")
        case UpstreamKind.REGISTRY:
            return Trusted(f"registry tags of {code(f'{up.registry}/{up.image}')}")
        case UpstreamKind.HTTP_INDEX:
            return Trusted(f"directory index {link(up.url or '', up.url)} (entries "
                           f"{code(up.entry or '')})")
        case UpstreamKind.NODE_DIST:
            return Trusted(f"Node.js release index {link(up.url or '', up.url)}")
        case UpstreamKind.POSTGRES_VERSIONS:
            return Trusted(f"PostgreSQL versions feed {link(up.url or '', up.url)}")


def policy(component: Component) -> Trusted:
    parts: list[str] = []
    p = component.policy
    if p.specifier:
        parts.append(f"versions {code(p.specifier)}")
    if p.lts:
        parts.append("LTS releases only")
    if p.prereleases:
        parts.append("pre-releases allowed")
    if p.group:
        parts.append(f"moves with its group {code(p.group)}")
    if component.archive is not None:
        parts.append("archive checksum " + ("required" if p.checksum_required else "optional"))
    if component.hold is not None:
        until = f" until {component.hold.until.isoformat()}" if component.hold.until else ""
        parts.append(f"**held**{until}: {inline(component.hold.reason)}")
    return Trusted("; ".join(parts) if parts else "any newer release")


UNCONFIRMED = (" (**unconfirmed**: recorded offline, never checked against upstream; "
               "`nox -s verify -- --online` checks it)")


def artifact(component: Component) -> Trusted | None:
    found = _artifact(component)
    if found is not None and component.unconfirmed:
        return Trusted(found + UNCONFIRMED)
    return found


def _artifact(component: Component) -> Trusted | None:
    values = component.values()
    if component.commit is not None:
        return Trusted(f"commit {_commit_link(component, short=False)}")
    if component.archive is not None:
        url = component.fill(component.archive.url)
        sha = component.archive.sha256
        checksum = f", sha256 {code(sha)}" if sha else ", **no checksum pinned**"
        signature = component.archive.signature
        signed = ""
        if signature is not None:
            asc = component.fill(signature.url)
            if signature.kind is SignatureKind.COSIGN:
                identity = component.fill(signature.identity or "")
                signed = (f"; upstream's cosign signature {link(asc.rsplit('/', 1)[-1], asc)} "
                          f"is checked: keyless, by {code(identity)} (issuer "
                          f"{code(signature.issuer or '')}), against the Sigstore roots pinned "
                          "in `keys/sigstore/`, and logged in Rekor while its certificate was "
                          "valid")
            else:
                keys = ", ".join(code(k) for k in signature.keys)
                signed = (f"; upstream's signature {link(asc.rsplit('/', 1)[-1], asc)} is "
                          f"checked against the pinned key {keys} (`keys/`)")
        return Trusted(f"archive {link(url.rsplit('/', 1)[-1], url)}{checksum}{signed}")
    if component.image is not None:
        reference = f"{component.image.repository}:{values.get('image_tag', '')}"
        digest = component.image.digest
        return Trusted(f"image {code(reference)}" + (f" @ {code(digest)}" if digest else
                                                     ", **no digest pinned**"))
    return None


def page_model(manifest: Manifest) -> list[ComponentPage]:
    pages = []
    for component in manifest.components:
        files: dict[str, list[str]] = {}
        for pin in component.pins:
            files.setdefault(pin.file, []).append(_pin_what(pin))
        pages.append(ComponentPage(
            name=component.name,
            description=component.description,
            services=", ".join(SERVICE_TITLES[s] for s in component.services),
            version=component.version,
            tag=component.tag,
            source=source(component),
            policy=policy(component),
            artifact=artifact(component),
            notes_url=notes_url(component),
            files=tuple(PinnedFile(path=f, what=tuple(w)) for f, w in sorted(files.items())),
            base_image=is_base_image(component),
            ci_tooling=is_ci_tooling(component),
            action=_action_link(component),
            commit=_commit_link(component, short=True),
        ))
    return pages


def _commit_link(component: Component, *, short: bool) -> Trusted | None:
    """The pinned commit as a code span, linked to it on GitHub when the action is known."""
    if component.commit is None:
        return None
    action = action_of(component)
    target = safe_url(f"https://github.com/{action}/commit/{component.commit}") if action else None
    sha = code(component.commit[:7] if short else component.commit)
    return Trusted(f"[{sha}]({target})" if target else sha)


def _action_link(component: Component) -> Trusted | None:
    action = action_of(component) if is_ci_tooling(component) else None
    return link(action, f"https://github.com/{action}") if action else None


def render_page(manifest: Manifest) -> str:
    pages = page_model(manifest)
    return render(
        TEMPLATE, release=manifest.release,
        components=[p for p in pages if not p.ci_tooling],
        ci_components=[p for p in pages if p.ci_tooling],
    )


def write_or_check(root: Path, relative: str, text: str, *, check: bool, regenerate: str) -> bool:
    """Write `text` to `root/relative` atomically, or with `check` raise when it differs.

    Returns whether the file changed (with `check`: always False, or an error).
    """
    if not check:
        return write_if_changed(root, relative, text)
    path = root / relative
    current = read_text_exact(path) if path.is_file() else None
    if current == text:
        return False
    state = "is missing" if current is None else "is stale"
    raise ReleaseError(
        f"{relative} {state}: it differs from what the current tree renders",
        hint=f"run `{regenerate}` and commit the result",
    )

"""`verify`: every pin agrees with versions.yaml, and nothing in `images/` is pinned unmanaged.

Reading is done once per file; deciding is pure over the texts. Each finding names the file
and line, what was expected and what was found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from release.errors import PinError
from release.fsutil import read_text_exact
from release.manifest.load import make_yaml
from release.manifest.model import MANIFEST, Component, Manifest, Pin, PinKind
from release.pins import locate_all, scan_dockerfile
from release.pins.actions import action_uses
from release.pins.downloads import downloads
from release.pins.interface import split_image_ref
from release.refresh.decide import admits

VERSION_LIKE_NAME = re.compile(r".*_(VERSION|SHA256|SHA512|DIGEST|TAG)")
VERSION_LIKE_VALUE = re.compile(r"v?\d+\.\d+")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
COMPOSE_FILE = re.compile(r"(docker-)?compose([.-][\w-]+)?\.ya?ml")


class FindingKind(StrEnum):
    DRIFT = "drift"
    BROKEN_PIN = "broken-pin"
    MISSING_CHECKSUM = "missing-checksum"
    MISSING_DIGEST = "missing-digest"
    UNMANAGED = "unmanaged"
    UNPINNED_BASE = "unpinned-base"
    UNCLAIMED_DOWNLOAD = "unclaimed-download"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    kind: FindingKind
    file: str
    line: int
    message: str
    component: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unconfirmed:
    """A pinned value recorded without being checked against upstream (a warning offline)."""

    component: str
    value: str  # sha256, digest or commit
    pinned: str
    line: int

    def __str__(self) -> str:
        return (f"{MANIFEST}:{self.line}: warning: {self.component}: {self.value} {self.pinned} "
                "is unconfirmed (recorded offline, never checked against upstream)")


@dataclass(frozen=True, slots=True, kw_only=True)
class OffPolicy:
    """A pinned version its own policy does not admit (pinned with `--beyond-policy`)."""

    component: str
    version: str
    specifier: str
    line: int

    def __str__(self) -> str:
        return (f"{MANIFEST}:{self.line}: warning: {self.component}: off-policy: the pinned "
                f"{self.version} is outside its own policy ({self.specifier})")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    problems: tuple[Finding, ...]
    pins_checked: int
    files_scanned: int
    unconfirmed: tuple[Unconfirmed, ...] = ()
    off_policy: tuple[OffPolicy, ...] = ()


class _Files:
    """Reads each file once; a missing or unreadable file is remembered, not raised."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[str, str | None] = {}
        self.errors: dict[str, str] = {}

    def get(self, relative: str) -> str | None:
        if relative not in self.texts:
            try:
                self.texts[relative] = read_text_exact(self.root / relative)
            except FileNotFoundError:
                self.texts[relative] = None
                self.errors[relative] = "file does not exist"
            except (OSError, UnicodeDecodeError) as exc:
                self.texts[relative] = None
                self.errors[relative] = f"cannot read: {exc}"
        return self.texts[relative]


def verify_tree(root: Path, manifest: Manifest) -> VerifyReport:
    files = _Files(root)
    findings: list[Finding] = []
    checked = 0
    for component in manifest.components:
        findings.extend(_check_values(component))
        for pin in component.pins:
            checked += 1
            findings.extend(_check_pin(component, pin, files))
    scanned = _scan_images(root, manifest, files, findings)
    scanned |= _scan_workflows(root, manifest, files, findings)
    return VerifyReport(
        problems=tuple(sorted(findings, key=lambda f: (f.file, f.line, f.message))),
        pins_checked=checked,
        files_scanned=len({f for f, t in files.texts.items() if t is not None} | scanned),
        unconfirmed=tuple(unconfirmed_values(manifest)),
        off_policy=tuple(
            OffPolicy(component=c.name, version=c.version, specifier=c.policy.specifier,
                      line=c.line)
            for c in manifest.components if not admits(c, c.version)
        ),
    )


def unconfirmed_values(manifest: Manifest) -> Iterable[Unconfirmed]:
    """Every value a component lists under `unconfirmed:`, with the value pinned today."""
    for component in manifest.components:
        values = component.values()
        for name in component.unconfirmed:
            yield Unconfirmed(component=component.name, value=name,
                              pinned=values.get(name, ""), line=component.line)


def _check_values(component: Component) -> Iterable[Finding]:
    archive = component.archive
    if archive is not None and archive.sha256 is None and component.policy.checksum_required:
        yield Finding(
            kind=FindingKind.MISSING_CHECKSUM, file=MANIFEST, line=component.line,
            component=component.name,
            message=f"{component.name}: archive has no sha256 but its policy requires one "
            f"(archive.url {archive.url})",
        )
    if component.image is not None and component.image.digest is None:
        yield Finding(
            kind=FindingKind.MISSING_DIGEST, file=MANIFEST, line=component.line,
            component=component.name,
            message=f"{component.name}: image {component.image.repository} has no digest; "
            "pin it as tag@sha256:<index digest>",
        )


def _check_pin(component: Component, pin: Pin, files: _Files) -> Iterable[Finding]:
    text = files.get(pin.file)
    if text is None:
        yield Finding(
            kind=FindingKind.BROKEN_PIN, file=pin.file, line=0, component=component.name,
            message=f"{component.name}: {pin.describe()}: {files.errors[pin.file]} "
            f"(declared at {MANIFEST}:{pin.line})",
        )
        return
    try:
        sites = locate_all(text, pin)
    except PinError as exc:
        yield Finding(
            kind=FindingKind.BROKEN_PIN, file=pin.file, line=0, component=component.name,
            message=f"{component.name}: {exc.message} (declared at {MANIFEST}:{pin.line})",
        )
        return
    try:
        expected = component.render(pin)
    except KeyError:
        return  # the missing checksum or digest is reported once by _check_values
    for found in sites:
        if found.value != expected:
            yield Finding(
                kind=FindingKind.DRIFT, file=pin.file, line=found.line, component=component.name,
                expected=expected, found=found.value,
                message=f"{component.name}: {pin.describe()}: expected {expected!r}, "
                f"found {found.value!r}",
            )


def _claims(manifest: Manifest) -> dict[str, list[Pin]]:
    claims: dict[str, list[Pin]] = {}
    for component in manifest.components:
        for pin in component.pins:
            claims.setdefault(pin.file, []).append(pin)
    return claims


def _claimed(pins: list[Pin], kinds: tuple[PinKind, ...], selector: str, stage: str | None) -> bool:
    for pin in pins:
        if pin.kind not in kinds:
            continue
        value = pin.image if pin.kind is PinKind.DOCKERFILE_FROM else (pin.name or pin.service)
        if value == selector and (pin.stage is None or pin.stage == stage):
            return True
    return False


def archive_urls(manifest: Manifest) -> list[str]:
    """The archive URL of every component at its pinned version: what a build may download."""
    return [
        c.fill(c.archive.url)
        for c in manifest.components if c.archive is not None
    ]


def _scan_images(root: Path, manifest: Manifest, files: _Files, out: list[Finding]) -> set[str]:
    claims = _claims(manifest)
    urls = archive_urls(manifest)
    images = root / "images"
    scanned: set[str] = set()
    if not images.is_dir():
        return scanned
    for path in sorted(images.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if path.name == "Dockerfile" or path.name.endswith(".Dockerfile"):
            text = files.get(relative)
            if text is not None:
                scanned.add(relative)
                out.extend(_scan_dockerfile(relative, text, claims.get(relative, [])))
                out.extend(_scan_downloads(relative, text, urls, _pinned(manifest, relative)))
        elif COMPOSE_FILE.fullmatch(path.name):
            text = files.get(relative)
            if text is not None:
                scanned.add(relative)
                out.extend(_scan_compose(relative, text, claims.get(relative, [])))
    return scanned


def _scan_workflows(root: Path, manifest: Manifest, files: _Files, out: list[Finding]) -> set[str]:
    """Every third-party `uses:` in `.github/workflows` is pinned by SHA and claimed."""
    claims = _claims(manifest)
    workflows = root / ".github" / "workflows"
    scanned: set[str] = set()
    if not workflows.is_dir():
        return scanned
    for path in sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]):
        relative = path.relative_to(root).as_posix()
        text = files.get(relative)
        if text is None:
            continue
        scanned.add(relative)
        claimed = {
            (p.action or "").lower() for p in claims.get(relative, [])
            if p.kind is PinKind.GITHUB_ACTION
        }
        for line, action, ref, version in action_uses(text):
            if action.startswith(("./", "docker://")):
                continue  # a local action, or an image (pinned like any other image)
            if not COMMIT_SHA.fullmatch(ref) or version is None:
                out.append(Finding(
                    kind=FindingKind.UNPINNED_BASE, file=relative, line=line,
                    message=f"uses: {action}@{ref}: pin it by full commit SHA with the version "
                    "as a comment (uses: owner/repo@<40 hex> # vX.Y.Z)",
                ))
            if action.lower() not in claimed:
                out.append(Finding(
                    kind=FindingKind.UNMANAGED, file=relative, line=line,
                    message=f"uses: {action} is not claimed by any component in versions.yaml",
                ))
    return scanned


def _scan_dockerfile(relative: str, text: str, pins: list[Pin]) -> Iterable[Finding]:
    for ins in scan_dockerfile(text):
        if ins.keyword in ("ARG", "ENV"):
            name, value = ins.name or "", ins.value or ""
            if not (VERSION_LIKE_NAME.fullmatch(name) or VERSION_LIKE_VALUE.match(value)):
                continue
            kinds = (PinKind.DOCKERFILE_ARG,) if ins.keyword == "ARG" else (PinKind.DOCKERFILE_ENV,)
            if not _claimed(pins, kinds, name, ins.stage):
                yield Finding(
                    kind=FindingKind.UNMANAGED, file=relative, line=ins.line,
                    found=value,
                    message=f"{ins.keyword} {name}={value} looks like a version pin but no "
                    "component in versions.yaml claims it",
                )
        elif ins.keyword == "FROM" and ins.image is not None:
            if ins.refers_to_stage or ins.scratch:
                continue
            ref = ins.image
            yield from _check_reference(
                relative, ins.line, f"FROM {ref}", ref.repository, tag=ref.tag,
                digest=ref.digest,
                claimed=_claimed(pins, (PinKind.DOCKERFILE_FROM,), ref.repository, ins.stage),
            )


def _pinned(manifest: Manifest, relative: str) -> dict[str, str]:
    """The values versions.yaml gives the ARG/ENV pins of one Dockerfile, by name."""
    pinned: dict[str, str] = {}
    for component in manifest.components:
        for pin in component.pins:
            if pin.file == relative and pin.kind in (PinKind.DOCKERFILE_ARG,
                                                     PinKind.DOCKERFILE_ENV) and pin.name:
                try:
                    pinned[pin.name] = component.render(pin)
                except KeyError:
                    continue  # reported by _check_values
    return pinned


def _scan_downloads(
    relative: str, text: str, urls: list[str], pinned: dict[str, str]
) -> Iterable[Finding]:
    try:
        found = downloads(text, file=relative, pinned=pinned)
    except PinError:
        return  # the Dockerfile cannot be parsed: its pins report that already
    for download in found:
        if not download.claimed_by(urls):
            yield Finding(
                kind=FindingKind.UNCLAIMED_DOWNLOAD, file=relative, line=download.line,
                found=download.url,
                message=f"downloads {download.url} but no component in versions.yaml claims it "
                "(pin it as a component's archive.url, with its sha256)",
            )


def _check_reference(
    relative: str, line: int, what: str, repository: str, *, tag: str | None,
    digest: str | None, claimed: bool,
) -> Iterable[Finding]:
    if tag in (None, "", "latest"):
        yield Finding(
            kind=FindingKind.UNPINNED_BASE, file=relative, line=line,
            message=f"{what}: use an explicit tag, never {'latest' if tag else 'no tag'}",
        )
    if not digest:
        yield Finding(
            kind=FindingKind.UNPINNED_BASE, file=relative, line=line,
            message=f"{what}: no digest; pin it as {repository}:<tag>@sha256:<index digest>",
        )
    if not claimed:
        yield Finding(
            kind=FindingKind.UNMANAGED, file=relative, line=line,
            message=f"{what}: image {repository} is not claimed by any component in versions.yaml",
        )


def _scan_compose(relative: str, text: str, pins: list[Pin]) -> Iterable[Finding]:
    try:
        doc: Any = make_yaml().load(text)
    except YAMLError as exc:
        yield Finding(kind=FindingKind.BROKEN_PIN, file=relative, line=0,
                      message=f"not valid YAML: {str(exc).splitlines()[0]}")
        return
    services = doc.get("services") if isinstance(doc, CommentedMap) else None
    if not isinstance(services, CommentedMap):
        return
    for name, service in services.items():
        if not isinstance(service, CommentedMap) or "image" not in service:
            continue
        reference = str(service["image"])
        line = int(service.lc.value("image")[0]) + 1
        ref = split_image_ref(reference)
        yield from _check_reference(
            relative, line, f"services.{name}.image {reference}", ref.repository,
            tag=ref.tag, digest=ref.digest,
            claimed=_claimed(pins, (PinKind.COMPOSE_IMAGE,), str(name), None),
        )


def render_text(report: VerifyReport) -> str:
    """Problems first and their count last; unconfirmed values are warnings before the count.

    When nothing is wrong, the verdict comes first and the warnings follow it.
    """
    warnings = [str(o) for o in report.off_policy] + [str(u) for u in report.unconfirmed]
    if report.unconfirmed:
        count = len(report.unconfirmed)
        warnings.append(
            f"verify: {count} pinned value{'s' if count != 1 else ''} unconfirmed; a networked "
            "run must check them against upstream"
        )
    if report.problems:
        count = len(report.problems)
        return "\n".join([
            *(str(f) for f in report.problems), *warnings,
            (f"verify: {count} problem{'s' if count != 1 else ''} "
            f"({report.pins_checked} pins checked, {report.files_scanned} files scanned)"),
        ])
    return "\n".join([
        (f"verify: all {report.pins_checked} pins agree with versions.yaml "
        f"({report.files_scanned} files scanned, no unmanaged pins)"),
        *warnings,
    ])


def render_json(report: VerifyReport) -> str:
    return json.dumps(
        {
            "ok": not report.problems,
            "pins_checked": report.pins_checked,
            "files_scanned": report.files_scanned,
            "problems": [asdict(f) for f in report.problems],
            "unconfirmed": [asdict(u) for u in report.unconfirmed],
            "off_policy": [asdict(o) for o in report.off_policy],
        },
        indent=2,
    )

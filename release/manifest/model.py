"""The validated, frozen model of `versions.yaml`.

These dataclasses are what every other part of the tool reads; `release.manifest.load` is the
only place that builds them, from a parsed document, after checking every key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from release.errors import InvalidInput
from release.template import fill_template
from release.versioning import Digest, Tag, Version, Versioning
from release.yamlcheck import closest

SCHEMA_VERSION = 1
MANIFEST = "versions.yaml"  # the manifest's file name, at the repository root


class Service(StrEnum):
    """The Compose services of a Delphi deployment (docs/design.md's platform table)."""

    TELPRO = "telpro"
    WEB = "web"
    API = "api"
    VOICE = "voice"
    OPS = "ops"
    DATABASE = "database"
    MEDIA = "media"
    SIGNOZ = "signoz"
    SQUID = "squid"


class UpstreamKind(StrEnum):
    GITHUB_RELEASES = "github-releases"
    GITHUB_TAGS = "github-tags"
    GIT_TAGS = "git-tags"
    DOCKER_HUB = "docker-hub"
    REGISTRY = "registry"
    HTTP_INDEX = "http-index"
    NODE_DIST = "node-dist"
    POSTGRES_VERSIONS = "postgres-versions"


# The keys of `upstream:` each kind needs (`release.manifest.load` checks them; the lister of
# each kind is `release.upstream.sources.SOURCES`).
UPSTREAM_FIELDS: dict[UpstreamKind, tuple[str, ...]] = {
    UpstreamKind.GITHUB_RELEASES: ("repo",),
    UpstreamKind.GITHUB_TAGS: ("repo",),
    UpstreamKind.GIT_TAGS: ("url",),
    UpstreamKind.DOCKER_HUB: ("image",),
    UpstreamKind.REGISTRY: ("image", "registry"),
    UpstreamKind.HTTP_INDEX: ("url", "entry"),
    UpstreamKind.NODE_DIST: ("url",),
    UpstreamKind.POSTGRES_VERSIONS: ("url",),
}


class ChecksumKind(StrEnum):
    FILE = "file"  # a sums file next to the archive (`<tarball>.sha256`, `SHASUMS256.txt`)
    ASSET_DIGEST = "asset-digest"  # the GitHub release asset's `digest` field
    HASHES_README = "hashes-readme"  # redis-hashes style `hash <file> sha256 <hex> <url>` lines
    COMPUTE = "compute"  # upstream publishes none: download the archive and hash it


class PinKind(StrEnum):
    DOCKERFILE_ARG = "dockerfile-arg"
    DOCKERFILE_ENV = "dockerfile-env"
    DOCKERFILE_FROM = "dockerfile-from"
    COMPOSE_IMAGE = "compose-image"
    YAML_KEY = "yaml-key"
    MARKER = "marker"
    GITHUB_ACTION = "github-action"


# Which selector keys each pin kind needs (required, optional); `release.manifest.load` checks
# them, and the locator of each kind is `release.pins` (`_SITES`).
PIN_SELECTORS: dict[PinKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PinKind.DOCKERFILE_ARG: (("name",), ("stage",)),
    PinKind.DOCKERFILE_ENV: (("name",), ("stage",)),
    PinKind.DOCKERFILE_FROM: (("image",), ("stage",)),
    PinKind.COMPOSE_IMAGE: (("service",), ()),
    PinKind.YAML_KEY: (("key",), ()),
    PinKind.MARKER: (("marker",), ()),
    PinKind.GITHUB_ACTION: (("action",), ()),
}
# The `value` template of a pin that names none (every other kind: `{version}`).
DEFAULT_PIN_VALUES: dict[PinKind, str] = {
    PinKind.DOCKERFILE_FROM: "{image_tag}@{digest}",
    PinKind.COMPOSE_IMAGE: "{image_tag}@{digest}",
    PinKind.GITHUB_ACTION: "{commit} # {tag}",
}


# The fields a pin's `value` template may use; see `Component.values`.
VALUE_FIELDS = ("version", "tag", "major", "minor", "sha256", "digest", "image_tag", "commit")
IMAGE_PIN_KINDS = (PinKind.DOCKERFILE_FROM, PinKind.COMPOSE_IMAGE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """Where a component's versions come from.

    `repo` is a GitHub `owner/name`; `url` a git remote, directory index or feed; `image` a
    registry repository (`library/debian`) and `registry` its host; `entry` the template of a
    directory-index entry (`asterisk-{version}.tar.gz`); `release_notes` the template of the
    upstream's release-notes link (fields `version` and `tag`).
    """

    kind: UpstreamKind
    repo: str | None = None
    url: str | None = None
    image: str | None = None
    registry: str | None = None
    entry: str | None = None
    release_notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Which upstream versions a component may move to.

    `specifier` is a PEP 440 specifier set (`>=22,<23` keeps Asterisk on the 22 LTS line);
    `lts` takes only versions the source marks as LTS; `group` names a compatibility set whose
    members move together or not at all; `checksum_required` makes a missing archive checksum a
    verification problem. `min_age_days` is the release-age gate: a version published fewer days
    ago waits (the manifest-wide `policy.min-age` when the component sets none);
    `min_age_security_days` the gate of a version that fixes an advisory of the pinned one
    (default 0: security releases pass at once). `eol_product` names the endoflife.date product
    whose release lines say when the pinned line reaches its end of life; `eol` gives that date
    by hand for software no product covers; `eol_warning_days` is the window before it in which
    check warns.
    """

    specifier: str = ""
    lts: bool = False
    prereleases: bool = False
    group: str | None = None
    checksum_required: bool = True
    min_age_days: int = 0
    min_age_security_days: int = 0
    eol_product: str | None = None  # the endoflife.date product of the component (`nodejs`)
    eol: dt.date | None = None  # the end of life of the pinned line, when no product covers it
    eol_warning_days: int = 90  # warn this many days before the end of life
    # Coherent sets: the group's leader names the file of its repository that pins the other
    # members (`group_pins`); a member with `follow_leader` takes the version that file pins at
    # the leader's candidate tag.
    advisory_repo: str | None = None  # GitHub owner/name whose advisories cover a non-GitHub source
    group_pins: str | None = None
    follow_leader: bool = False
    line: int = 0  # where `policy:` is written, for messages


@dataclass(frozen=True, slots=True, kw_only=True)
class Checksum:
    kind: ChecksumKind
    url: str | None = None  # template; fields version, tag
    asset: str | None = None  # template of the GitHub asset name


class SignedFile(StrEnum):
    ARCHIVE = "archive"  # a detached signature of the archive itself (Squid, Asterisk `.asc`)
    CHECKSUM = "checksum"  # a detached signature of the sums file (Node's SHASUMS256.txt.asc)


class SignatureKind(StrEnum):
    OPENPGP = "openpgp"  # a detached OpenPGP signature, checked by gpgv against keys/
    COSIGN = "cosign"  # a cosign keyless `.sig` + Fulcio `.pem`, checked against keys/sigstore/


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """Where upstream's detached signature is, what it signs, and whom it must be by.

    OpenPGP (`kind: openpgp`, the default): `keys` are full fingerprints (40 or 64 uppercase
    hex); their armoured public keys live in `keys/<upstream>/<FINGERPRINT>.asc`.

    cosign keyless (`kind: cosign`): `url` is the base64 signature (`.sig`), `certificate` the
    Fulcio certificate (`.pem`), `file` the signed sums file (with `of: checksum`); the signer
    is trusted when the certificate chains to the Fulcio CA pinned in `keys/sigstore/` and
    names exactly `identity` (the SAN, a template over version and tag) and `issuer` (the OIDC
    issuer extension): the cosign equivalent of a fingerprint; and when the pinned Rekor log
    holds the signature, logged while the certificate was valid.
    """

    url: str  # template; fields version, tag
    of: SignedFile
    keys: tuple[str, ...] = ()
    kind: SignatureKind = SignatureKind.OPENPGP
    certificate: str | None = None  # cosign: template of the `.pem`
    file: str | None = None  # cosign, of: checksum: template of the signed sums file
    identity: str | None = None  # cosign: template of the certificate's SAN
    issuer: str | None = None  # cosign: the OIDC issuer the certificate must name


@dataclass(frozen=True, slots=True, kw_only=True)
class Archive:
    """The source archive a Dockerfile downloads, and the checksum pinned for it."""

    url: str  # template; fields version, tag
    sha256: str | None
    checksum: Checksum
    signature: Signature | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """A container image pinned as `repository:tag@digest`."""

    repository: str  # as written in FROM/image: lines (`debian`, `signoz/signoz`)
    tag: str  # template, e.g. `trixie-{version}-slim`
    digest: Digest | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    reason: str
    until: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One place in the repository where a component's value is written.

    `file` is relative to the repository root. Which selector is set depends on `kind`:
    `name` (Dockerfile ARG/ENV), `image` (Dockerfile FROM, the repository without tag),
    `stage` (optional, the `AS` name of a FROM or the stage an ARG/ENV is in), `service`
    (compose), `key` (dotted YAML key path), `marker` (the comment text that marks a line),
    `action` (a GitHub Action `owner/repo`: every `uses:` of it in the workflow file).
    `value` is a template over `VALUE_FIELDS`. `line` is where the pin is declared in the
    manifest, for messages.
    """

    kind: PinKind
    file: str
    value: str
    name: str | None = None
    image: str | None = None
    stage: str | None = None
    service: str | None = None
    key: str | None = None
    marker: str | None = None
    action: str | None = None
    line: int = 0

    def describe(self) -> str:
        selector = (self.name or self.image or self.service or self.key or self.marker
                    or self.action or "")
        stage = f" (stage {self.stage})" if self.stage else ""
        return f"{self.kind.value} {selector}{stage}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    name: str
    description: str
    services: tuple[Service, ...]
    version: Version
    versioning: Versioning
    upstream: Upstream
    policy: Policy
    archive: Archive | None = None
    image: Image | None = None
    hold: Hold | None = None
    commit: str | None = None  # the git commit of the pinned tag (GitHub Actions)
    # Pinned values recorded without being checked against upstream (`sha256` of the archive,
    # `digest` of the image, `commit` of the tag), from `unconfirmed:`; empty when every value
    # came from upstream. Read by `verify` (a warning) and by the image build's bill of
    # materials.
    unconfirmed: tuple[str, ...] = ()
    pins: tuple[Pin, ...] = ()
    line: int = 0

    @property
    def tag(self) -> Tag:
        return self.versioning.tag_for(self.version)

    def values(self) -> dict[str, str]:
        """The values a pin template can use, for the pinned version."""
        parts = self.version.split(".")
        values = {
            "version": self.version,
            "tag": self.tag,
            "major": parts[0],
            "minor": ".".join(parts[:2]),
        }
        if self.archive is not None and self.archive.sha256 is not None:
            values["sha256"] = self.archive.sha256
        if self.commit is not None:
            values["commit"] = self.commit
        if self.image is not None:
            values["image_tag"] = fill_template(self.image.tag, version=self.version)
            if self.image.digest is not None:
                values["digest"] = self.image.digest
        return values

    def render(self, pin: Pin) -> str:
        """The text `pin` must hold for the pinned version (KeyError: a value is missing)."""
        return self.fill(pin.value)

    def fill(self, template: str) -> str:
        """One of this component's templates (`{version}`, `{tag}`, ...) at the pinned version
        (KeyError: a value the template uses is missing)."""
        return fill_template(template, **self.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """All of `versions.yaml`: the Delphi release and every pinned component, in file order."""

    schema: int
    release: str
    components: tuple[Component, ...] = field(default=())

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    def require(self, name: str) -> Component:
        """The component `name`; an unknown name is bad input, with a did-you-mean."""
        component = self.component(name)
        if component is None:
            close = closest(name, self.names())
            hint = f"did you mean {close!r}? " if close else ""
            raise InvalidInput(
                f"no component {name!r} in versions.yaml; {hint}components: "
                + ", ".join(self.names())
            )
        return component

    def names(self) -> list[str]:
        return [c.name for c in self.components]

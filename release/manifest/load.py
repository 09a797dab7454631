"""Read `versions.yaml`, then validate it into a `Manifest`.

Reading (bytes from disk, YAML syntax) and validating (keys, types, values) are separate steps.
Validation collects every problem with its file, line and key path and raises them together as
one `ProblemsFound`; nothing is ever written from a document that did not validate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from release.calver import CALVER_RE
from release.errors import InvalidInput, Problem, ProblemsFound
from release.manifest.model import (
    DEFAULT_PIN_VALUES,
    IMAGE_PIN_KINDS,
    MANIFEST,
    PIN_SELECTORS,
    SCHEMA_VERSION,
    UPSTREAM_FIELDS,
    VALUE_FIELDS,
    Archive,
    Checksum,
    ChecksumKind,
    Component,
    Hold,
    Image,
    Manifest,
    Pin,
    PinKind,
    Policy,
    Service,
    Signature,
    SignatureKind,
    SignedFile,
    Upstream,
    UpstreamKind,
)
from release.template import template_fields
from release.versioning import (
    DIGEST_RE,
    GITHUB_REPOSITORY_RE,
    SHA256_RE,
    Digest,
    UnsafeValueError,
    Version,
    Versioning,
    check_safe_value,
    parses,
)
from release.yamlcheck import ISO_DATE_RE, LocatedChecker

if TYPE_CHECKING:  # ruamel.yaml is imported when a text is parsed: a check whose manifest the
    # parse cache (`release.manifest.fastload`) serves never loads it
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

COMPONENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,40}")
RELEASE_RE = CALVER_RE  # YYYY.MM.N, the one definition (release.calver)
IMAGE_REPOSITORY = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:[._/-][a-z0-9]+)*)*"
)
REL_PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
URL_RE = re.compile(r"(https?|git|ssh|file)://\S+")
COMMIT_RE = re.compile(r"[0-9a-f]{40}")

TOP_KEYS = ("schema", "release", "policy", "components")
# The manifest-wide policy: defaults of every component's release-age gates.
TOP_POLICY_KEYS = ("min-age", "min-age-security", "eol-warning")
EOL_PRODUCT = re.compile(r"[a-z0-9][a-z0-9._-]{0,60}")
DURATION_RE = re.compile(r"(?P<n>\d{1,4})(?P<unit>[dw])")
COMPONENT_KEYS = (
    "description", "services", "version", "versioning", "upstream", "policy", "archive",
    "image", "hold", "commit", "unconfirmed", "pins",
)
# The values `unconfirmed:` may name: each is the key of a pinned value of the component.
UNCONFIRMED_VALUES = ("sha256", "digest", "commit")
VERSIONING_KEYS = ("tag", "pattern", "separator")
UPSTREAM_KEYS = ("kind", "repo", "url", "image", "registry", "entry", "release-notes")
POLICY_KEYS = (
    "specifier", "lts", "prereleases", "group", "checksum", "min-age", "min-age-security",
    "eol-product", "eol", "eol-warning", "group-pins", "follow-leader", "advisory-repo",
)
ARCHIVE_KEYS = ("url", "sha256", "checksum", "signature")
SIGNATURE_KEYS = ("kind", "url", "of", "keys")
COSIGN_KEYS = ("kind", "url", "of", "certificate", "file", "identity", "issuer")
HTTPS_RE = re.compile(r"https://[^\s/]+(/\S*)?")
FINGERPRINT_RE = re.compile(r"[0-9A-F]{40}|[0-9A-F]{64}")
CHECKSUM_KEYS = ("kind", "url", "asset")
IMAGE_KEYS = ("repository", "tag", "digest")
HOLD_KEYS = ("reason", "until")
PIN_KEYS = (
    "kind", "file", "value", "name", "image", "stage", "service", "key", "marker", "action",
)


@dataclass(frozen=True, slots=True)
class LoadedManifest:
    """A manifest with the text it came from (writers edit that text, never a re-dump)."""

    path: Path
    text: str
    manifest: Manifest


def make_yaml() -> YAML:
    from ruamel.yaml import YAML  # noqa: PLC0415 - lazy, see TYPE_CHECKING

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, translating OS errors into `InvalidInput`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: not valid UTF-8") from None


def _c_loader() -> type | None:
    """A loader of libyaml's C parser (ruamel.yaml.clibz) feeding ruamel's round-trip
    constructor, or None when the C parser is not installed."""
    try:
        from ruamel.yaml.constructor import RoundTripConstructor  # noqa: PLC0415
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # noqa: PLC0415
        from ruamel.yaml.resolver import VersionedResolver  # noqa: PLC0415
    except ImportError:
        return None

    class CRoundTripLoader(CParser, RoundTripConstructor, VersionedResolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self
            RoundTripConstructor.__init__(self, loader=self)
            VersionedResolver.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            self.comment_handling = None

    return CRoundTripLoader


_C_LOADER: list[type | None] = []


def _fast_load(text: str) -> Any:
    """`text` through the C parser: the same `CommentedMap`/`CommentedSeq` values with the same
    line and column marks as `make_yaml().load`, without the comments (nothing that validates
    reads them), about six times faster. Raises `LookupError` when the C parser is missing or
    the text does not load that way: the pure parser then runs and locates the problem."""
    if not _C_LOADER:
        _C_LOADER.append(_c_loader())
    loader_class = _C_LOADER[0]
    if loader_class is None:
        raise LookupError("no C parser")
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    except Exception as exc:  # any failure: the pure parser says what it is
        raise LookupError(str(exc)) from exc
    finally:
        loader.dispose()


def parse_yaml(text: str, filename: str) -> Any:
    """Parse YAML text (round-trip, so nodes carry line numbers); every failure is located.

    Besides syntax errors: a character YAML does not allow (a NUL byte), nesting too deep for the
    parser, and an impossible unquoted date (`2026-02-30`, which YAML reads as a timestamp) are
    `ProblemsFound` too, never a traceback. libyaml's C parser reads the text when it is
    installed (`ruamel.yaml.clibz`: the manifest in 9 ms instead of 55); whatever it does not
    load goes to ruamel's pure parser, whose messages the problems quote.
    """
    with contextlib.suppress(LookupError, RecursionError):
        return _fast_load(text)
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415 - lazy

    try:
        return make_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if "duplicate key" in what:
            key = re.search(r'found duplicate key "([^"]*)"', str(exc))
            what = f"duplicate key {key.group(1)!r}" if key else "duplicate key"
        problem = Problem(file=filename, line=line, path="", message=f"invalid YAML: {what}")
    except YAMLError as exc:  # e.g. ruamel's ReaderError: a character YAML does not allow
        found = re.search(r"position (\d+)", str(exc))
        line = text.count("\n", 0, int(found.group(1))) + 1 if found else 0
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem = Problem(file=filename, line=line, path="", message=f"invalid YAML: {reason}")
    except RecursionError:
        problem = Problem(file=filename, line=0, path="",
                          message="invalid YAML: nested too deeply to read")
    except ValueError as exc:  # an unquoted impossible date: YAML turns it into a timestamp
        line, date = _impossible_date(text)
        detail = f"{date!r} is not a real date ({exc}); fix it, or quote it" if date else str(exc)
        problem = Problem(file=filename, line=line, path="", message=f"invalid YAML: {detail}")
    raise ProblemsFound(f"{filename} is not valid YAML", [problem]) from None


def _impossible_date(text: str) -> tuple[int, str | None]:
    """The first line holding a YYYY-MM-DD that is no calendar date (line 0 when none)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ISO_DATE_RE.finditer(line):
            try:
                dt.date.fromisoformat(match.group(0))
            except ValueError:
                return number, match.group(0)
    return 0, None


def load_manifest(path: Path) -> LoadedManifest:
    """Read and validate `path`: from `release.manifest.fastload`'s cache when a command turned
    it on and the same text validated before, else (and on any problem) in full."""
    from release.manifest.fastload import cached  # noqa: PLC0415 - small, and only here

    text = read_text(path)
    manifest = cached(text, path.name, lambda: parse_manifest(text, path.name))
    return LoadedManifest(path=path, text=text, manifest=manifest)


def parse_manifest(text: str, filename: str = MANIFEST, *, sets: bool = True) -> Manifest:
    """Parse and validate manifest text; raises `ProblemsFound` listing every problem.

    `sets=False` skips the rules of coherent sets (a member needs a specifier or a leader to
    follow): for manifests read from history, written before those rules, which only say how
    the next refresh may move pins.
    """
    doc = parse_yaml(text, filename)
    return _Validator(filename, text, sets=sets).manifest(doc)


class _Validator(LocatedChecker):
    """Walks the parsed document, building models and collecting located problems."""

    def __init__(self, filename: str, text: str, *, sets: bool = True) -> None:
        super().__init__(filename, text)
        self.sets = sets
        self.default_min_age = 0
        self.default_min_age_security = 0
        self.default_eol_warning = 90

    # -- typed getters of this format (the shared ones are LocatedChecker's) ------------------

    def template(
        self, node: CommentedMap, key: str, path: str, fields: tuple[str, ...],
        *, required: bool = True, must_use: str | None = None,
    ) -> str | None:
        value = self.string(node, key, path, required=required)
        if value is None:
            return None
        line = self.key_line(node, key)
        try:
            used = template_fields(value)
        except ValueError as exc:
            self.problem(line, self.join(path, key), f"malformed template {value!r}: {exc}")
            return None
        unknown = [f for f in used if f not in fields]
        if unknown:
            self.problem(
                line, self.join(path, key),
                f"unknown template field {{{unknown[0]}}}; valid fields: "
                + ", ".join(f"{{{f}}}" for f in fields),
            )
            return None
        if must_use is not None and must_use not in used:
            self.problem(
                line, self.join(path, key), f"template {value!r} must contain {{{must_use}}}"
            )
            return None
        return value

    # -- the document --------------------------------------------------------------------------

    def manifest(self, doc: Any) -> Manifest:
        if doc is None:
            self.problem(1, "", "the file is empty; expected keys: " + ", ".join(TOP_KEYS))
            raise self.failure()
        top = self.mapping(doc, "", 1)
        if top is None:
            raise self.failure()
        self.check_keys(top, "", TOP_KEYS, ("schema", "components"))
        schema = top.get("schema")
        if "schema" in top and schema != SCHEMA_VERSION:
            self.problem(
                self.key_line(top, "schema"), "schema",
                f"unsupported schema {schema!r}; this tool reads schema {SCHEMA_VERSION}",
            )
        release = self.matching(
            top, "release", "", RELEASE_RE, "a Delphi release version such as 2026.11.0"
        )
        self.top_policy(top)
        components: list[Component] = []
        raw_components = top.get("components")
        if "components" in top:
            comps = self.mapping(raw_components, "components", self.key_line(top, "components"))
            if comps is not None:
                if not comps:
                    self.problem(self.key_line(top, "components"), "components", "is empty")
                for name in comps:
                    component = self.component(comps, str(name))
                    if component is not None:
                        components.append(component)
        self.check_cross(components)
        if self.problems:
            raise self.failure()
        assert release is not None
        return Manifest(schema=SCHEMA_VERSION, release=release, components=tuple(components))

    def top_policy(self, top: CommentedMap) -> None:
        """`policy:` at the top: the defaults of every component's release-age gates."""
        found = self.section(top, "policy", "", TOP_POLICY_KEYS)
        if found is None:
            return
        _, m = found
        self.default_min_age = self.duration(m, "min-age", "policy", 0)
        self.default_min_age_security = self.duration(m, "min-age-security", "policy", 0)
        self.default_eol_warning = self.duration(m, "eol-warning", "policy", 90)

    def duration(self, node: CommentedMap, key: str, path: str, default: int) -> int:
        """A number of days written `7d` or `2w` (`0d`: no gate); `default` when absent."""
        if key not in node:
            return default
        value = node[key]
        match = DURATION_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raw = repr(value) if isinstance(value, str) else (
                self.raw_value(node, key) or repr(value))
            self.problem(
                self.key_line(node, key), self.join(path, key),
                f"{raw} is not a duration; write days or weeks such as 7d, 2w (0d: no gate)",
            )
            return default
        return int(match["n"]) * (7 if match["unit"] == "w" else 1)

    def failure(self) -> ProblemsFound:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return ProblemsFound(
            f"{self.file} has {count} {noun}",  # said by verify too, which never writes
            sorted(self.problems, key=lambda p: p.line),
        )

    def component(self, comps: CommentedMap, name: str) -> Component | None:
        path = f"components.{name}"
        line = self.key_line(comps, name)
        before = len(self.problems)
        if not COMPONENT_NAME.fullmatch(name):
            self.problem(
                line, path, "a component name is lowercase letters, digits and '-', "
                "starting with a letter",
            )
        node = self.mapping(comps[name], path, line)
        if node is None:
            return None
        self.check_keys(node, path, COMPONENT_KEYS, ("version", "versioning", "upstream", "pins"))
        description = self.string(node, "description", path, required=False) or ""
        services = self.services(node, path)
        versioning = self.versioning(node, path)
        version = self.string(node, "version", path, required=False)
        if version is not None and versioning is not None:
            version = self.check_version(version, versioning, self.key_line(node, "version"), path)
        upstream = self.upstream(node, path)
        policy = self.policy(node, path)
        archive = self.archive(node, path)
        image = self.image(node, path)
        hold = self.hold(node, path)
        commit = self.matching(
            node, "commit", path, COMMIT_RE, "a full git commit SHA (40 lowercase hex digits)",
            required=False,
        )
        unconfirmed = self.unconfirmed(node, path, archive, image, commit)
        pins = self.pins(node, path)
        if len(self.problems) != before:
            return None
        if version is None or versioning is None or upstream is None:
            return None  # each was reported as missing by check_keys
        if policy is None or pins is None:
            return None
        component = Component(
            name=name, description=description, services=services, version=Version(version),
            versioning=versioning, upstream=upstream, policy=policy, archive=archive,
            image=image, hold=hold, commit=commit, unconfirmed=unconfirmed, pins=pins,
            line=line,
        )
        self.check_pin_values(component, path)
        return component

    def check_version(
        self, version: str, versioning: Versioning, line: int, path: str
    ) -> str | None:
        try:
            check_safe_value(version, what="version")
        except UnsafeValueError as exc:
            self.problem(line, f"{path}.version", str(exc))
            return None
        if not versioning.version_re().fullmatch(version):
            self.problem(
                line, f"{path}.version",
                f"{version!r} does not match the component's version pattern "
                f"{versioning.pattern!r}",
            )
            return None
        if not parses(version):
            self.problem(line, f"{path}.version", f"{version!r} is not a PEP 440 version")
            return None
        return version

    def unconfirmed(
        self, node: CommentedMap, path: str, archive: Archive | None, image: Image | None,
        commit: str | None,
    ) -> tuple[str, ...]:
        """`unconfirmed: [sha256, digest, commit]`: pinned values nobody checked upstream."""
        value = self.sequence(node, "unconfirmed", path)
        if value is None:
            return ()
        line = self.key_line(node, "unconfirmed")
        sub = f"{path}.unconfirmed"
        present = {
            "sha256": archive is not None and archive.sha256 is not None,
            "digest": image is not None and image.digest is not None,
            "commit": commit is not None,
        }
        result: list[str] = []
        for item in value:
            if not isinstance(item, str) or item not in UNCONFIRMED_VALUES:
                self.problem(
                    line, sub,
                    f"{item!r} is not a pinned value; valid: {', '.join(UNCONFIRMED_VALUES)}",
                )
            elif not present[item]:
                self.problem(line, sub, f"{item!r} is listed but the component pins no {item}")
            elif item not in result:
                result.append(item)
        return tuple(result)

    def services(self, node: CommentedMap, path: str) -> tuple[Service, ...]:
        value = self.sequence(node, "services", path)
        if value is None:
            return ()
        line = self.key_line(node, "services")
        result: list[Service] = []
        valid = [s.value for s in Service]
        for item in value:
            if isinstance(item, str) and item in valid:
                result.append(Service(item))
            else:
                self.problem(
                    line, f"{path}.services",
                    f"{item!r} is not a Delphi service; valid: {', '.join(valid)}",
                )
        return tuple(result)

    def versioning(self, node: CommentedMap, path: str) -> Versioning | None:
        before = len(self.problems)
        found = self.section(node, "versioning", path, VERSIONING_KEYS)
        if found is None:
            return None
        sub, m = found
        tag = self.template(m, "tag", sub, ("version",), required=False, must_use="version")
        pattern = self.string(m, "pattern", sub, required=False)
        separator = self.string(m, "separator", sub, required=False)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.problem(self.key_line(m, "pattern"), f"{sub}.pattern", f"invalid regex: {exc}")
        if separator is not None and separator not in (".", "_", "-"):
            self.problem(
                self.key_line(m, "separator"), f"{sub}.separator",
                f"{separator!r} is not a valid separator; valid: '.', '_', '-'",
            )
        if len(self.problems) != before:
            return None
        defaults = Versioning()
        return Versioning(
            tag=tag or defaults.tag,
            pattern=pattern or defaults.pattern,
            separator=separator or defaults.separator,
        )

    def upstream(self, node: CommentedMap, path: str) -> Upstream | None:
        found = self.section(node, "upstream", path, UPSTREAM_KEYS)
        if found is None:
            return None
        sub, m = found
        kind = self.enum(m, "kind", sub, UpstreamKind)
        repo = self.matching(m, "repo", sub, GITHUB_REPOSITORY_RE, "a GitHub owner/name",
                             required=False)
        url = self.matching(m, "url", sub, URL_RE, "a URL", required=False)
        image = self.matching(
            m, "image", sub, IMAGE_REPOSITORY, "an image repository", required=False
        )
        registry = self.string(m, "registry", sub, required=False)
        entry = self.template(m, "entry", sub, ("version", "tag"), required=False)
        notes = self.template(m, "release-notes", sub, ("version", "tag"), required=False)
        if kind is None:
            return None
        for needed in UPSTREAM_FIELDS[kind]:
            if needed not in m:
                self.problem(
                    self.node_line(m, 0), sub, f"kind {kind.value!r} needs the key {needed!r}"
                )
        return Upstream(
            kind=kind, repo=repo, url=url, image=image, registry=registry, entry=entry,
            release_notes=notes,
        )

    def policy(self, node: CommentedMap, path: str) -> Policy | None:
        if "policy" not in node:
            return Policy(min_age_days=self.default_min_age,
                          min_age_security_days=self.default_min_age_security,
                          eol_warning_days=self.default_eol_warning)
        found = self.section(node, "policy", path, POLICY_KEYS)
        if found is None:
            return None
        sub, m = found
        specifier = self.string(m, "specifier", sub, required=False) or ""
        if specifier:
            try:
                SpecifierSet(specifier)
            except InvalidSpecifier:
                self.problem(
                    self.key_line(m, "specifier"), f"{sub}.specifier",
                    f"{specifier!r} is not a PEP 440 specifier set (for example '>=22,<23')",
                )
        group = self.matching(
            m, "group", sub, COMPONENT_NAME, "a group name (lowercase, digits, '-')",
            required=False,
        )
        checksum = self.string(m, "checksum", sub, required=False)
        if checksum is not None and checksum not in ("required", "optional"):
            self.problem(
                self.key_line(m, "checksum"), f"{sub}.checksum",
                f"{checksum!r} is not valid; valid: required, optional",
            )
        return Policy(
            specifier=specifier,
            lts=self.boolean(m, "lts", sub, default=False),
            prereleases=self.boolean(m, "prereleases", sub, default=False),
            group=group,
            checksum_required=checksum != "optional",
            min_age_days=self.duration(m, "min-age", sub, self.default_min_age),
            min_age_security_days=self.duration(
                m, "min-age-security", sub, self.default_min_age_security
            ),
            eol_product=self.matching(
                m, "eol-product", sub, EOL_PRODUCT, "an endoflife.date product name (nodejs)",
                required=False,
            ),
            eol=self.date(m, "eol", sub),
            eol_warning_days=self.duration(m, "eol-warning", sub, self.default_eol_warning),
            group_pins=self.matching(
                m, "group-pins", sub, REL_PATH, "a path inside the leader's repository",
                required=False,
            ),
            follow_leader=self.boolean(m, "follow-leader", sub, default=False),
            advisory_repo=self.matching(m, "advisory-repo", sub, GITHUB_REPOSITORY_RE,
                                        "a GitHub owner/name", required=False),
            line=self.key_line(node, "policy"),
        )

    def archive(self, node: CommentedMap, path: str) -> Archive | None:
        found = self.section(node, "archive", path, ARCHIVE_KEYS, ("checksum",))
        if found is None:
            return None
        sub, m = found
        url = self.template(m, "url", sub, ("version", "tag"))
        if url is not None and not URL_RE.fullmatch(url):
            self.problem(self.key_line(m, "url"), f"{sub}.url", f"{url!r} is not a URL")
        sha256 = self.matching(
            m, "sha256", sub, SHA256_RE, "a sha256 (64 lowercase hex digits)", required=False
        )
        checksum = None
        if (found_checksum := self.section(m, "checksum", sub, CHECKSUM_KEYS)) is not None:
            csub, cm = found_checksum
            kind = self.enum(cm, "kind", csub, ChecksumKind)
            curl = self.template(cm, "url", csub, ("version", "tag"), required=False)
            asset = self.template(cm, "asset", csub, ("version", "tag"), required=False)
            if kind in (ChecksumKind.FILE, ChecksumKind.HASHES_README) and curl is None:
                self.problem(self.node_line(cm, 0), csub, f"kind {kind} needs the key 'url'")
            if kind is ChecksumKind.ASSET_DIGEST and asset is None:
                self.problem(self.node_line(cm, 0), csub, f"kind {kind} needs the key 'asset'")
            if kind is not None:
                checksum = Checksum(kind=kind, url=curl, asset=asset)
        signature = self.signature(m, sub) if "signature" in m else None
        if url is None or checksum is None:
            return None
        return Archive(url=url, sha256=sha256, checksum=checksum, signature=signature)

    def signature(self, node: CommentedMap, path: str) -> Signature | None:
        """`archive.signature: {url, of: archive|checksum, keys: [FINGERPRINT, ...]}`, or
        `{kind: cosign, url, certificate, of, file, identity, issuer}`."""
        sub = f"{path}.signature"
        m = self.mapping(node["signature"], sub, self.key_line(node, "signature"))
        if m is None:
            return None
        kind = SignatureKind.OPENPGP
        if "kind" in m:
            found = self.enum(m, "kind", sub, SignatureKind)
            if found is None:
                return None
            kind = found
        if kind is SignatureKind.COSIGN:
            return self.cosign_signature(m, sub)
        self.check_keys(m, sub, SIGNATURE_KEYS, ("url", "of", "keys"))
        url = self.template(m, "url", sub, ("version", "tag"))
        of = self.enum(m, "of", sub, SignedFile)
        keys: list[str] = []
        if "keys" in m:
            raw = m["keys"]
            line = self.key_line(m, "keys")
            if not isinstance(raw, list) or not raw:
                self.problem(line, f"{sub}.keys", "expected a list of key fingerprints")
                return None
            for item in raw:
                if not isinstance(item, str) or not FINGERPRINT_RE.fullmatch(item):
                    self.problem(line, f"{sub}.keys", f"{item!r} is not a full OpenPGP "
                                 "fingerprint (40 or 64 uppercase hex digits, no spaces)")
                    return None
                keys.append(item)
        if url is None or of is None or not keys:
            return None
        return Signature(url=url, of=of, keys=tuple(keys))

    def cosign_signature(self, m: CommentedMap, sub: str) -> Signature | None:
        """A cosign keyless signature: the identity and issuer stand for the fingerprint."""
        self.check_keys(m, sub, COSIGN_KEYS, ())  # each getter below names a missing key
        fields = ("version", "tag")
        url = self.template(m, "url", sub, fields)
        certificate = self.template(m, "certificate", sub, fields)
        of = self.enum(m, "of", sub, SignedFile)
        file = self.template(m, "file", sub, fields, required=of is SignedFile.CHECKSUM)
        if of is SignedFile.ARCHIVE and file is not None:
            self.problem(self.key_line(m, "file"), f"{sub}.file",
                         "with of: archive the signed file is the archive; remove 'file'")
            return None
        identity = self.template(m, "identity", sub, fields)
        issuer = self.string(m, "issuer", sub)
        for key, value in (("identity", identity), ("issuer", issuer)):
            if value is not None and not HTTPS_RE.fullmatch(value):
                self.problem(self.key_line(m, key), f"{sub}.{key}",
                             f"{value!r} is not an https:// URL")
                return None
        if url is None or certificate is None or of is None or identity is None \
                or issuer is None or (of is SignedFile.CHECKSUM and file is None):
            return None
        return Signature(url=url, of=of, kind=SignatureKind.COSIGN, certificate=certificate,
                         file=file, identity=identity, issuer=issuer)

    def image(self, node: CommentedMap, path: str) -> Image | None:
        found = self.section(node, "image", path, IMAGE_KEYS)
        if found is None:
            return None
        sub, m = found
        repository = self.matching(m, "repository", sub, IMAGE_REPOSITORY, "an image repository")
        tag = self.template(m, "tag", sub, ("version",), must_use="version")
        digest = self.matching(
            m, "digest", sub, DIGEST_RE, "an image digest (sha256: and 64 hex digits)",
            required=False,
        )
        if repository is None or tag is None:
            return None
        return Image(repository=repository, tag=tag, digest=Digest(digest) if digest else None)

    def hold(self, node: CommentedMap, path: str) -> Hold | None:
        found = self.section(node, "hold", path, HOLD_KEYS)
        if found is None:
            return None
        sub, m = found
        reason = self.string(m, "reason", sub)
        until = self.date(m, "until", sub)
        if reason is None:
            return None
        return Hold(reason=reason, until=until)

    def pins(self, node: CommentedMap, path: str) -> tuple[Pin, ...] | None:
        value = self.sequence(node, "pins", path, "a list of pin locations")
        if value is None:
            return None
        if not value:
            self.problem(self.key_line(node, "pins"), f"{path}.pins",
                         "a component needs at least one pin location")
            return None
        result: list[Pin] = []
        for ipath, m in self.objects(node, "pins", path):
            pin = self.pin(m, ipath)
            if pin is not None:
                result.append(pin)
        return tuple(result)

    def pin(self, m: CommentedMap, path: str) -> Pin | None:
        before = len(self.problems)
        self.check_keys(m, path, PIN_KEYS, ("file",))
        kind = self.enum(m, "kind", path, PinKind)
        file = self.matching(
            m, "file", path, REL_PATH, "a relative path inside the repository", required=False
        )
        if file is not None and ".." in file.split("/"):
            self.problem(self.key_line(m, "file"), f"{path}.file", "must not contain '..'")
        value = self.template(m, "value", path, VALUE_FIELDS, required=False)
        selectors: dict[str, str | None] = {}
        for key in ("name", "image", "stage", "service", "key", "marker", "action"):
            selectors[key] = self.string(m, key, path, required=False)
        if kind is not None:
            required, optional = PIN_SELECTORS[kind]
            for key in required:
                if key not in m:
                    self.problem(
                        self.node_line(m, 0), path, f"a {kind.value} pin needs the key {key!r}"
                    )
            for key, given in selectors.items():
                if given is not None and key not in required + optional:
                    self.problem(
                        self.key_line(m, key), self.join(path, key),
                        f"not used by a {kind.value} pin (it uses: "
                        f"{', '.join(required + optional)})",
                    )
        if len(self.problems) != before or kind is None or file is None:
            return None
        if value is None:
            value = DEFAULT_PIN_VALUES.get(kind, "{version}")
        return Pin(kind=kind, file=file, value=value, line=self.node_line(m, 0), **selectors)

    def check_pin_values(self, component: Component, path: str) -> None:
        """Every pin's template must be renderable from what the component declares."""
        values = component.values()
        for index, pin in enumerate(component.pins):
            missing = [f for f in template_fields(pin.value) if f not in values]
            if "digest" in missing and component.image is not None:
                continue  # a missing digest is a verify problem, not an unreadable manifest
            if "sha256" in missing and component.archive is not None:
                continue  # likewise a missing checksum
            if missing:
                need = {"sha256": "'archive'", "digest": "'image' with a digest",
                        "image_tag": "'image'", "commit": "'commit'"}.get(missing[0], missing[0])
                self.problem(
                    pin.line, f"{path}.pins[{index}].value",
                    f"uses {{{missing[0]}}} but the component declares no {need}",
                )
            if pin.kind in IMAGE_PIN_KINDS and component.image is None:
                self.problem(
                    pin.line, f"{path}.pins[{index}].kind",
                    f"a {pin.kind.value} pin needs the component to declare an 'image'",
                )

    def check_sets(self, components: list[Component]) -> None:
        """Compatibility groups: at most one leader; every other member follows it or has a
        specifier (without either it would move to any newer tag of its own upstream)."""
        leaders: dict[str, Component] = {}
        for c in components:
            path = f"components.{c.name}.policy"
            if c.policy.group_pins is not None:
                if c.policy.group is None:
                    self.problem(c.policy.line, f"{path}.group-pins",
                                 "only the leader of a group pins its members; set 'group'")
                elif c.policy.group in leaders:
                    self.problem(c.policy.line, f"{path}.group-pins",
                                 f"group {c.policy.group!r} already has the leader "
                                 f"{leaders[c.policy.group].name!r}")
                elif c.upstream.kind not in (UpstreamKind.GITHUB_RELEASES,
                                             UpstreamKind.GITHUB_TAGS):
                    self.problem(c.policy.line, f"{path}.group-pins",
                                 "a leader's file is read from its GitHub repository; the "
                                 "upstream kind must be github-releases or github-tags")
                else:
                    leaders[c.policy.group] = c
        for c in components:
            group = c.policy.group
            path = f"components.{c.name}.policy"
            if group is None:
                if c.policy.follow_leader:
                    self.problem(c.policy.line, f"{path}.follow-leader",
                                 "a component follows the leader of its group; set 'group'")
                continue
            leader = leaders.get(group)
            if leader is not None and leader.name == c.name:
                if c.policy.follow_leader:
                    self.problem(c.policy.line, f"{path}.follow-leader",
                                 "the leader of a group cannot follow itself")
                continue
            if c.policy.follow_leader:
                if leader is None:
                    self.problem(c.policy.line, f"{path}.follow-leader",
                                 f"group {group!r} has no leader (a member with 'group-pins')")
                elif c.image is None:
                    self.problem(c.policy.line, f"{path}.follow-leader",
                                 "a follower needs an 'image': the leader's file is searched "
                                 "for its repository")
                continue
            if not c.policy.specifier:
                follow = (f"follow-leader: true (the version {leader.name!r} pins)"
                          if leader is not None else "a leader to follow")
                self.problem(
                    c.policy.line or c.line, path,
                    f"member of group {group!r} with neither a specifier nor {follow}: it "
                    "would move to any newer tag of its own upstream",
                )

    def check_cross(self, components: list[Component]) -> None:
        """Problems that span components: one place pinned by two components."""
        if self.sets:
            self.check_sets(components)
        seen: dict[tuple[str, ...], str] = {}
        for component in components:
            for pin in component.pins:
                key = (pin.file, pin.kind.value, pin.name or pin.image or pin.service or pin.key
                       or pin.marker or pin.action or "", pin.stage or "")
                other = seen.get(key)
                if other is not None and other != component.name:
                    self.problem(
                        pin.line, f"components.{component.name}.pins",
                        f"{pin.file}: {pin.describe()} is already pinned by component {other!r}",
                    )
                seen[key] = component.name

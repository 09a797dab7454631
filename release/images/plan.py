"""The build plan: what each image of `images/` is built from, and what it is called.

`read_sources` reads each image folder once (IO); everything else here is pure. For one image:

- its *components* are those with a pin in a file of its folder; its *build args* are the
  rendered values of their `ARG`/`ENV` pins in its Dockerfile, checksums included;
- its *base images* are the rendered `FROM` pins (`repository:tag@sha256:...`);
- its *input hash* is a sha256 over the context files (paths, contents, git modes), the
  Dockerfile's path, the build args and the base images: never timestamps, owners, the commit or
  the release version, so the same inputs give the same hash on any checkout, and an image whose
  inputs did not change keeps its hash from one release to the next;
- its *tags* are the Delphi release version and the content tag `input-<hash prefix>`, which
  names the inputs and therefore never moves;
- its *labels* are the OCI ones (version, revision, source, created), the input hash, and one
  label per pinned component version.

A pin whose file disagrees with `versions.yaml` (drift) stops the plan: an image built from it
could not be accounted for. `verify` names the same problems.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from release.errors import InvalidInput, PinError, Problem, ProblemsFound
from release.images.context import ContextFile, read_context
from release.manifest.model import MANIFEST, Component, Manifest, Pin, PinKind
from release.pins import locate
from release.yamlcheck import closest

IMAGES_DIR = "images"
DOCKERFILE = "Dockerfile"
PROBE_FILE = "probe"
PLATFORMS_FILE = "platforms"
# What the release builds every image for (AWS Graviton VMs are arm64), unless the image's
# `platforms` file names fewer (an upstream that ships one architecture only).
DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")
DEFAULT_NAMESPACE = "delphi"
HASH_SCHEME = "delphi-image-inputs/1"
CONTENT_TAG_PREFIX = "input-"
CONTENT_TAG_HEX = 32  # 128 bits of the hash: unique among every image this repo will build
OCI = "org.opencontainers.image."
INPUT_HASH_LABEL = "io.delphi.image.input-hash"
COMPONENT_LABEL = "io.delphi.component.{name}.version"
# Docker's repository path component grammar (distribution/reference), which bake's target
# names ([A-Za-z0-9_-]) also accept once dots are excluded.
IMAGE_NAME_RE = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
NAMESPACE_RE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
ARG_PIN_KINDS = (PinKind.DOCKERFILE_ARG, PinKind.DOCKERFILE_ENV)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedComponent:
    name: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSource:
    """What was read from one image folder: its context files and its version command."""

    name: str
    files: tuple[ContextFile, ...]
    probe: str | None = None
    platforms: str | None = None

    @property
    def context(self) -> str:
        return f"{IMAGES_DIR}/{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Where a build comes from: git commit, source repository URL, creation time (RFC 3339)."""

    revision: str
    created: str
    source: str | None = None
    dirty: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImagePlan:
    """Everything needed to build one image, and nothing that depends on a registry.

    `context` is relative to the repository root, `dockerfile` to the context. `probe` is the
    version command (argv, empty when the image has none) and `expected` the components whose
    pinned version it must print.
    """

    name: str
    context: str
    dockerfile: str
    repository: str
    release_tag: str
    content_tag: str
    input_hash: str
    args: Mapping[str, str]
    labels: Mapping[str, str]
    base_images: tuple[str, ...]
    components: tuple[PinnedComponent, ...]
    probe: tuple[str, ...] = ()
    expected: tuple[PinnedComponent, ...] = ()
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    files: tuple[ContextFile, ...] = field(default=(), repr=False, compare=False)

    @property
    def tags(self) -> tuple[str, str]:
        return (self.release_tag, self.content_tag)

    def ref(self, tag: str, registry: str | None = None) -> str:
        prefix = f"{registry}/" if registry else ""
        return f"{prefix}{self.repository}:{tag}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildPlan:
    release: str
    provenance: Provenance
    images: tuple[ImagePlan, ...]
    not_built: tuple[tuple[str, str], ...] = ()  # (folder, why)

    def names(self) -> list[str]:
        return [i.name for i in self.images]

    def image(self, name: str) -> ImagePlan:
        return next(i for i in self.images if i.name == name)

    def select(self, only: Sequence[str] | None) -> BuildPlan:
        """The plan restricted to `only` (all images when None); unknown names are bad usage."""
        if not only:
            return self
        unknown = sorted(set(only) - set(self.names()))
        if unknown:
            guesses = [g for g in (closest(name, self.names()) for name in unknown) if g]
            meant = f" (did you mean {', '.join(repr(g) for g in guesses)}?)" if guesses else ""
            raise InvalidInput(
                f"no such image: {', '.join(unknown)}{meant}; images built here: "
                f"{', '.join(self.names())}"
            )
        return replace(self, images=tuple(i for i in self.images if i.name in set(only)))


# -- reading -----------------------------------------------------------------------------------


def read_sources(root: Path) -> tuple[tuple[ImageSource, ...], tuple[tuple[str, str], ...]]:
    """Read every folder of `images/`: the ones with a Dockerfile, and why others are not built."""
    base = root / IMAGES_DIR
    if not base.is_dir():
        raise InvalidInput(f"{base}: no images folder")
    sources: list[ImageSource] = []
    not_built: list[tuple[str, str]] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if not (folder / DOCKERFILE).is_file():
            not_built.append((folder.name, "no Dockerfile (its images are pinned, not built)"))
            continue
        probe_path = folder / PROBE_FILE
        probe = probe_path.read_text(encoding="utf-8") if probe_path.is_file() else None
        platforms_path = folder / PLATFORMS_FILE
        platforms = (platforms_path.read_text(encoding="utf-8") if platforms_path.is_file()
                     else None)
        sources.append(ImageSource(name=folder.name, files=read_context(folder), probe=probe,
                                   platforms=platforms))
    return tuple(sources), tuple(not_built)


# -- deciding (pure) -----------------------------------------------------------------------------


def input_hash(
    *,
    files: Iterable[ContextFile],
    dockerfile: str,
    args: Mapping[str, str],
    base_images: Iterable[str],
) -> str:
    """`sha256:<hex>` over a canonical JSON document of the build inputs.

    Each file contributes its path, git mode and the sha256 of its contents; the document is
    serialised with sorted keys and no whitespace, so nothing but the inputs can change it.
    `HASH_SCHEME` is part of the document: changing what is hashed changes every hash once.
    """
    document = {
        "scheme": HASH_SCHEME,
        "dockerfile": dockerfile,
        "files": [[f.path, f"{f.mode:o}", f.sha256] for f in sorted(files, key=lambda f: f.path)],
        "args": dict(sorted(args.items())),
        "base_images": sorted(base_images),
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_tag(digest: str) -> str:
    """The immutable tag naming an input hash: `input-` and the first 32 hex digits."""
    return CONTENT_TAG_PREFIX + digest.removeprefix("sha256:")[:CONTENT_TAG_HEX]


PRINTS_RE = re.compile(r"#\s*prints:\s*(?P<names>.*)")
VERSION_ARG_RE = re.compile(r".*_VERSION")


def parse_probe_prints(text: str | None) -> tuple[str, ...] | None:
    """The components a `probe` file's `# prints: a, b` line names (None without that line)."""
    for line in (text or "").splitlines():
        m = PRINTS_RE.fullmatch(line.strip())
        if m is not None:
            return tuple(n for n in re.split(r"[\s,]+", m.group("names")) if n)
    return None


def parse_platforms(text: str | None) -> tuple[str, ...]:
    """The platforms of a `platforms` file (one per line, `#` comments); the default without."""
    if text is None:
        return DEFAULT_PLATFORMS
    found = tuple(line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(p for p in found if p) or DEFAULT_PLATFORMS


def parse_probe(text: str | None) -> tuple[str, ...]:
    """The version command of a `probe` file: its first line that is not blank or a comment."""
    if text is None:
        return ()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return tuple(shlex.split(stripped))
    return ()


def base_image_ref(pin: Pin, value: str) -> str:
    """`repository:tag@digest` for a FROM pin's rendered value (`tag@digest`, `@digest`, `tag`)."""
    image = pin.image or ""
    return f"{image}{value}" if value.startswith("@") else f"{image}:{value}"


def make_plan(
    manifest: Manifest,
    sources: Sequence[ImageSource],
    provenance: Provenance,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    not_built: tuple[tuple[str, str], ...] = (),
) -> BuildPlan:
    """The plan for every image in `sources`; all problems are collected and raised together."""
    if not NAMESPACE_RE.fullmatch(namespace):
        raise InvalidInput(f"namespace {namespace!r} is not a valid repository path")
    problems: list[Problem] = []
    images = [plan_image(manifest, s, provenance, namespace, problems) for s in sources]
    if problems:
        raise ProblemsFound(
            f"cannot plan the build: {len(problems)} problem(s); nothing was built", problems,
            hint="`python -m release verify` shows every pin that disagrees with versions.yaml",
        )
    return BuildPlan(
        release=manifest.release, provenance=provenance,
        images=tuple(i for i in images if i is not None), not_built=not_built,
    )


def plan_image(
    manifest: Manifest,
    source: ImageSource,
    provenance: Provenance,
    namespace: str,
    problems: list[Problem],
) -> ImagePlan | None:
    """One image's plan, or None with `problems` extended."""
    context = source.context
    dockerfile_path = f"{context}/{DOCKERFILE}"
    before = len(problems)
    if not IMAGE_NAME_RE.fullmatch(source.name):
        problems.append(Problem(
            file=context, line=0, path="",
            message=f"{source.name!r} is not a valid image name (lowercase letters, digits, "
            "'-' and '_')",
        ))
    texts = {f"{context}/{f.path}": f.data for f in source.files}
    args: dict[str, str] = {}
    arg_owner: dict[str, str] = {}
    bases: list[str] = []
    components: dict[str, PinnedComponent] = {}
    arg_components: dict[str, PinnedComponent] = {}
    from_components: dict[str, PinnedComponent] = {}
    for component in manifest.components:
        for pin in component.pins:
            if not pin.file.startswith(f"{context}/"):
                continue
            pinned = PinnedComponent(name=component.name, version=component.version)
            components[component.name] = pinned
            value = _checked_value(component, pin, texts, problems)
            if value is None or pin.file != dockerfile_path:
                continue
            if pin.kind in ARG_PIN_KINDS:
                name = pin.name or ""
                if name in args and args[name] != value:
                    problems.append(Problem(
                        file=MANIFEST, line=pin.line, path=f"components.{component.name}",
                        message=f"build arg {name} of image {source.name} is pinned by both "
                        f"{arg_owner[name]} ({args[name]!r}) and {component.name} ({value!r})",
                    ))
                    continue
                args[name], arg_owner[name] = value, component.name
                if VERSION_ARG_RE.fullmatch(name):
                    arg_components[component.name] = pinned
            elif pin.kind is PinKind.DOCKERFILE_FROM:
                bases.append(base_image_ref(pin, value))
                from_components[component.name] = pinned
    if len(problems) != before:
        return None
    base_images = tuple(dict.fromkeys(bases))
    digest = input_hash(
        files=source.files, dockerfile=DOCKERFILE, args=args, base_images=base_images
    )
    ordered = tuple(components[n] for n in sorted(components))
    labels = {
        f"{OCI}version": manifest.release,
        f"{OCI}revision": provenance.revision,
        **({f"{OCI}source": provenance.source} if provenance.source else {}),
        f"{OCI}created": provenance.created,
        INPUT_HASH_LABEL: digest,
        **{COMPONENT_LABEL.format(name=c.name): c.version for c in ordered},
    }
    # What the probe must print: the `# prints:` line of the probe file, else the components
    # built from source (a `*_VERSION` build arg), else the base images.
    expected = arg_components or from_components
    prints = parse_probe_prints(source.probe)
    if prints is not None:
        unknown = [n for n in prints if n not in components]
        if unknown:
            problems.append(Problem(
                file=f"{context}/{PROBE_FILE}", line=0, path="",
                message=f"# prints: names {', '.join(unknown)}, not pinned in image "
                f"{source.name} (its components: {', '.join(sorted(components))})",
            ))
            return None
        expected = {n: components[n] for n in prints}
    return ImagePlan(
        name=source.name,
        context=context,
        dockerfile=DOCKERFILE,
        repository=f"{namespace}/{source.name}",
        release_tag=manifest.release,
        content_tag=content_tag(digest),
        input_hash=digest,
        args=dict(sorted(args.items())),
        labels=labels,
        base_images=base_images,
        components=ordered,
        probe=parse_probe(source.probe),
        expected=tuple(expected[n] for n in sorted(expected)),
        platforms=parse_platforms(source.platforms),
        files=source.files,
    )


def _checked_value(
    component: Component, pin: Pin, texts: Mapping[str, bytes], problems: list[Problem]
) -> str | None:
    """The rendered value of `pin`, if its file holds exactly that (else a problem)."""
    try:
        expected = component.render(pin)
    except KeyError as exc:
        problems.append(Problem(
            file=MANIFEST, line=pin.line, path=f"components.{component.name}",
            message=f"{pin.describe()} in {pin.file}: no value for {{{exc.args[0]}}}",
        ))
        return None
    data = texts.get(pin.file)
    if data is None:
        problems.append(Problem(
            file=pin.file, line=0, path="",
            message=f"{component.name}: {pin.describe()}: the file is not in the build context",
        ))
        return None
    try:
        located = locate(data.decode("utf-8"), pin)
    except (PinError, UnicodeDecodeError) as exc:
        problems.append(Problem(
            file=pin.file, line=0, path="", message=f"{component.name}: {exc}",
        ))
        return None
    if located.value != expected:
        problems.append(Problem(
            file=pin.file, line=located.line, path="",
            message=f"{component.name}: {pin.describe()}: expected {expected!r}, found "
            f"{located.value!r} (drift)",
        ))
        return None
    return expected

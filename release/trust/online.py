"""`verify --online`: every pinned value re-derived from upstream, one verdict per value.

For each component at its *pinned* version (never a candidate), through the shared fetcher:
the archive's sha256 (from the published sums file, the GitHub asset digest, or a size-capped
download, `release.upstream.checksums.derive_sha256`), upstream's signature where the
component pins one (`archive.signature`: OpenPGP, checked by `gpgv` against `keys/`; cosign
keyless, checked against the Fulcio CA in `keys/sigstore/`), the image index
digest of the pinned tag, and the commit of a GitHub Action's tag. Comparing is pure
(`compare_*`); nothing is written.

Verdicts: `verified` (and how), `mismatch` (pinned value, upstream's, where from), `moved` (a
tag now pointing elsewhere), `unverifiable` (why). An archive that changed for a released
version and an Action tag that moved are alarms; a base image whose tag has a new index digest
is an upstream rebuild, which `refresh` takes as a `digest` update.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from release.manifest.model import Component, Manifest, Signature, SignatureKind, SignedFile
from release.refresh.decide import select
from release.upstream.checksums import (
    SUMS_MAX_BYTES,
    derive_sha256,
    file_name,
    fill,
    parse_sums_file,
    sums_text,
)
from release.upstream.common import gather_all, gather_pair, read_once, shown_url
from release.upstream.errors import PermanentUpstreamError, UpstreamError
from release.upstream.github import tag_commit
from release.upstream.interface import Fetcher, PostFetcher
from release.upstream.registry import image_digest, registry_for
from release.upstream.resolve import DEFAULT_ARCHIVE_MAX_BYTES
from release.upstream.signatures import SignatureCheck, SignatureVerdict, check_detached
from release.upstream.sources import Endpoints

if TYPE_CHECKING:  # cryptography costs ~45 ms to import: only a cosign signature needs it
    from release.upstream.cosign import CosignCheck

DEFAULT_RUN_TIMEOUT = 600.0
SIGNATURE_MAX_BYTES = 64 * 1024
# A version gone upstream: 404/410, or GitHub's 422 "No commit found for SHA" for a lost tag.
_GONE = re.compile(r"HTTP (404|410)\b|HTTP 422\b.*No commit found")
ALL_VALUES = frozenset({"sha256", "digest", "commit"})


class Verdict(StrEnum):
    VERIFIED = "verified"
    MISMATCH = "mismatch"
    MOVED = "moved"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinVerdict:
    """The verdict on one pinned value (`value`: `sha256`, `digest` or `commit`).

    `how` says how upstream's value was obtained (`sums file`, `hashes README`, `GitHub asset
    digest`, `computed`, `registry`, `tag commit`, or `signature by key <FPR>` / `cosign
    signature by <identity> (issuer <issuer>)` first when a signature was checked); `source`
    where from; `reason` what a mismatch or move means, or
    why the value could not be verified. `unconfirmed` is whether versions.yaml marks it so.
    """

    component: str
    version: str
    value: str
    verdict: Verdict
    pinned: str | None
    upstream: str | None = None
    how: str | None = None
    source: str | None = None
    reason: str | None = None
    unconfirmed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineReport:
    verdicts: tuple[PinVerdict, ...]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for v in self.verdicts if v.verdict is verdict)

    @property
    def alarms(self) -> tuple[PinVerdict, ...]:
        return tuple(v for v in self.verdicts
                     if v.verdict in (Verdict.MISMATCH, Verdict.MOVED))

    def exit_code(self, *, strict: bool) -> int:
        if self.alarms:
            return 1
        if strict and self.count(Verdict.UNVERIFIABLE):
            return 1
        return 0


# --- pure comparisons ------------------------------------------------------------------------

ARCHIVE_ALARM = (
    "the archive of a released version is not what was pinned: a supply-chain alarm, never "
    "repaired automatically; find out why, then `pin {name} {version} --checksum sha256:<hex>` "
    "or `refresh --accept-changed {name}`"
)
UNCONFIRMED_HINT = (
    "; the pinned value was recorded offline (unconfirmed), so a wrong pin is the likely cause"
)
ACTION_ALARM = (
    "the tag {tag} now points at another commit: an alarm (a released Action tag must not "
    "move); review the new commit before pinning it"
)
IMAGE_REBUILD = (
    "the tag {tag} now points at another index digest: an upstream rebuild (docker-library "
    "rebuilds tags for OS security fixes); `refresh` takes it as a digest update"
)


def compare(base: PinVerdict, upstream: str, *, how: str, source: str,
            different: str) -> PinVerdict:
    """`base` with upstream's value: verified when equal, else `different`'s verdict/reason."""
    found = replace(base, upstream=upstream, how=how, source=source)
    if upstream == base.pinned:
        return replace(found, verdict=Verdict.VERIFIED)
    kind = Verdict.MOVED if base.value in ("digest", "commit") else Verdict.MISMATCH
    return replace(found, verdict=kind, reason=different)


def failure_reason(exc: UpstreamError, what: str, version: str) -> str:
    """Why a value could not be re-derived: the version gone upstream, or the fetch failed."""
    if exc.status in (404, 410) or _GONE.search(exc.message):
        # The status when the fetcher's error reaches here as it was raised; the message when a
        # resolver re-worded it (GitHub's 422 "No commit found" for a lost tag has no better
        # mark than its text).
        return f"the version {version} is gone upstream: {exc.message}"
    if "not in the recording" in exc.message:
        return f"the replayed recording holds no answer: {exc.message}"
    if isinstance(exc, PermanentUpstreamError):
        return f"upstream publishes nothing usable to compare the {what} with: {exc.message}"
    return f"the network failed: {exc.message}"


def signed_verdict(base: PinVerdict, sha256: str, *, check: SignatureCheck, signed: str,
                   signature_url: str, then: str, source: str, different: str) -> PinVerdict:
    """The verdict of a value whose bytes came with a signature (`signed`: the signed file).

    A good signature by a pinned key: verified (or a mismatch when the signed bytes are not
    the pinned ones). A bad signature is a mismatch whatever the checksum says. An unknown key
    or no signature: a mismatch when the checksum differs, else unverifiable, naming the key.
    """
    described = check.describe(shown_url(signature_url))
    if check.verdict is SignatureVerdict.GOOD:
        return compare(base, sha256, how=f"signature by key {check.fingerprint} on "
                       f"{shown_url(signed)}; {then}", source=source, different=different)
    found = replace(base, upstream=sha256, source=source, how=then)
    return not_vouched(found, bad=check.verdict is SignatureVerdict.BAD, described=described,
                       signed=signed, different=different)


def not_vouched(found: PinVerdict, *, bad: bool, described: str, signed: str,
                different: str) -> PinVerdict:
    """The verdict of a signature that does not vouch for the bytes (OpenPGP or cosign alike):
    a `bad` one (the signed file changed) is a mismatch; one by an unknown key or identity is a
    mismatch when the bytes differ from the pinned checksum, else unverifiable."""
    if bad:
        return replace(found, verdict=Verdict.MISMATCH,
                       reason=f"{described}; the signed file {shown_url(signed)} was changed")
    if found.upstream != found.pinned:
        return replace(found, verdict=Verdict.MISMATCH, reason=f"{different}; {described}")
    return replace(found, verdict=Verdict.UNVERIFIABLE,
                   reason=f"{described}; nothing else vouches for the bytes")


def unsigned_verdict(base: PinVerdict, sha256: str, *, how: str, source: str, why: str,
                     different: str) -> PinVerdict:
    """A signed value whose signature cannot be checked (`why`): a mismatch still shows."""
    found = replace(base, upstream=sha256, how=how, source=source)
    if sha256 != base.pinned:
        return replace(found, verdict=Verdict.MISMATCH, reason=f"{different}; {why}")
    return replace(found, verdict=Verdict.UNVERIFIABLE, reason=why)


def cosign_verdict(base: PinVerdict, sha256: str, *, check: CosignCheck | str, signed: str,
                   certificate: str, identity: str, issuer: str, listed: str | None,
                   then: str, source: str, different: str) -> PinVerdict:
    """The verdict of an archive vouched for by a cosign keyless signature of `signed`.

    `check` is the signature's verdict, or why it could not be checked; `listed` is what the
    signed file says about the downloaded archive (None when it matches, else the mismatch).
    A good signature by the pinned identity: verified when the signed file vouches for the
    downloaded bytes and their sha256 is the pinned one. A bad signature (the signed file
    changed, or a signature over other bytes) is a mismatch; a certificate for another
    identity, or one that does not chain to the pinned Fulcio CA, is unverifiable naming it
    (a mismatch when the bytes also differ from the pinned checksum).
    """
    from release.upstream.cosign import NOT_CHECKED, CosignVerdict  # noqa: PLC0415 - lazy

    if isinstance(check, str):
        return unsigned_verdict(base, sha256, how=then, source=source, why=check,
                                different=different)
    described = check.describe(shown_url(signed), certificate=shown_url(certificate),
                               identity=identity, issuer=issuer)
    found = replace(base, upstream=sha256, source=source, how=then)
    if check.verdict is CosignVerdict.GOOD:
        if listed is not None:
            return replace(found, verdict=Verdict.MISMATCH, reason=f"{listed}; {different}")
        logged = f", {check.logged}" if check.logged else ""
        return compare(base, sha256, how=f"cosign signature by {check.signer} on "
                       f"{shown_url(signed)}{logged}; {then}; {NOT_CHECKED}", source=source,
                       different=different)
    return not_vouched(found, bad=check.verdict is CosignVerdict.BAD, described=described,
                       signed=signed, different=different)


def listed_problem(sums: bytes | None, signed_url: str, archive_url: str, data: bytes) -> \
        str | None:
    """Whether the signed sums file vouches for the downloaded archive `data` (None: it does).

    The line naming the archive may hold a sha256 or (Caddy's goreleaser) a sha512: the
    downloaded bytes are hashed with that algorithm and compared, so a signed SHA-512 list
    proves the sha256 computed from the same bytes.
    """
    if sums is None:
        return None
    name = file_name(archive_url)
    where = shown_url(signed_url)
    lines = [e for e in parse_sums_file(sums.decode("utf-8", "replace"))
             if e.name is not None and e.name.removeprefix("*").removeprefix("./") == name]
    if not lines:
        return f"the signed {where} lists no checksum for {name}"
    listed = {e.hexdigest.lower() for e in lines}
    algorithm = {64: "sha256", 128: "sha512"}.get(len(next(iter(listed))))
    if len(listed) > 1 or algorithm is None:
        return f"the signed {where} lists {name} with an unusable checksum"
    computed = hashlib.new(algorithm, data).hexdigest()
    if computed not in listed:
        return (f"{shown_url(archive_url)} is not what the signed {where} lists: "
                f"{algorithm} {next(iter(listed))} there, {computed} downloaded")
    return None


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineVerifier:
    """Re-derives every pinned value of one run, over one shared fetcher."""

    fetcher: Fetcher
    endpoints: Endpoints
    keys_dir: Path
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES
    values: frozenset[str] = ALL_VALUES  # which kinds of value to re-derive

    def base(self, component: Component, value: str, pinned: str | None) -> PinVerdict:
        return PinVerdict(component=component.name, version=component.version, value=value,
                          verdict=Verdict.UNVERIFIABLE, pinned=pinned,
                          unconfirmed=value in component.unconfirmed)

    async def component(self, component: Component) -> list[PinVerdict]:
        work: list[tuple[str, Awaitable[PinVerdict]]] = []
        if component.archive is not None and "sha256" in self.values:
            work.append(("sha256", self.archive(component)))
        if component.image is not None and "digest" in self.values:
            work.append(("digest", self.image(component)))
        if component.commit is not None and "commit" in self.values:
            work.append(("commit", self.commit(component)))
        if not work and self.values != ALL_VALUES:
            return []
        if not work:
            # Only a version (the Debian snapshot timestamp): nothing upstream could contradict;
            # `check` is what says whether the version is still listed.
            return []
        return await gather_all(*(self.guarded(component, value, job) for value, job in work))

    async def guarded(self, component: Component, value: str,
                      job: Awaitable[PinVerdict]) -> PinVerdict:
        try:
            return await job
        except UpstreamError as exc:
            values = component.values()
            return replace(self.base(component, value, values.get(value)),
                           reason=failure_reason(exc, value, component.version))

    async def archive(self, component: Component) -> PinVerdict:
        archive = component.archive
        assert archive is not None
        base = self.base(component, "sha256", archive.sha256)
        if archive.sha256 is None:
            return replace(base, reason="versions.yaml pins no sha256 for the archive")
        version = component.version
        tag = component.tag
        archive_url = fill(archive.url, version, tag)
        different = ARCHIVE_ALARM.format(name=component.name, version=version)
        if "sha256" in component.unconfirmed:
            different += UNCONFIRMED_HINT
        signature = archive.signature
        if signature is not None and signature.kind is SignatureKind.COSIGN:
            return await self.cosign(component, signature, base, archive_url, different)
        if signature is None or signature.of is SignedFile.CHECKSUM:
            derived = await derive_sha256(component, version, self.fetcher,
                                          max_bytes=self.archive_max_bytes,
                                          github_api_url=self.endpoints.github_api_url)
            if signature is None:
                return compare(base, derived.hexdigest, how=derived.how,
                               source=derived.source, different=different)
            if derived.body is None:
                return replace(base, upstream=derived.hexdigest, source=derived.source,
                               reason="archive.signature signs the checksum, but the checksum "
                               f"kind {archive.checksum.kind} has no file to check it on")
            url = fill(signature.url, version, tag)
            check = await self.signature(url, derived.body, signature.keys)
            if isinstance(check, str):
                return unsigned_verdict(base, derived.hexdigest, how=derived.how,
                                        source=derived.source, why=check, different=different)
            return signed_verdict(base, derived.hexdigest, check=check, signed=derived.source,
                                  signature_url=url, then=derived.how, source=derived.source,
                                  different=different)
        # The signature is of the archive: download it (size-capped), check, hash those bytes.
        url = fill(signature.url, version, tag)
        data = (await self.fetcher.get(archive_url, max_bytes=self.archive_max_bytes)).body
        sha256 = hashlib.sha256(data).hexdigest()
        check = await self.signature(url, data, signature.keys)
        if isinstance(check, str):
            return unsigned_verdict(base, sha256, how="computed", source=archive_url, why=check,
                                    different=different)
        return signed_verdict(base, sha256, check=check, signed=archive_url, signature_url=url,
                              then="computed from the signed archive", source=archive_url,
                              different=different)

    async def cosign(self, component: Component, signature: Signature, base: PinVerdict,
                     archive_url: str, different: str) -> PinVerdict:
        """An archive vouched for by a cosign keyless signature (of the archive, or of a sums
        file that lists it): the archive is downloaded (size-capped) and hashed either way."""
        version, tag = component.version, component.tag
        sig_url = fill(signature.url, version, tag)
        cert_url = fill(signature.certificate or "", version, tag)
        identity = fill(signature.identity or "", version, tag)
        issuer = signature.issuer or ""
        signed_url = archive_url if signature.file is None else fill(signature.file, version, tag)
        sums: bytes | None = None
        if signature.file is not None:
            # read once per run: caddy and caddy-arm64 are vouched for by the same signed file
            result = await read_once(self.fetcher, signed_url, max_bytes=SUMS_MAX_BYTES)
            sums_text(result)  # an HTML page is refused, even with a hash in it
            sums = result.body  # the bytes that were signed
        data = (await self.fetcher.get(archive_url, max_bytes=self.archive_max_bytes)).body
        sha256 = hashlib.sha256(data).hexdigest()
        then = ("sha256 computed from the downloaded archive" if sums is None else
                "the downloaded archive matches the checksum it lists; sha256 computed from it")
        from release.upstream.cosign import (  # noqa: PLC0415 - lazy, see TYPE_CHECKING
            check_keyless,
            load_ct_logs,
            load_roots,
        )

        check: CosignCheck | str
        try:
            roots = load_roots(self.keys_dir / "sigstore")
            ct_logs = load_ct_logs(self.keys_dir / "sigstore")
        except PermanentUpstreamError as exc:
            check = f"{exc.message}; the signature {shown_url(sig_url)} cannot be checked"
        else:
            try:
                sig, cert = await gather_pair(
                    read_once(self.fetcher, sig_url, max_bytes=SIGNATURE_MAX_BYTES),
                    read_once(self.fetcher, cert_url, max_bytes=SIGNATURE_MAX_BYTES))
            except UpstreamError as exc:
                # Not "gone upstream": the file and the archive were there, the signature not
                # (a release made without it, or signed as a .sigstore.json bundle instead).
                check = (f"no cosign signature and certificate for {shown_url(signed_url)}: "
                         f"{exc.message}")
            else:
                check = await self.logged(
                    check_keyless(sums if sums is not None else data, sig.body, cert.body,
                                  roots=roots, ct_logs=ct_logs, identity=identity,
                                  issuer=issuer), sig_url)
        return cosign_verdict(base, sha256, check=check, signed=signed_url,
                              certificate=cert_url, identity=identity, issuer=issuer,
                              listed=listed_problem(sums, signed_url, archive_url, data),
                              then=then, source=archive_url, different=different)

    async def logged(self, check: CosignCheck, sig_url: str) -> CosignCheck | str:
        """A good cosign `check`, once Rekor's entry for the signature is checked too
        (`cosign.check_logged`); why it cannot be checked when Rekor cannot be asked."""
        from release.upstream.cosign import check_logged, rekor_query  # noqa: PLC0415 - lazy
        from release.upstream.rekor import REKOR_URL, find_entries, load_logs  # noqa: PLC0415

        query = rekor_query(check)
        if query is None:
            return check
        cannot = f"the signing time of {shown_url(sig_url)} cannot be checked"
        try:
            logs = load_logs(self.keys_dir / "sigstore")
        except PermanentUpstreamError as exc:
            return f"{exc.message}; {cannot}"
        if getattr(self.fetcher, "post", None) is None:
            return f"this fetcher cannot ask Rekor ({REKOR_URL}); {cannot}"
        poster: PostFetcher = self.fetcher  # type: ignore[assignment]
        try:
            entries = await find_entries(poster, query)
        except UpstreamError as exc:
            return f"no usable answer from Rekor ({exc.message}); {cannot}"
        return check_logged(check, entries, logs=logs)

    async def signature(self, url: str, data: bytes,
                        fingerprints: Sequence[str]) -> SignatureCheck | str:
        """The signature check of `data`, or why it cannot be checked (a missing key file)."""
        keys = [path for fpr in fingerprints for path in sorted(self.keys_dir.glob(f"*/{fpr}.asc"))]
        if not keys:
            return (f"no key file for the pinned fingerprints ({', '.join(fingerprints)}) in "
                    f"{self.keys_dir.name}/; the signature {shown_url(url)} cannot be checked")
        signature = (await self.fetcher.get(url, max_bytes=SIGNATURE_MAX_BYTES)).body
        try:
            return await asyncio.to_thread(check_detached, data, signature, keys=keys,
                                           pinned=fingerprints)
        except PermanentUpstreamError as exc:  # no gpgv here, or a broken key file
            return f"the signature {shown_url(url)} cannot be checked: {exc.message}"

    async def image(self, component: Component) -> PinVerdict:
        image = component.image
        assert image is not None
        base = self.base(component, "digest", image.digest)
        if image.digest is None:
            return replace(base, reason="versions.yaml pins no index digest for the image")
        registry, path = registry_for(image.repository,
                                      docker_hub=self.endpoints.docker_hub_registry,
                                      registries=self.endpoints.registries)
        tag = component.fill(image.tag)
        found = await image_digest(self.fetcher, registry, path, tag)
        different = IMAGE_REBUILD.format(tag=f"{image.repository}:{tag}")
        if "digest" in component.unconfirmed:
            different += UNCONFIRMED_HINT
        return compare(base, found, how="registry", source=f"{registry}/v2/{path}/manifests/{tag}",
                       different=different)

    async def commit(self, component: Component) -> PinVerdict:
        base = self.base(component, "commit", component.commit)
        repo = component.upstream.repo
        tag = component.tag
        found = await tag_commit(self.fetcher, repo=repo, tag=tag,
                                 api_url=self.endpoints.github_api_url)
        return compare(base, found, how="tag commit",
                       source=f"{self.endpoints.github_api_url}/repos/{repo}/commits/{tag}",
                       different=ACTION_ALARM.format(tag=f"{repo}@{tag}"))


async def verify_online(
    manifest: Manifest,
    fetcher: Fetcher,
    *,
    root: Path,
    endpoints: Endpoints | None = None,
    only: Sequence[str] | None = None,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
    archive_max_bytes: int = DEFAULT_ARCHIVE_MAX_BYTES,
    on_done: Callable[[str], None] | None = None,
    values: frozenset[str] | None = None,
) -> OnlineReport:
    """One verdict per pinned value of `only` (default: every component), in manifest order;
    `values` restricts which kinds of value are re-derived (`{"digest"}` for `check`).

    A failing or stalled upstream makes its values unverifiable; the others go on. The run is
    bounded by `run_timeout`: what has not finished by then is unverifiable, saying so.
    """
    verifier = OnlineVerifier(fetcher=fetcher, endpoints=endpoints or Endpoints(),
                              keys_dir=root / "keys", archive_max_bytes=archive_max_bytes)
    if values is not None:
        verifier = replace(verifier, values=values)
    components = select(manifest, only)

    async def one(component: Component) -> list[PinVerdict]:
        verdicts = await verifier.component(component)
        if on_done is not None:
            on_done(component.name)
        return verdicts

    tasks = {asyncio.create_task(one(c)): c for c in components}
    done, pending = await asyncio.wait(tasks, timeout=run_timeout) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    verdicts: list[PinVerdict] = []
    for task, component in tasks.items():
        if task in done:
            verdicts.extend(task.result())
            continue
        pinned = component.values()
        names = [n for n, present in (("sha256", component.archive is not None),
                                      ("digest", component.image is not None),
                                      ("commit", component.commit is not None))
                 if present and n in verifier.values]
        verdicts.extend(
            replace(verifier.base(component, name, pinned.get(name)),
                    reason=f"the network failed: not finished within the run's bound of "
                    f"{run_timeout:g} s")
            for name in names or ["version"]
        )
    return OnlineReport(verdicts=tuple(verdicts))

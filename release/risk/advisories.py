"""Published advisories of a component (pure): the model, the OSV and GitHub parsers, findings.

An `Advisory` says which versions of one component it affects, as constraints over the
component's own versions (`>= 22.0, < 22.11.0`) and as explicit versions (OSV's `versions`,
git tags for C projects). Upstream strings are turned into component versions through the
component's versioning (`v1.4.2` -> `1.4.2`, `SQUID_7_7` -> `7.7`); what cannot be read as a
version is left out, so an advisory's verdict on a version may be unknown (None), never a guess.

`findings` turns the advisories of the pinned version into what `check` shows: id, severity,
the versions that fix it, and whether the candidate does ("no fix yet", "fixed only beyond
policy in 8.2.3").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version as Pep440Version

from release.manifest.model import Component
from release.risk.cvss import base_score
from release.upstream.errors import PermanentUpstreamError
from release.versioning import Version, parses, sort_key


class Severity(StrEnum):
    UNKNOWN = "unknown"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


# The words upstreams use (GitHub: low/medium/moderate/high/critical; OSV's CVSS ratings).
_SEVERITY_WORDS = {"low": Severity.LOW, "medium": Severity.MODERATE,
                   "moderate": Severity.MODERATE, "high": Severity.HIGH,
                   "critical": Severity.CRITICAL}


def severity_of(word: str | None) -> Severity:
    return _SEVERITY_WORDS.get((word or "").strip().lower(), Severity.UNKNOWN)


def severity_of_score(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MODERATE
    if score > 0:
        return Severity.LOW
    return Severity.UNKNOWN


Constraint = tuple[str, Version]  # (operator, version): (">=", "22.0"), ("<", "22.11.0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One published advisory about one component."""

    id: str
    source: str  # "osv" or "github"
    severity: Severity
    summary: str = ""
    aliases: tuple[str, ...] = ()
    ranges: tuple[tuple[Constraint, ...], ...] = ()  # each range: every constraint holds
    versions: tuple[Version, ...] = ()  # explicitly affected versions
    fixed_in: tuple[Version, ...] = ()  # the versions that fix it, newest line last

    def affects(self, version: Version) -> bool | None:
        """Whether `version` is affected; None when the advisory says nothing usable."""
        if version in self.versions:
            return True
        key = sort_key(version)
        for constraints in self.ranges:
            if all(_holds(key, op, bound) for op, bound in constraints):
                return True
        if self.ranges or self.versions:
            return False
        return None

    def names(self) -> set[str]:
        return {self.id, *self.aliases}


def _holds(key: Pep440Version, op: str, bound: Version) -> bool:
    other = sort_key(bound)
    results: dict[str, bool] = {"<": key < other, "<=": key <= other, ">": key > other,
                                ">=": key >= other, "=": key == other}
    return results[op]


def as_version(component: Component, raw: str) -> Version | None:
    """An upstream version or tag string as a version of `component` (None: not one)."""
    text = raw.strip()
    found = component.versioning.version_for(text)
    if found is not None:
        return found
    bare = text[1:] if text[:1] in ("v", "V") else text
    return Version(bare) if bare and parses(bare) and re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", bare) \
        else None


# --- OSV ------------------------------------------------------------------------------------------


def osv_package_name(repo: str) -> str:
    """The OSV GIT-ecosystem package of a GitHub repository: its clone URL."""
    return f"https://github.com/{repo}"


def _same_repo(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.strip().lower().removesuffix("/").removesuffix(".git")
    return norm(a) == norm(b)


def _osv_severity(record: dict[str, Any], affected: Sequence[dict[str, Any]]) -> Severity:
    for holder in (record, *affected):
        for key in ("database_specific", "ecosystem_specific"):
            extra = holder.get(key)
            if isinstance(extra, dict):
                word = severity_of(extra.get("severity") if isinstance(extra.get("severity"), str)
                                   else None)
                if word is not Severity.UNKNOWN:
                    return word
    best = Severity.UNKNOWN
    for entry in record.get("severity") or ():
        if isinstance(entry, dict) and isinstance(entry.get("score"), str):
            score = base_score(entry["score"])
            if score is not None and severity_of_score(score).rank > best.rank:
                best = severity_of_score(score)
    return best


def parse_osv_vuln(component: Component, data: Any, url: str, *, package: str | None) -> Advisory:
    """An OSV record (`GET /v1/vulns/{id}`) as an advisory of `component`.

    Only the `affected` entries of the queried GIT `package` count (all of them when the query
    was by commit, `package` None); SEMVER and ECOSYSTEM ranges become constraints, GIT ranges
    (commits) are left out, `versions` are read through the component's versioning.
    """
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise PermanentUpstreamError(f"{url}: expected an OSV vulnerability object with an id")
    entries = [a for a in data.get("affected") or () if isinstance(a, dict)]
    if package is not None:
        entries = [a for a in entries
                   if isinstance(a.get("package"), dict)
                   and _same_repo(str(a["package"].get("name", "")), package)] or entries
    ranges: list[tuple[Constraint, ...]] = []
    versions: list[Version] = []
    fixed: list[Version] = []
    for entry in entries:
        versions.extend(v for raw in entry.get("versions") or ()
                        if isinstance(raw, str) and (v := as_version(component, raw)) is not None)
        for span in entry.get("ranges") or ():
            if not isinstance(span, dict) or span.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            ranges.extend(_osv_events(component, span.get("events") or (), fixed))
    aliases = tuple(a for a in data.get("aliases") or () if isinstance(a, str))
    summary = str(data["summary"]) if isinstance(data.get("summary"), str) else ""
    return Advisory(
        id=data["id"], source="osv", severity=_osv_severity(data, entries), summary=summary,
        aliases=aliases, ranges=tuple(ranges), versions=tuple(dict.fromkeys(versions)),
        fixed_in=_sorted(fixed),
    )


def _osv_events(
    component: Component, events: Iterable[Any], fixed: list[Version]
) -> list[tuple[Constraint, ...]]:
    """OSV range events (`introduced`, then `fixed` or `last_affected`) as constraint ranges."""
    out: list[tuple[Constraint, ...]] = []
    start: Version | None = None
    open_range = False
    for event in events:
        if not isinstance(event, dict):
            continue
        if isinstance(event.get("introduced"), str):
            raw = event["introduced"]
            start = None if raw == "0" else as_version(component, raw)
            open_range = raw == "0" or start is not None
        elif open_range and isinstance(event.get("fixed"), str):
            end = as_version(component, event["fixed"])
            if end is not None:
                fixed.append(end)
                out.append(_range(start, ("<", end)))
            open_range = False
        elif open_range and isinstance(event.get("last_affected"), str):
            end = as_version(component, event["last_affected"])
            if end is not None:
                out.append(_range(start, ("<=", end)))
            open_range = False
    if open_range:
        out.append(_range(start, None))
    return out


def _range(start: Version | None, end: Constraint | None) -> tuple[Constraint, ...]:
    parts: list[Constraint] = []
    if start is not None:
        parts.append((">=", start))
    if end is not None:
        parts.append(end)
    return tuple(parts)


def parse_osv_batch(data: Any, url: str, count: int) -> list[list[str]]:
    """`POST /v1/querybatch`: the vulnerability ids of each of the `count` queries, in order."""
    return [[i for i, _ in ids] for ids in parse_osv_batch_modified(data, url, count)]


def parse_osv_batch_modified(
    data: Any, url: str, count: int
) -> list[list[tuple[str, str | None]]]:
    """`POST /v1/querybatch`: each query's `(id, modified)` pairs, in order (`modified` None
    when the answer does not say)."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or len(results) != count:
        raise PermanentUpstreamError(
            f"{url}: expected 'results' with one entry per query ({count})"
        )
    ids: list[list[tuple[str, str | None]]] = []
    for index, result in enumerate(results):
        vulns = result.get("vulns") if isinstance(result, dict) else None
        if vulns is None:
            ids.append([])
            continue
        if not isinstance(vulns, list) or not all(
            isinstance(v, dict) and isinstance(v.get("id"), str) for v in vulns
        ):
            raise PermanentUpstreamError(f"{url}: results[{index}].vulns is not a list of ids")
        ids.append([(v["id"], v["modified"] if isinstance(v.get("modified"), str) else None)
                    for v in vulns])
    return ids


# --- GitHub repository security advisories -----------------------------------------------------

_CONSTRAINT = re.compile(r"\s*(<=|>=|<|>|=)?\s*([^\s,]+)\s*")


def parse_github_advisories(component: Component, data: Any, url: str) -> list[Advisory]:
    """`GET /repos/{owner}/{repo}/security-advisories`: the published ones, as advisories."""
    if not isinstance(data, list):
        raise PermanentUpstreamError(f"{url}: expected a JSON list of security advisories")
    out: list[Advisory] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("ghsa_id"), str):
            raise PermanentUpstreamError(f"{url}: item {index} is not an advisory with a ghsa_id")
        if item.get("state", "published") != "published":
            continue
        ranges: list[tuple[Constraint, ...]] = []
        fixed: list[Version] = []
        for vuln in item.get("vulnerabilities") or ():
            if not isinstance(vuln, dict):
                continue
            spec = vuln.get("vulnerable_version_range")
            if isinstance(spec, str) and (parsed := _github_range(component, spec)) is not None:
                ranges.append(parsed)
            patched = vuln.get("patched_versions")
            if isinstance(patched, str):
                fixed += [v for raw in patched.split(",") if raw.strip()
                          and (v := as_version(component, raw)) is not None]
        cve = item.get("cve_id")
        severity = severity_of(item.get("severity") if isinstance(item.get("severity"), str)
                               else None)
        cvss = item.get("cvss")
        if severity is Severity.UNKNOWN and isinstance(cvss, dict) \
                and isinstance(cvss.get("vector_string"), str):
            score = base_score(cvss["vector_string"])
            severity = severity_of_score(score) if score is not None else severity
        out.append(Advisory(
            id=item["ghsa_id"], source="github", severity=severity,
            summary=item["summary"] if isinstance(item.get("summary"), str) else "",
            aliases=(cve,) if isinstance(cve, str) else (), ranges=tuple(ranges),
            fixed_in=_sorted(fixed),
        ))
    return out


def _github_range(component: Component, spec: str) -> tuple[Constraint, ...] | None:
    """`>= 6.0.0, < 6.0.8` as constraints; None when a bound is not a version."""
    parts: list[Constraint] = []
    for piece in spec.split(","):
        if not piece.strip():
            continue
        match = _CONSTRAINT.fullmatch(piece)
        if match is None:
            return None
        version = as_version(component, match[2])
        if version is None:
            return None
        parts.append((match[1] or "=", version))
    return tuple(parts) or None


def _sorted(versions: Iterable[Version]) -> tuple[Version, ...]:
    return tuple(sorted(set(versions), key=sort_key))


_SOURCE_ORDER = {"github": 0, "osv": 1}


def merge(advisories: Iterable[Advisory]) -> tuple[Advisory, ...]:
    """One advisory per vulnerability: the same id or alias from two sources is one (the
    repository's own GitHub advisory kept over OSV's copy, whichever answered first; the
    severity the worse of the two)."""
    kept: list[Advisory] = []
    for advisory in sorted(advisories, key=lambda a: (_SOURCE_ORDER.get(a.source, 9), a.id)):
        same = next((i for i, k in enumerate(kept) if k.names() & advisory.names()), None)
        if same is None:
            kept.append(advisory)
            continue
        first = kept[same]
        if advisory.severity.rank > first.severity.rank:
            kept[same] = replace(first, severity=advisory.severity)
    return tuple(sorted(kept, key=lambda a: (-a.severity.rank, a.id)))


# --- what check shows ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """An advisory that affects the pinned version, as `check` reports it."""

    id: str
    severity: Severity
    summary: str
    aliases: tuple[str, ...]
    fixed_in: tuple[Version, ...]
    fixed_by_candidate: bool | None  # None: no candidate, or the advisory cannot tell
    state: str  # "fixed by the candidate", "no fix yet", "fixed only beyond policy in 8.2.3", ...
    source: str


def fixes(advisory: Advisory, pinned: Version, version: Version) -> bool:
    """`version` fixes `advisory` of `pinned`: the pinned one is affected, `version` is not."""
    return advisory.affects(pinned) is not False and advisory.affects(version) is False


def affecting(advisories: Iterable[Advisory], pinned: Version) -> tuple[Advisory, ...]:
    """The advisories that affect `pinned` (an OSV answer already says so; GitHub's list is
    every advisory of the repository)."""
    return tuple(a for a in advisories if a.affects(pinned) is not False)


def _in_policy(component: Component, version: Version) -> bool:
    spec = component.policy.specifier
    return not spec or SpecifierSet(spec).contains(version, prereleases=True)


def findings(
    component: Component, advisories: Iterable[Advisory], candidate: Version | None,
    listed: Sequence[Version] = (),
) -> tuple[Finding, ...]:
    """What check shows of each advisory affecting the pinned version.

    `listed` are the stable versions upstream lists. When an advisory names no fixing version
    (OSV's GIT ranges end in a commit, not a tag), the fix is the oldest listed version newer
    than the pin that the advisory's affected tags leave out; the verdict is only as complete as
    that list of tags.
    """
    out: list[Finding] = []
    pinned = component.version
    later: list[Version] | None = None  # sorted once, and only when an advisory needs it
    for advisory in affecting(advisories, pinned):
        newer = [v for v in advisory.fixed_in if sort_key(v) > sort_key(pinned)]
        if not advisory.fixed_in and advisory.versions:
            if later is None:
                later = sorted((v for v in listed if sort_key(v) > sort_key(pinned)),
                               key=sort_key)
            newer = [v for v in later if advisory.affects(v) is False][:1]
        by_candidate: bool | None = None
        if candidate is not None:
            verdict = advisory.affects(candidate)
            by_candidate = None if verdict is None else not verdict
        if by_candidate:
            state = "fixed by the candidate"
        elif not newer:
            state = "no fix yet"
        elif not any(_in_policy(component, v) for v in newer):
            state = f"fixed only beyond policy in {', '.join(newer)}"
        else:
            state = f"fixed in {', '.join(newer)}"
        out.append(Finding(
            id=advisory.id, severity=advisory.severity, summary=advisory.summary,
            aliases=advisory.aliases, fixed_in=tuple(newer), fixed_by_candidate=by_candidate,
            state=state, source=advisory.source,
        ))
    return tuple(out)

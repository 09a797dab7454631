"""`archive.signature` of kind `cosign`: Caddy's keyless signature, identity and issuer."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.errors import ProblemsFound
from release.manifest.load import parse_manifest
from release.manifest.model import Signature, SignatureKind, SignedFile

REPO = Path(__file__).resolve().parents[3]
TEXT = (REPO / "versions.yaml").read_text(encoding="utf-8")
DOWNLOAD = "https://github.com/caddyserver/caddy/releases/download/{tag}"
IDENTITY = "https://github.com/caddyserver/caddy/.github/workflows/release.yml@refs/tags/{tag}"


def caddy_block() -> str:
    """The caddy entry's signature block, as versions.yaml declares it (caddy-arm64's, the
    same block, comes after it)."""
    start = TEXT.index("      signature:\n        kind: cosign\n", TEXT.index("\n  caddy:\n"))
    end = TEXT.index("    pins:", start)
    return TEXT[start:end]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("name", ["caddy", "caddy-arm64"])
def test_caddys_cosign_signature_is_declared(name: str) -> None:
    caddy = parse_manifest(TEXT).require(name)
    assert caddy.archive is not None
    assert caddy.archive.signature == Signature(
        url=f"{DOWNLOAD}/caddy_{{version}}_checksums.txt.sig", of=SignedFile.CHECKSUM,
        kind=SignatureKind.COSIGN, certificate=f"{DOWNLOAD}/caddy_{{version}}_checksums.txt.pem",
        file=f"{DOWNLOAD}/caddy_{{version}}_checksums.txt", identity=IDENTITY,
        issuer="https://token.actions.githubusercontent.com")


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("        identity: ", "        identiti: ", "identiti:",
         "components.caddy.archive.signature.identiti: unknown key; did you mean 'identity'? "
         "valid keys: kind, url, of, certificate, file, identity, issuer"),
        ("        issuer: https://token.actions.githubusercontent.com",
         "        issuer: token.actions.githubusercontent.com", "issuer:",
         "components.caddy.archive.signature.issuer: 'token.actions.githubusercontent.com' is "
         "not an https:// URL"),
        ("        identity: https://github.com/caddyserver/caddy/",
         "        identity: http://github.com/caddyserver/caddy/", "identity:",
         "components.caddy.archive.signature.identity: 'http://github.com/caddyserver/caddy/"
         ".github/workflows/release.yml@refs/tags/{tag}' is not an https:// URL"),
        ("        identity: https://github.com/caddyserver/caddy/.github/workflows/release.yml@"
         "refs/tags/{tag}", "        identity: https://github.com/{repo}", "identity:",
         "components.caddy.archive.signature.identity: unknown template field {repo}; valid "
         "fields: {version}, {tag}"),
        ("        kind: cosign", "        kind: sigstore", "kind: sigstore",
         "components.caddy.archive.signature.kind: 'sigstore' is not a valid kind; valid: "
         "openpgp, cosign"),
        ("        of: checksum", "        of: archive", "        file:",
         "components.caddy.archive.signature.file: with of: archive the signed file is the "
         "archive; remove 'file'"),
    ],
    ids=["unknown-key", "issuer-not-url", "identity-http", "identity-field", "kind", "file"],
)
def test_a_bad_cosign_block_is_located(old: str, new: str, needle: str, message: str) -> None:
    block = caddy_block()
    assert block.count(old) == 1
    text = TEXT.replace(block, block.replace(old, new), 1)
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(text)
    problems = {str(p) for p in caught.value.problems}
    expected = {f"versions.yaml:{_line(text, needle)}: {message}"}
    if "identiti" in new:  # a misspelt key is also a missing one; nothing else is reported
        expected.add(f"versions.yaml:{_line(text, 'kind: cosign')}: components.caddy.archive."
                     "signature: missing required key 'identity'")
    assert problems == expected


def _line(text: str, needle: str) -> int:
    """The line of `needle` within caddy's signature block."""
    start = text.index("      signature:\n        kind: ", text.index("\n  caddy:\n"))
    return text[:start].count("\n") + line_of(text[start:], needle)


def test_a_cosign_signature_without_the_identity_is_refused() -> None:
    block = caddy_block()
    line = next(x for x in block.splitlines(keepends=True) if "identity:" in x)
    text = TEXT.replace(block, block.replace(line, ""), 1)
    with pytest.raises(ProblemsFound) as caught:
        parse_manifest(text)
    assert [str(p).split(": ", 1)[1] for p in caught.value.problems] == [
        "components.caddy.archive.signature: missing required key 'identity'"]

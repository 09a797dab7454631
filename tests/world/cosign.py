"""The fake world's cosign keyless signatures: a test Fulcio CA, and Caddy's signed checksums.

`Authority` is a certificate authority shaped like Sigstore's Fulcio (a self-signed root, an
intermediate, ten-minute code-signing leaves naming the workflow identity in the SAN and the
OIDC issuer in the extensions 1.3.6.1.4.1.57264.1.1 and .1.8, and an SCT embedded by the CA's
certificate-transparency log), made with `cryptography` in the test process; nothing of it is
a real Sigstore key. `install` makes every Caddy release of the
world carry what goreleaser publishes: `caddy_<v>_checksums.txt` (SHA-512 lines of the
release's assets, as the world serves them), its `.sig` (base64 ECDSA over the file) and its
`.pem` (base64 of the leaf's PEM, as Caddy's assets are), signed as Caddy's release workflow at
that tag, and logged in the world's Rekor (`POST https://rekor.sigstore.dev/api/v1/log/entries/
retrieve` finds each signature's `hashedrekord` entry, with a signed entry timestamp by the CA's
Rekor key, integrated 40 seconds after the leaf was issued). `trust(root)` pins the world's CA,
CT log and Rekor log in a tree's `keys/sigstore/`.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from world.fakedata import _num, fake_bytes
from world.faults import Role
from world.replies import _json, _redirect
from world.server import Reply

if TYPE_CHECKING:
    from world.fakeworld import FakeWorld

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
CADDY_REPO = "caddyserver/caddy"
CADDY_DOWNLOADS = f"https://github.com/{CADDY_REPO}/releases/download"
REKOR = "https://rekor.sigstore.dev"
#: How a signature is logged: in time, not at all, after its certificate expired, or by a
#: Rekor key that is not pinned.
Logged = Literal["yes", "no", "late", "unpinned"]
ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_END = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)


def workflow_identity(repo: str, tag: str) -> str:
    """The SAN Fulcio gives a GitHub Actions run of `release.yml` pushed at `tag`."""
    return f"https://github.com/{repo}/.github/workflows/release.yml@refs/tags/{tag}"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _utf8(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


@dataclass(frozen=True, slots=True, kw_only=True)
class Signed:
    """What cosign sign-blob writes for one file: `sig` and `pem` as Caddy publishes them."""

    sig: bytes  # base64 of the DER ECDSA signature
    pem: bytes  # base64 of the leaf certificate's PEM
    certificate: x509.Certificate


def _der_octets(value: bytes) -> bytes:
    """A DER OCTET STRING."""
    size = len(value)
    length = bytes([size]) if size < 128 else bytes([0x82]) + size.to_bytes(2, "big")
    return b"\x04" + length + value


@dataclass(frozen=True, slots=True, kw_only=True)
class Authority:
    """A Fulcio-shaped CA: `root` (self-signed) → `intermediate` → short-lived leaves, each
    with an SCT embedded by the CA's certificate-transparency log (`ct_key`); `rekor_key` is
    the key of the transparency log its signatures are logged in."""

    name: str
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    ct_key: ec.EllipticCurvePrivateKey
    rekor_key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> dict[str, bytes]:
        """The files a tree pins (`keys/sigstore/<name>`): the CA, the CT log's and the Rekor
        log's keys."""
        def public(key: ec.EllipticCurvePrivateKey) -> bytes:
            return key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

        return {f"{self.name}_root.crt.pem": self.root.public_bytes(serialization.Encoding.PEM),
                f"{self.name}_intermediate.crt.pem":
                    self.intermediate.public_bytes(serialization.Encoding.PEM),
                f"{self.name}_ctfe.pub": public(self.ct_key),
                f"{self.name}_rekor.pub": public(self.rekor_key)}

    def log_entry(self, data: bytes, signed: Signed, *, when: dt.datetime,
                  index: int) -> dict[str, Any]:
        """The Rekor entry (`{uuid: LogEntryAnon}`) of `signed` over `data`, integrated at
        `when` as entry `index`, with the signed entry timestamp of `rekor_key`."""
        pem = signed.certificate.public_bytes(serialization.Encoding.PEM)
        body = {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(data).hexdigest()}},
            "signature": {"content": signed.sig.decode(),
                          "publicKey": {"content": base64.b64encode(pem).decode()}}}}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        spki = self.rekor_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        anon: dict[str, Any] = {"body": base64.b64encode(canonical).decode(),
                                "integratedTime": int(when.timestamp()),
                                "logID": hashlib.sha256(spki).hexdigest(), "logIndex": index}
        promise = json.dumps(anon, sort_keys=True, separators=(",", ":")).encode()
        stamp = self.rekor_key.sign(promise, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        # The entry is leaf 4 of a 7-leaf tree (the others stand for other people's entries).
        leaves = [f"{self.name}/other/{i}".encode() for i in range(7)]
        leaves[4] = canonical
        root = merkle_root(leaves)
        anon["verification"] = {
            "signedEntryTimestamp": base64.b64encode(stamp).decode(),
            "inclusionProof": {"logIndex": 4, "treeSize": 7, "rootHash": root.hex(),
                               "hashes": [h.hex() for h in merkle_path(4, leaves)],
                               "checkpoint": self.checkpoint(root, 7)}}
        return {hashlib.sha256(b"\x00" + canonical).hexdigest(): anon}

    def checkpoint(self, root: bytes, size: int, *, key: ec.EllipticCurvePrivateKey | None = None
                   ) -> str:
        """The log's signed note that its tree of `size` leaves has the root hash `root`."""
        spki = self.rekor_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        text = (f"rekor.sigstore.dev - 1193050959916656506\n{size}\n"
                f"{base64.b64encode(root).decode()}\nTimestamp: 1780408742000000000\n")
        signature = (key or self.rekor_key).sign(
            text.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        hint = hashlib.sha256(spki).digest()[:4]
        return f"{text}\n\u2014 rekor.sigstore.dev {base64.b64encode(hint + signature).decode()}\n"

    def sct(self, tbs: bytes, when: dt.datetime) -> bytes:
        """An RFC 6962 SCT (v1, precert entry) by the CT log over the precertificate `tbs`."""
        spki = self.ct_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        inter = self.intermediate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        stamp = int(when.timestamp() * 1000).to_bytes(8, "big")
        signed = (bytes([0, 0]) + stamp + (1).to_bytes(2, "big") + hashlib.sha256(inter).digest()
                  + len(tbs).to_bytes(3, "big") + tbs + (0).to_bytes(2, "big"))
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        sct = (bytes([0]) + hashlib.sha256(spki).digest() + stamp + (0).to_bytes(2, "big")
               + bytes([4, 3]) + len(signature).to_bytes(2, "big") + signature)
        listed = len(sct).to_bytes(2, "big") + sct
        return len(listed).to_bytes(2, "big") + listed

    def leaf(self, key: ec.EllipticCurvePrivateKey, *, identity: str, issuer: str,
             when: dt.datetime, code_signing: bool = True, sct: bool = True) -> x509.Certificate:
        """A Fulcio leaf: the precertificate's TBS is signed into an SCT, which the final
        certificate embeds as its last extension (so `tbs_precertificate_bytes` gives it back)."""
        builder = self._leaf_builder(key, identity=identity, issuer=issuer, when=when,
                                     code_signing=code_signing)
        precert = builder.sign(self.intermediate_key, hashes.SHA384(), ecdsa_deterministic=True)
        if not sct:
            return precert
        embedded = x509.UnrecognizedExtension(
            SCT_OID, _der_octets(self.sct(precert.tbs_certificate_bytes, when)))
        return builder.add_extension(embedded, critical=False).sign(
            self.intermediate_key, hashes.SHA384(), ecdsa_deterministic=True)

    def _leaf_builder(self, key: ec.EllipticCurvePrivateKey, *, identity: str, issuer: str,
                      when: dt.datetime, code_signing: bool) -> x509.CertificateBuilder:
        usage = [ExtendedKeyUsageOID.CODE_SIGNING if code_signing
                 else ExtendedKeyUsageOID.SERVER_AUTH]
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(_serial(f"{self.name}/{identity}/{when.isoformat()}"))
            .not_valid_before(when)
            .not_valid_after(when + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(identity)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V1, issuer.encode()),
                           critical=False)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V2, _utf8(issuer)),
                           critical=False)
        )

    def sign(self, data: bytes, *, identity: str, issuer: str = GITHUB_ISSUER,
             when: dt.datetime | None = None, code_signing: bool = True,
             sct: bool = True) -> Signed:
        """cosign sign-blob, keyless: a fresh key, a leaf for it, a signature over `data`
        (the key derived from what is signed, the signature deterministic: RFC 6979)."""
        key = _key(f"{self.name}/{identity}/{hashlib.sha256(data).hexdigest()}", ec.SECP256R1())
        cert = self.leaf(key, identity=identity, issuer=issuer,
                         when=when or dt.datetime(2026, 6, 2, 14, 5, tzinfo=dt.UTC),
                         code_signing=code_signing, sct=sct)
        signature = key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        return Signed(sig=base64.b64encode(signature),
                      pem=base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)),
                      certificate=cert)


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH of `leaves` (at least one), recursively, as the RFC defines it."""
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two below n
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:split])
                          + merkle_root(leaves[split:])).digest()


def merkle_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, leaves): the audit path of leaf `index`, leaf side first."""
    if len(leaves) == 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return [*merkle_path(index, leaves[:split]), merkle_root(leaves[split:])]
    return [*merkle_path(index - split, leaves[split:]), merkle_root(leaves[:split])]


_ORDER = {"secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
          "secp384r1": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB2"
                           "48B0A77AECEC196ACCC52973", 16)}


def _key(label: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    """A private key derived from `label`: the world is the same in every process, so what
    `scripts/record_demo.py` records verifies against the CA the tests pin."""
    value = int.from_bytes(hashlib.sha512(label.encode()).digest(), "big")
    return ec.derive_private_key(value % (_ORDER[curve.name] - 1) + 1, curve)


def _serial(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:16], "big") >> 1


def make_authority(name: str) -> Authority:
    """The CA `name` (P-384 root and intermediate, as Fulcio's; keys derived from the name)."""
    root_key = _key(f"{name}/root", ec.SECP384R1())
    inter_key = _key(f"{name}/intermediate", ec.SECP384R1())
    ca = x509.BasicConstraints(ca=True, path_length=None)
    root = (x509.CertificateBuilder().subject_name(_name(f"{name}-root"))
            .issuer_name(_name(f"{name}-root")).public_key(root_key.public_key())
            .serial_number(_serial(f"{name}/root"))
            .not_valid_before(_EPOCH).not_valid_after(_END)
            .add_extension(ca, critical=True)
            .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True))
    intermediate = (x509.CertificateBuilder().subject_name(_name(f"{name}-intermediate"))
                    .issuer_name(root.subject).public_key(inter_key.public_key())
                    .serial_number(_serial(f"{name}/intermediate"))
                    .not_valid_before(_EPOCH).not_valid_after(_END)
                    .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                    .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True))
    return Authority(name=name, root=root, root_key=root_key, intermediate=intermediate,
                     intermediate_key=inter_key, ct_key=_key(f"{name}/ctfe", ec.SECP256R1()),
                     rekor_key=_key(f"{name}/rekor", ec.SECP256R1()))


@functools.cache
def world_authority() -> Authority:
    """The one CA the fake world signs with (one per test process)."""
    return make_authority("fulcio-test")


def trust(root: Path, authority: Authority | None = None) -> None:
    """Pin `authority` (default: the world's) as the tree's Fulcio CA, `keys/sigstore/`."""
    folder = root / "keys" / "sigstore"
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in (authority or world_authority()).pem.items():
        (folder / name).write_bytes(body)


def caddy_urls(version: str) -> tuple[str, str, str]:
    """The checksums file of Caddy `version` and its `.sig` and `.pem`."""
    sums = f"{CADDY_DOWNLOADS}/v{version}/caddy_{version}_checksums.txt"
    return sums, f"{sums}.sig", f"{sums}.pem"


def caddy_sums(version: str, assets: tuple[str, ...]) -> bytes:
    """goreleaser's `checksum: {algorithm: sha512}` file over the assets the world serves."""
    lines = [f"{hashlib.sha512(fake_bytes(f'{CADDY_DOWNLOADS}/v{version}/{name}', 2048)).hexdigest()}"
             f"  {name}\n" for name in sorted(assets) if not name.endswith("_checksums.txt")]
    return "".join(lines).encode()


def _serve_asset(world: FakeWorld, repo_id: int, tag: str, name: str, *, body: bytes,
                 content_type: str) -> None:
    """Serve a release asset as the world does: github.com redirects to the asset CDN."""
    aid = _num(f"{CADDY_REPO}/asset/{tag}/{name}")
    cdn = (f"https://release-assets.githubusercontent.com/github-production-release-asset/"
           f"{repo_id}/{aid}")
    world._add(f"{CADDY_DOWNLOADS}/{tag}/{name}", "caddy", Role.ASSET,
               lambda _request, _fault: _redirect(cdn))
    world._add(cdn, "caddy", Role.ASSET,
               lambda _request, _fault: Reply(body=body, headers={"Content-Type": content_type}))


def sign_caddy(world: FakeWorld, version: str, *, sums: bytes | None = None,
               signed: bytes | None = None, authority: Authority | None = None,
               identity: str | None = None, issuer: str = GITHUB_ISSUER,
               code_signing: bool = True, sct: bool = True, logged: Logged = "yes") -> bytes:
    """Serve Caddy `version`'s checksums file (`sums`, default the true one) with a `.sig`
    and `.pem` over `signed` (default: the served file) by `authority` as `identity`
    (default: Caddy's release workflow at the tag), logged in the world's Rekor as `logged`
    says. Returns the served checksums file."""
    repo = next(r for r in world.repos if r.repo == CADDY_REPO)
    release = next(r for r in repo.releases if r.tag == f"v{version}")
    tag = release.tag
    true_sums = caddy_sums(version, release.assets)
    served = true_sums if sums is None else sums
    signer = authority or world_authority()
    issued = dt.datetime.fromisoformat(release.created)
    over = served if signed is None else signed
    made = signer.sign(over, identity=identity or workflow_identity(CADDY_REPO, tag),
                       issuer=issuer, when=issued, code_signing=code_signing, sct=sct)
    entries = rekor_log(world)
    entries.pop(hashlib.sha256(made.sig).hexdigest(), None)
    if logged != "no":
        late = logged == "late"
        by = make_authority("rekor-elsewhere") if logged == "unpinned" else signer
        entries[hashlib.sha256(made.sig).hexdigest()] = by.log_entry(
            over, made, index=_num(f"rekor/{tag}/{logged}") % 10**8,
            when=issued + (dt.timedelta(minutes=11) if late else dt.timedelta(seconds=40)))
    name = f"caddy_{version}_checksums.txt"
    _serve_asset(world, repo.repo_id, tag, name, body=served,
                 content_type="text/plain; charset=utf-8")
    for suffix, body in ((".sig", made.sig), (".pem", made.pem)):
        _serve_asset(world, repo.repo_id, tag, f"{name}{suffix}", body=body,
                     content_type="application/octet-stream")
    return served


def rekor_log(world: FakeWorld) -> dict[str, dict[str, Any]]:
    """The world's Rekor entries, by the sha256 of the `.sig` they log."""
    log: dict[str, dict[str, Any]] = world._memo.setdefault(("rekor",), {})
    return log


def logged_entry(world: FakeWorld, data: bytes) -> tuple[str, dict[str, Any]]:
    """The uuid and entry of the world's Rekor that logs a signature over `data`."""
    digest = hashlib.sha256(data).hexdigest()
    for entry in rekor_log(world).values():
        ((uuid, anon),) = entry.items()
        if json.loads(base64.b64decode(anon["body"]))["spec"]["data"]["hash"]["value"] == digest:
            return uuid, anon
    raise LookupError(f"no Rekor entry of a file with sha256 {digest}")


def _retrieve(world: FakeWorld) -> Any:
    """Rekor's `POST /api/v1/log/entries/retrieve`: the logged entries equal to a proposed one
    (same file hash, signature and certificate), as a list of `{uuid: entry}` objects."""
    def respond(request: Any, _fault: object) -> Reply:
        try:
            proposed = json.loads(request.body)["entries"]
            wanted = [(e["spec"]["data"]["hash"]["value"], e["spec"]["signature"]["content"],
                       x509.load_pem_x509_certificate(base64.b64decode(
                           e["spec"]["signature"]["publicKey"]["content"])))
                      for e in proposed]
        except (ValueError, KeyError, TypeError):
            return _json({"code": 400, "message": "invalid proposed entry"}, status=400)
        found = []
        for entry in rekor_log(world).values():
            (anon,) = entry.values()
            spec = json.loads(base64.b64decode(anon["body"]))["spec"]
            logged = (spec["data"]["hash"]["value"], spec["signature"]["content"],
                      x509.load_pem_x509_certificate(base64.b64decode(
                          spec["signature"]["publicKey"]["content"])))
            if logged in wanted:
                found.append(entry)
        return _json(found)

    return respond


def install(world: FakeWorld) -> None:
    """Every Caddy release of the world signed as goreleaser and cosign sign it, and Rekor."""
    world._add(f"{REKOR}/api/v1/log/entries/retrieve", "caddy", Role.LOG, _retrieve(world),
               method="POST")
    repo = next(r for r in world.repos if r.repo == CADDY_REPO)
    for release in repo.releases:
        sign_caddy(world, release.tag.removeprefix("v"))

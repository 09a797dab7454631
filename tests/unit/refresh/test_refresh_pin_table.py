"""`decide_pin`, the pin decision, as a table: a request in, the `Update` (or the refusal) out."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
from tiny_tree import COMMIT, DIGEST_OTHER, DIGEST_PINNED, MANIFEST, SHA_OTHER, SHA_PINNED

from release.errors import InvalidInput
from release.manifest.load import parse_manifest
from release.refresh.decide import PinRequest, Update, decide_pin
from release.versioning import Digest, Version

TINY = parse_manifest(MANIFEST)

# (request, the update it makes; None: already pinned there)
DECIDED = [
    pytest.param(PinRequest(component="kamailio", version="6.1.5", checksum=f"sha256:{SHA_OTHER}"),
                 Update(component="kamailio", version=Version("6.1.5"), sha256=SHA_OTHER),
                 id="archive-new-version-with-checksum"),
    pytest.param(PinRequest(component="kamailio", version="6.1.5", checksum=f"SHA256:{SHA_OTHER}"),
                 Update(component="kamailio", version=Version("6.1.5"), sha256=SHA_OTHER),
                 id="algorithm-name-in-capitals"),
    pytest.param(PinRequest(component="kamailio", version="6.1.4"), None,
                 id="same-version-no-values-is-nothing-to-do"),
    pytest.param(PinRequest(component="kamailio", version="6.1.4",
                            checksum=f"sha256:{SHA_PINNED}"), None,
                 id="same-version-same-checksum-is-nothing-to-do"),
    pytest.param(PinRequest(component="kamailio", version="6.1.4",
                            checksum=f"sha256:{SHA_OTHER}"),
                 Update(component="kamailio", version=Version("6.1.4"), sha256=SHA_OTHER),
                 id="same-version-new-checksum"),
    pytest.param(PinRequest(component="kamailio", version="6.1.4", commit=COMMIT),
                 Update(component="kamailio", version=Version("6.1.4"), commit=COMMIT),
                 id="same-version-new-commit"),
    pytest.param(PinRequest(component="kamailio", version="6.1.3", checksum=f"sha256:{SHA_OTHER}",
                            allow_downgrade=True),
                 Update(component="kamailio", version=Version("6.1.3"), sha256=SHA_OTHER),
                 id="downgrade-allowed"),
    pytest.param(PinRequest(component="kamailio", version="6.2.0", checksum=f"sha256:{SHA_OTHER}",
                            beyond_policy=True),
                 Update(component="kamailio", version=Version("6.2.0"), sha256=SHA_OTHER),
                 id="beyond-policy-allowed"),
    pytest.param(PinRequest(component="debian", version="20260901",
                            checksum=DIGEST_OTHER),
                 Update(component="debian", version=Version("20260901"),
                        digest=Digest(DIGEST_OTHER)),
                 id="image-new-version-with-digest"),
    pytest.param(PinRequest(component="debian", version="20260803", checksum=DIGEST_PINNED), None,
                 id="image-same-digest-is-nothing-to-do"),
]


@pytest.mark.parametrize(("request_", "expected"), DECIDED)
def test_decide_pin(request_: PinRequest, expected: Update | None) -> None:
    assert decide_pin(TINY, request_) == expected


URL = "https://www.kamailio.org/pub/kamailio/6.1.5/src/kamailio-6.1.5_src.tar.gz"

# (request, the exact message of the refusal)
REFUSED = [
    pytest.param(PinRequest(component="kamailo", version="6.1.5"),
                 "no component 'kamailo' in versions.yaml; did you mean 'kamailio'? components: "
                 "kamailio, debian",
                 id="unknown-component"),
    pytest.param(PinRequest(component="kamailio", version="6.1.5"),
                 f"kamailio pins the sha256 of {URL}; pass --checksum sha256:<hex> for that file",
                 id="archive-needs-a-checksum"),
    pytest.param(PinRequest(component="kamailio", version="6.1.3", checksum=f"sha256:{SHA_OTHER}"),
                 "kamailio: 6.1.3 is older than the pinned 6.1.4; pass --allow-downgrade to "
                 "roll back", id="downgrade"),
    pytest.param(PinRequest(component="kamailio", version="6.2.0", checksum=f"sha256:{SHA_OTHER}"),
                 "kamailio: 6.2.0 is outside its policy (>=6.1,<6.2); pass --beyond-policy to "
                 "pin it anyway (and consider changing the policy)", id="outside-policy"),
    pytest.param(PinRequest(component="kamailio", version="6.1.5", checksum="md5:abc"),
                 "--checksum algorithm 'md5' is not supported; use sha256", id="md5"),
    pytest.param(PinRequest(component="kamailio", version="6.1.5", checksum="sha256:abc"),
                 "--checksum sha256 value must be 64 hex digits", id="short-hex"),
    pytest.param(PinRequest(component="kamailio", version="6.1.5", checksum="abc"),
                 "--checksum 'abc' is not ALGO:HEX (for example sha256:<64 hex>)",
                 id="no-algorithm"),
    pytest.param(PinRequest(component="debian", version="2026-09-01", checksum=DIGEST_OTHER),
                 "debian: '2026-09-01' is not a version of this component (pattern '\\\\d{8}', "
                 "tag 'trixie-{version}-slim'; currently 20260803)", id="not-a-version"),
    pytest.param(PinRequest(component="debian", version="20260901"),
                 "debian is pinned by image digest; pass --checksum sha256:<index digest> of "
                 "debian:trixie-20260901-slim", id="image-needs-a-digest"),
]


@pytest.mark.parametrize(("request_", "message"), REFUSED)
def test_decide_pin_refuses(request_: PinRequest, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decide_pin(TINY, request_)
    assert info.value.message == message


SET = parse_manifest(textwrap.dedent(
    """\
    schema: 1
    release: 2026.11.0
    components:
      ui:
        version: 1.0.0
        versioning: {tag: "v{version}"}
        upstream: {kind: github-releases, repo: example/ui}
        policy: {group: stack, group-pins: deploy/compose.yaml}
        pins:
          - {kind: marker, file: images/stack/build.sh, marker: "# delphi-pin: ui"}
      collector:
        version: 2.0.0
        versioning: {tag: "v{version}"}
        upstream: {kind: github-releases, repo: example/collector}
        policy: {group: stack, follow-leader: true}
        image: {repository: example/collector, tag: "v{version}", digest: DIGEST}
        pins:
          - {kind: compose-image, file: images/stack/compose.yaml, service: collector}
    """
).replace("DIGEST", DIGEST_PINNED))


def test_a_set_member_moves_alone_only_with_break_set() -> None:
    request = PinRequest(component="collector", version="2.1.0", checksum=DIGEST_OTHER)
    with pytest.raises(InvalidInput) as info:
        decide_pin(SET, request)
    assert info.value.message == (
        "collector is in the set 'stack' (ui, collector), which moves as one to the versions ui "
        "pins: use refresh --only ui collector, or pass --break-set to move it alone"
    )
    assert decide_pin(SET, replace(request, break_set=True)) == Update(
        component="collector", version=Version("2.1.0"), digest=Digest(DIGEST_OTHER))

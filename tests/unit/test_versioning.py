from __future__ import annotations

import pytest

from release.versioning import (
    GITHUB_REPOSITORY_RE,
    BumpKind,
    UnsafeValueError,
    Version,
    Versioning,
    bump_kind,
    check_safe_value,
)

PG = Versioning(tag="REL_{version}", pattern=r"\d+\.\d+", separator="_")
PGB = Versioning(tag="pgbouncer_{version}", separator="_")
RTP = Versioning(tag="mr{version}", pattern=r"\d+\.\d+\.\d+\.\d+")
SQUID = Versioning(tag="SQUID_{version}", pattern=r"\d+\.\d+", separator="_")
PLAIN = Versioning()
V = Versioning(tag="v{version}")
DEBIAN = Versioning(tag="trixie-{version}-slim", pattern=r"\d{8}")


@pytest.mark.parametrize(
    ("versioning", "tag", "version"),
    [
        (PG, "REL_17_11", "17.11"),
        (PG, "REL_18_BETA1", None),
        (PG, "REL_18_RC1", None),
        (PG, "REL9_6_24", None),
        (PGB, "pgbouncer_1_25_2", "1.25.2"),
        (PGB, "pgbouncer_1_23_1-fixed", None),
        (PGB, "pgbouncer_1_7_rc1", None),
        (PGB, "pgbouncer_1_8", None),
        (RTP, "mr13.5.1.25", "13.5.1.25"),
        (RTP, "mr13.1.1", None),
        (SQUID, "SQUID_7_6", "7.6"),
        (SQUID, "SQUID_7_0_1", None),
        (SQUID, "SQUID_3_0_STABLE5", None),
        (SQUID, "take12", None),
        (PLAIN, "6.1.4", "6.1.4"),
        (PLAIN, "before_rewrite", None),
        (PLAIN, "5.1.10.1", None),
        (PLAIN, "docker/4.17.0-r0", None),
        (PLAIN, "23.5.0-rc1", None),
        (PLAIN, "7.4-rc1", None),
        (PLAIN, "8.0-m01", None),
        (V, "v2.11.4", "2.11.4"),
        (V, "v2.11.0-beta.1", None),
        (V, "v0.135.0-cloud.5", None),
        (V, "v0.144.5-7e8519b", None),
        (V, "v0.4.0-broken", None),
        (V, "histogram-quantile/v0.0.1", None),
        (V, "cmd/builder/v0.159.0", None),
        (V, "v0.160.0-nightly.202608220225", None),
        (DEBIAN, "trixie-20260803-slim", "20260803"),
        (DEBIAN, "trixie-20260803", None),
        (DEBIAN, "forky-20260803-slim", None),
        (PLAIN, "1.2.3\nRUN curl x", None),
    ],
)
def test_version_for(versioning: Versioning, tag: str, version: str | None) -> None:
    assert versioning.version_for(tag) == version
    if version is not None:
        assert versioning.tag_for(Version(version)) == tag


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("17.11", "17.12", BumpKind.MINOR),
        ("17.11", "18.0", BumpKind.MAJOR),
        ("6.1.4", "6.1.5", BumpKind.PATCH),
        ("6.1.4", "6.2.0", BumpKind.MINOR),
        ("13.5.1.25", "13.5.1.26", BumpKind.PATCH),
        ("6.1.4", "6.1.4", BumpKind.NONE),
        ("6.1.4", "6.1.3", BumpKind.DOWNGRADE),
        ("7.6", "7.10", BumpKind.MINOR),
    ],
)
def test_bump_kind(old: str, new: str, kind: BumpKind) -> None:
    assert bump_kind(Version(old), Version(new)) is kind


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "value is empty"),
        ("1" * 129, "value is 129 characters long (at most 128)"),
        ("1.0\nRUN x", "value '1.0\\nRUN x' contains characters that are not allowed ('\\n', ' ')"),
        ("$(id)", "value '$(id)' contains characters that are not allowed ('$', '(', ')')"),
        ("-rc1", "value '-rc1' contains characters that are not allowed (its first character)"),
    ],
)
def test_check_safe_value_refuses(value: str, message: str) -> None:
    with pytest.raises(UnsafeValueError) as info:
        check_safe_value(value)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("SigNoz/signoz", True),
        ("aws-actions/configure-aws-credentials", True),
        ("pjsip/pjproject", True),
        ("owner/name.with_dots-and_underscores", True),
        ("owner/...", True),  # GitHub allows it; only '.' and '..' are path steps
        ("../x", False),
        ("owner/..", False),
        ("owner/.", False),
        ("-owner/name", False),
        ("own_er/name", False),
        ("o" * 40 + "/name", False),
        ("owner/" + "n" * 101, False),
        ("owner/name/more", False),
        ("owner", False),
    ],
)
def test_a_github_repository_is_owner_slash_name_by_githubs_rules(value: str, valid: bool) -> None:
    assert (GITHUB_REPOSITORY_RE.fullmatch(value) is not None) is valid

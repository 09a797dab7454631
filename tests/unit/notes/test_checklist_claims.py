"""What the checklist says about the deployment must match the files this repository ships."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from release.manifest.load import load_manifest
from release.notes.checklist import Checklist
from release.notes.checklist_load import load_checklist

REPO = Path(__file__).resolve().parents[3]


def the_checklist() -> Checklist:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    return load_checklist(
        REPO / "checklists", components=manifest.names(),
        images=[p.name for p in (REPO / "images").iterdir() if p.is_dir()],
    )


def text_of(item_id: str) -> str:
    item = next(i for i in the_checklist().items if i.id == item_id)
    parts = [item.title, item.why or "", item.downtime or "",
             item.notice.text if item.notice else ""]
    parts += [f"{s.text}\n{s.run or ''}" for s in item.steps]
    return "\n".join(parts)


def test_every_one_shot_signoz_service_is_awaited_so_up_wait_ends() -> None:
    """`docker compose up --wait` exits 1 when a one-shot service exits and no other service
    awaits it with service_completed_successfully (docker/compose#10596)."""
    compose = YAML(typ="safe").load((REPO / "images/signoz/compose.yaml").read_text())
    services = compose["services"]
    one_shot = [name for name, s in services.items() if s.get("restart") in ("on-failure", "no")]
    assert one_shot == ["schema-migrator"]
    for name in one_shot:
        awaited_by = [other for other, s in services.items()
                      if (s.get("depends_on") or {}).get(name, {}).get("condition")
                      == "service_completed_successfully"]
        assert awaited_by == ["otel-collector"], name


def test_what_the_redis_item_says_matches_redis_conf() -> None:
    conf = (REPO / "images/redis/redis.conf").read_text()
    assert "\nappendonly yes\n" in conf
    assert "\nappendfsync everysec\n" in conf
    text = text_of("rollout-redis")
    assert "append-only file" in text
    assert "appendfsync everysec" in text
    assert "drops the state" not in text


def test_the_window_names_no_cause_the_release_may_not_have() -> None:
    """Step 3.1 once said "a PostgreSQL major upgrade" in a release with a minor one."""
    text = text_of("drain-window")
    assert "major" not in text
    assert "Expected downtime" in text


def test_the_runtime_checks_claim_no_app_build_and_check_only_what_changed() -> None:
    checklist = the_checklist()
    runtimes = {i.id: i for i in checklist.items if i.id.startswith("verify-")
                and i.id.endswith("-runtime")}
    assert sorted(runtimes) == ["verify-node-runtime", "verify-python-runtime"]
    assert [c.components for c in (runtimes["verify-node-runtime"].when,
                                   runtimes["verify-python-runtime"].when)] == [
        ("node",), ("python",),
    ]
    for item_id in runtimes:
        assert "rebuilt" not in text_of(item_id)
        assert "not the apps" in text_of(item_id)


def test_the_signoz_rollout_runs_from_staged_files() -> None:
    text = text_of("rollout-signoz")
    assert "git clone" not in text
    assert "pull" not in text.replace("--pull never", "").replace("pulled", "")
    assert "/opt/delphi/signoz-@{release}/" in text
    staged = text_of("preflight-signoz-files")
    assert "rsync -a --exclude .env images/signoz/ <signoz-vm>:/opt/delphi/signoz-@{release}/" in (
        staged)

"""`python -m release notes` on real temporary git repositories with tagged history.

Each test builds a repository whose first commit holds `versions.yaml` of release 2026.10.0
(tagged `v2026.10.0`), makes the commits of one release, and reads the rendered notes: which
checklist items the changes select, the header, the tables, and that hostile commit text stays
text. Commits carry fixed authors and dates, so the repositories (and their SHAs) are the same
on every run; the golden test compares one full release note byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import git
import pytest
from markdown_it import MarkdownIt

from release.cli import main

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "notes"
GOLDEN = DATA / "golden-2026.11.0.md"
REPO_URL = "https://github.com/acme/delphi-release"
ANA = ("Ana Lima", "ana@delphi.example")
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
ID = re.compile(r"^\*Services: [^*]*\* · `([a-z0-9-]+)`$", re.MULTILINE)

# The items every release that replaces anything gets.
ALWAYS = ["preflight-health", "preflight-verify-images", "backup-config", "drain-pause-scaler",
          "verify-health",
          "resume-scaler", "rollback-start", "rollback-finish"]


class Repo:
    """A git repository with a clock: every commit is one minute after the previous one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("commit", "gpgsign", "false")
            config.set_value("tag", "gpgsign", "false")
        self.clock = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def edit(self, path: str, old: str, new: str) -> None:
        text = (self.root / path).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {path}"
        self.write(path, text.replace(old, new))

    def _env(self, author: tuple[str, str]) -> dict[str, str]:
        self.clock += dt.timedelta(minutes=1)
        stamp = self.clock.isoformat()
        return {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": "Release Lead", "GIT_COMMITTER_EMAIL": "lead@delphi.example",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
        }

    def commit(self, message: str, *paths: str, author: tuple[str, str] = ANA) -> str:
        if paths:
            self.repo.git.add("--", *paths)
        with self.repo.git.custom_environment(**self._env(author)):
            self.repo.git.commit("--allow-empty", "-m", message)
        return self.repo.head.commit.hexsha

    def tag(self, name: str) -> None:
        with self.repo.git.custom_environment(**self._env(ANA)):
            self.repo.git.tag("-a", name, "-m", name)

    def branch(self, name: str) -> None:
        self.repo.git.checkout("-b", name)

    def merge(self, branch: str, subject: str, title: str) -> str:
        self.repo.git.checkout("main")
        with self.repo.git.custom_environment(**self._env(ANA)):
            self.repo.git.merge("--no-ff", branch, "-m", subject, "-m", title)
        return self.repo.head.commit.hexsha

    def release(self, version: str) -> None:
        self.edit("versions.yaml", "release: 2026.10.0", f"release: {version}")


@pytest.fixture(autouse=True)
def _no_ambient_repository_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub Actions sets these; the tests choose the repository URL themselves."""
    for name in ("DELPHI_REPOSITORY_URL", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Release 2026.10.0, tagged; the working tree also holds the checklist (uncommitted, so
    that the commits do not change when the checklist does)."""
    r = Repo(tmp_path / "delphi-release")
    r.write("versions.yaml", (DATA / "versions.yaml").read_text(encoding="utf-8"))
    r.write("README.md", "# delphi-release\n")
    r.commit("chore(release): 2026.10.0", "versions.yaml", "README.md")
    r.tag("v2026.10.0")
    shutil.copytree(REPO / "checklists", r.root / "checklists")
    return r


def notes(root: Path, *args: str) -> str:
    out = root.parent / "notes.md"
    code = main(["notes", "--root", str(root), "--output", str(out), *args])
    assert code == 0
    return out.read_text(encoding="utf-8")


def selected(text: str) -> list[str]:
    return ID.findall(text)


def test_postgres_minor_selects_backup_and_restart_not_pg_upgrade(repo: Repo) -> None:
    repo.edit("versions.yaml", 'version: "17.11"', 'version: "17.12"')
    repo.release("2026.11.0")
    repo.commit("refresh: postgresql 17.11 -> 17.12", "versions.yaml")
    text = notes(repo.root)
    assert selected(text) == [
        "preflight-health", "preflight-database", "preflight-pgbouncer", "preflight-verify-images", "backup-config",
        "backup-database", "drain-pause-scaler", "rollout-postgres-restart",
        "rollout-pgbouncer", "verify-health", "verify-calls", "verify-database",
        "resume-scaler", "rollback-start", "rollback-postgres-restart", "rollback-pgbouncer",
        "rollback-finish",
    ]
    assert "pg_upgrade" not in text
    assert ("| postgresql | Database | `17.11` | `17.12` | minor | "
            "[17.12](https://www.postgresql.org/docs/release/17.12/) |") in text
    assert "- **Action required:** **yes**: follow the [operator rollout checklist]" in text
    assert "  - Database: PostgreSQL restarts (its shutdown checkpoint, up to the 300 s" in text
    assert "#### 4.1 Restart PostgreSQL on the image of 2026.11.0" in text
    # Its rollback is the same restart on the image of the previous release.
    assert "#### 6.2 Back to 2026.10.0: Restart PostgreSQL on the image of 2026.10.0" in text
    assert "- **Upgrade from:** 2026.10.0 (`v2026.10.0`)." in text
    # Redis and pgbouncer images did not change: no restart of Redis, no window.
    assert "rollout-redis" not in text
    assert "drain-window" not in text


def test_postgres_major_selects_pg_upgrade_and_the_downtime_note(repo: Repo) -> None:
    repo.edit("versions.yaml", 'version: "17.11"', 'version: "18.1"')
    repo.release("2026.11.0")
    repo.commit("feat(postgres)!: PostgreSQL 18", "versions.yaml")
    text = notes(repo.root)
    assert selected(text) == [
        "preflight-health", "preflight-database", "preflight-pgbouncer", "preflight-verify-images", "backup-config",
        "backup-database", "drain-window", "drain-pause-scaler", "drain-stop-calls",
        "rollout-postgres-major", "rollout-pgbouncer", "rollout-resume-calls", "verify-health",
        "verify-calls", "verify-database", "resume-scaler", "rollback-start",
        "rollback-postgres-major", "rollback-pgbouncer", "rollback-finish",
    ]
    assert "rollout-postgres-restart" not in text
    assert "#### 4.1 Upgrade PostgreSQL 17.11 → 18.1 with pg_upgrade" in text
    assert "--old-bindir=/usr/lib/postgresql/17/bin --new-bindir=/usr/lib/postgresql/18/bin" in text
    assert ('  - Database and calls: no calls from the drain (step "Stop taking calls") until '
            "calls are taken again; about `T = D + t_dump + t_upgrade + t_stats`") in text
    assert "- **Risk:** high: step 4.1 cannot be rolled back by image alone" in text
    assert "- **PostgreSQL 17.11 → 18.1 is a major upgrade.** No calls are" in text
    assert ("- **Read the upstream release notes of the major changes first:** [postgresql 17.11 → "
            "18.1](https://www.postgresql.org/docs/release/18.1/).") in text
    assert ("**Rolling back:** by running the rollout steps again (step 6.1 on), until step 4.1 "
            "(Upgrade PostgreSQL 17.11 → 18.1 with pg_upgrade) has run;") in text


def test_node_only_change_selects_no_database_step(repo: Repo) -> None:
    repo.edit("versions.yaml", "version: 24.19.0", "version: 24.20.0")
    repo.release("2026.11.0")
    repo.commit("refresh: node 24.19.0 -> 24.20.0", "versions.yaml", author=BOT)
    text = notes(repo.root)
    assert selected(text) == [
        "preflight-health", "preflight-caddy-config", "preflight-verify-images", "backup-config", "drain-pause-scaler",
        "rollout-api", "rollout-web", "verify-health", "verify-calls", "verify-web",
        "verify-node-runtime", "resume-scaler", "rollback-start", "rollback-web", "rollback-api",
        "rollback-finish",
    ]
    # Only the runtime that changed is checked: Node.js, not Python.
    assert "python --version" not in text
    assert [s for s in re.findall(r"^\*Services: .*$", text, re.MULTILINE) if "Database" in s] == []
    assert "This release replaces the images of Web, API." in text
    assert "1 automated commit by github-actions\\[bot\\] is not listed" in text
    assert "- **Expected downtime:** none: services are replaced one at a time" in text
    assert "- **Risk:** low: every service is replaced by image, without interruption" in text


def test_asterisk_change_drains_voice_one_instance_at_a_time(repo: Repo) -> None:
    repo.edit("versions.yaml", "version: 22.10.1", "version: 22.10.2")
    repo.release("2026.11.0")
    repo.commit("refresh: asterisk 22.10.1 -> 22.10.2", "versions.yaml")
    text = notes(repo.root)
    assert selected(text) == [
        "preflight-health", "preflight-voice-config", *ALWAYS[1:4], "rollout-voice",
        "verify-health", "verify-calls", "resume-scaler", "rollback-start", "rollback-voice",
        "rollback-finish",
    ]
    voice = text.split("#### 4.1 ")[1].split("####")[0]
    assert voice.startswith("Replace Voice (Asterisk and TelPhi), draining one instance at a time")
    steps = re.findall(r"^- \[ \] (.*)$", voice, re.MULTILINE)
    assert steps[0].startswith("For each Voice instance in turn: on the TelPro VM, stop sending")
    # `d`: probing re-activates an `i` destination that answers OPTIONS.
    assert "kamcmd dispatcher.set_state d <voice-set> sip:<voice-ip>:5060" in voice
    assert "set_state i" not in voice
    # ARI originations bypass Kamailio: Asterisk itself refuses new channels; the wait is bounded.
    assert "asterisk -rx 'core stop gracefully'" in voice
    assert 'if timeout "$drain_limit" docker wait "$cid"; then echo drained;' in voice
    assert "until " not in voice
    assert "Asterisk must report 22.10.2" in voice
    assert "kamcmd dispatcher.set_state a <voice-set>" in voice
    # The rollback drains the same way, on the previous release.
    back = text.split("#### 6.2 ")[1].split("####")[0]
    assert back.startswith("Back to 2026.10.0: Replace Voice (Asterisk and TelPhi), draining")
    assert "kamcmd dispatcher.set_state d <voice-set> sip:<voice-ip>:5060" in back
    assert "asterisk -rx 'core stop gracefully'" in back
    assert "Asterisk must report 22.10.1" in back


def test_release_without_third_party_change_needs_no_operator_action(repo: Repo) -> None:
    repo.edit("README.md", "# delphi-release\n", "# delphi-release\n\nRelease notes.\n")
    repo.release("2026.11.0")
    repo.commit("docs: explain the release notes", "README.md", "versions.yaml")
    text = notes(repo.root)
    assert selected(text) == []
    assert "- **Action required:** no: nothing in a deployment changes" in text
    assert "No third-party version changed." in text
    assert ("No operator action is needed for this release: no third-party version, image or "
            "configuration\nof a Delphi service changed between `v2026.10.0` and `HEAD`.") in text
    assert "- **docs:** explain the release notes" in text


def test_a_changed_image_file_selects_its_service(repo: Repo) -> None:
    repo.write("images/squid/squid.conf", "http_port 3128\n")
    repo.release("2026.11.0")
    repo.commit("fix(squid): allow the regional ECR endpoints", "images/squid/squid.conf",
                "versions.yaml")
    text = notes(repo.root)
    assert selected(text) == [
        "preflight-health", "preflight-squid", "preflight-verify-images", "backup-config", "drain-pause-scaler",
        "rollout-squid", "verify-health", "verify-calls", "resume-scaler", "rollback-start",
        "rollback-squid", "rollback-finish",
    ]


HOSTILE = ("fix(sip)!: <img src=x onerror=alert(1)> **bold** [click](javascript:alert(1)) "
           "| a | b | ![x](https://evil.example/x.png) @everyone <!-- hidden --> `tick` (#12)")
HOSTILE_BODY = "BREAKING CHANGE: # Heading\n<script>alert(1)</script>\n\n## Not a heading"
HEADING = "# Heading in a subject"


def test_commit_text_with_markdown_and_html_is_rendered_harmlessly(repo: Repo) -> None:
    repo.release("2026.11.0")
    repo.commit(HOSTILE + "\n\n" + HOSTILE_BODY, "versions.yaml")
    repo.commit(HEADING)
    repo.commit("1. looks like a list | with a pipe")
    text = notes(repo.root, "--repo-url", REPO_URL)
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    tokens = md.parse(text)
    kinds = {t.type for t in tokens}
    # The generated-by comment at the top is the one HTML block; nothing else is HTML.
    assert [t.content for t in tokens if t.type == "html_block"] == [
        "<!-- Generated by `python -m release notes`; do not edit by hand. -->\n"
    ]
    assert "fence" not in kinds
    inline_children = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert "html_inline" not in {c.type for c in inline_children}
    assert "image" not in {c.type for c in inline_children}
    hrefs = {str(c.attrs["href"]) for c in inline_children if c.type == "link_open"}
    assert all(h.startswith(("#", f"{REPO_URL}/")) for h in hrefs), hrefs
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Delphi 2026.11.0", "Action required", "Before the rollout",
                        "Changelog", "Breaking changes", "Other changes",
                        "Third-party versions", "Images", "Operator rollout checklist"]
    texts = [t.content for t in tokens if t.type == "inline"]
    shown = [t for t in texts if "onerror" in t]
    assert len(shown) == 2  # the changelog entry and the action-required note
    rendered = ["".join(c.content for c in t.children or [] if c.type in ("text", "code_inline"))
                for t in tokens if t.type == "inline" and "onerror" in t.content]
    description = HOSTILE.removeprefix("fix(sip)!: ").removesuffix(" (#12)")
    expected = description.replace("`tick`", "`tick`").replace("@everyone", "@\u200beveryone")
    assert any(expected in r for r in rendered), rendered
    assert any("# Heading <script>alert(1)</script>" in r for r in rendered), rendered
    others = text.split("### Other changes")[1].split("##")[0]
    assert "- \\# Heading in a subject ([`" in others
    assert "- 1\\. looks like a list \\| with a pipe ([`" in others
    assert text.count("\n## ") == 5


def test_default_range_is_the_last_release_tag_before_a_tagged_head(repo: Repo) -> None:
    repo.edit("versions.yaml", "version: 22.10.1", "version: 22.10.2")
    repo.release("2026.11.0")
    repo.commit("refresh: asterisk", "versions.yaml")
    repo.tag("v2026.11.0")
    text = notes(repo.root)
    assert "- **Upgrade from:** 2026.10.0 (`v2026.10.0`)." in text
    assert "| asterisk | Voice | `22.10.1` | `22.10.2` | patch |" in text
    explicit = notes(repo.root, "--from", "v2026.10.0", "--to", "v2026.11.0")
    assert explicit == text


def test_merges_prs_and_links(repo: Repo) -> None:
    repo.branch("topos")
    repo.write("images/kamailio/kamailio.cfg", 'loadmodule "topos_redis.so"\n')
    repo.commit("wip", "images/kamailio/kamailio.cfg")
    repo.commit("more wip", author=ANA)
    merge = repo.merge("topos", "Merge pull request #57 from acme/topos",
                       "feat(kamailio): hide topology with topos_redis")
    repo.release("2026.11.0")
    squash = repo.commit("fix(api): retry stream reads (#58)", "versions.yaml")
    repo.repo.create_remote("origin", "git@github.com:acme/delphi-release.git")
    text = notes(repo.root)
    assert (f"- **kamailio:** hide topology with topos_redis ([#57]({REPO_URL}/pull/57), "
            f"[`{merge[:7]}`]({REPO_URL}/commit/{merge}))") in text
    assert (f"- **api:** retry stream reads ([#58]({REPO_URL}/pull/58), "
            f"[`{squash[:7]}`]({REPO_URL}/commit/{squash}))") in text
    assert "wip" not in text
    assert "rollout-telpro" in text  # images/kamailio changed: TelPro is replaced


def test_repository_url_precedence(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.release("2026.11.0")
    repo.commit("fix: a", "versions.yaml")
    repo.repo.create_remote("origin", "https://token@github.example/acme/delphi.git")
    assert "](https://github.example/acme/delphi/commit/" in notes(repo.root)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://ghe.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "ops/delphi-release")
    assert "](https://ghe.example/ops/delphi-release/commit/" in notes(repo.root)
    assert "](https://x.example/y/z/commit/" in notes(repo.root, "--repo-url", "https://x.example/y/z/")


def test_bill_of_materials_fills_the_images_table(repo: Repo) -> None:
    repo.release("2026.11.0")
    repo.commit("chore(release): 2026.11.0", "versions.yaml")
    digest = "sha256:" + "0a" * 32
    repo.write("releases/2026.11.0.json", json.dumps({
        "schema": 1, "release": "2026.11.0", "commit": "x", "complete": False,
        "images": [
            {"name": "squid", "registry": "1234.dkr.ecr.eu-west-1.amazonaws.com",
             "repository": "delphi/squid", "tags": ["2026.11.0"], "digest": digest,
             "status": "published"},
            {"name": "asterisk", "registry": None, "repository": "delphi/asterisk",
             "tags": [], "digest": None, "status": "failed"},
        ],
    }))
    text = notes(repo.root)
    assert ("| asterisk | `delphi/asterisk` |  | no digest: failed |\n"
            "| squid | `1234.dkr.ecr.eu-west-1.amazonaws.com/delphi/squid` | `2026.11.0` | "
            f"`{digest}` |") in text
    assert "Recorded in `releases/2026.11.0.json`." in text


def test_same_inputs_same_bytes(repo: Repo) -> None:
    repo.edit("versions.yaml", 'version: "17.11"', 'version: "18.1"')
    repo.release("2026.11.0")
    repo.commit("feat!: pg 18", "versions.yaml")
    assert notes(repo.root) == notes(repo.root)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "v9"], "error: 'v9' is not a commit, branch or tag of this repository"),
        (["--from=--upload-pack=x"], "error: '--upload-pack=x' is not a git ref"),
        (["--check"], "error: --check needs --output FILE (or --sample)"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    r = Repo(tmp_path / "untagged")
    r.write("versions.yaml", (DATA / "versions.yaml").read_text(encoding="utf-8"))
    r.commit("first", "versions.yaml")
    r.commit("second")
    shutil.copytree(REPO / "checklists", r.root / "checklists")
    assert main(["notes", "--root", str(r.root), *args]) == 2
    assert capsys.readouterr().err.splitlines()[0].startswith(message)


def untagged(root: Path) -> Repo:
    """A repository without any release tag: its next tag is the first release."""
    r = Repo(root)
    r.write("versions.yaml", (DATA / "versions.yaml").read_text(encoding="utf-8"))
    r.write("images/postgres/Dockerfile", "ARG POSTGRES_VERSION=17.11\n")
    r.commit("feat: the Delphi release pipeline", "versions.yaml", "images/postgres/Dockerfile")
    r.commit("fix(api): retry stream reads (#3)")
    shutil.copytree(REPO / "checklists", r.root / "checklists")
    return r


def test_the_first_release_covers_the_whole_history(tmp_path: Path) -> None:
    r = untagged(tmp_path / "first")
    root_commit = r.repo.git.rev_list("--max-parents=0", "HEAD")
    text = notes(r.root, "--repo-url", REPO_URL)
    assert ("- **First release:** no earlier release is tagged (`v*`), so there is nothing to "
            "upgrade from: install it as a new deployment. These notes cover the whole history "
            "up to `HEAD`, and every component is new.") in text
    assert "Upgrade from" not in text
    assert f"- the Delphi release pipeline ([`{root_commit[:7]}`]" in text
    assert "- **api:** retry stream reads ([#3]" in text
    rows = re.findall(r"^\| ([a-z-]+) \| [^|]* \| \(new\) \| `[^`]+` \| new \|", text,
                      re.MULTILINE)
    assert rows == ["debian", "node", "python", "kamailio", "rtpengine", "janus", "coturn",
                    "caddy", "asterisk", "postgresql", "redis", "pgbouncer", "signoz",
                    "signoz-otel-collector", "clickhouse", "zookeeper", "squid",
                    "actions-checkout"]
    assert "Unchanged" not in text
    assert selected(text) == []  # nothing to upgrade: no rollout checklist
    assert "This is the first release: there is no deployment of an earlier release" in text
    # The release workflow names the tag it builds: the same notes for a tagged first release.
    r.tag("v2026.10.0")
    assert notes(r.root, "--repo-url", REPO_URL, "--to", "v2026.10.0") == text.replace(
        "`HEAD`", "`v2026.10.0`")


def test_a_single_commit_repository_is_a_first_release(tmp_path: Path) -> None:
    r = Repo(tmp_path / "single")
    r.write("versions.yaml", (DATA / "versions.yaml").read_text(encoding="utf-8"))
    r.commit("chore(release): 2026.10.0", "versions.yaml")
    shutil.copytree(REPO / "checklists", r.root / "checklists")
    text = notes(r.root)
    assert "- **First release:**" in text
    assert "- **chore(release):** 2026.10.0 (`" in text


def test_a_shallow_clone_without_the_previous_tag_is_refused(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix: one")
    repo.commit("fix: two")
    clone = tmp_path / "shallow"
    git.Repo.clone_from(f"file://{repo.root}", clone, depth=1, no_tags=True)
    shutil.copytree(REPO / "checklists", clone / "checklists")
    assert main(["notes", "--root", str(clone)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("error: no release tag (v*) before HEAD in this shallow clone; the "
                      "previous release may be in the history it lacks")
    assert "fetch-depth: 0" in err[1]


def test_a_github_action_refresh_needs_no_operator_action(repo: Repo) -> None:
    repo.edit("versions.yaml", "    version: 6.0.1\n", "    version: 7.0.0\n")
    repo.write(".github/workflows/ci.yml", "jobs: {}\n")
    repo.release("2026.11.0")
    repo.commit("refresh: actions-checkout 6.0.1 -> 7.0.0", "versions.yaml",
                ".github/workflows/ci.yml", author=BOT)
    text = notes(repo.root)
    assert selected(text) == []
    assert "- **Action required:** no: nothing in a deployment changes" in text
    assert "- **Risk:** none: nothing in a deployment changes" in text
    assert "## Action required" not in text
    assert "No third-party version a deployment runs changed; only CI tooling did (below)." in text
    assert ("| actions-checkout | `actions/checkout` | `6.0.1` | `7.0.0` | major | "
            "[7.0.0](https://github.com/actions/checkout/releases/tag/v7.0.0) |") in text


def test_an_invalid_checklist_is_reported_with_file_and_line(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.release("2026.11.0")
    repo.commit("fix: something", "versions.yaml")
    repo.write("checklists/95-extra.yaml", (
        "items:\n"
        "  - id: extra\n"
        "    phase: afterwards\n"
        "    title: Extra\n"
        "    services: [voice, sms]\n"
        "    when: {components: [postgres]}\n"
        "    steps: [{do: x}]\n"
    ))
    assert main(["notes", "--root", str(repo.root)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: the checklist has 3 problems; nothing was rendered"
    assert err[1].startswith("  checklists/95-extra.yaml:3: items.extra.phase: unknown phase "
                             "'afterwards'; valid: pre-flight, backup, drain,")
    assert err[2].startswith("  checklists/95-extra.yaml:5: items.extra.services: unknown "
                             "service 'sms'")
    assert err[3].startswith("  checklists/95-extra.yaml:6: items.extra.when.components: "
                             "unknown component 'postgres' (did you mean 'postgresql'?)")


# -- the golden release note ---------------------------------------------------------------------


def build_release(r: Repo) -> None:
    """Release 2026.11.0 as a release engineer would make it: PRs, a refresh, a bot, a revert."""
    r.commit("docs: describe the rollout conventions (#60)")
    r.branch("topos")
    r.write("images/kamailio/kamailio.cfg", 'loadmodule "topos_redis.so"\n')
    r.commit("wip: topos", "images/kamailio/kamailio.cfg")
    r.commit("topos: tests")
    r.merge("topos", "Merge pull request #61 from acme/topos",
            "feat(kamailio): hide the topology of Voice behind topos_redis")
    risky = r.commit("feat(squid): log to syslog (#62)")
    r.commit(f'Revert "feat(squid): log to syslog (#62)"\n\nThis reverts commit {risky}.')
    r.write("images/redis/docker-entrypoint.sh", '#!/bin/sh\nexec "$@"\n')
    r.commit("feat(redis)!: refuse to start without a password (#63)\n\n"
             "BREAKING CHANGE: set REDIS_PASSWORD or REDIS_PASSWORD_FILE in the Database VM's "
             ".env before the rollout; the Redis image exits at start without one.",
             "images/redis/docker-entrypoint.sh")
    r.commit("security(caddy): drop the Server header (#64)")
    r.edit("versions.yaml", 'version: "17.11"', 'version: "18.1"')
    r.edit("versions.yaml", "version: 22.10.1", "version: 22.10.2")
    r.edit("versions.yaml", '      specifier: ">=7.4,<7.5"\n',
           '      specifier: ">=7.4,<7.5"\n'
           "    hold: {reason: 7.4.11 breaks the Kamailio ndb_redis reconnect, "
           "until: 2026-12-31}\n")
    r.commit("refresh: update 2 components\n\n- postgresql 17.11 -> 18.1 (major)\n"
             "- asterisk 22.10.1 -> 22.10.2 (patch)", "versions.yaml", author=BOT)
    r.commit("fix(voice): drain Voice before replacing it (#65)")
    r.release("2026.11.0")
    r.commit("chore(release): 2026.11.0", "versions.yaml")
    r.tag("v2026.11.0")
    r.write("releases/2026.11.0.json", json.dumps({
        "schema": 1, "release": "2026.11.0", "commit": "0" * 40, "complete": True,
        "images": [
            {"name": name, "registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
             "repository": f"delphi/{name}", "tags": ["2026.11.0", f"in-{n:012x}"],
             "digest": f"sha256:{n:064x}", "status": "published"}
            for n, name in enumerate(["postgres", "asterisk", "kamailio", "redis"], start=1)
        ],
    }, indent=2))


def test_golden_release_note(repo: Repo) -> None:
    """One full release note, byte for byte. Set DELPHI_UPDATE_GOLDEN=1 to rewrite it, then
    read it as an operator would before committing it."""
    build_release(repo)
    text = notes(repo.root, "--repo-url", REPO_URL)
    if os.environ.get("DELPHI_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_a_release_version_that_did_not_move_is_refused(
    repo: Repo, capsys: pytest.CaptureFixture[str],
) -> None:
    # What a real flow rendered: "Delphi 2026.10.0 — Upgrade from: 2026.10.0".
    repo.edit("versions.yaml", "version: 24.19.0", "version: 24.20.0")
    repo.commit("refresh: node 24.19.0 -> 24.20.0", "versions.yaml", author=BOT)
    assert main(["notes", "--root", str(repo.root)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: versions.yaml at HEAD says release 2026.10.0, the release of v2026.10.0 too: the "
        "notes would tell operators to upgrade from 2026.10.0 to 2026.10.0",
        "hint: move the release version (`nox -s version -- --set next`, then commit), or pass "
        "--version",
    ]
    assert main(["notes", "--root", str(repo.root), "--version", "2026.10.0"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: --version says release 2026.10.0, the release of v2026.10.0 too: the notes would "
        "tell operators to upgrade from 2026.10.0 to 2026.10.0")
    assert "# Delphi 2026.11.0" in notes(repo.root, "--version", "2026.11.0")


def test_version_proposes_moves_and_refuses(
    repo: Repo, capsys: pytest.CaptureFixture[str],
) -> None:
    root = str(repo.root)
    assert main(["version", "--root", root, "--today", "2026-11-03"]) == 0
    out, err = capsys.readouterr()
    assert out == "2026.11.0\n"
    assert err == ("version: release 2026.10.0 was released (v2026.10.0 is the newest tag): the "
                   "next release is 2026.11.0; move it with `nox -s version -- --set next`\n")
    before = (repo.root / "versions.yaml").read_text()
    assert main(["version", "--root", root, "--set", "next", "--dry-run",
                 "--today", "2026-11-03"]) == 0
    out, err = capsys.readouterr()
    assert [line for line in out.splitlines() if line.startswith(("-", "+"))] == [
        "--- a/versions.yaml", "+++ b/versions.yaml", "-release: 2026.10.0", "+release: 2026.11.0"]
    assert (repo.root / "versions.yaml").read_text() == before
    for bad, message in [
        ("2026.10.0", "error: --set 2026.10.0: not after the newest release tag v2026.10.0 (the "
                      "next is 2026.11.0)"),
        ("2026.13.0", "error: --set: '2026.13.0' is not a release version (YYYY.MM.N, such as "
                      "2026.12.0)"),
        ("v2026.11.0", "error: --set: 'v2026.11.0' is not a release version (YYYY.MM.N, such as "
                       "2026.12.0)"),
    ]:
        assert main(["version", "--root", root, "--set", bad, "--today", "2026-11-03"]) == 2
        assert capsys.readouterr().err.splitlines()[0] == message
    assert (repo.root / "versions.yaml").read_text() == before
    assert main(["version", "--root", root, "--set", "next", "--today", "2026-11-03"]) == 0
    out, err = capsys.readouterr()
    assert out == "2026.11.0\n"
    assert err == ("version: release 2026.10.0 -> 2026.11.0 in versions.yaml; once merged, tag "
                   "the release commit v2026.11.0\n")
    assert (repo.root / "versions.yaml").read_text() == before.replace(
        "release: 2026.10.0", "release: 2026.11.0")
    # Moved but not tagged yet: `next` is where it stands, nothing moves again.
    assert main(["version", "--root", root, "--set", "next", "--today", "2026-11-20"]) == 0
    out, err = capsys.readouterr()
    assert out == "2026.11.0\n"
    assert err == ("version: release 2026.11.0 is not tagged yet (newest tag v2026.10.0): tag "
                   "v2026.11.0 when it ships; nothing was changed\n")
    # A second release in the same month counts up.
    repo.commit("chore(release): 2026.11.0", "versions.yaml")
    repo.tag("v2026.11.0")
    assert main(["version", "--root", root, "--today", "2026-11-20"]) == 0
    assert capsys.readouterr().out == "2026.11.1\n"

"""Executable conventions of the operator checklist, over every item of `checklists/*.yaml`.

An operator follows the checklist word for word, so its commands must be safe as written:

- every `docker compose stop`/`down`/`restart` and `docker stop` names a timeout (Compose's
  default of 10 s can kill PostgreSQL in its shutdown checkpoint);
- every throw-away container is removed with its volumes: `docker run --rm` (removes the
  anonymous volumes too, moby/moby#34774), `docker compose run --rm` (since Compose 2.3.4,
  docker/compose#9319), `docker rm -v`, and a detached `docker run` binds a host folder at each
  `VOLUME` the image declares (a database copy in an anonymous volume would fill
  `/var/lib/docker`, and outlive a shell that dies before the container stops);
- every wait loop has an upper bound (`$SECONDS` against a deadline, or `timeout`);
- the rollout and the rollback need no internet access from a private VM: no pulls or clones,
  `--pull never` on every `up`/`run`/`create`, AWS calls only from the workstation (or through
  the proxy in the egress check itself);
- the PostgreSQL superuser is never hard-coded; `pg_isready` names a host;
- a rollout item that drains rolls back with a drain too;
- Kamailio's drain uses the administrative state `d`, never `i`.

Each rule also has a test on the command that once broke it, so the rule is known to catch it.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from release.manifest.load import load_manifest
from release.notes.checklist import ROLLOUT_PHASES, SAME_STEPS, Checklist, Item, Phase
from release.notes.checklist_load import load_checklist, parse_checklists

REPO = Path(__file__).resolve().parents[3]
SEPARATORS = re.compile(r"&&|\|\||;|\||\$\(|`|\bthen\b|\bdo\b|\belse\b")
TIMEOUT = re.compile(r"(?:^|\s)(?:-t|--timeout)[ =]?\d+")
FETCHES = re.compile(r"\bgit clone\b|\bdocker (?:compose )?pull\b|\bapt-get\b|\bpip install\b|"
                     r"\bcurl\b|\bwget\b")
PG_CLIENTS = ("psql", "pg_dump", "pg_dumpall", "pg_restore", "createdb", "vacuumdb")
DRAINS = ("dispatcher.set_state d", "core stop gracefully", "deregister-targets")


def the_checklist() -> Checklist:
    manifest = load_manifest(REPO / "versions.yaml").manifest
    return load_checklist(
        REPO / "checklists", components=manifest.names(),
        images=[p.name for p in (REPO / "images").iterdir() if p.is_dir()],
    )


def image_volumes() -> dict[str, list[str]]:
    """The `VOLUME` paths each image of images/*/Dockerfile declares, by image folder."""
    volumes: dict[str, list[str]] = {}
    for dockerfile in sorted(REPO.glob("images/*/Dockerfile")):
        for match in re.finditer(r"^VOLUME\s+\[([^\]]*)\]", dockerfile.read_text(),
                                 re.MULTILINE):
            paths = [p.strip().strip('"') for p in match.group(1).split(",")]
            volumes.setdefault(dockerfile.parent.name, []).extend(paths)
    return volumes


def segments(run: str) -> list[str]:
    """The simple commands of a block, roughly: lines split at operators and keywords."""
    parts: list[str] = []
    for line in run.split("\n"):
        code = line.split(" # ", 1)[0]
        parts.extend(p.strip() for p in SEPARATORS.split(code) if p.strip())
    return parts


def violations(item: Item, volumes: dict[str, list[str]] | None = None) -> list[str]:
    """What in `item`'s commands breaks a convention, one message per problem."""
    volumes = image_volumes() if volumes is None else volumes
    found: list[str] = []
    rollout_or_back = item.phase in ROLLOUT_PHASES or item.phase is Phase.ROLLBACK
    for index, step in enumerate(item.steps):
        if step.run is None:
            continue
        where = f"{item.id} step {index + 1}"
        proxied = "HTTPS_PROXY=" in step.run
        for line in step.run.split("\n"):
            loop = re.match(r"\s*(?:until|while)\b(.*?)(?:; do\b|$)", line)
            if loop and not re.match(r"\s*while (?:IFS=\S* )?read\b", line) and (
                    "SECONDS" not in loop.group(1)):
                found.append(f"{where}: wait loop without an upper bound: {line.strip()}")
        for command in segments(step.run):
            if re.match(r"docker compose (?:stop|down|restart)\b|docker stop\b", command) and (
                    not TIMEOUT.search(command)):
                found.append(f"{where}: no timeout: {command}")
            if re.match(r"docker run\b", command) and "--rm" not in command:
                found.append(f"{where}: docker run without --rm: {command}")
            if re.match(r"docker compose run\b", command) and "--rm" not in command:
                found.append(f"{where}: docker compose run without --rm: {command}")
            if re.match(r"docker rm\b", command) and not re.search(r"\s-\w*v", command):
                found.append(f"{where}: docker rm without -v (anonymous volumes stay): {command}")
            detached = re.match(r"docker run\b.*\s-d\b", command)
            image = re.search(r"docker compose images -q ([a-z-]+)", step.run)
            if detached and image:
                found.extend(
                    f"{where}: detached container leaves an anonymous volume at {path}: "
                    f"{command}"
                    for path in volumes.get(image.group(1), [])
                    if not re.search(rf"-v \S+:{re.escape(path)}(?:\s|:)", command)
                )
            if re.search(r"(?<!\S)docker wait\b", command) and "timeout " not in command:
                found.append(f"{where}: docker wait without timeout: {command}")
            if "pg_isready" in command and not re.search(r"\s-h\b", command):
                found.append(f"{where}: pg_isready without -h: {command}")
            if re.search(r"--username=postgres\b|\s-U postgres\b", command):
                found.append(f"{where}: hard-coded superuser: {command}")
            client = re.match(r"docker compose exec (.*?)\bpostgres (\S+)", command)
            if client and client.group(2) in PG_CLIENTS and "PGUSER" not in client.group(1):
                found.append(f"{where}: {client.group(2)} without PGUSER: {command}")
            if "dispatcher.set_state i " in command:
                found.append(f"{where}: dispatcher state i (probing re-activates it): {command}")
            if not rollout_or_back:
                continue
            if FETCHES.search(command) and not proxied:
                found.append(f"{where}: needs internet access: {command}")
            if re.match(r"docker compose (?:up|run|create)\b", command) and (
                    "--pull never" not in command):
                found.append(f"{where}: may pull (needs --pull never): {command}")
            if re.match(r"aws\b", command) and not proxied and "workstation" not in step.text:
                found.append(f"{where}: AWS call not said to run on the workstation: {command}")
    return found


def test_every_item_of_the_checklist_follows_the_conventions() -> None:
    checklist = the_checklist()
    assert [v for item in checklist.items for v in violations(item)] == []


def test_every_rollout_item_that_drains_rolls_back_with_a_drain() -> None:
    checklist = the_checklist()
    by_id = {item.id: item for item in checklist.items}
    draining = []
    for item in checklist.items:
        runs = "\n".join(s.run or "" for s in item.steps)
        drains = [d for d in DRAINS if d in runs]
        if item.phase not in ROLLOUT_PHASES or not drains:
            continue
        draining.append(item.id)
        if item.rollback == SAME_STEPS:
            continue
        assert item.rollback is not None
        back = "\n".join(s.run or "" for s in by_id[item.rollback].steps)
        assert [d for d in drains if d not in back] == [], item.id
    assert draining == ["rollout-api", "rollout-voice"]


def test_a_bounded_wait_passes_and_docker_wait_needs_timeout() -> None:
    bounded = ('deadline=$((SECONDS + 300))\n'
               'until pg_isready -h 127.0.0.1 || [ "$SECONDS" -ge "$deadline" ]; do sleep 2; done\n'
               'if timeout 60 docker wait "$cid"; then echo drained; fi\n')
    assert violations(item_of(bounded, phase="backup"), image_volumes()) == []
    assert violations(item_of('docker wait "$cid"', phase="rollout-app"), image_volumes()) == [
        'x-item step 1: docker wait without timeout: docker wait "$cid"',
    ]


def test_the_volume_paths_come_from_the_dockerfiles() -> None:
    assert image_volumes()["postgres"] == ["/var/lib/postgresql/data"]


# -- each rule catches the command that once broke it ---------------------------------------------


def item_of(run: str, *, phase: str = "rollout-stateful", text: str = "On the Database VM.") -> Item:
    rollback = "    rollback: same-steps\n" if phase.startswith("rollout-") else ""
    source = textwrap.dedent("""\
        items:
          - id: x-item
            phase: {phase}
            title: X
            services: [database]
            when: {{always: true}}
        {rollback}    steps:
              - do: {text}
                run: |
        """).format(phase=phase, rollback=rollback, text=text)
    source += textwrap.indent(run.strip("\n") + "\n", " " * 10)
    checklist = parse_checklists([("checklists/x.yaml", source)], components=(), images=())
    return checklist.items[0]


@pytest.mark.parametrize(
    ("run", "phase", "expected"),
    [
        ("docker compose stop postgres", "rollout-stateful",
         "x-item step 1: no timeout: docker compose stop postgres"),
        ("docker compose stop pgbouncer postgres", "rollback",
         "x-item step 1: no timeout: docker compose stop pgbouncer postgres"),
        ("docker rm pg-old-bin", "rollout-stateful",
         "x-item step 1: docker rm without -v (anonymous volumes stay): docker rm pg-old-bin"),
        ('docker run -d --name pg-restore-check -e POSTGRES_PASSWORD=x -v "$backup":/backup:ro '
         '"$(docker compose images -q postgres)"', "backup",
         'x-item step 1: docker run without --rm: docker run -d --name pg-restore-check -e '
         'POSTGRES_PASSWORD=x -v "$backup":/backup:ro "'),
        ("until docker exec pg-restore-check pg_isready -h 127.0.0.1 -q; do sleep 2; done",
         "backup",
         "x-item step 1: wait loop without an upper bound: until docker exec pg-restore-check "
         "pg_isready -h 127.0.0.1 -q; do sleep 2; done"),
        ("docker exec pg-restore-check pg_isready -q", "backup",
         "x-item step 1: pg_isready without -h: docker exec pg-restore-check pg_isready -q"),
        ("until docker compose exec -T asterisk asterisk -rx 'core show calls' | grep -q '^0 "
         "active call'; do sleep 15; done", "rollout-app",
         "x-item step 1: wait loop without an upper bound: until docker compose exec -T asterisk "
         "asterisk -rx 'core show calls' | grep -q '^0 active call'; do sleep 15; done"),
        ("kamcmd dispatcher.set_state i <voice-set> sip:<voice-ip>:5060", "rollout-app",
         "x-item step 1: dispatcher state i (probing re-activates it): kamcmd "
         "dispatcher.set_state i <voice-set> sip:<voice-ip>:5060"),
        ("git clone --depth 1 <delphi-release-repository-url> /tmp/delphi", "rollout-stateful",
         "x-item step 1: needs internet access: git clone --depth 1 "
         "<delphi-release-repository-url> /tmp/delphi"),
        ("docker compose pull", "rollout-stateful",
         "x-item step 1: needs internet access: docker compose pull"),
        ("docker compose up -d --wait", "rollback",
         "x-item step 1: may pull (needs --pull never): docker compose up -d --wait"),
        ('$PG --entrypoint initdb "$NEW_IMAGE" --username=postgres', "rollout-stateful",
         'x-item step 1: hard-coded superuser: $PG --entrypoint initdb "$NEW_IMAGE" '
         "--username=postgres"),
        ("docker compose exec -T postgres psql -At -c 'SHOW server_version'", "rollout-stateful",
         "x-item step 1: psql without PGUSER: docker compose exec -T postgres psql -At -c 'SHOW "
         "server_version'"),
        ("aws elbv2 deregister-targets --target-group-arn <arn> --targets Id=<id>", "rollout-app",
         "x-item step 1: AWS call not said to run on the workstation: aws elbv2 "
         "deregister-targets --target-group-arn <arn> --targets Id=<id>"),
    ],
)
def test_each_rule_catches_what_once_broke_it(run: str, phase: str, expected: str) -> None:
    assert violations(item_of(run, phase=phase), image_volumes())[:1] == [expected]


def test_a_detached_server_must_bind_the_volumes_of_its_image() -> None:
    run = ('docker run -d --rm --name c -v "$b":/backup:ro '
           '"$(docker compose images -q postgres)"')
    assert violations(item_of(run, phase="backup"), image_volumes()) == [
        "x-item step 1: detached container leaves an anonymous volume at "
        '/var/lib/postgresql/data: docker run -d --rm --name c -v "$b":/backup:ro "',
    ]
    bound = run.replace("--name c", '--name c -v "$s":/var/lib/postgresql/data')
    assert violations(item_of(bound, phase="backup"), image_volumes()) == []


def test_the_egress_check_may_use_the_proxy_and_the_workstation_may_call_aws() -> None:
    egress = "export HTTPS_PROXY=http://<squid-ip>:3128\ncurl -sS https://example.org\n"
    assert violations(item_of(egress, phase="rollout-egress"), image_volumes()) == []
    aws = "aws ec2 create-snapshot --volume-id <id>"
    assert violations(item_of(aws, phase="rollout-stateful", text="On your workstation."),
                      image_volumes()) == []

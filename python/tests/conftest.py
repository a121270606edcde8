"""Shared fixtures: the repository's folders and the command-line tool built by `cargo test`
(or `EXECSIM_BIN`), for the round trips against the CLI."""

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def execsim_bin() -> str:
    """The execsim binary: `EXECSIM_BIN`, else the one cargo built in target/, else PATH."""
    env = os.environ.get("EXECSIM_BIN")
    candidates = [env] if env else []
    candidates += [str(ROOT / "target" / p / "execsim") for p in ("release", "debug")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    found = shutil.which("execsim")
    if found is None:
        pytest.fail("no execsim binary: run `cargo build --release` or set EXECSIM_BIN")
    return found

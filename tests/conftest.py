"""Shared fixtures.

Real public files written by others live in ../shared/data/real and, a
second set covering what real publishers do, ../shared/data/real2 (see each
folder's SOURCES.md). Tests read them in place and never copy them into the project.
A user's own clone may not have that folder: then those tests skip and say
why. CI always has it.

Tests speak English unless they choose a language (``--lang``,
``set_language``, ``speaking``): zh-CN, the product's default, is what
tests/unit/test_language_leaks.py and the help tests check.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suite starts hundreds of Python processes (spaces, nodes, clients,
# notebook kernels). Under PYTHONDONTWRITEBYTECODE, which container images
# often set, each one compiles every module of the project again, and pytest
# rewrites every test module again in each worker; bytecode written once
# (into __pycache__/, ignored by git) serves them all.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker more than the cores this process may use.

    A service test spends much of its time waiting for its processes (a
    space or node starting again, a lease running out, a peer's patience),
    and with a worker per core the cores stayed idle through those waits
    (2026-12-04, two cores, quiet machine: 535 s, 1.6 cores busy). A third
    worker fills them: 416 s, 1.8 cores busy; a fourth gained nothing more
    (417 s). PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


ROOT = Path(__file__).resolve().parent.parent
REAL_DATA = Path(os.environ.get("TSPACE_REAL_DATA", ROOT.parent / "shared" / "data" / "real"))
# The second set (issue 23), read the same way: ../shared/data/real2, see its SOURCES.md.
REAL2_DATA = Path(os.environ.get("TSPACE_REAL2_DATA", ROOT.parent / "shared" / "data" / "real2"))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    from trusted_space.core import i18n

    before = i18n._language
    i18n._language = "en"
    yield
    i18n._language = before


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real fixtures not found at {REAL_DATA} (a clone without ../shared)")
    return REAL_DATA


@pytest.fixture(scope="session")
def real2_files() -> Path:
    """../shared/data/real2 (issue 23's second set of real files)."""
    if not REAL2_DATA.is_dir():
        pytest.skip(f"real fixtures (second set) not found at {REAL2_DATA} (no ../shared)")
    return REAL2_DATA


@pytest.fixture(scope="session", params=["default", "gm"])
def suite(request: pytest.FixtureRequest) -> str:
    """The crypto suite a story runs under: every end-to-end story that asks
    for it runs once under each (docs/crypto-suites.md)."""
    return str(request.param)

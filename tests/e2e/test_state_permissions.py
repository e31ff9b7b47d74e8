"""Every state folder of a space and its nodes is its owner's only (issue 22, item 14).

A provider's DuckDB file holds its rows, the space's SQLite file its ledger
and sealed boxes, the key folders secret keys: after a whole underwriting
job (space, hospital, CDC and insurer each in its folder) every folder under
them is 0700 and every file 0600, the databases' side files included.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.stories import AS_OF, underwrite_synth
from trusted_space.synth import generate_health


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    generate_health(300, 2, data, applicants=10, end_date=AS_OF)
    work = tmp_path_factory.mktemp("work")
    underwrite_synth(data, work)
    return work


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
        for p in [root, *root.rglob("*")]
        if not p.is_symlink()
    }


@pytest.mark.parametrize("party", ["space", "nodes/hospital", "nodes/cdc", "nodes/insurer"])
def test_every_state_folder_is_0700_and_every_file_0600(workdir: Path, party: str) -> None:
    root = workdir / party
    modes = _modes(root)
    assert any(name.endswith((".sqlite", ".duckdb")) for name in modes) or party.endswith("insurer")
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (root / name).is_dir() else 0o600)
    }
    assert not wrong, wrong


def test_the_databases_are_there_and_private(workdir: Path) -> None:
    for path in (
        workdir / "space" / "space.sqlite",
        workdir / "nodes" / "hospital" / "node.duckdb",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

"""The underwriting and cohort stories on the national suite (SM3, SM2, SM4).

First step of running every end-to-end story under both suites: here the
underwriting job equals its plaintext reference, the cohort job equals a
plain join, and the ledger — SM3-chained, SM2-signed — verifies.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.stories import (
    AS_OF,
    cohort_reference,
    cohort_synth,
    underwrite_synth,
    underwriting_reference,
)
from trusted_space.demo import compare
from trusted_space.synth import generate_health

TSPACE = str(Path(sys.executable).parent / "tspace")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    generate_health(2500, 17, out, applicants=40, end_date=AS_OF)
    return out


def test_underwriting_under_gm_equals_the_reference_and_the_ledger_verifies(
    data: Path, tmp_path: Path
) -> None:
    run = underwrite_synth(data, tmp_path / "w", suite="gm")
    assert compare(run.rows, underwriting_reference(data)) == []
    result = subprocess.run(
        [TSPACE, "--lang", "en", "ledger", "verify", "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "(gm suite)" in result.stdout
    with pytest.raises(Exception, match="gm"):  # the space keeps the suite it was created with
        underwrite_synth(data, tmp_path / "w", suite="default")


def test_cohort_under_gm_equals_a_plain_join(data: Path, tmp_path: Path) -> None:
    run, query = cohort_synth(data, tmp_path / "w", suite="gm")
    expected = cohort_reference(data, query)
    assert [{k: v for k, v in r.items() if k != "status"} for r in run.rows] == expected
    assert sum(r["count"] for r in expected) > 0


def test_keys_show_says_which_sm2_implementation_the_suite_uses(tmp_path: Path) -> None:
    """The one rule (trusted_space/crypto/sm2.py): Tongsuo wherever tongsuopy
    installs, as in this environment, and the suite says so."""
    from typer.testing import CliRunner

    from trusted_space.cli import app

    runner = CliRunner()
    default = runner.invoke(app, ["--lang", "en", "keys", "show", "--workdir", str(tmp_path / "d")])
    assert default.exit_code == 0, default.output
    assert "Crypto suite: default (OpenSSL and libsodium)" in default.output
    args = ["keys", "show", "--workdir", str(tmp_path / "n"), "--suite", "gm"]
    gm = runner.invoke(app, ["--lang", "en", *args])
    assert gm.exit_code == 0, gm.output
    assert "Crypto suite: gm (SM2 by Tongsuo's C code, constant-time" in gm.output
    zh = runner.invoke(app, ["--lang", "zh-CN", *args])
    assert "密码算法套件：gm（SM2 由铜锁（Tongsuo）C 代码计算" in zh.output

"""`tspace lend --default-scheme CENTRE=SCHEME`: a centre whose publisher
writes ids without a scheme (Taiwan's) can serve a bank through the one-shot
command, as `tspace load --mapping` lets it through a node (issue 23, item 2)."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_tspace
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV


def lend(tmp_path: Path, tenders: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``tspace lend`` in this process (tests/cli_runner.py) on the named test
    keys: the declaration is the subject here; the command's process and
    production keys are tests/e2e/test_cli.py's."""
    companies = tmp_path / "companies.csv"
    companies.write_text("company_ref,company_id\nr1,TW-UBN:05071926\n", encoding="utf-8")
    return run_tspace(
        "lend", "--tenders", str(tenders), "--applicants", str(companies),
        "--as-of", "2026-10-31", "--out", str(tmp_path / "f.csv"),
        "--workdir", str(tmp_path / "w"), *extra,
        env={TEST_ONLY_KEYS_ENV: "1"},
    )  # fmt: skip


@pytest.fixture()
def taiwan(real2_files: Path) -> Path:
    return real2_files / "ocds" / "taiwan" / "releases"


def test_without_the_declaration_the_centre_has_no_usable_data(
    tmp_path: Path, taiwan: Path
) -> None:
    result = lend(tmp_path, taiwan)
    assert result.returncode == 2
    assert "no usable data" in result.stderr and "default_scheme" in result.stderr
    assert not (tmp_path / "f.csv").exists()


def test_a_declared_default_scheme_makes_its_companies_requestable(
    tmp_path: Path, taiwan: Path
) -> None:
    result = lend(tmp_path, taiwan, "--default-scheme", "releases=tw-ubn")
    assert result.returncode == 0, result.stderr
    with (tmp_path / "f.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["company_ref"], r["status"]) for r in rows] == [("r1", "found")]
    kept = tmp_path / "w" / "nodes" / "releases" / "ocds_publisher.yaml"
    assert "tw-ubn" in kept.read_text(encoding="utf-8")  # kept as the centre declared it


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("TW-UBN", "expected CENTRE=SCHEME"),
        ("taipei=TW-UBN", "names no centre of this run: taipei; the centres are: releases"),
        ("releases=a:b", "default_scheme"),
    ],
)
def test_a_bad_declaration_is_one_line_and_writes_nothing(
    tmp_path: Path, taiwan: Path, value: str, message: str
) -> None:
    result = lend(tmp_path, taiwan, "--default-scheme", value)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "f.csv").exists()

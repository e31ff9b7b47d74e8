"""The synthetic claims file (trusted_space/synth/claims.py): the same seed
writes the same bytes, the mix is the one promised, and every claim reads as
the claims reader expects (only the invalid ids are invalid)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from products.claims.batch import read_claims
from trusted_space.synth import generate_claims, generate_health
from trusted_space.synth.claims import MIX


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("visits")
    generate_health(1500, 4, out, applicants=10, end_date=dt.date(2026, 10, 31))
    return out / "hospital_visits.csv"


def test_same_seed_same_bytes(visits: Path, tmp_path: Path) -> None:
    a = generate_claims(visits, tmp_path / "a.csv", 300, 9)
    b = generate_claims(visits, tmp_path / "b.csv", 300, 9)
    c = generate_claims(visits, tmp_path / "c.csv", 300, 10)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()


def test_the_mix_is_the_promised_one_and_reads_cleanly(visits: Path, tmp_path: Path) -> None:
    made = generate_claims(visits, tmp_path / "claims.csv", 400, 3)
    assert made.rows == 400 and sum(made.mix.values()) == 400
    for kind, share in MIX:
        assert made.mix[kind] >= round(400 * share), kind
    claims = read_claims(made.path)
    assert [c.ref for c in claims] == [f"CLM{i:06d}" for i in range(1, 401)]
    invalid = [c for c in claims if not c.valid]
    assert len(invalid) == made.mix["invalid_id"]
    assert {c.column for c in invalid} == {"person_id"}
    text = made.path.read_text(encoding="utf-8")
    assert any(line.split(",")[1].endswith("x") for line in text.splitlines()[1:])
    newest = max(c.visit_date for c in claims if c.visit_date is not None)
    recent = [c for c in claims if c.visit_date and c.visit_date >= newest - dt.timedelta(400)]
    assert len(recent) >= 400 - made.mix["no_such_visit"] - made.mix["invalid_id"]


def test_an_empty_visits_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "v.csv"
    empty.write_text(
        "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="no visit"):
        generate_claims(empty, tmp_path / "c.csv", 10, 1)

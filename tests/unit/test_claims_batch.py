"""The insurer's claims file (products/claims/batch.py): every bad field is
kept as an invalid claim naming its row and field, every bad file is one
error naming file, row and field; ids, types and codes are normalised as the
hospital's rows are, and amounts become fen exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.identifiers import resident_id_check_char
from products.claims.batch import read_claims
from trusted_space.core.errors import InputError

BODY_X = "11010119900307002"  # its check character is X
assert resident_id_check_char(BODY_X) == "X"
PERSON_X = BODY_X + "X"
BODY = "11010119850101002"
PERSON = BODY + resident_id_check_char(BODY)
HEADER = "claim_ref,person_id,hospital_id,visit_date,visit_type,claimed_amount,icd10\n"


def write(tmp_path: Path, text: str, header: str = HEADER) -> Path:
    path = tmp_path / "claims.csv"
    path.write_text(header + text, encoding="utf-8")
    return path


def test_a_good_claim_is_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'C1, {BODY_X.lower()}x ,H1,2026-03-02,Inpatient,"15,000.50",e119\n'
        f"C2,{PERSON},H1,2026-03-02,,0.01,\n",
    )
    first, second = read_claims(path)
    assert first.valid and first.person_id == PERSON_X  # lower-case x, spaces dropped
    assert first.visit_date == dt.date(2026, 3, 2)
    assert first.visit_type == "inpatient"
    assert first.claimed_fen == 1_500_050
    assert first.icd10 == "E11.9" and first.icd10_category == "E11"
    assert first.arguments() == {
        "hospital_id": "H1",
        "visit_date": "2026-03-02",
        "visit_type": "inpatient",
        "claimed_fen": 1_500_050,
        "icd10_category": "E11",
    }
    assert second.claimed_fen == 1 and second.visit_type is None and second.icd10 is None


def test_amounts_are_fen_exactly_even_where_binary_floats_are_not(tmp_path: Path) -> None:
    # 0.29 * 100 is 28.999999999999996 in binary floating point.
    rows = "".join(
        f"C{i},{PERSON},H1,2026-03-02,,{amount},\n"
        for i, amount in enumerate(["0.29", "1.10", "9999999999999999.99", "1.1", "7"])
    )
    fen = [c.claimed_fen for c in read_claims(write(tmp_path, rows))]
    assert fen == [29, 110, 999_999_999_999_999_999, 110, 700]


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (f"C1,{BODY}0,H1,2026-03-02,,10,", "person_id", "check character"),
        ("C1,12345,H1,2026-03-02,,10,", "person_id", "wrong length"),
        ("C1,,H1,2026-03-02,,10,", "person_id", "missing value"),
        (f"C1,{PERSON},,2026-03-02,,10,", "hospital_id", "missing value"),
        (f"C1,{PERSON},H1,2026-02-30,,10,", "visit_date", "impossible date"),
        (f"C1,{PERSON},H1,02/03/2026,,10,", "visit_date", "not an ISO date"),
        (f"C1,{PERSON},H1,1899-12-31,,10,", "visit_date", "outside"),
        (f"C1,{PERSON},H1,2026-03-02,daycare,10,", "visit_type", "must be one of"),
        (f"C1,{PERSON},H1,2026-03-02,,10.001,", "claimed_amount", "at most 2 decimal"),
        (f"C1,{PERSON},H1,2026-03-02,,-10,", "claimed_amount", "at most 2 decimal"),
        (f"C1,{PERSON},H1,2026-03-02,,0.00,", "claimed_amount", "more than 0"),
        (f"C1,{PERSON},H1,2026-03-02,,,", "claimed_amount", "missing value"),
        (f"C1,{PERSON},H1,2026-03-02,,10,diabetes", "icd10", "not an ICD-10 code"),
    ],
)
def test_a_bad_field_makes_an_invalid_claim_naming_row_and_field(
    tmp_path: Path, line: str, field: str, reason: str
) -> None:
    path = write(tmp_path, f"C0,{PERSON},H1,2026-03-02,,10,\n{line}\n")
    good, bad = read_claims(path)
    assert good.valid and not bad.valid
    assert bad.detail is not None
    assert (bad.detail.row, bad.detail.column) == (2, field)
    assert reason in str(bad.detail.reason)
    assert str(bad.detail).startswith(f"row 2 (line 3), {field}: ")
    with pytest.raises(ValueError, match="never sent"):
        bad.arguments()


def test_visit_type_and_icd10_columns_may_be_left_out(tmp_path: Path) -> None:
    header = "claim_ref,person_id,hospital_id,visit_date,claimed_amount\n"
    (claim,) = read_claims(write(tmp_path, f"C1,{PERSON},H1,2026-03-02,10\n", header))
    assert claim.valid and claim.visit_type is None and claim.icd10 is None


@pytest.mark.parametrize(
    ("text", "header", "where"),
    [
        (f"C1,{PERSON},H1,2026-03-02,10\n", "claim_ref,person_id,hospital_id,visit_date\n", None),
        (f"C1,{PERSON},H1,2026-03-02,,10,\nC1,{PERSON},H1,2026-03-02,,10,\n", HEADER, 2),
        (f",{PERSON},H1,2026-03-02,,10,\n", HEADER, 1),
        (f"C1,{PERSON},H1,2026-03-02,,10,,extra\n", HEADER, 1),
        ("", HEADER, None),
    ],
)
def test_a_bad_file_is_one_error_naming_where(
    tmp_path: Path, text: str, header: str, where: int | None
) -> None:
    path = write(tmp_path, text, header)
    with pytest.raises(InputError) as info:
        read_claims(path)
    assert str(path) in str(info.value)
    assert info.value.location is not None and info.value.location.row == where


TRICKY = {
    "icd10": ["E11+", "E119+", "e11.9*", "E11.", "E11", "E1.19", "E11*", " e 119 ", "Z"],
    "claimed_amount": ["1,000.5", "0.001", "00.10", "1e3", " 7 ", "-0", "12.", ".5"],
    "visit_date": ["2026-3-02", "2026-02-29", "2024-02-29", " 2026-03-02 ", "2101-01-01"],
    "visit_type": ["INPATIENT", " emergency ", "day", ""],
    "person_id": [f" {PERSON_X[:-1].lower()}x", PERSON_X + "0", "１" + PERSON[1:]],
}


@pytest.mark.parametrize("column", sorted(TRICKY))
def test_the_reference_refuses_exactly_what_the_reader_refuses(tmp_path: Path, column: str) -> None:
    """The plaintext reference checks the claims file with its own SQL: on
    every tricky value both must say the same (valid or invalid)."""
    import csv

    from products.claims.reference import reference_claims

    good = {
        "person_id": PERSON,
        "hospital_id": "H1",
        "visit_date": "2026-03-02",
        "visit_type": "",
        "claimed_amount": "10",
        "icd10": "",
    }
    path = tmp_path / "claims.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["claim_ref", *good])
        for i, value in enumerate(TRICKY[column]):
            writer.writerow([f"C{i}", *{**good, column: value}.values()])
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n",
        encoding="utf-8",
    )
    reader = [c.valid for c in read_claims(path)]
    reference = [
        r.status != "invalid"
        for r in reference_claims(
            hospital=[visits], claims=path, as_of=dt.date(2026, 10, 31), outputs=["visit_found"]
        )
    ]
    assert reference == reader
    assert True in reader and False in reader

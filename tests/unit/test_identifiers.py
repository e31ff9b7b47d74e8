"""Resident identity numbers: known answers from a file, and the Python and
DuckDB implementations agreeing on arbitrary strings."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.identifiers import (
    normalise_resident_id,
    normalise_resident_id_sql,
    resident_id_check_char,
    resident_id_error,
    resident_id_error_sql,
    validate_resident_id,
)
from trusted_space.core.errors import InvalidIdentifier, Location
from trusted_space.core.i18n import english

VECTORS_FILE = Path(__file__).parent.parent / "vectors" / "resident_ids.csv"
VECTORS = list(csv.DictReader(VECTORS_FILE.read_text(encoding="utf-8").splitlines()))


@pytest.mark.parametrize("vector", VECTORS, ids=[v["case"] for v in VECTORS])
def test_known_answer_vectors(vector: dict[str, str]) -> None:
    normalised = normalise_resident_id(vector["raw"])
    assert normalised == vector["normalised"]
    assert (resident_id_error(normalised) or "") == vector["reason"]
    assert (resident_id_error(normalised) is None) == (vector["valid"] == "true")


@pytest.mark.parametrize("vector", VECTORS, ids=[v["case"] for v in VECTORS])
def test_duckdb_expression_gives_the_same_answers(vector: dict[str, str]) -> None:
    with duckdb.connect() as con:
        normalised = con.execute(
            f"SELECT {normalise_resident_id_sql('$1')}", [vector["raw"]]
        ).fetchone()
        assert normalised is not None and normalised[0] == vector["normalised"]
        reason = con.execute(
            f"SELECT {resident_id_error_sql('$1')}", [vector["normalised"]]
        ).fetchone()
        assert reason is not None and (reason[0] or "") == vector["reason"]


def test_invalid_id_error_names_file_row_and_field() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_resident_id("110101199003074515", Location("applicants.csv", 7, "person_id"))
    assert "applicants.csv" in str(info.value)
    assert "row 7" in str(info.value)
    assert "person_id" in str(info.value)
    assert english(info.value.reason).startswith("check character")


def test_check_char_weights_known_example() -> None:
    # GB 11643-1999 example: 11010519491231002 -> X (sum mod 11 == 2).
    assert resident_id_check_char("11010519491231002") == "X"


def test_check_char_refuses_non_digits() -> None:
    with pytest.raises(ValueError):
        resident_id_check_char("1101051949123100A")


def test_validate_refuses_non_string() -> None:
    with pytest.raises(TypeError):
        validate_resident_id(110105194912310020)  # type: ignore[arg-type]


ID_LIKE = st.one_of(
    st.text(alphabet="0123456789Xx ", min_size=15, max_size=20),
    st.builds(
        lambda body: body + resident_id_check_char(body),
        st.from_regex(
            r"[1-6][0-9]{5}(19[0-9]{2}|200[0-9])(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}",
            fullmatch=True,
        ),
    ),
    st.text(max_size=20),
)


_CON = duckdb.connect()
_NORMALISE = f"SELECT {normalise_resident_id_sql('$1')}"
_ERROR = f"SELECT {resident_id_error_sql('$1')}"


@settings(max_examples=300, deadline=None)
@given(ID_LIKE)
def test_python_and_sql_agree_on_any_string(raw: str) -> None:
    row = _CON.execute(_NORMALISE, [raw]).fetchone()
    assert row is not None
    assert row[0] == normalise_resident_id(raw)
    normalised = normalise_resident_id(raw)
    reason = _CON.execute(_ERROR, [normalised]).fetchone()
    assert reason is not None
    assert reason[0] == resident_id_error(normalised)

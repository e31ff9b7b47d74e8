"""Unified social credit codes (GB 32100-2015): known answers from a file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from connectors.identifiers import normalise_uscc, uscc_check_char, uscc_error, validate_uscc
from trusted_space.core.errors import InvalidIdentifier, Location

VECTORS = list(
    csv.DictReader(
        (Path(__file__).parent.parent / "vectors" / "uscc.csv").read_text("utf-8").splitlines()
    )
)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["case"] for v in VECTORS])
def test_known_answer_vectors(vector: dict[str, str]) -> None:
    normalised = normalise_uscc(vector["raw"])
    assert normalised == vector["normalised"]
    assert (uscc_error(normalised) or "") == vector["reason"]


def test_weights_are_powers_of_three_mod_31() -> None:
    # 17 positions: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_invalid_code_error_names_where() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_uscc("91350100M000100Y44", Location("bank.csv", 3, "company_id"))
    assert "bank.csv, row 3 (line 4), field 'company_id'" in str(info.value)

"""Synthea CSV export -> hospital_visits, on the real fixture and small made-up files.

Expectations are computed here from the raw CSV with the csv module, not
through the connector's code.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions, load_source
from connectors.clinical_codes import SNOMED_TO_ICD10
from connectors.identifiers import resident_id_check_char, resident_id_error
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError

# ENCOUNTERCLASS -> visit_type, as the brief specifies it
EXPECTED_TYPE = {
    "inpatient": "inpatient",
    "snf": "inpatient",
    "hospice": "inpatient",
    "emergency": "emergency",
    "ambulatory": "outpatient",
    "outpatient": "outpatient",
    "wellness": "outpatient",
    "urgentcare": "outpatient",
    "virtual": "outpatient",
    "home": "outpatient",
}


def raw(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def visits(node: Path) -> dict[str, dict[str, Any]]:
    with NodeStore(node, read_only=True) as store:
        cur = store.con.execute("SELECT * FROM hospital_visits")
        names = [d[0] for d in cur.description]
        return {r[1]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def assert_totals(report: QualityReport) -> None:
    assert report.rows_loaded + report.rows_rejected == report.rows_read


@pytest.fixture(scope="module")
def synthea(real_data: Path) -> Path:
    return real_data / "synthea"


@pytest.fixture(scope="module")
def loaded(synthea: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[QualityReport, Path]:
    node = tmp_path_factory.mktemp("synthea_node")
    report = load_source("synthea", [synthea], node, LoadOptions(id_map="pseudonymous"))
    return report, node


def test_every_encounter_is_read_and_loaded(
    synthea: Path, loaded: tuple[QualityReport, Path]
) -> None:
    report, node = loaded
    encounters = raw(synthea, "encounters.csv")
    assert len(encounters) == 947  # SOURCES.md
    assert report.rows_read == len(encounters)
    assert report.rows_loaded == len(encounters) and report.rows_rejected == 0
    assert_totals(report)
    assert report.tables == {"hospital_visits": 947}
    assert set(visits(node)) == {e["Id"] for e in encounters}


def test_visit_types_follow_the_encounter_class(
    synthea: Path, loaded: tuple[QualityReport, Path]
) -> None:
    encounters = raw(synthea, "encounters.csv")
    expected = Counter(EXPECTED_TYPE[e["ENCOUNTERCLASS"]] for e in encounters)
    with NodeStore(loaded[1], read_only=True) as store:
        got = dict(
            store.con.execute(
                "SELECT visit_type, count(*) FROM hospital_visits GROUP BY visit_type"
            ).fetchall()
        )
    assert got == dict(expected)
    assert got == {"outpatient": 879, "inpatient": 21, "emergency": 47}


@pytest.mark.parametrize(
    ("klass", "visit_type"),
    [("virtual", "outpatient"), ("snf", "inpatient"), ("hospice", "inpatient")],
)
def test_virtual_snf_and_hospice_classes(
    synthea: Path, loaded: tuple[QualityReport, Path], klass: str, visit_type: str
) -> None:
    rows = visits(loaded[1])
    chosen = [e for e in raw(synthea, "encounters.csv") if e["ENCOUNTERCLASS"] == klass]
    assert chosen, f"the fixture has {klass} encounters"
    for encounter in chosen:
        row = rows[encounter["Id"]]
        assert row["visit_type"] == visit_type
        if visit_type == "inpatient":
            assert str(row["discharge_date"]) == encounter["STOP"][:10]
        else:
            assert row["discharge_date"] is None


def test_dates_hospital_and_cost_are_taken_as_written(
    synthea: Path, loaded: tuple[QualityReport, Path]
) -> None:
    rows = visits(loaded[1])
    for encounter in raw(synthea, "encounters.csv"):
        row = rows[encounter["Id"]]
        assert encounter["START"].endswith("Z")
        assert str(row["visit_date"]) == encounter["START"][:10]
        assert row["hospital_id"] == encounter["ORGANIZATION"]
        assert row["total_cost"] == Decimal(encounter["TOTAL_CLAIM_COST"])
        if EXPECTED_TYPE[encounter["ENCOUNTERCLASS"]] != "inpatient":
            assert row["discharge_date"] is None
    assert any("not converted" in w for w in loaded[0].warnings)


def test_icd10_comes_from_the_reason_code_else_the_first_mapped_condition(
    synthea: Path, loaded: tuple[QualityReport, Path]
) -> None:
    first_condition: dict[str, str] = {}
    for condition in raw(synthea, "conditions.csv"):
        if condition["CODE"] in SNOMED_TO_ICD10:
            first_condition.setdefault(
                condition["ENCOUNTER"], SNOMED_TO_ICD10[condition["CODE"]][0]
            )
    rows = visits(loaded[1])
    for encounter in raw(synthea, "encounters.csv"):
        from_reason = SNOMED_TO_ICD10.get(encounter["REASONCODE"], (None,))[0]
        expected = from_reason or first_condition.get(encounter["Id"])
        assert rows[encounter["Id"]]["icd10"] == expected, encounter["Id"]
    heart_failure = [
        e["Id"] for e in raw(synthea, "encounters.csv") if e["REASONCODE"] == "88805009"
    ]
    assert heart_failure and all(rows[v]["icd10"] == "I50.0" for v in heart_failure)
    assert any("314529007" in w and "no ICD-10 mapping" in w for w in loaded[0].warnings)


def test_pseudonymous_ids_are_valid_distinct_and_carry_birth_date_and_sex(
    synthea: Path, loaded: tuple[QualityReport, Path]
) -> None:
    patients = {p["Id"]: p for p in raw(synthea, "patients.csv")}
    rows = visits(loaded[1])
    person_of: dict[str, str] = {}
    for encounter in raw(synthea, "encounters.csv"):
        person = rows[encounter["Id"]]["person_id"]
        assert person_of.setdefault(encounter["PATIENT"], person) == person
    assert len(person_of) == 13 and len(set(person_of.values())) == 13
    for source, person in person_of.items():
        assert resident_id_error(person) is None
        assert person.startswith("990000")
        assert person[6:14] == patients[source]["BIRTHDATE"].replace("-", "")
        assert int(person[16]) % 2 == (1 if patients[source]["GENDER"] == "M" else 0)


def test_pseudonymous_ids_are_the_same_in_another_load(
    synthea: Path, loaded: tuple[QualityReport, Path], tmp_path: Path
) -> None:
    load_source("synthea", [synthea], tmp_path / "again", LoadOptions(id_map="pseudonymous"))
    first, second = visits(loaded[1]), visits(tmp_path / "again")
    assert {k: v["person_id"] for k, v in first.items()} == {
        k: v["person_id"] for k, v in second.items()
    }


def test_the_three_files_can_be_given_one_by_one(
    synthea: Path, loaded: tuple[QualityReport, Path], tmp_path: Path
) -> None:
    files = [synthea / n for n in ("patients.csv", "encounters.csv", "conditions.csv")]
    report = load_source("synthea", files, tmp_path / "n", LoadOptions(id_map="pseudonymous"))
    assert report.rows_loaded == 947
    assert visits(tmp_path / "n") == visits(loaded[1])
    assert not any("immunizations" in w for w in report.warnings)
    assert any("immunizations.csv: not used" in w for w in loaded[0].warnings)


def test_explicit_id_map_loads_mapped_patients_and_rejects_the_rest(
    synthea: Path, tmp_path: Path
) -> None:
    encounters = raw(synthea, "encounters.csv")
    per_patient = Counter(e["PATIENT"] for e in encounters)
    left_out = min(per_patient, key=lambda p: per_patient[p])
    mapping: dict[str, str] = {}
    for i, source in enumerate(sorted(per_patient)):
        if source != left_out:
            body = f"11010119800101{2 * i + 1:03d}"
            mapping[source] = body + resident_id_check_char(body)
    id_map = tmp_path / "map.csv"
    id_map.write_text(
        "source_id,person_id\n" + "".join(f"{s},{p}\n" for s, p in mapping.items()),
        encoding="utf-8",
    )
    report = load_source("synthea", [synthea], tmp_path / "node", LoadOptions(id_map=str(id_map)))
    assert report.rows_read == 947
    assert report.rows_rejected == per_patient[left_out]
    assert report.rows_loaded == 947 - per_patient[left_out]
    assert_totals(report)
    for rejection in report.rejections:
        assert rejection.field == "PATIENT"
        assert rejection.reason == "patient not in the id map"
        assert left_out not in rejection.reason
    rejected_rows = {r.row for r in report.rejections}
    expected_rows = {i for i, e in enumerate(encounters, 1) if e["PATIENT"] == left_out}
    assert rejected_rows == expected_rows
    rows = visits(tmp_path / "node")
    for encounter in encounters:
        if encounter["PATIENT"] != left_out:
            assert rows[encounter["Id"]]["person_id"] == mapping[encounter["PATIENT"]]


def test_a_second_load_is_refused_as_duplicates_unless_replace(
    synthea: Path, tmp_path: Path
) -> None:
    node = tmp_path / "node"
    load_source("synthea", [synthea], node, LoadOptions(id_map="pseudonymous"))
    again = load_source("synthea", [synthea], node, LoadOptions(id_map="pseudonymous"))
    assert again.rows_loaded == 0 and again.rows_rejected == 947
    assert all("already loaded" in r.reason for r in again.rejections)
    replaced = load_source(
        "synthea", [synthea], node, LoadOptions(id_map="pseudonymous", replace=True)
    )
    assert replaced.rows_loaded == 947
    assert len(visits(node)) == 947


# -- small made-up exports ----------------------------------------------------------

ENCOUNTER_HEADER = "Id,START,STOP,PATIENT,ORGANIZATION,ENCOUNTERCLASS,TOTAL_CLAIM_COST,REASONCODE"


def made_up(tmp_path: Path, encounter_lines: list[str]) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        "Id,BIRTHDATE,DEATHDATE,GENDER\np1,1980-01-02,,F\np2,1990-05-06,2000-01-01,M\n",
        encoding="utf-8",
    )
    (folder / "encounters.csv").write_text(
        ENCOUNTER_HEADER + "\n" + "\n".join(encounter_lines) + "\n", encoding="utf-8"
    )
    (folder / "conditions.csv").write_text(
        "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION\n"
        "2020-01-01,,p1,e1,http://snomed.info/sct,314529007,Medication review due\n"
        "2020-01-01,,p1,e1,http://snomed.info/sct,44054006,Diabetes mellitus type 2\n"
        "2020-01-01,,p1,e1,http://snomed.info/sct,59621000,Essential hypertension\n",
        encoding="utf-8",
    )
    return folder


def test_made_up_export_rounds_costs_and_reports_bad_rows(tmp_path: Path) -> None:
    folder = made_up(
        tmp_path,
        [
            "e1,2020-01-01T23:30:00Z,2020-01-03T08:00:00Z,p1,o1,inpatient,12.345,",
            "e2,2020-01-02T10:00:00Z,2020-01-02T11:00:00Z,p1,o1,dentist,7,999999999",
            "e3,2020-01-02T10:00:00Z,,p1,o1,wellness",
            "e4,not-a-date,,p1,o1,ambulatory,1.00,",
            "e5,2020-02-01T10:00:00Z,,p2,o1,emergency,-3.00,",
            "e6,2020-03-01T10:00:00Z,,nobody,o1,ambulatory,1.00,",
        ],
    )
    report = load_source("synthea", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))
    assert report.rows_read == 6
    assert_totals(report)
    rows = visits(tmp_path / "node")
    assert rows["e1"]["total_cost"] == Decimal("12.35")
    assert str(rows["e1"]["visit_date"]) == "2020-01-01"
    assert str(rows["e1"]["discharge_date"]) == "2020-01-03"
    assert rows["e1"]["icd10"] == "E11"  # the first condition that maps
    assert rows["e2"]["visit_type"] == "outpatient" and rows["e2"]["icd10"] is None
    assert rows["e6"]["person_id"][6:14] == "19000101"
    bad = {(r.row, r.field, r.reason) for r in report.rejections}
    assert (3, None, "expected 8 fields, found 6") in bad
    assert (4, "visit_date", "not an ISO date (YYYY-MM-DD)") in bad
    assert (5, "total_cost", "negative amount") in bad
    assert report.rows_loaded == 3 and report.rows_rejected == 3
    assert any("dentist (1)" in w for w in report.warnings)
    assert any("999999999 (1)" in w for w in report.warnings)
    assert any("after the patient's DEATHDATE" in w for w in report.warnings)
    assert any("no usable birth date" in w for w in report.warnings)


def test_encounters_csv_is_required(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "patients.csv").write_text("Id,BIRTHDATE,GENDER\np1,1980-01-02,F\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no encounters\.csv"):
        load_source("synthea", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))


def test_an_encounters_file_without_synthea_columns_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "encounters.csv").write_text("Id,START\ne1,2020-01-01\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns PATIENT, ORGANIZATION, ENCOUNTERCLASS"):
        load_source("synthea", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))

"""FHIR R4 bulk NDJSON -> hospital_visits, on the real fixture and small made-up files.

Expectations are computed here from the raw NDJSON with plain json, not
through the connector's code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions, load_source
from connectors.clinical_codes import SNOMED_TO_ICD10
from connectors.identifiers import resident_id_check_char, resident_id_error
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError

EXPECTED_TYPE = {"IMP": "inpatient", "EMER": "emergency"}  # everything else: outpatient


def resources(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def visits(node: Path) -> dict[str, dict[str, Any]]:
    with NodeStore(node, read_only=True) as store:
        cur = store.con.execute("SELECT * FROM hospital_visits")
        names = [d[0] for d in cur.description]
        return {r[1]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def assert_totals(report: QualityReport) -> None:
    assert report.rows_loaded + report.rows_merged + report.rows_rejected == report.rows_read


@pytest.fixture(scope="module")
def fhir(real_data: Path) -> Path:
    return real_data / "fhir"


@pytest.fixture(scope="module")
def encounters(fhir: Path) -> list[dict[str, Any]]:
    return resources(fhir / "Encounter.000.ndjson")


@pytest.fixture(scope="module")
def loaded(fhir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[QualityReport, Path]:
    node = tmp_path_factory.mktemp("fhir_node")
    report = load_source("fhir", [fhir], node, LoadOptions(id_map="pseudonymous"))
    return report, node


def test_every_encounter_is_read_and_loaded(
    encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    report, node = loaded
    assert len(encounters) == 1215  # SOURCES.md
    assert report.rows_read == len(encounters)
    assert report.rows_loaded == len(encounters) and report.rows_rejected == 0
    assert_totals(report)
    assert set(visits(node)) == {e["id"] for e in encounters}
    assert any("Immunization (161)" in w for w in report.warnings)


def test_visit_types_follow_the_class_code(
    encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    expected = Counter(EXPECTED_TYPE.get(e["class"]["code"], "outpatient") for e in encounters)
    assert {e["class"]["code"] for e in encounters} == {"AMB", "EMER", "IMP", "HH", "VR"}
    with NodeStore(loaded[1], read_only=True) as store:
        got = dict(
            store.con.execute(
                "SELECT visit_type, count(*) FROM hospital_visits GROUP BY visit_type"
            ).fetchall()
        )
    assert got == dict(expected)
    assert got == {"outpatient": 1143, "inpatient": 49, "emergency": 23}


def test_dates_are_the_local_dates_as_written_before_the_offset(
    encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    rows = visits(loaded[1])
    crosses_midnight_in_utc = 0
    for encounter in encounters:
        start, end = encounter["period"]["start"], encounter["period"]["end"]
        assert start[19:] in ("-04:00", "-05:00")
        row = rows[encounter["id"]]
        assert str(row["visit_date"]) == start[:10]
        utc = dt.datetime.fromisoformat(start).astimezone(dt.UTC).date().isoformat()
        crosses_midnight_in_utc += utc != start[:10]
        if encounter["class"]["code"] == "IMP":
            assert str(row["discharge_date"]) == end[:10]
        else:
            assert row["discharge_date"] is None
    assert crosses_midnight_in_utc > 0  # the local date really differs from UTC somewhere
    late = next(e for e in encounters if e["period"]["start"] == "1990-10-27T23:58:16-04:00")
    assert str(rows[late["id"]]["visit_date"]) == "1990-10-27"
    assert str(rows[late["id"]]["discharge_date"]) == "1990-11-09"


def test_conditional_references_do_not_break_loading(
    encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    report, node = loaded
    practitioners = [
        p["individual"]["reference"] for e in encounters for p in e.get("participant", [])
    ]
    assert practitioners and all(r.startswith("Practitioner?identifier=") for r in practitioners)
    rows = visits(node)
    references = set()
    for encounter in encounters:
        reference = encounter["serviceProvider"]["reference"]
        assert reference.startswith("Organization?identifier=")
        references.add(reference)
        assert rows[encounter["id"]]["hospital_id"] == reference.split("|")[-1]
    assert len({r["hospital_id"] for r in rows.values()}) == len(references) == 39
    displays = Counter(
        e["serviceProvider"]["display"]
        for e in {e["serviceProvider"]["reference"]: e for e in encounters}.values()
    )
    assert displays["NEWMAN MEMORIAL COUNTY HOSPITAL"] == 3  # why display is not the id
    assert report.rejections == []


def test_icd10_comes_from_the_reason_code_else_the_first_mapped_condition(
    fhir: Path, encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    first_condition: dict[str, str] = {}
    for condition in resources(fhir / "Condition.000.ndjson"):
        code = condition["code"]["coding"][0]["code"]
        if code in SNOMED_TO_ICD10:
            encounter = condition["encounter"]["reference"].removeprefix("Encounter/")
            first_condition.setdefault(encounter, SNOMED_TO_ICD10[code][0])
    rows = visits(loaded[1])
    for encounter in encounters:
        codes = [c["code"] for r in encounter.get("reasonCode", []) for c in r["coding"]]
        mapped = [SNOMED_TO_ICD10[c][0] for c in codes if c in SNOMED_TO_ICD10]
        expected = mapped[0] if mapped else first_condition.get(encounter["id"])
        assert rows[encounter["id"]]["icd10"] == expected, encounter["id"]
    assert sum(1 for r in rows.values() if r["icd10"] == "N18.5") >= 134  # end-stage renal disease
    assert all(r["total_cost"] is None for r in rows.values())
    assert any("FHIR Encounter resources carry no cost" in w for w in loaded[0].warnings)


def test_pseudonymous_ids_are_valid_distinct_and_use_patient_data(
    fhir: Path, encounters: list[dict[str, Any]], loaded: tuple[QualityReport, Path]
) -> None:
    patients = {p["id"]: p for p in resources(fhir / "Patient.000.ndjson")}
    assert len(patients) == 13
    rows = visits(loaded[1])
    person_of: dict[str, str] = {}
    for encounter in encounters:
        source = encounter["subject"]["reference"].removeprefix("Patient/")
        person = rows[encounter["id"]]["person_id"]
        assert person_of.setdefault(source, person) == person
    assert len(person_of) == len(set(person_of.values())) == 13
    for source, person in person_of.items():
        assert resident_id_error(person) is None
        assert person[6:14] == patients[source]["birthDate"].replace("-", "")
        assert int(person[16]) % 2 == (1 if patients[source]["gender"] == "male" else 0)


def test_explicit_id_map_rejects_unmapped_patients(
    fhir: Path, encounters: list[dict[str, Any]], tmp_path: Path
) -> None:
    per_patient = Counter(e["subject"]["reference"].removeprefix("Patient/") for e in encounters)
    left_out = min(per_patient, key=lambda p: per_patient[p])
    lines = []
    for i, source in enumerate(sorted(per_patient)):
        if source != left_out:
            body = f"31010119700101{2 * i + 2:03d}"
            lines.append(f"{source},{body + resident_id_check_char(body)}\n")
    id_map = tmp_path / "map.csv"
    id_map.write_text("source_id,person_id\n" + "".join(lines), encoding="utf-8")
    report = load_source("fhir", [fhir], tmp_path / "node", LoadOptions(id_map=str(id_map)))
    assert report.rows_read == 1215
    assert report.rows_rejected == per_patient[left_out]
    assert report.rows_loaded == 1215 - per_patient[left_out]
    assert_totals(report)
    lines_of_left_out = {
        n
        for n, e in enumerate(resources(fhir / "Encounter.000.ndjson"), 1)
        if e["subject"]["reference"] == f"Patient/{left_out}"
    }
    assert {r.row for r in report.rejections} == lines_of_left_out
    assert {(r.field, r.reason) for r in report.rejections} == {
        ("subject", "patient not in the id map")
    }
    assert all(r.file.endswith("Encounter.000.ndjson") for r in report.rejections)


def test_files_are_streamed_not_loaded_whole(
    fhir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("json.load reads a whole file")

    monkeypatch.setattr(json, "load", refuse)
    report = load_source(
        "fhir",
        [fhir / "Patient.000.ndjson", fhir / "Encounter.000.ndjson"],
        tmp_path / "node",
        LoadOptions(id_map="pseudonymous"),
    )
    assert report.rows_loaded == 1215


# -- small made-up bundles -------------------------------------------------------


def encounter(ident: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2021-03-04T22:00:00+08:00", "end": "2021-03-05T01:00:00+08:00"},
        "serviceProvider": {"reference": "Organization/org-1", "display": "Clinic"},
    }
    base.update(fields)
    return base


def condition(encounter_id: str, code: str, verification: str = "confirmed") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        "encounter": {"reference": f"Encounter/{encounter_id}"},
    }


def test_made_up_bundle_covers_references_statuses_and_bad_lines(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    lines = [
        json.dumps(encounter("e1")),
        "",
        "{not json",
        json.dumps(encounter("e2", status="entered-in-error")),
        json.dumps(encounter("e3", subject={"display": "no reference"})),
        json.dumps(encounter("e4", subject={"reference": "urn:uuid:p2"}, serviceProvider={})),
        json.dumps(encounter("e5", **{"class": {"code": "XYZ"}})),
        json.dumps(encounter("e6", **{"class": {"code": "IMP"}})),
        json.dumps(encounter("e7", period={"start": "2021-03"})),
        json.dumps({"resourceType": "Observation", "id": "o1"}),
    ]
    (folder / "Mixed.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "Patient.ndjson").write_text(
        json.dumps(
            {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01", "gender": "female"}
        )
        + "\n",
        encoding="utf-8",
    )
    conditions = [
        condition("e1", "44054006", verification="refuted"),
        condition("e1", "314529007"),  # maps to nothing
        condition("e1", "59621000"),
        condition("e1", "195967001"),
    ]
    (folder / "Condition.ndjson").write_text(
        "".join(json.dumps(c) + "\n" for c in conditions), encoding="utf-8"
    )
    (folder / "notes.txt").write_text("not ndjson", encoding="utf-8")
    report = load_source("fhir", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))
    assert_totals(report)
    bad = {(r.row, r.field) for r in report.rejections}
    assert (3, None) in bad  # invalid JSON, line 3 of Mixed.ndjson
    assert (4, "status") in bad
    assert (5, "subject") in bad
    assert (9, "visit_date") in bad
    assert (7, "class") in bad  # an unknown class is refused, never guessed (issue 23)
    assert report.rows_read == 8 and report.rows_loaded == 3
    rows = visits(tmp_path / "node")
    assert rows["e1"]["hospital_id"] == "org-1"
    assert str(rows["e1"]["visit_date"]) == "2021-03-04"
    assert rows["e1"]["person_id"][6:14] == "19700101"
    assert rows["e1"]["icd10"] == "I10"  # the refuted one is skipped, then the first that maps
    assert rows["e4"]["hospital_id"] == "unknown"
    assert rows["e4"]["person_id"][6:14] == "19000101"
    assert "e5" not in rows
    assert str(rows["e6"]["discharge_date"]) == "2021-03-05"
    assert any("'XYZ' (1)" in w for w in report.warnings)
    assert any("hospital_id 'unknown'" in w for w in report.warnings)
    assert any("Observation (1)" in w for w in report.warnings)


# -- the second set of real files (issue 23) -----------------------------------------

MIMIC_SETTINGS = """
encounter_class:            # MIMIC-IV admission types: every one is a hospital admission
  EW EMER.: inpatient
  DIRECT EMER.: inpatient
  URGENT: inpatient
  ELECTIVE: inpatient
  SURGICAL SAME DAY ADMISSION: inpatient
  OBSERVATION ADMIT: inpatient
  EU OBSERVATION: inpatient
  DIRECT OBSERVATION: inpatient
  AMBULATORY OBSERVATION: inpatient
code_systems:
  http://fhir.mimic.mit.edu/CodeSystem/diagnosis-icd10: icd10-cm
  http://fhir.mimic.mit.edu/CodeSystem/diagnosis-icd9: icd9
icd9_crosswalk: crosswalk.csv
date_shift_days: -73049
"""


def mimic_settings(folder: Path, crosswalk: str = "icd9,icd10\n") -> Path:
    (folder / "crosswalk.csv").write_text(crosswalk, encoding="utf-8")
    path = folder / "mimic.yaml"
    path.write_text(MIMIC_SETTINGS, encoding="utf-8")
    return path


def test_real2_mimic_without_settings_refuses_local_classes(
    real2_files: Path, tmp_path: Path
) -> None:
    folder = real2_files / "fhir" / "mimic-iv-demo"
    report = load_source("fhir", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))
    assert_totals(report)
    classes = {r.reason.split("'")[1] for r in report.rejections if r.field == "class"}
    assert "EW EMER." in classes and "URGENT" in classes
    assert not any(r.field == "class" and "ACUTE" in r.reason for r in report.rejections)
    # ICU stays of a rejected admission are not "merged" into nothing
    assert report.rows_loaded == 0 and report.rows_merged == 0
    assert sum(r.field == "partOf" for r in report.rejections) == 138


def test_real2_mimic_with_declared_settings(real2_files: Path, tmp_path: Path) -> None:
    folder = real2_files / "fhir" / "mimic-iv-demo"
    admissions = resources(folder / "Encounter.ndjson")
    icu = resources(folder / "EncounterICU.ndjson")
    conditions = resources(folder / "Condition.ndjson")
    assert all("partOf" in e for e in icu) and not any("partOf" in e for e in admissions)
    # a crosswalk of one ICD-9 code, to show it is used and nothing else is
    icd9 = next(
        c for c in conditions if c["code"]["coding"][0]["system"].endswith("diagnosis-icd9")
    )
    nine = icd9["code"]["coding"][0]["code"]
    settings = mimic_settings(tmp_path, f"icd9,icd10\n{nine},R69\n")
    report = load_source(
        "fhir", [folder], tmp_path / "node", LoadOptions(mapping=settings, id_map="pseudonymous")
    )
    assert_totals(report)
    assert report.rows_rejected == 0
    assert report.rows_loaded == len(admissions)  # ICU stays folded into their admission
    assert report.rows_merged == len(icu)
    rows = visits(tmp_path / "node")
    assert set(rows) == {e["id"] for e in admissions}
    assert {r["visit_type"] for r in rows.values()} == {"inpatient"}
    # the end date is kept, and every date moved back 73049 days (200 years)
    first = admissions[0]
    row = rows[first["id"]]
    start = dt.date.fromisoformat(first["period"]["start"][:10])
    end = dt.date.fromisoformat(first["period"]["end"][:10])
    assert row["visit_date"] == start - dt.timedelta(days=73049)
    assert row["discharge_date"] == end - dt.timedelta(days=73049)
    # diagnoses: ICD-10-CM read at its category, first mapped Condition per encounter
    first_cm: dict[str, str] = {}
    for c in conditions:
        coding = c["code"]["coding"][0]
        enc = c["encounter"]["reference"].split("/")[1]
        if coding["system"].endswith("diagnosis-icd10"):
            first_cm.setdefault(enc, coding["code"][:3])
        elif coding["code"] == nine:
            first_cm.setdefault(enc, "R69")
    with_dx = {k: v for k, v in first_cm.items() if k in rows}
    assert len(with_dx) > 100
    for enc, icd in with_dx.items():
        assert rows[enc]["icd10"] == icd
    assert any("ICD-9 diagnosis code(s) not read" in w for w in report.warnings)
    assert not any("code systems not declared" in w for w in report.warnings)


def test_icd10_systems_who_cm_and_a_declared_national_one(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    systems = {
        "e1": ("http://hl7.org/fhir/sid/icd-10", "E11.9"),
        "e2": ("http://hl7.org/fhir/sid/icd-10-cm", "N18.6"),
        "e3": ("urn:oid:example:cn-national-clinical", "E11.900x001"),
        "e4": ("http://hl7.org/fhir/sid/icd-9-cm", "250.00"),
    }
    encs = [encounter(e) for e in systems]
    conds = [
        {
            "resourceType": "Condition",
            "code": {"coding": [{"system": system, "code": code}]},
            "encounter": {"reference": f"Encounter/{e}"},
        }
        for e, (system, code) in systems.items()
    ]
    (folder / "All.ndjson").write_text(
        "".join(json.dumps(r) + "\n" for r in [*encs, *conds]), encoding="utf-8"
    )
    settings = tmp_path / "s.yaml"
    settings.write_text(
        "code_systems:\n  urn:oid:example:cn-national-clinical: icd10\n", encoding="utf-8"
    )
    load_source(
        "fhir", [folder], tmp_path / "node", LoadOptions(mapping=settings, id_map="pseudonymous")
    )
    rows = visits(tmp_path / "node")
    assert {e: rows[e]["icd10"] for e in systems} == {
        "e1": "E11.9",
        "e2": "N18",  # CM's fourth character differs from WHO's: the category
        "e3": "E11.900X001",  # the store's canonical (upper-case) form
        "e4": None,  # ICD-9 only through a declared crosswalk
    }


def test_an_unknown_declared_visit_type_is_an_input_error(tmp_path: Path) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text("encounter_class:\n  URGENT: urgent\n", encoding="utf-8")
    (tmp_path / "E.ndjson").write_text(json.dumps(encounter("e1")) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="'urgent' is not one of outpatient, inpatient"):
        load_source(
            "fhir", [tmp_path / "E.ndjson"], tmp_path / "n",
            LoadOptions(mapping=settings, id_map="pseudonymous"),
        )  # fmt: skip


def test_real2_a_transaction_bundle_is_read_as_its_resources(
    real2_files: Path, tmp_path: Path
) -> None:
    folder = real2_files / "fhir" / "synthea-bundle"
    (path,) = folder.iterdir()
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    encs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]
    report = load_source("fhir", [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))
    assert_totals(report)
    assert report.rows_loaded == len(encs) == 6 and report.rows_rejected == 0
    assert set(visits(tmp_path / "node")) == {e["id"] for e in encs}
    assert any("a transaction Bundle of" in w for w in report.warnings)
    # given as .ndjson (as bulk files are named) it is still recognised
    renamed = tmp_path / "bundle.ndjson"
    renamed.write_bytes(path.read_bytes())
    again = load_source("fhir", [renamed], tmp_path / "n2", LoadOptions(id_map="pseudonymous"))
    assert again.rows_loaded == 6 and again.rows_rejected == 0


def test_messages_for_empty_arrays_patient_only_and_late_conditions(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("[]", encoding="utf-8")
    report = load_source(
        "fhir", [tmp_path / "empty.json"], tmp_path / "n1", LoadOptions(id_map="pseudonymous")
    )
    assert [r.reason for r in report.rejections] == ["an empty JSON array: no FHIR resource in it"]
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}
    (tmp_path / "Patient.ndjson").write_text(json.dumps(patient) + "\n", encoding="utf-8")
    only = load_source(
        "fhir", [tmp_path / "Patient.ndjson"], tmp_path / "n2", LoadOptions(id_map="pseudonymous")
    )
    assert any("no Encounter in this load" in w for w in only.warnings)
    assert not any("collision" in w for w in only.warnings)
    (tmp_path / "Condition.ndjson").write_text(
        json.dumps(condition("e1", "59621000")) + "\n", encoding="utf-8"
    )
    late = load_source(
        "fhir", [tmp_path / "Condition.ndjson"], tmp_path / "n3", LoadOptions(id_map="pseudonymous")
    )
    assert any("load Conditions with their Encounters" in w for w in late.warnings)

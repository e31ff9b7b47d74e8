"""underwriting_score (PSI and Paillier, test keys) on a real hospital's FHIR
export and CDC's NNDSS test messages, loaded by the FHIR and HL7 v2
connectors (issue 27, "Coverage to add").

The hospital is the MIMIC-IV demo on FHIR (../shared/data/real2/fhir), read
with its declared settings (local encounter classes, ICD-10-CM and ICD-9
code systems, a date shift); the CDC is CDC's message-mapping-guide test
messages (../shared/data/real2/hl7v2/cdc-dex: Hepatitis A, Mumps, Generic v1,
Lyme's create/update/delete series, an empty file, bad delimiters).

Neither source carries resident id numbers, and nothing is matched on a
guess: each provider declares its master patient index, the documented
``--id-map`` CSV (source_id,person_id; docs/connectors.md). The test writes
both: every MIMIC patient and every CDC test patient gets a resident id, and
the CDC's Hepatitis A and Mumps patients are declared to be two of the
hospital's patients. MIMIC's dates are shifted by its publisher into
2100-2200 and the true ones are unknowable; the declared shift here puts
the export's busiest year beside the years of CDC's messages.

The scores must equal the plaintext reference (products/underwriting/
reference.py) computed on the tables the connectors loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import LoadOptions
from connectors.identifiers import resident_id_check_char
from products.underwriting.reference import reference_scores
from products.underwriting.runner import run_underwriting
from trusted_space.core.errors import InputError
from trusted_space.demo import default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024

AS_OF = dt.date(2015, 6, 30)
SHIFT = -48580  # days: MIMIC's 2100-2200 back to 1977-2068
SETTINGS = f"""
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
date_shift_days: {SHIFT}
"""


def resident_id(n: int) -> str:
    body = f"110101{dt.date(1950, 1, 1) + dt.timedelta(days=37 * n):%Y%m%d}{n % 1000:03d}"
    return body + resident_id_check_char(body)


def ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def hl7_patients(folder: Path) -> list[str]:
    """PID-3's first component in every message of the folder."""
    ids = set()
    for f in folder.iterdir():
        text = f.read_bytes().decode("utf-8", "replace").replace("\r", "\n")
        for line in text.splitlines():
            if line.startswith("PID|"):
                ids.add(line.split("|")[3].split("^")[0])
    return sorted(i for i in ids if i)


def export(store: Path, table: str, out: Path) -> Path:
    """A loaded table as CSV, for the reference (which reads canonical CSVs)."""
    with duckdb.connect(str(store), read_only=True) as con:
        con.execute(f"COPY {table} TO '{out}' (HEADER)")
    return out


def test_underwriting_on_a_real_fhir_export_and_cdc_messages_equals_the_reference(
    real2_files: Path, tmp_path: Path
) -> None:
    mimic = real2_files / "fhir" / "mimic-iv-demo"
    cdc_dex = real2_files / "hl7v2" / "cdc-dex"
    (tmp_path / "crosswalk.csv").write_text("icd9,icd10\n", encoding="utf-8")
    settings = tmp_path / "mimic.yaml"
    settings.write_text(SETTINGS, encoding="utf-8")

    # the hospital's master patient index: every MIMIC patient
    patients = sorted(p["id"] for p in ndjson(mimic / "Patient.ndjson"))
    hospital_ids = {p: resident_id(i) for i, p in enumerate(patients)}
    # two patients with admissions in the 12 months before AS_OF (shifted)
    recent = sorted(
        {
            e["subject"]["reference"].split("/")[1]
            for e in ndjson(mimic / "Encounter.ndjson")
            if AS_OF - dt.timedelta(days=364)
            <= dt.date.fromisoformat(e["period"]["start"][:10]) + dt.timedelta(days=SHIFT)
            <= AS_OF
        }
    )
    assert len(recent) >= 3
    # the CDC's index: its test patients, two of them the hospital's
    cdc_patients = hl7_patients(cdc_dex)
    assert {"HEP_A_TC01", "Mumps_TC01", "MR99998"} <= set(cdc_patients)
    cdc_ids = {p: resident_id(500 + i) for i, p in enumerate(cdc_patients)}
    cdc_ids["HEP_A_TC01"] = hospital_ids[recent[0]]
    cdc_ids["Mumps_TC01"] = hospital_ids[recent[1]]
    maps = {}
    for name, ids in (("hospital", hospital_ids), ("cdc", cdc_ids)):
        maps[name] = tmp_path / f"{name}_index.csv"
        maps[name].write_text(
            "source_id,person_id\n" + "".join(f"{s},{p}\n" for s, p in ids.items()),
            encoding="utf-8",
        )

    # the insurer's applicants: every hospital patient, the CDC-only
    # patients, someone neither holds, and an invalid id
    applicants = tmp_path / "applicants.csv"
    people = [*hospital_ids.values(), cdc_ids["MR99998"], resident_id(300), "110101195001011234"]
    applicants.write_text(
        "applicant_ref,person_id\n" + "".join(f"A{i:03d},{p}\n" for i, p in enumerate(people)),
        encoding="utf-8",
    )
    work = tmp_path / "work"
    run = run_underwriting(
        workdir=work,
        hospital=[mimic],
        cdc_reports=[cdc_dex],
        cdc_registry=[],
        applicants=applicants,
        model=default_model_path(),
        as_of=AS_OF,
        out=tmp_path / "scores.csv",
        paillier_preset=TEST_ONLY_PAILLIER_1024,
        sources={
            "hospital": ("fhir", LoadOptions(mapping=settings, id_map=str(maps["hospital"]))),
            "cdc": ("hl7v2", LoadOptions(id_map=str(maps["cdc"]))),
        },
    )
    hospital, cdc = run.quality["hospital"], run.quality["cdc"]
    assert hospital.rows_rejected == 0 and hospital.rows_loaded > 200
    assert cdc.rows_loaded == 3  # Hepatitis A, Mumps, Generic v1; Lyme's series ends deleted
    assert any("Not a Case" in w for w in cdc.warnings)
    assert run.matched == {"cdc": 3, "hospital": 100}

    stores = {p: work / "nodes" / p / "node.duckdb" for p in ("hospital", "cdc")}
    visits = export(stores["hospital"], "hospital_visits", tmp_path / "visits.csv")
    reports = export(stores["cdc"], "cdc_case_reports", tmp_path / "reports.csv")
    registry = export(stores["cdc"], "cdc_chronic_registry", tmp_path / "registry.csv")
    reference = reference_scores(
        hospital=visits,
        reports=reports,
        registry=registry,
        applicants=applicants,
        as_of=AS_OF,
        model=default_model_path(),
    )
    assert [r.cells() for r in run.rows] == [r.cells() for r in reference]
    with (tmp_path / "scores.csv").open(encoding="utf-8-sig", newline="") as fh:
        written = [tuple(r.values())[:5] for r in csv.DictReader(fh)]
    assert len(written) == len(people)

    # Not vacuous: the features behind the scores differ between applicants,
    # and the two people both providers hold carry the CDC's reports.
    statuses = [r.status for r in run.rows]
    assert statuses.count("scored") == len(people) - 1 and statuses[-1] == "invalid_id"
    scores = {r.score for r in run.rows if r.score is not None}
    assert len(scores) >= 4
    baseline = run.rows[len(people) - 2].score  # held by neither: the intercept alone
    both = [run.rows[patients.index(p)].score for p in recent[:2]]
    assert all(s is not None and s != baseline for s in both)


def test_sources_naming_no_provider_is_refused_before_anything_runs(tmp_path: Path) -> None:
    applicants = tmp_path / "applicants.csv"
    applicants.write_text("applicant_ref,person_id\n", encoding="utf-8")
    with pytest.raises(InputError, match="sources names no provider of underwriting: hospitals"):
        run_underwriting(
            workdir=tmp_path / "work",
            hospital=[],
            cdc_reports=[],
            cdc_registry=[],
            applicants=applicants,
            model=default_model_path(),
            as_of=AS_OF,
            out=tmp_path / "scores.csv",
            sources={"hospitals": ("fhir", LoadOptions(id_map="pseudonymous"))},
        )
    assert not (tmp_path / "work").exists() and not (tmp_path / "scores.csv").exists()

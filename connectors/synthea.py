"""Synthea CSV export -> ``hospital_visits``.

Reads ``patients.csv``, ``encounters.csv`` and ``conditions.csv`` from the
folder(s) or files given; other Synthea files (immunizations.csv, ...) are
ignored with a warning. Only encounters.csv is required.

Mapping decisions (one visit per encounters.csv row; row = its CSV record):

* visit_id = ``Id``; hospital_id = ``ORGANIZATION`` (a UUID).
* visit_date = the date part of ``START`` as written. Synthea writes UTC
  (``...Z``) and its exports carry no local time zone, so a late-evening
  local visit can fall on the next day; converting would need a zone that the
  source does not state, so none is applied.
* visit_type from ``ENCOUNTERCLASS``: inpatient -> inpatient, emergency ->
  emergency, snf and hospice (residential stays) -> inpatient; ambulatory,
  outpatient, wellness, urgentcare, virtual and home -> outpatient. Any other
  class also becomes outpatient, and the report lists it.
* discharge_date = the date part of ``STOP`` for inpatient visits only.
* icd10 = ``REASONCODE`` (SNOMED CT) when it maps, else the first condition
  of that encounter (conditions.csv order) that maps, else NULL. Unmapped codes
  are listed in one warning.
* total_cost = ``TOTAL_CLAIM_COST`` rounded half-up to 2 places, in the
  source's currency: nothing is converted, and the report says so.
* person_id through the id map (see ``connectors.id_map``); BIRTHDATE and
  GENDER from patients.csv feed the pseudonymous ids.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from connectors.base import Connector, LoadOptions
from connectors.canonical import HOSPITAL_VISITS
from connectors.clinical_codes import UnmappedCodes, icd10_for_coding
from connectors.csv_reader import read_csv
from connectors.files import given_files
from connectors.id_map import Demographics, PersonRows, load_id_map, require_id_map
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

PATIENTS, ENCOUNTERS, CONDITIONS = "patients.csv", "encounters.csv", "conditions.csv"
SNOMED = "http://snomed.info/sct"
REQUIRED = ("Id", "START", "PATIENT", "ORGANIZATION", "ENCOUNTERCLASS")

VISIT_TYPES = {
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
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Patient:
    demographics: Demographics
    death_date: str | None


class SyntheaConnector(Connector):
    kind = "synthea"
    description = "Synthea CSV export (patients, encounters, conditions) -> hospital_visits"

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        spec = require_id_map(options.id_map, "Synthea")
        report = QualityReport(source=self.kind)
        files = _find_files(paths, report)
        encounters = files.get(ENCOUNTERS)
        if encounters is None:
            raise InputError(Text("synthea.no_encounters", name=ENCOUNTERS))
        patients = _read_patients(files.get(PATIENTS), report)
        unmapped = UnmappedCodes("SNOMED CT")
        conditions = _first_conditions(files.get(CONDITIONS), report, unmapped)
        id_map = load_id_map(spec, {k: p.demographics for k, p in patients.items()})
        rows = PersonRows(HOSPITAL_VISITS, id_map, report)
        _stage_encounters(encounters, patients, conditions, unmapped, rows)
        rows.load(store, replace=options.replace)
        report.warnings.append(english(Text("err.connectors.synthea.cost")))
        note = unmapped.warning(Text("err.connectors.codes.icd10_null"))
        if note:
            report.warnings.append(note)
        return report


def _find_files(paths: Sequence[Path], report: QualityReport) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in given_files(paths, lambda p: p.suffix.lower() == ".csv"):
        name = path.name.lower()
        if name not in (PATIENTS, ENCOUNTERS, CONDITIONS):
            files = f"{PATIENTS}, {ENCOUNTERS}, {CONDITIONS}"
            said = Text("err.connectors.synthea.not_used", path=path, files=files)
            report.warnings.append(english(said))
            continue
        if name in found:
            raise InputError(Text("synthea.twice", name=name, first=found[name], second=path))
        found[name] = path
        report.files.append(str(path))
    return found


@dataclass(frozen=True)
class _Csv:
    """One Synthea CSV as lists of strings, by upper-cased column name
    (Synthea versions differ in case: ``Id`` against ``ID``)."""

    path: Path
    columns: dict[str, list[str]]
    rows: list[int]
    malformed: list[tuple[int, str | Text]]

    def get(self, name: str) -> list[str]:
        return self.columns.get(name.upper(), [""] * len(self.rows))


def _read(path: Path, required: Sequence[str]) -> _Csv:
    result = read_csv(path)
    table: pa.Table = result.table
    by_name = {c.upper(): c for c in table.column_names if c != "_row"}
    missing = [c for c in required if c.upper() not in by_name]
    if missing:
        raise InputError(
            Text("synthea.columns", name=path.name, missing=", ".join(missing)),
            Location(str(path), None, None),
        )
    columns = {upper: table.column(name).to_pylist() for upper, name in by_name.items()}
    rows = [int(r) for r in table.column("_row").to_pylist()]
    return _Csv(path, columns, rows, result.malformed)


def _warn_malformed(csv: _Csv, report: QualityReport) -> None:
    """A broken patients/conditions record is not a visit: a warning, not a rejection."""
    for row, reason in csv.malformed:
        # A spreadsheet user finds the record by its line (issue 24 item 11).
        where = Text("where.row_line", row=row, line=row + 1)
        said = Text("err.connectors.synthea.malformed", path=csv.path, where=where, reason=reason)
        report.warnings.append(english(said))


def _read_patients(path: Path | None, report: QualityReport) -> dict[str, _Patient]:
    if path is None:
        report.warnings.append(english(Text("err.connectors.synthea.no_patients", name=PATIENTS)))
        return {}
    csv = _read(path, ("Id",))
    _warn_malformed(csv, report)
    patients: dict[str, _Patient] = {}
    repeated = 0
    rows = zip(
        csv.get("Id"), csv.get("BIRTHDATE"), csv.get("GENDER"), csv.get("DEATHDATE"), strict=True
    )
    for pid, birth, sex, death in rows:
        key = pid.strip()
        if key in patients:
            repeated += 1
            continue
        patients[key] = _Patient(Demographics(birth or None, sex or None), _date_part(death))
    if repeated:
        said = Text("err.connectors.synthea.repeated", path=path, n=repeated)
        report.warnings.append(english(said))
    return patients


def _first_conditions(
    path: Path | None, report: QualityReport, unmapped: UnmappedCodes
) -> dict[str, str]:
    """encounter id -> ICD-10 of its first condition (file order) that maps."""
    if path is None:
        said = Text("err.connectors.synthea.no_conditions", name=CONDITIONS)
        report.warnings.append(english(said))
        return {}
    csv = _read(path, ("ENCOUNTER", "CODE"))
    _warn_malformed(csv, report)
    first: dict[str, str] = {}
    for encounter, system, code in zip(
        csv.get("ENCOUNTER"), csv.get("SYSTEM"), csv.get("CODE"), strict=True
    ):
        if not code.strip():
            continue
        icd10 = icd10_for_coding(system.strip() or SNOMED, code)
        if icd10 is None:
            unmapped.note(code)
        else:
            first.setdefault(encounter.strip(), icd10)
    return first


def _stage_encounters(
    path: Path,
    patients: dict[str, _Patient],
    conditions: dict[str, str],
    unmapped: UnmappedCodes,
    rows: PersonRows,
) -> None:
    file = str(path)
    csv = _read(path, REQUIRED)
    for row, reason in csv.malformed:
        rows.reject(file, row, None, reason)
    ids, starts, stops = csv.get("Id"), csv.get("START"), csv.get("STOP")
    sources, hospitals, classes = (
        csv.get("PATIENT"),
        csv.get("ORGANIZATION"),
        csv.get("ENCOUNTERCLASS"),
    )
    costs, reasons = csv.get("TOTAL_CLAIM_COST"), csv.get("REASONCODE")
    other_classes: Counter[str] = Counter()
    after_death = 0
    for i, row in enumerate(csv.rows):
        source = sources[i].strip()
        klass = classes[i].strip().lower()
        visit_type = VISIT_TYPES.get(klass)
        if visit_type is None and klass:
            other_classes[klass] += 1
            visit_type = "outpatient"
        icd10 = None
        reason = reasons[i].strip()
        if reason:
            icd10 = icd10_for_coding(SNOMED, reason)
            if icd10 is None:
                unmapped.note(reason)
        visit_id = ids[i].strip()
        icd10 = icd10 or conditions.get(visit_id)
        visit_date = _date_part(starts[i])
        patient = patients.get(source)
        if patient and patient.death_date and visit_date and visit_date > patient.death_date:
            after_death += 1
        rows.add(
            file,
            row,
            source,
            "PATIENT",
            {
                "visit_id": visit_id,
                "hospital_id": hospitals[i],
                "visit_date": visit_date,
                "visit_type": visit_type,
                "discharge_date": _date_part(stops[i]) if visit_type == "inpatient" else None,
                "icd10": icd10,
                "total_cost": _cost(costs[i]),
            },
            patient.demographics if patient else None,
        )
    if other_classes:
        listed = ", ".join(f"{c} ({k})" for c, k in other_classes.most_common())
        said = Text("err.connectors.synthea.classes", file=file, listed=listed)
        rows.report.warnings.append(english(said))
    if after_death:
        said = Text("err.connectors.synthea.after_death", file=file, n=after_death)
        rows.report.warnings.append(english(said))


def _date_part(value: str | None) -> str | None:
    """The leading YYYY-MM-DD of a date or timestamp as written; anything else
    is passed on unchanged so that validation names the problem."""
    text = (value or "").strip()
    if not text:
        return None
    return text[:10] if _ISO_DATE.match(text) else text


def _cost(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    try:
        return str(Decimal(text).quantize(_CENT, rounding=ROUND_HALF_UP))
    except InvalidOperation:  # not a number, infinite, or too large to round
        return text

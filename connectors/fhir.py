"""FHIR R4 bulk-export NDJSON -> ``hospital_visits``.

Every ``.ndjson`` file of the folders given (or the files given) is read line
by line, one resource per line, and each line is dispatched on its
``resourceType``; file names do not matter. Encounters become visits;
Patients and Conditions only inform them; other resource types are counted
and ignored. Only the compact fields needed are kept, so memory grows with
the number of encounters, never with the size of a resource.

Mapping decisions (one visit per Encounter; row = its line in the file):

* visit_id = ``Encounter.id``; person through ``subject`` (``Patient/<id>``,
  also ``urn:uuid:<id>`` or a full URL) and the id map (``connectors.id_map``);
  ``Patient.birthDate`` and ``gender`` feed the pseudonymous ids.
* hospital_id = the organisation behind ``serviceProvider``: the identifier
  value of a conditional reference (``Organization?identifier=system|value``),
  the id of a literal one (``Organization/<id>``), else ``identifier.value``,
  else ``display``, else ``"unknown"`` (warned). The display is the last
  resort because names are not unique: in the real fixture "NEWMAN MEMORIAL
  COUNTY HOSPITAL" names three different organisations. For Synthea data the
  identifier value is the same organisation UUID as in its CSV export.
  Conditional references are never resolved, so missing Practitioner,
  Organization or Location files do not matter.
* visit_type from ``class.code`` (v3 ActCode): IMP, ACUTE, NONAC -> inpatient;
  EMER -> emergency; AMB, HH, VR, FLD, OBSENC, PRENC, SS -> outpatient; any
  other code -> outpatient, listed in a warning.
* visit_date = the date of ``period.start`` as written, i.e. the local date
  before its UTC offset (``1990-10-27T23:58:16-04:00`` is 1990-10-27);
  discharge_date = the date of ``period.end`` for inpatient visits only.
* icd10 = the first ``reasonCode`` coding that maps (SNOMED CT through
  ``clinical_codes``, or a WHO ICD-10 coding as given), else the first
  Condition referencing the encounter (file order) whose code maps, else NULL.
  Conditions marked entered-in-error or refuted are not used.
* total_cost = NULL: a bulk Encounter carries no cost (warned once).
* Encounters with status planned, cancelled or entered-in-error did not take
  place and are rejections.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from connectors.base import Connector, LoadOptions
from connectors.canonical import HOSPITAL_VISITS
from connectors.clinical_codes import SNOMED_SYSTEMS, UnmappedCodes, icd10_for_coding
from connectors.id_map import Demographics, PersonRows, load_id_map, require_id_map
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location

SUFFIXES = (".ndjson", ".jsonl")
UNKNOWN_HOSPITAL = "unknown"
INPATIENT = frozenset({"IMP", "ACUTE", "NONAC"})
EMERGENCY = frozenset({"EMER"})
OUTPATIENT = frozenset({"AMB", "HH", "VR", "FLD", "OBSENC", "PRENC", "SS"})
NOT_HELD = frozenset({"planned", "cancelled", "entered-in-error"})
NOT_A_DIAGNOSIS = frozenset({"entered-in-error", "refuted"})


@dataclass(frozen=True)
class _Encounter:
    file: str
    line: int
    id: str | None
    status: str | None
    patient: str | None
    class_code: str | None
    start: str | None
    end: str | None
    hospital: str | None
    reason_icd10: str | None


class FhirConnector(Connector):
    kind = "fhir"
    description = "FHIR R4 bulk NDJSON (Patient, Encounter, Condition) -> hospital_visits"

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        spec = require_id_map(options.id_map, "FHIR")
        report = QualityReport(source=self.kind)
        reader = _Reader(report)
        for path in _files(paths):
            report.files.append(str(path))
            reader.read(path)
        id_map = load_id_map(spec, reader.patients)
        rows = PersonRows(HOSPITAL_VISITS, id_map, report)
        reader.stage(rows)
        rows.load(store, replace=options.replace)
        report.warnings.extend(reader.warnings())
        return report


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.name.lower().endswith(SUFFIXES)))
        else:
            out.append(path)
    if not out:
        raise InputError("no .ndjson files among the FHIR paths given")
    return out


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for every non-blank line; text None when the line
    is not UTF-8. Reads one line at a time."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; errors name the file
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Location(str(path), None, None)) from exc
    with fh:
        for number, raw in enumerate(fh, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if text.strip():
                yield number, text


class _Reader:
    """Collects encounters, patient demographics and encounter diagnoses."""

    def __init__(self, report: QualityReport) -> None:
        self.report = report
        self.encounters: list[_Encounter] = []
        self.patients: dict[str, Demographics] = {}
        self.diagnoses: dict[str, str] = {}  # encounter id -> first mapped ICD-10
        self.bad_lines: list[tuple[str, int, str]] = []
        self.ignored: Counter[str] = Counter()
        self.unmapped = UnmappedCodes("SNOMED CT / other")
        self.other_classes: Counter[str] = Counter()
        self.no_hospital = 0

    def read(self, path: Path) -> None:
        file = str(path)
        for number, text in _lines(path):
            if text is None:
                self.bad_lines.append((file, number, "not UTF-8 text"))
                continue
            try:
                resource = json.loads(text)
            except json.JSONDecodeError as exc:
                self.bad_lines.append((file, number, f"not valid JSON ({exc.msg})"))
                continue
            except RecursionError:
                self.bad_lines.append((file, number, "JSON nested too deeply"))
                continue
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if kind == "Encounter":
                self.encounters.append(self._encounter(file, number, resource))
            elif kind == "Patient":
                self._patient(resource)
            elif kind == "Condition":
                self._condition(resource)
            elif isinstance(kind, str):
                self.ignored[kind] += 1
            else:
                self.bad_lines.append((file, number, "not a FHIR resource (no resourceType)"))

    def _encounter(self, file: str, line: int, res: dict[str, Any]) -> _Encounter:
        period = res.get("period")
        if not isinstance(period, dict):
            period = {}
        reason: str | None = None
        for concept in _list(res.get("reasonCode")):
            reason = reason or self._concept_icd10(concept)
        ident = res.get("id")
        return _Encounter(
            file=file,
            line=line,
            id=ident if isinstance(ident, str) else None,
            status=_text(res.get("status")),
            patient=_reference_id(res.get("subject"), "Patient"),
            class_code=_class_code(res.get("class")),
            start=_text(period.get("start")),
            end=_text(period.get("end")),
            hospital=_hospital(res.get("serviceProvider")),
            reason_icd10=reason,
        )

    def _patient(self, res: dict[str, Any]) -> None:
        ident = res.get("id")
        if isinstance(ident, str) and ident not in self.patients:
            self.patients[ident] = Demographics(
                _text(res.get("birthDate")), _text(res.get("gender"))
            )

    def _condition(self, res: dict[str, Any]) -> None:
        encounter = _reference_id(res.get("encounter"), "Encounter")
        verification = {c.get("code") for c in _codings(res.get("verificationStatus"))}
        if encounter is None or verification & NOT_A_DIAGNOSIS:
            return
        icd10 = self._concept_icd10(res.get("code"))
        if icd10 is not None:
            self.diagnoses.setdefault(encounter, icd10)

    def _concept_icd10(self, concept: Any) -> str | None:
        codings = _codings(concept)
        for coding in codings:
            icd10 = icd10_for_coding(_text(coding.get("system")), _text(coding.get("code")))
            if icd10 is not None:
                return icd10
        for coding in codings[:1]:
            system, code = _text(coding.get("system")) or "", _text(coding.get("code")) or ""
            self.unmapped.note(code if system.lower() in SNOMED_SYSTEMS else f"{system}|{code}")
        return None

    def stage(self, rows: PersonRows) -> None:
        for file, line, why in self.bad_lines:
            rows.reject(file, line, None, why)
        for enc in self.encounters:
            if enc.status in NOT_HELD:
                rows.reject(enc.file, enc.line, "status", f"status {enc.status}: not a visit")
                continue
            if enc.patient is None:
                rows.reject(enc.file, enc.line, "subject", "no Patient reference")
                continue
            visit_type = self._visit_type(enc.class_code)
            if enc.hospital is None:
                self.no_hospital += 1
            rows.add(
                enc.file,
                enc.line,
                enc.patient,
                "subject",
                {
                    "visit_id": enc.id,
                    "hospital_id": enc.hospital or UNKNOWN_HOSPITAL,
                    "visit_date": _date_part(enc.start),
                    "visit_type": visit_type,
                    "discharge_date": _date_part(enc.end) if visit_type == "inpatient" else None,
                    "icd10": enc.reason_icd10 or (self.diagnoses.get(enc.id) if enc.id else None),
                    "total_cost": None,
                },
                self.patients.get(enc.patient),
            )

    def _visit_type(self, code: str | None) -> str | None:
        if code is None:
            return None  # validation rejects it as a missing visit_type
        if code in INPATIENT:
            return "inpatient"
        if code in EMERGENCY:
            return "emergency"
        if code not in OUTPATIENT:
            self.other_classes[code] += 1
        return "outpatient"

    def warnings(self) -> list[str]:
        notes = ["total_cost is NULL: FHIR Encounter resources carry no cost"]
        if self.other_classes:
            listed = ", ".join(f"{c} ({n})" for c, n in self.other_classes.most_common())
            notes.append(f"Encounter.class codes taken as outpatient: {listed}")
        if self.no_hospital:
            notes.append(
                f"{self.no_hospital} encounter(s) without a usable serviceProvider: "
                f"hospital_id '{UNKNOWN_HOSPITAL}'"
            )
        if self.ignored:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(self.ignored.items()))
            notes.append(f"resources not used for hospital_visits: {listed}")
        note = self.unmapped.warning("they leave icd10 NULL unless another code of the visit maps")
        if note:
            notes.append(note)
        return notes


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in _list(concept.get("coding")) if isinstance(c, dict)]


def _reference_id(reference: Any, resource_type: str) -> str | None:
    """The id in ``Type/<id>``, ``.../Type/<id>/_history/<v>`` or ``urn:uuid:<id>``."""
    if not isinstance(reference, dict):
        return None
    ref = _text(reference.get("reference"))
    if ref is None:
        return None
    if ref.startswith("urn:uuid:"):
        return ref[len("urn:uuid:") :] or None
    parts = ref.split("?", 1)[0].split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return None


def _hospital(provider: Any) -> str | None:
    if not isinstance(provider, dict):
        return None
    ref = _text(provider.get("reference"))
    if ref and "?" in ref:
        for key, value in parse_qsl(ref.split("?", 1)[1]):
            if key == "identifier" and value.strip():
                return value.rsplit("|", 1)[-1].strip() or None
    elif ref:
        literal = _reference_id(provider, "Organization")
        if literal:
            return literal
    identifier = provider.get("identifier")
    if isinstance(identifier, dict) and _text(identifier.get("value")):
        return _text(identifier.get("value"))
    return _text(provider.get("display"))


def _class_code(value: Any) -> str | None:
    """R4 ``class`` is one Coding; R5 made it a list of CodeableConcepts."""
    if isinstance(value, dict):
        code = _text(value.get("code"))
        return code.upper() if code else None
    for concept in _list(value):
        for coding in _codings(concept):
            code = _text(coding.get("code"))
            if code:
                return code.upper()
    return None


def _date_part(value: str | None) -> str | None:
    """The date of a FHIR date or dateTime as written; a partial date (YYYY or
    YYYY-MM) is passed on so that validation rejects it by name."""
    if value is None:
        return None
    return value[:10] if len(value) >= 10 and value[4] == "-" and value[7] == "-" else value

"""FHIR R4 bulk-export NDJSON and Bundles -> ``hospital_visits``.

Every ``.ndjson`` file of the folders given (or the files given) is read line
by line, one resource per line, and each line is dispatched on its
``resourceType``; file names do not matter. A ``.json`` file (or an
``.ndjson`` one that is a single pretty-printed document) is read whole: a
Bundle contributes its entries' resources. Encounters become visits;
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
* visit_type from ``class`` (system, code) through ``FhirSettings``: the v3
  ActCode defaults (IMP, ACUTE, NONAC -> inpatient; EMER -> emergency; AMB,
  HH, VR, FLD, OBSENC, PRENC, SS -> outpatient) plus what the provider
  declares; any other class is a rejection, never a guess.
* Encounters ``partOf`` an admission in the same load are folded into it.
* visit_date = the date of ``period.start`` as written, i.e. the local date
  before its UTC offset (``1990-10-27T23:58:16-04:00`` is 1990-10-27);
  discharge_date = the date of ``period.end`` for inpatient visits only;
  both moved by a declared ``date_shift_days``.
* icd10 = the first ``reasonCode`` coding that maps (SNOMED CT through
  ``clinical_codes``, WHO ICD-10 as given, ICD-10-CM at its category, a
  declared local system, ICD-9 through a declared crosswalk), else the first
  Condition referencing the encounter (file order) whose code maps, else NULL.
  Conditions marked entered-in-error or refuted are not used.
* total_cost = NULL: a bulk Encounter carries no cost (warned once).
* Encounters with status planned, cancelled or entered-in-error did not take
  place and are rejections.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from connectors.base import Connector, LoadOptions
from connectors.canonical import HOSPITAL_VISITS
from connectors.clinical_codes import (
    EDITIONS,
    ICD9_SYSTEMS,
    ICD10_CM_SYSTEMS,
    ICD10_SYSTEMS,
    SNOMED_SYSTEMS,
    UnmappedCodes,
    icd10_as_written,
    icd10_for_coding,
)
from connectors.files import given_files, note_skipped
from connectors.id_map import Demographics, PersonRows, load_id_map, require_id_map
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

SUFFIXES = (".ndjson", ".jsonl")
UNKNOWN_HOSPITAL = "unknown"
INPATIENT = frozenset({"IMP", "ACUTE", "NONAC"})
EMERGENCY = frozenset({"EMER"})
OUTPATIENT = frozenset({"AMB", "HH", "VR", "FLD", "OBSENC", "PRENC", "SS"})
# The defaults for v3 ActCode class codes; a provider's settings add others.
DEFAULT_CLASSES: dict[str, str] = {
    **dict.fromkeys(INPATIENT, "inpatient"),
    **dict.fromkeys(EMERGENCY, "emergency"),
    **dict.fromkeys(OUTPATIENT, "outpatient"),
}
VISIT_TYPES = ("outpatient", "inpatient", "emergency")
_SETTINGS = {"encounter_class", "code_systems", "icd9_crosswalk", "date_shift_days"}
BUNDLE_SUFFIXES = (".json",)
NOT_HELD = frozenset({"planned", "cancelled", "entered-in-error"})
NOT_A_DIAGNOSIS = frozenset({"entered-in-error", "refuted"})


@dataclass(frozen=True)
class FhirSettings:
    """What a provider declares about its export (``--mapping FILE``, YAML or
    JSON; nothing is guessed without it)::

        encounter_class:        # class code (or system|code) -> visit type
          "EW EMER.": inpatient
        code_systems:           # local code system URI -> icd10 | icd10-cm | icd9
          http://fhir.mimic.mit.edu/CodeSystem/diagnosis-icd10: icd10-cm
        icd9_crosswalk: icd9_to_icd10.csv   # columns icd9,icd10; relative to this file
        date_shift_days: -73049             # added to every date (de-identified exports)
    """

    classes: dict[str, str]
    code_systems: dict[str, str]
    icd9_to_icd10: dict[str, str]
    date_shift_days: int = 0

    @classmethod
    def default(cls) -> FhirSettings:
        return cls(dict(DEFAULT_CLASSES), {}, {})

    @classmethod
    def load(cls, path: Path | None) -> FhirSettings:
        if path is None:
            return cls.default()
        where = Location(str(path), None, None)
        try:
            text = Path(path).read_text(encoding="utf-8")
            data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise InputError(Text("fhir.settings_unreadable", reason=exc), where) from exc
        if not isinstance(data, dict) or set(data) - _SETTINGS:
            unknown = sorted(set(data) - _SETTINGS) if isinstance(data, dict) else []
            keys = ", ".join(sorted(_SETTINGS))
            raise InputError(
                Text("fhir.settings_keys_not", keys=keys, unknown=", ".join(map(str, unknown)))
                if unknown
                else Text("fhir.settings_keys", keys=keys),
                where,
            )
        classes = dict(DEFAULT_CLASSES)
        for code, visit_type in _mapping_of(data.get("encounter_class"), where).items():
            if visit_type not in VISIT_TYPES:
                raise InputError(
                    Text(
                        "fhir.visit_type",
                        code=repr(code),
                        value=repr(visit_type),
                        choices=", ".join(VISIT_TYPES),
                    ),
                    where,
                )
            classes[code] = visit_type
        systems = _mapping_of(data.get("code_systems"), where)
        for uri, edition in systems.items():
            if edition not in EDITIONS:
                raise InputError(
                    Text(
                        "fhir.edition",
                        uri=repr(uri),
                        value=repr(edition),
                        choices=", ".join(EDITIONS),
                    ),
                    where,
                )
        crosswalk: dict[str, str] = {}
        if data.get("icd9_crosswalk") is not None:
            crosswalk = _crosswalk(Path(path).parent / str(data["icd9_crosswalk"]))
        shift = data.get("date_shift_days", 0)
        if not isinstance(shift, int) or isinstance(shift, bool):
            raise InputError(Text("fhir.shift"), where)
        return cls(classes, {k.lower(): v for k, v in systems.items()}, crosswalk, shift)

    def visit_type(self, system: str | None, code: str) -> str | None:
        if system and f"{system}|{code}" in self.classes:
            return self.classes[f"{system}|{code}"]
        return self.classes.get(code) or self.classes.get(code.upper())

    def icd10(self, system: str | None, code: str | None) -> tuple[str | None, bool]:
        """(ICD-10, whether the code was ICD-9 without a crosswalk entry)."""
        if not code:
            return None, False
        sys = (system or "").strip().lower()
        edition = self.code_systems.get(sys) or ("icd9" if sys in ICD9_SYSTEMS else None)
        if edition == "icd9":
            key = code.strip().upper().replace(".", "")
            target = self.icd9_to_icd10.get(key)
            return (icd10_as_written(target, "icd10") if target else None), target is None
        if edition is not None:
            return icd10_as_written(code, edition), False
        return icd10_for_coding(system, code), False

    def shift(self, value: str | None) -> str | None:
        """A date (the first 10 characters of a date or dateTime) moved by the
        declared shift; other values are passed on for validation to name."""
        day = _date_part(value)
        if not self.date_shift_days or day is None:
            return day
        try:
            moved = dt.date.fromisoformat(day) + dt.timedelta(days=self.date_shift_days)
        except ValueError:
            return day
        return moved.isoformat()


def _mapping_of(value: Any, where: Location) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(Text("fhir.mappings"), where)
    return {str(k).strip(): str(v).strip() for k, v in value.items()}


def _crosswalk(path: Path) -> dict[str, str]:
    """A declared ICD-9 -> ICD-10 crosswalk: CSV with columns icd9,icd10."""
    where = Location(str(path), None, None)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"icd9", "icd10"} <= set(reader.fieldnames):
                raise InputError(
                    Text(
                        "fhir.crosswalk_columns",
                        columns=", ".join(reader.fieldnames or []) or Text("mapping.no_columns"),
                    ),
                    where,
                )
            return {
                r["icd9"].strip().upper().replace(".", ""): r["icd10"].strip()
                for r in reader
                if r["icd9"] and r["icd10"]
            }
    except OSError as exc:
        raise InputError(Text("fhir.crosswalk_unreadable", reason=exc.strerror), where) from exc


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
    class_system: str | None = None
    part_of: str | None = None


class FhirConnector(Connector):
    kind = "fhir"
    description = (
        "FHIR R4 bulk NDJSON or Bundles (Patient, Encounter, Condition) -> hospital_visits"
    )

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        spec = require_id_map(options.id_map, "FHIR")
        settings = FhirSettings.load(options.mapping)
        report = QualityReport(source=self.kind)
        reader = _Reader(report, settings)
        skipped: list[Path] = []
        for path in _files(paths, skipped):
            report.files.append(str(path))
            reader.read(path)
        note_skipped(report, skipped, "FHIR")
        # Only the patients of the encounters: a Patient with no visit here
        # needs no id (and cannot collide with anyone).
        seen = {e.patient for e in reader.encounters}
        id_map = load_id_map(spec, {p: d for p, d in reader.patients.items() if p in seen})
        rows = PersonRows(HOSPITAL_VISITS, id_map, report)
        reader.stage(rows)
        rows.load(store, replace=options.replace)
        report.warnings.extend(reader.warnings())
        return report


def _files(paths: Sequence[Path], skipped: list[Path]) -> list[Path]:
    suffixes = SUFFIXES + BUNDLE_SUFFIXES
    out = list(given_files(paths, lambda p: p.name.lower().endswith(suffixes), skipped))
    if not out:
        raise InputError(Text("fhir.no_files"))
    return out


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for every non-blank line; text None when the line
    is not UTF-8. Reads one line at a time."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; errors name the file
    except OSError as exc:
        raise InputError(
            Text("file.cannot_read", reason=exc.strerror), Location(str(path), None, None)
        ) from exc
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

    def __init__(self, report: QualityReport, settings: FhirSettings | None = None) -> None:
        self.report = report
        self.settings = settings or FhirSettings.default()
        self.encounters: list[_Encounter] = []
        self.patients: dict[str, Demographics] = {}
        self.diagnoses: dict[str, str] = {}  # encounter id -> first mapped ICD-10
        self.bad_lines: list[tuple[str, int | None, Text]] = []
        self.ignored: Counter[str] = Counter()
        self.unmapped = UnmappedCodes("SNOMED CT / other")
        self.icd9_unmapped: Counter[str] = Counter()
        self.unknown_classes: Counter[str] = Counter()
        self.bundles: list[Text] = []
        self.conditions = 0
        self.folded = 0
        self.no_hospital = 0

    def read(self, path: Path) -> None:
        if path.name.lower().endswith(BUNDLE_SUFFIXES):
            self._read_document(path)
            return
        file = str(path)
        for number, text in _lines(path):
            if text is None:
                self.bad_lines.append((file, number, Text("err.connectors.fhir.not_utf8")))
                continue
            try:
                resource = json.loads(text)
            except json.JSONDecodeError as exc:
                if not self.bad_lines_in(file) and self._whole_document(path):
                    return  # one pretty-printed document (a Bundle), not NDJSON
                self.bad_lines.append((file, number, _json_problem(exc, text)))
                continue
            except RecursionError:
                self.bad_lines.append((file, number, Text("err.connectors.fhir.too_deep")))
                continue
            self._dispatch(file, number, resource)

    def bad_lines_in(self, file: str) -> bool:
        return any(f == file for f, _, _ in self.bad_lines) or any(
            e.file == file for e in self.encounters
        )

    def _whole_document(self, path: Path) -> bool:
        """Whether the file, read whole, is one JSON document; then it is read so."""
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return False
        self.report.warnings.append(english(Text("err.connectors.fhir.whole", path=path)))
        self._dispatch(str(path), None, data)
        return True

    def _read_document(self, path: Path) -> None:
        """A .json file: one Bundle (its entries' resources are read, row = the
        entry's number) or one resource."""
        file = str(path)
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except OSError as exc:
            raise InputError(
                Text("file.cannot_read", reason=exc.strerror), Location(file, None, None)
            ) from exc
        except UnicodeDecodeError:
            self.bad_lines.append((file, None, Text("err.connectors.fhir.not_utf8")))
            return
        except json.JSONDecodeError as exc:
            self.bad_lines.append(
                (file, None, Text("err.connectors.fhir.not_document", detail=exc.msg))
            )
            return
        except RecursionError:
            self.bad_lines.append((file, None, Text("err.connectors.fhir.too_deep")))
            return
        self._dispatch(file, None, data)

    def _dispatch(self, file: str, number: int | None, resource: Any) -> None:
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind == "Bundle":
            self._bundle(file, number, resource)
        elif kind == "Encounter":
            self.encounters.append(self._encounter(file, number or 1, resource))
        elif kind == "Patient":
            self._patient(resource)
        elif kind == "Condition":
            self._condition(resource)
        elif isinstance(kind, str):
            self.ignored[kind] += 1
        elif isinstance(resource, list):
            self.bad_lines.append(
                (
                    file,
                    number,
                    Text(
                        "err.connectors.fhir.array"
                        if resource
                        else "err.connectors.fhir.empty_array"
                    ),
                )
            )
        else:
            self.bad_lines.append((file, number, Text("err.connectors.fhir.no_type")))

    def _bundle(self, file: str, number: int | None, bundle: dict[str, Any]) -> None:
        kind = _text(bundle.get("type")) or "untyped"
        entries = _list(bundle.get("entry"))
        self.bundles.append(
            Text("err.connectors.fhir.bundle", file=file, kind=kind, n=len(entries))
        )
        for index, entry in enumerate(entries, 1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if resource is None:
                self.bad_lines.append(
                    (file, number or index, Text("err.connectors.fhir.entry", index=index))
                )
                continue
            self._dispatch(file, number or index, resource)

    def _encounter(self, file: str, line: int, res: dict[str, Any]) -> _Encounter:
        period = res.get("period")
        if not isinstance(period, dict):
            period = {}
        reason: str | None = None
        for concept in _list(res.get("reasonCode")):
            reason = reason or self._concept_icd10(concept)
        ident = res.get("id")
        system, code = _class_coding(res.get("class"))
        return _Encounter(
            file=file,
            line=line,
            id=ident if isinstance(ident, str) else None,
            status=_text(res.get("status")),
            patient=_reference_id(res.get("subject"), "Patient"),
            class_code=code,
            start=_text(period.get("start")),
            end=_text(period.get("end")),
            hospital=_hospital(res.get("serviceProvider")),
            reason_icd10=reason,
            class_system=system,
            part_of=_reference_id(res.get("partOf"), "Encounter"),
        )

    def _patient(self, res: dict[str, Any]) -> None:
        ident = res.get("id")
        if isinstance(ident, str) and ident not in self.patients:
            self.patients[ident] = Demographics(
                self.settings.shift(_text(res.get("birthDate"))), _text(res.get("gender"))
            )

    def _condition(self, res: dict[str, Any]) -> None:
        self.conditions += 1
        encounter = _reference_id(res.get("encounter"), "Encounter")
        verification = {c.get("code") for c in _codings(res.get("verificationStatus"))}
        if encounter is None or verification & NOT_A_DIAGNOSIS:
            return
        icd10 = self._concept_icd10(res.get("code"))
        if icd10 is not None:
            self.diagnoses.setdefault(encounter, icd10)

    def _concept_icd10(self, concept: Any) -> str | None:
        codings = _codings(concept)
        icd9: list[str] = []
        for coding in codings:
            icd10, no_crosswalk = self.settings.icd10(
                _text(coding.get("system")), _text(coding.get("code"))
            )
            if icd10 is not None:
                return icd10
            if no_crosswalk:
                icd9.append(_text(coding.get("code")) or "")
        if icd9:
            self.icd9_unmapped[icd9[0]] += 1
            return None
        for coding in codings[:1]:
            system, code = _text(coding.get("system")) or "", _text(coding.get("code")) or ""
            self.unmapped.note(code if system.lower() in SNOMED_SYSTEMS else f"{system}|{code}")
        return None

    def stage(self, rows: PersonRows) -> None:
        for file, line, why in self.bad_lines:
            rows.reject(file, line, None, why)
        admissions = {e.id for e in self.encounters if e.id and e.part_of is None}
        parts = [e for e in self.encounters if e.part_of is not None and e.part_of in admissions]
        for enc in parts:
            # An ICU stay, transfer ... is part of its admission: no visit of
            # its own; its diagnosis serves the admission when that has none.
            if enc.id and enc.part_of and enc.part_of not in self.diagnoses:
                found = enc.reason_icd10 or self.diagnoses.get(enc.id)
                if found:
                    self.diagnoses[enc.part_of] = found
        refused: set[str] = set()
        folded = {id(e) for e in parts}
        for enc in self.encounters:
            if id(enc) in folded:
                continue
            if not self._stage_one(enc, rows) and enc.id:
                refused.add(enc.id)
        for enc in parts:
            if enc.part_of in refused:
                rows.reject(
                    enc.file,
                    enc.line,
                    "partOf",
                    Text("err.connectors.fhir.part_of", admission=enc.part_of),
                )
            else:
                self.report.rows_read += 1
                self.report.rows_merged += 1
                self.folded += 1

    def _stage_one(self, enc: _Encounter, rows: PersonRows) -> bool:
        """Stage one encounter as a visit; False when it is rejected here."""
        if enc.status in NOT_HELD:
            rows.reject(
                enc.file, enc.line, "status", Text("err.connectors.fhir.status", status=enc.status)
            )
            return False
        if enc.patient is None:
            rows.reject(enc.file, enc.line, "subject", Text("err.connectors.fhir.no_patient"))
            return False
        visit_type = self._visit_type(enc.class_system, enc.class_code)
        if enc.class_code is not None and visit_type is None:
            code = repr(enc.class_code)
            said = (
                Text("err.connectors.fhir.class_in", code=code, system=enc.class_system)
                if enc.class_system
                else Text("err.connectors.fhir.class", code=code)
            )
            rows.reject(enc.file, enc.line, "class", said)
            return False
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
                "visit_date": self.settings.shift(enc.start),
                "visit_type": visit_type,
                "discharge_date": (
                    self.settings.shift(enc.end) if visit_type == "inpatient" else None
                ),
                "icd10": enc.reason_icd10 or (self.diagnoses.get(enc.id) if enc.id else None),
                "total_cost": None,
            },
            self.patients.get(enc.patient),
        )
        return True

    def _visit_type(self, system: str | None, code: str | None) -> str | None:
        if code is None:
            return None  # validation rejects it as a missing visit_type
        visit_type = self.settings.visit_type(system, code)
        if visit_type is None:
            self.unknown_classes[code] += 1
        return visit_type

    def warnings(self) -> list[str]:
        """The load's warnings, in English for the report (the terminal says
        each in the reader's language)."""
        notes: list[Text | str] = []
        if self.encounters:
            notes.append(Text("err.connectors.fhir.no_cost"))
        else:
            notes.append(Text("err.connectors.fhir.no_encounter"))
        notes.extend(self.bundles)
        if self.unknown_classes:
            listed = ", ".join(f"{c!r} ({n})" for c, n in self.unknown_classes.most_common())
            notes.append(Text("err.connectors.fhir.unknown_classes", listed=listed))
        if self.folded:
            notes.append(Text("err.connectors.fhir.folded", n=self.folded))
        if self.settings.date_shift_days:
            notes.append(Text("err.connectors.fhir.shifted", days=self.settings.date_shift_days))
        known = {e.id for e in self.encounters}
        orphans = sum(1 for enc in self.diagnoses if enc not in known)
        if orphans:
            notes.append(Text("err.connectors.fhir.orphans", n=orphans))
        if self.no_hospital:
            notes.append(
                Text(
                    "err.connectors.fhir.no_hospital", n=self.no_hospital, hospital=UNKNOWN_HOSPITAL
                )
            )
        if self.ignored:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(self.ignored.items()))
            notes.append(Text("err.connectors.fhir.ignored", listed=listed))
        if self.icd9_unmapped:
            notes.append(Text("err.connectors.fhir.icd9", n=sum(self.icd9_unmapped.values())))
        note = self.unmapped.warning(Text("err.connectors.codes.icd10_null"))
        if note:
            notes.append(note)
        # A local system among them may be an ICD-10 or ICD-9 edition under its
        # own URI (MIMIC's diagnosis-icd10): the provider can declare it.
        known = {*self.settings.code_systems, *ICD10_SYSTEMS, *ICD10_CM_SYSTEMS, *ICD9_SYSTEMS}
        local = Counter(
            system
            for system in (
                code.rsplit("|", 1)[0] for code in self.unmapped.counts.elements() if "|" in code
            )
            if system.strip().lower() not in known
        )
        if local:
            listed = ", ".join(f"{system} ({n})" for system, n in local.most_common(5))
            notes.append(Text("fhir.undeclared_systems", n=len(local), systems=listed))
        return [english(note) for note in notes]


def _json_problem(exc: json.JSONDecodeError, text: str) -> Text:
    if text.lstrip().startswith("{") and exc.lineno == 1 and exc.pos >= len(text.rstrip()):
        return Text("err.connectors.fhir.line_ends")
    return Text("err.connectors.fhir.bad_json", detail=exc.msg)


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


def _class_coding(value: Any) -> tuple[str | None, str | None]:
    """(system, code) of ``class``: R4 has one Coding; R5 a list of
    CodeableConcepts. The code keeps its case and spaces ("EW EMER.")."""
    if isinstance(value, dict):
        return _text(value.get("system")), _text(value.get("code"))
    for concept in _list(value):
        for coding in _codings(concept):
            code = _text(coding.get("code"))
            if code:
                return _text(coding.get("system")), code
    return None, None


def _date_part(value: str | None) -> str | None:
    """The date of a FHIR date or dateTime as written; a partial date (YYYY or
    YYYY-MM) is passed on so that validation rejects it by name."""
    if value is None:
        return None
    return value[:10] if len(value) >= 10 and value[4] == "-" and value[7] == "-" else value

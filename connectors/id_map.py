"""From a source's own patient ids to resident identity numbers (person_id).

Healthcare exports (Synthea, FHIR, HL7 v2) carry local patient ids, never a
GB 11643-1999 resident id, yet every canonical table is keyed by one so that
PSI can match people across providers. Guessing is never acceptable, so a
load must say how to get one (``LoadOptions.id_map``):

* a CSV file with header ``source_id,person_id``: the provider's own master
  patient index. Every person_id is validated when the map is read; a bad one
  stops the load with an ``InputError`` naming the file, row and field. A
  source record whose patient is not in the map is a rejection.
* ``"pseudonymous"``: deterministic demo ids, for synthetic or test data only.
  They never match a real person, so PSI across real providers finds nothing.

Pseudonymous scheme (18 characters, valid under GB 11643-1999)::

    990000 | YYYYMMDD   | SSS      | C
    region | birth date | sequence | check character

* region ``990000``: no real administrative region code starts with 99, so a
  pseudonymous id can never be mistaken for a real one.
* birth date: the patient's, when the source gives a full valid date;
  otherwise ``19000101`` and a warning in the quality report.
* sequence: ``n = int(SHA-256(source_id as UTF-8)[:8], big-endian)``; for a
  man ``2 * (n mod 500) + 1`` (odd, 001-999), for a woman
  ``2 * (n mod 499) + 2`` (even, 002-998), sex unknown ``n mod 999 + 1``
  (001-999, parity meaningless; warned). 000 is never used.
* check character: the standard one (``resident_id_check_char``).

Two source ids may land on the same pseudonymous id (about 1 in 500 for two
patients born the same day with the same sex). Silently merging two people
would be a guess, so a collision is refused: when the patients are known up
front (``load_id_map(spec, patients)``) ids are assigned in sorted source-id
order, which makes the outcome independent of record order; the later source
id gets no person_id and its records are rejections. Collisions are detected
within one load only: a node that is loaded several times could still merge
two people across loads, which is one more reason to keep pseudonymous ids
for demos.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from connectors.canonical import TableSpec
from connectors.csv_reader import read_csv
from connectors.identifiers import EARLIEST_BIRTH_YEAR, resident_id_check_char, validate_resident_id
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, InvalidIdentifier, Location
from trusted_space.core.i18n import Text, english

PSEUDONYMOUS = "pseudonymous"
PSEUDONYMOUS_REGION = "990000"
UNKNOWN_BIRTH_DATE = "19000101"
# Rejection reasons, in English for the report (the terminal says them in the reader's language).
NOT_IN_MAP = english(Text("err.connectors.id_map.not_in_map"))
COLLISION = english(Text("err.connectors.id_map.collision"))

_MALE = {"m", "male", "man", "1"}
_FEMALE = {"f", "female", "woman", "2"}
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class Demographics:
    """What a source says about a patient, for pseudonymous ids."""

    birth_date: str | None = None  # YYYY-MM-DD, YYYYMMDD or an HL7 TS
    sex: str | None = None  # M/F, male/female, 1/2 (any case)


def require_id_map(spec: str | None, kind: str) -> str:
    """The id-map option, or an ``InputError`` saying why it is needed."""
    if spec is None or not str(spec).strip():
        raise InputError(
            Text("err.connectors.id_map.required", kind=kind, pseudonymous=PSEUDONYMOUS)
        )
    return str(spec)


def load_id_map(spec: str, patients: Mapping[str, Demographics] | None = None) -> IdMap:
    """Open the map named by ``spec``: a CSV path or ``"pseudonymous"``.

    ``patients`` (source id -> demographics) lets the pseudonymous map assign
    every id up front in sorted order, so collisions do not depend on the order
    in which records happen to arrive.
    """
    if spec == PSEUDONYMOUS:
        return PseudonymousIdMap(patients or {})
    return CsvIdMap(Path(spec))


class IdMap(ABC):
    """Resolves a source patient id to a person_id, or says why it cannot."""

    @abstractmethod
    def person_id(
        self, source_id: str, birth_date: str | None = None, sex: str | None = None
    ) -> str | None:
        """The person_id for ``source_id``; None means reject (see ``reason``)."""

    @abstractmethod
    def reason(self, source_id: str) -> str:
        """Why ``person_id`` gave None; free of the source id's value."""

    def warnings(self) -> list[str]:
        """Remarks for the quality report once the load is done."""
        return []


class CsvIdMap(IdMap):
    """A provider's master patient index as ``source_id,person_id`` rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ids: dict[str, str] = {}
        where = Location(str(path), None, None)
        if not path.is_file():
            raise InputError(Text("id_map.missing"), where)
        result = read_csv(path)
        if result.malformed:
            row, why = result.malformed[0]
            raise InputError(why, Location(str(path), row, None))
        table = result.table
        missing = [c for c in ("source_id", "person_id") if c not in table.column_names]
        if missing:
            raise InputError(
                Text("id_map.header", missing=", ".join(missing)),
                where,
            )
        sources = table.column("source_id").to_pylist()
        persons = table.column("person_id").to_pylist()
        rows = table.column("_row").to_pylist()
        for source, person, row in zip(sources, persons, rows, strict=True):
            self._add(source.strip(), person, int(row))

    def _add(self, source: str, raw_person: str, row: int) -> None:
        if not source:
            raise InputError(Text("id_map.empty"), Location(str(self.path), row, "source_id"))
        at = Location(str(self.path), row, "person_id")
        try:
            person = validate_resident_id(raw_person, at)
        except InvalidIdentifier as exc:
            raise InputError(Text("id.invalid_person", reason=exc.reason), at) from exc
        known = self._ids.setdefault(source, person)
        if known != person:
            raise InputError(
                Text("id_map.two_people"),
                Location(str(self.path), row, "source_id"),
            )

    def __len__(self) -> int:
        return len(self._ids)

    def person_id(
        self, source_id: str, birth_date: str | None = None, sex: str | None = None
    ) -> str | None:
        return self._ids.get(source_id.strip())

    def reason(self, source_id: str) -> str:
        return NOT_IN_MAP


class PseudonymousIdMap(IdMap):
    """Deterministic demo ids; see the module docstring for the scheme."""

    def __init__(self, patients: Mapping[str, Demographics]) -> None:
        self._assigned: dict[str, str | None] = {}  # source id -> person id (None: collided)
        self._owner: dict[str, str] = {}  # person id -> source id
        self._no_birth = 0
        self._no_sex = 0
        self._collisions = 0
        for source in sorted(patients):
            info = patients[source]
            self._assign(source, info.birth_date, info.sex)

    def _assign(self, source: str, birth_date: str | None, sex: str | None) -> str | None:
        birth = _birth_yyyymmdd(birth_date)
        if birth is None:
            self._no_birth += 1
        male = _is_male(sex)
        if male is None:
            self._no_sex += 1
        person = pseudonymous_person_id(source, birth, male)
        owner = self._owner.setdefault(person, source)
        if owner != source:
            self._collisions += 1
            self._assigned[source] = None
            return None
        self._assigned[source] = person
        return person

    def person_id(
        self, source_id: str, birth_date: str | None = None, sex: str | None = None
    ) -> str | None:
        if source_id in self._assigned:
            return self._assigned[source_id]
        return self._assign(source_id, birth_date, sex)

    def reason(self, source_id: str) -> str:
        return COLLISION if self._assigned.get(source_id, "") is None else NOT_IN_MAP

    def warnings(self) -> list[str]:
        notes = [Text("err.connectors.id_map.pseudonymous")]
        if self._no_birth:
            notes.append(
                Text("err.connectors.id_map.no_birth", n=self._no_birth, date=UNKNOWN_BIRTH_DATE)
            )
        if self._no_sex:
            notes.append(Text("err.connectors.id_map.no_sex", n=self._no_sex))
        if self._collisions:
            notes.append(Text("err.connectors.id_map.collided", n=self._collisions))
        return [english(note) for note in notes]


def pseudonymous_person_id(source_id: str, birth_yyyymmdd: str | None, male: bool | None) -> str:
    """The pseudonymous id for one patient, without collision handling."""
    digest = hashlib.sha256(source_id.encode("utf-8")).digest()
    n = int.from_bytes(digest[:8], "big")
    if male is True:
        sequence = 2 * (n % 500) + 1
    elif male is False:
        sequence = 2 * (n % 499) + 2
    else:
        sequence = n % 999 + 1
    body = f"{PSEUDONYMOUS_REGION}{birth_yyyymmdd or UNKNOWN_BIRTH_DATE}{sequence:03d}"
    return body + resident_id_check_char(body)


def _birth_yyyymmdd(value: str | None) -> str | None:
    """YYYYMMDD for a full, real, past birth date; None otherwise."""
    if not value:
        return None
    match = _DATE.match(value.strip())
    if match is None:
        return None
    try:
        born = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    if born.year < EARLIEST_BIRTH_YEAR or born > dt.date.today():
        return None
    return born.strftime("%Y%m%d")


def _is_male(sex: str | None) -> bool | None:
    value = (sex or "").strip().lower()
    if value in _MALE:
        return True
    if value in _FEMALE:
        return False
    return None


class PersonRows:
    """Rows for one canonical table whose person_id comes from an ``IdMap``.

    The three healthcare connectors share the same bookkeeping: resolve the
    patient, refuse the record when that fails, and keep rows_read,
    rows_loaded and rows_rejected adding up. Refusals made here are counted
    here; everything staged is counted by ``NodeStore.load_table``, which also
    validates values and detects duplicate keys.
    """

    def __init__(self, spec: TableSpec, id_map: IdMap, report: QualityReport) -> None:
        self.spec = spec
        self.id_map = id_map
        self.report = report
        self._columns: dict[str, list[str | None]] = {c: [] for c in spec.column_names}
        self._files: list[str] = []
        self._rows: list[int] = []

    def __len__(self) -> int:
        return len(self._rows)

    def reject(self, file: str, row: int | None, field: str | None, reason: str | Text) -> None:
        """Refuse one source record before staging."""
        self.report.reject(file, row, field, reason)
        self.report.rows_read += 1
        self.report.rows_rejected += 1

    def add(
        self,
        file: str,
        row: int,
        source_patient: str,
        patient_field: str,
        values: Mapping[str, str | None],
        demographics: Demographics | None = None,
    ) -> bool:
        """Stage one record, or reject it when its patient has no person_id."""
        info = demographics or Demographics()
        person = self.id_map.person_id(source_patient, info.birth_date, info.sex)
        if person is None:
            self.reject(file, row, patient_field, self.id_map.reason(source_patient))
            return False
        self._columns["person_id"].append(person)
        for name, column in self._columns.items():
            if name != "person_id":
                column.append(values.get(name))
        self._files.append(file)
        self._rows.append(row)
        return True

    def load(self, store: NodeStore, *, replace: bool) -> None:
        """Hand the staged rows to the store and add the id map's remarks."""
        arrays: dict[str, pa.Array] = {
            name: pa.array(values, pa.string()) for name, values in self._columns.items()
        }
        arrays["_file"] = pa.array(self._files, pa.string())
        arrays["_row"] = pa.array(self._rows, pa.int64())
        store.load_table(self.spec, pa.table(arrays), self.report, replace=replace)
        self.report.warnings.extend(self.id_map.warnings())

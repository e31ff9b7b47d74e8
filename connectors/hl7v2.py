"""HL7 v2.5.1 ORU^R01 case notifications (CDC NNDSS MMGs) -> ``cdc_case_reports``.

Files may hold one or many messages. Segments may end in CR (the standard),
LF or CRLF; a UTF-8 byte order mark and MLLP framing bytes are dropped, and
zero-width spaces are removed from the values read. Each message is split
out here and parsed with the ``hl7`` package. Folders contribute their
``.hl7``, ``.txt``, ``.msg`` and ``.er7`` files in name order.

Mapping decisions (one report per case; row = the message's number in its
file, 1-based):

* report_id = the case's Local Record ID, OBR-3 first component, of the
  "Epidemiologic Information" OBR (OBR-4 68991-9; else the Generic v1 NOTF
  OBR; else the first OBR), of the case's last message. A case is identified
  by its state case id (OBX 77993-4 / INV173) with the reporting
  jurisdiction (77968-6 / NOT116) when it has one, else by the local record
  id; MSH-10 is only a message id and is not even unique in the fixtures.
* person through PID-3 first component and the id map (``connectors.id_map``);
  PID-7 birth date and PID-8 sex feed the pseudonymous ids.
* report_date = OBR-7, "Date First Electronically Submitted" in the MMGs: it
  stays the same when a case is corrected. Else OBR-22 (date of the latest
  notification), else MSH-7. The local date as written, before any offset.
* disease_icd10 = OBR-31 (NNDSS event code) through ``clinical_codes`` (CDC's
  whole list in ``nndss_icd10.csv``); a code without an ICD-10 equivalent is
  a rejection (the column is required) and is warned.
* case_status from the OBX 77990-0 (Generic v2) or INV163 (Generic v1) Case
  Class Status: SNOMED 410605003 confirmed, 2931005 probable, 415684004
  suspected. PHC178 "Not a Case" withdraws the case; any other status, or
  none, is a rejection.

Updates and deletes: NNDSS sends both as OBR-25 = C for the same case (the
same state case id; CDC's own series change the local record id). Within
one load, messages are applied in the order the files were given (a folder
in name order) and, inside a file, in message order; the last state of each
case is loaded. Every earlier message of that case is reported as
superseded, and a withdrawal removes the case, with a warning naming both
messages; an update or withdrawal that matches no earlier message is
warned. A case whose later message carries an earlier OBR-22 than the one
it replaces is still applied in file order, but warned. Corrections do not
reach reports loaded by an earlier load: those keys are already loaded and
the store refuses the new row, visibly, unless ``replace`` is set.

A file that holds no message (empty, a JSON envelope, a README) is a
file-level rejection and the other files load; only when no file is HL7 v2
at all is the load an ``InputError``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hl7

from connectors.base import Connector, LoadOptions
from connectors.canonical import CDC_CASE_REPORTS
from connectors.clinical_codes import (
    UnmappedCodes,
    icd10_for_nndss,
    nndss_known,
    nndss_name_agrees,
)
from connectors.csv_reader import detect_encoding
from connectors.files import given_files, note_skipped
from connectors.id_map import Demographics, PersonRows, load_id_map, require_id_map
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

SUFFIXES = (".hl7", ".txt", ".msg", ".er7")
EPIDEMIOLOGIC_OBR = "68991-9"
NOTIFICATION_OBR = "NOTF"  # Generic v1 and the guides built on it
# Where the guides put each value: the LOINC ids of Generic v2 and the guides
# built on it, then the PHIN question ids of Generic v1 (arboviral, varicella,
# tularemia, Hansen's disease ... messages).
CASE_CLASS_STATUS = ("77990-0", "INV163")
STATE_CASE_ID = ("77993-4", "INV173")
REPORTING_JURISDICTION = ("77968-6", "NOT116")
STATUSES = {"410605003": "confirmed", "2931005": "probable", "415684004": "suspected"}
NOT_A_CASE = "PHC178"
_BATCH_SEGMENTS = ("FHS", "BHS", "FTS", "BTS")
_INVISIBLE = str.maketrans("", "", "\u200b\ufeff")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


class _Unreadable(InputError):
    """A file with no message that can be read: why, for its rejection."""

    def __init__(self, reason: Text, where: Location) -> None:
        super().__init__(reason, where)
        self.reason = reason


class _Refused(Exception):
    """A message that cannot be a case report: field and reason."""

    def __init__(self, field: str, reason: Text) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class _Case:
    file: str
    row: int
    report_id: str
    patient: str
    demographics: Demographics
    report_date: str | None
    condition: str
    condition_name: str
    status: str | None  # None: withdrawn (Not a Case)
    correction: bool
    status_time: str
    state_case: tuple[str, str] | None  # (jurisdiction, state case id)


class Hl7v2Connector(Connector):
    kind = "hl7v2"
    description = "HL7 v2.5.1 ORU^R01 NNDSS case notifications -> cdc_case_reports"

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        spec = require_id_map(options.id_map, "HL7 v2")
        report = QualityReport(source=self.kind)
        cases: list[_Case] = []
        refused: list[tuple[str, int | None, str | None, str | Text]] = []
        unreadable: list[_Unreadable] = []
        skipped: list[Path] = []
        for path in _files(paths, skipped):
            report.files.append(str(path))
            try:
                messages = _messages(path, report)
            except _Unreadable as exc:
                # One unreadable file does not stop the others: it is a
                # file-level rejection (row None), counted as one record.
                unreadable.append(exc)
                refused.append((str(path), None, None, exc.reason))
                continue
            for row, text in enumerate(messages, 1):
                try:
                    cases.append(_parse(text, str(path), row))
                except _Refused as exc:
                    refused.append((str(path), row, exc.field, exc.reason))
        if unreadable and len(unreadable) == len(report.files):
            if len(unreadable) == 1:
                raise unreadable[0]
            listed = "; ".join(str(e) for e in unreadable)
            raise InputError(Text("hl7.none_readable", n=len(unreadable), files=listed))
        note_skipped(report, skipped, "HL7 v2")
        final, dropped = _latest_states(cases, report)
        patients: dict[str, Demographics] = {}
        for case in final:
            patients.setdefault(case.patient, case.demographics)
        rows = PersonRows(CDC_CASE_REPORTS, load_id_map(spec, patients), report)
        for file, number, field, reason in [*refused, *dropped]:
            rows.reject(file, number, field, reason)
        _stage(final, rows)
        rows.load(store, replace=options.replace)
        return report


def _files(paths: Sequence[Path], skipped: list[Path]) -> list[Path]:
    out = list(given_files(paths, lambda p: p.suffix.lower() in SUFFIXES, skipped))
    if not out:
        raise InputError(Text("hl7.no_files"))
    return out


def _messages(path: Path, report: QualityReport) -> list[str]:
    """The messages of one file, each as CR-separated segments."""
    where = Location(str(path), None, None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(Text("file.cannot_read", reason=exc.strerror), where) from exc
    if not data.strip():
        empty = "err.connectors.hl7.empty_bytes" if not data else "err.connectors.hl7.empty_blank"
        raise _Unreadable(Text(empty), where)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        raise _Unreadable(Text("err.connectors.hl7.json"), where)
    encoding = detect_encoding(path)
    if encoding != "utf-8":
        report.warnings.append(
            english(Text("err.connectors.file.read_as", path=path, encoding=encoding))
        )
    text = data.decode(encoding).replace("\x0b", "").replace("\x1c", "")
    messages: list[list[str]] = []
    stray = 0
    for segment in re.split(r"\r\n|\r|\n", text):
        segment = segment.lstrip("\ufeff")
        if not segment.strip() or segment.startswith(_BATCH_SEGMENTS):
            continue
        if segment.startswith("MSH"):
            messages.append([segment])
        elif messages:
            messages[-1].append(segment)
        else:
            stray += 1
    if not messages:
        raise _Unreadable(Text("err.connectors.hl7.no_msh"), where)
    if stray:
        report.warnings.append(english(Text("err.connectors.hl7.stray", path=path, n=stray)))
    return ["\r".join(m) for m in messages]


def _value(segment: Any, field: int, component: int = 1) -> str:
    """One component of the first repetition, unescaped, or "" when absent.
    HL7's explicit null ``""`` also reads as ""."""
    try:
        raw = segment.extract_field(1, field, 1, component, 1)
    except IndexError:
        return ""
    value = str(raw).translate(_INVISIBLE).strip()
    return "" if value == '""' else value


def _name(segment: Any) -> str:
    return str(segment[0]).translate(_INVISIBLE).strip()


def _parse(text: str, file: str, row: int) -> _Case:
    encoding = text[3:8]
    if len(encoding) < 5 or len(set(encoding)) < 5:
        raise _Refused("MSH-2", Text("err.connectors.hl7.separators", encoding=repr(encoding)))
    try:
        message = hl7.parse(text)
    except (hl7.ParseException, ValueError, IndexError, AssertionError) as exc:
        detail = str(exc) or type(exc).__name__
        raise _Refused("MSH", Text("err.connectors.hl7.unparsable", detail=detail)) from exc
    segments = list(message)
    msh = segments[0]
    if (_value(msh, 9, 1), _value(msh, 9, 2)) != ("ORU", "R01"):
        kind = "^".join(v for v in (_value(msh, 9, 1), _value(msh, 9, 2)) if v) or "(empty)"
        raise _Refused("MSH-9", Text(f"err.connectors.hl7.not_oru_{_article(kind)}", kind=kind))
    pid = next((s for s in segments if _name(s) == "PID"), None)
    if pid is None:
        raise _Refused("PID", Text("err.connectors.hl7.no_pid"))
    patient = _value(pid, 3)
    if not patient:
        raise _Refused("PID-3", Text("err.connectors.hl7.no_patient"))
    obrs = [i for i, s in enumerate(segments) if _name(s) == "OBR"]
    if not obrs:
        raise _Refused("OBR", Text("err.connectors.hl7.no_obr"))
    start = next(
        (i for i in obrs if _value(segments[i], 4) == EPIDEMIOLOGIC_OBR),
        next((i for i in obrs if _value(segments[i], 4) == NOTIFICATION_OBR), obrs[0]),
    )
    obr = segments[start]
    report_id = _value(obr, 3)
    if not report_id:
        raise _Refused("OBR-3", Text("err.connectors.hl7.no_record_id"))
    condition = _value(obr, 31)
    if not condition:
        raise _Refused("OBR-31", Text("err.connectors.hl7.no_condition"))
    observations = _observations(segments[start + 1 :])
    status_code = _first(observations, CASE_CLASS_STATUS)
    if not status_code:
        codes = " or ".join(CASE_CLASS_STATUS)
        raise _Refused("OBX-5", Text("err.connectors.hl7.no_status", codes=codes))
    if status_code != NOT_A_CASE and status_code not in STATUSES:
        raise _Refused("OBX-5", Text("err.connectors.hl7.status"))
    state_id = _first(observations, STATE_CASE_ID)
    jurisdiction = _first(observations, REPORTING_JURISDICTION)
    return _Case(
        file=file,
        row=row,
        report_id=report_id,
        patient=patient,
        demographics=Demographics(_value(pid, 7) or None, _value(pid, 8) or None),
        report_date=_date(_value(obr, 7) or _value(obr, 22) or _value(msh, 7)),
        condition=condition,
        condition_name=_value(obr, 31, 2),
        status=STATUSES.get(status_code),
        correction=_value(obr, 25).upper() == "C",
        status_time=_value(obr, 22),
        state_case=(jurisdiction, state_id) if state_id else None,
    )


def _observations(segments: list[Any]) -> dict[str, str]:
    """observation id -> first component of the first value, for the OBX
    segments of one OBR (up to the next OBR)."""
    found: dict[str, str] = {}
    for segment in segments:
        name = _name(segment)
        if name == "OBR":
            break
        if name == "OBX":
            found.setdefault(_value(segment, 3), _value(segment, 5))
    return found


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def _first(observations: dict[str, str], ids: tuple[str, ...]) -> str:
    return next((observations[i] for i in ids if observations.get(i)), "")


def _date(timestamp: str) -> str | None:
    """YYYY-MM-DD of an HL7 DTM as written (its offset ignored); a value that
    is not a full date is passed on so that validation names the problem."""
    if not timestamp:
        return None
    match = _DATE.match(timestamp)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else timestamp


def _time_key(timestamp: str) -> str:
    digits = re.match(r"\d*", timestamp)
    return (digits[0] if digits else "").ljust(14, "0")


def _case_key(case: _Case) -> tuple[str, ...]:
    """What identifies a case: the state case id with its reporting
    jurisdiction when the message has one (CDC's create/update/delete series
    change the local record id and keep this), else the local record id."""
    if case.state_case is not None:
        return ("state", *case.state_case)
    return ("local", case.report_id)


def _latest_states(
    cases: list[_Case], report: QualityReport
) -> tuple[list[_Case], list[tuple[str, int | None, str | None, Text]]]:
    """Apply the messages in order; the last state of each case, and a refusal
    for every message that does not end up as a row. Two messages are one case
    when they share a case key or a local record id."""
    slots: list[_Case | None] = []
    seen: list[bool] = []
    by_key: dict[tuple[str, ...], int] = {}
    dropped: list[tuple[str, int | None, str | None, Text]] = []
    for case in cases:
        keys = [_case_key(case), ("local", case.report_id)]
        slot = next((by_key[k] for k in keys if k in by_key), None)
        if slot is None:
            slot = len(slots)
            slots.append(None)
            seen.append(False)
        for key in keys:
            by_key.setdefault(key, slot)
        earlier = slots[slot]
        field = "OBR-3" if case.state_case is None else "OBX 77993-4"
        if earlier is not None:
            dropped.append(
                (
                    earlier.file,
                    earlier.row,
                    field,
                    Text("err.connectors.hl7.superseded", file=case.file, row=case.row),
                )
            )
            if case.status_time and _time_key(case.status_time) < _time_key(earlier.status_time):
                report.warnings.append(
                    english(Text("err.connectors.hl7.out_of_order", **_pair(case, earlier)))
                )
        if case.status is None:
            dropped.append((case.file, case.row, "OBX-5", Text("err.connectors.hl7.withdrawn")))
            if earlier is not None:
                report.warnings.append(
                    english(Text("err.connectors.hl7.withdrawn_removed", **_pair(case, earlier)))
                )
            elif not seen[slot]:
                said = Text(
                    "err.connectors.hl7.withdrawn_unseen",
                    file=case.file,
                    row=case.row,
                    case=_describe(case),
                )
                report.warnings.append(english(said))
        elif case.correction and not seen[slot]:
            said = Text(
                "err.connectors.hl7.correction_unseen",
                file=case.file,
                row=case.row,
                case=_describe(case),
            )
            report.warnings.append(english(said))
        slots[slot] = case if case.status is not None else None
        seen[slot] = True
    final = [c for c in slots if c is not None]
    return final, dropped


def _pair(case: _Case, earlier: _Case) -> dict[str, object]:
    return {
        "file": case.file,
        "row": case.row,
        "earlier_file": earlier.file,
        "earlier_row": earlier.row,
    }


def _describe(case: _Case) -> Text:
    if case.state_case is None:
        return Text("err.connectors.hl7.local_id", id=case.report_id)
    jurisdiction, state_id = case.state_case
    if jurisdiction:
        return Text(
            "err.connectors.hl7.state_id_in",
            state_id=state_id,
            jurisdiction=jurisdiction,
            id=case.report_id,
        )
    return Text("err.connectors.hl7.state_id", state_id=state_id, id=case.report_id)


def _stage(final: list[_Case], rows: PersonRows) -> None:
    unmapped = UnmappedCodes("NNDSS condition")
    renamed: Counter[str] = Counter()
    for case in final:
        icd10 = icd10_for_nndss(case.condition)
        if icd10 is None:
            unmapped.note(case.condition)
            known = nndss_known(case.condition)
            reason = "err.connectors.hl7.no_icd10" if known else "err.connectors.hl7.not_nndss"
            rows.reject(case.file, case.row, "OBR-31", Text(reason))
            continue
        if not nndss_name_agrees(case.condition, case.condition_name):
            renamed[case.condition] += 1
        rows.add(
            case.file,
            case.row,
            case.patient,
            "PID-3",
            {
                "report_id": case.report_id,
                "report_date": case.report_date,
                "disease_icd10": icd10,
                "case_status": case.status,
            },
            case.demographics,
        )
    note = unmapped.warning(Text("err.connectors.hl7.reports_rejected"))
    if note:
        rows.report.warnings.append(note)
    if renamed:
        listed = ", ".join(f"{c} ({n})" for c, n in renamed.most_common())
        rows.report.warnings.append(english(Text("err.connectors.hl7.renamed", listed=listed)))

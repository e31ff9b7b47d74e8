"""Open Contracting Data Standard (OCDS 1.0 and 1.1) -> ``tender_parties`` and
``tender_bids``.

A trading centre publishes its tenders and awards as OCDS; a bank asks, under
policy, how often a loan applicant bid and won. This connector turns the
publication into one row per organisation and one row per bid or award.

Reading. Paths are files or folders (``.json``, ``.jsonl``, ``.ndjson`` in
name order). A file may hold a release package, a record package, a JSON
array of packages, JSON Lines, several documents back to back, or bare
releases and records; ``ijson`` streams it, building one release or record at
a time, so a package of a million releases is never held in memory. UTF-8 (with
or without a BOM) is read as is; any other encoding is detected by
charset-normalizer on a sample around the first byte that is not UTF-8,
transcoded while streaming and named in a warning. Malformed JSON raises
``InputError`` before anything is written: every file is read and staged
before the first insert.

Compiling. Each release is staged as JSON text in a scratch SQLite file keyed
by its ocid (compared exactly as written: CDMX writes upper-case ocids); then
the releases of each ocid, from every file of the load, are merged in date
order (``connectors.ocds_merge``) into one compiled release, one ocid at a
time. A record is its own unit: its ``compiledRelease`` when present, else its
embedded releases merged in date order. Linked releases (url, date, tag only)
carry no data: a record with nothing else gives a warning and no rows.

Parties. Organisations come from ``parties[]`` and are referenced by id from
``buyer``, ``tender.tenderers[]`` and ``awards[].suppliers[]``; OCDS 1.0-style
releases without ``parties`` (CDMX) carry the identifier inline. The party key
comes from ``identifier`` (then ``additionalIdentifiers``), never from the
publisher's local party id:

* ``USCC:<code>`` for a valid unified social credit code under a scheme that
  names one (``USCC_SCHEMES``), under no scheme, or under another ``CN-``
  scheme; a USCC scheme with an invalid code is rejected with the reason;
* ``MX-RFC:<id>`` for an id without a scheme that has the form of a Mexican
  RFC (CDMX writes only the id), with a warning;
* otherwise ``<SCHEME>:<id>``, the scheme upper-cased, descriptive names that
  publishers write instead of the org-id.guide code mapped by
  ``SCHEME_ALIASES`` (so the keys match the ``MX-RFC:...`` a bank writes).

A party without a usable identifier is rejected (file, release row, field);
no key is invented for it. ``tender_parties`` gets one staged row per party key
of the load (with the file and row where it first appeared), so its cost grows
with the number of companies, not of mentions; a party already in the node
keeps its row and is counted as merged (``existing="keep"``). Its name is the
spelling seen most often in this load (ties: the first seen), its
``normalised_name`` from ``connectors.company_names``; the report lists keys
seen under several spellings and normalised names shared by several keys
(possible conflicts, never merged).

Bids. Per compiled release: one ``tenderer`` row per ``tender.tenderers[]``
entry and one ``supplier`` row per supplier of each award, keyed
``ocid|role|award id or -|supplier key``. tender_date is
tender.tenderPeriod.startDate, else tender.datePublished, else the release
date; award_date is award.date, else the earliest dateSigned of the award's
contracts, else the release date (dates as written, before any offset).
award_amount is rounded half-even to cents (warned when that changed it),
in the award's currency: nothing is converted here, and currencies that the
node's rate table cannot convert to ``BASE_CURRENCY`` are warned after the
load. Repeated bids (one ocid in two record files) are rejected as duplicates.

Rows. ``_row`` is the 1-based number of the release or record in its file; a
compiled ocid reports the first of its releases in load order.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import sqlite3
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, Literal

import charset_normalizer
import ijson
import pyarrow as pa

from connectors.base import Connector, LoadOptions
from connectors.canonical import AWARD_STATUSES, TENDER_BIDS, TENDER_PARTIES, TableSpec
from connectors.company_names import normalise_name
from connectors.identifiers import USCC_SCHEMES, normalise_uscc, uscc_error
from connectors.node_store import NodeStore
from connectors.ocds.merge import merge_into, release_sort_key
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location

SUFFIXES = (".json", ".jsonl", ".ndjson")
# The lending product sums amounts in yuan (products/lending/features.sql).
BASE_CURRENCY = "CNY"
# Schemes (upper-cased) whose ids are unified social credit codes: the codes
# banks hold for Chinese companies (GB 32100-2015).

# Descriptive scheme names publishers write instead of org-id.guide codes
# (upper-cased, spaces collapsed), as seen in Compranet and DNCP data.
SCHEME_ALIASES = {
    "REGISTRO FEDERAL DE CONTRIBUYENTES DE MÉXICO": "MX-RFC",
    "REGISTRO FEDERAL DE CONTRIBUYENTES": "MX-RFC",
    "REGISTRO ÚNICO DE CONTRIBUYENTE EMITIDO POR EL MINISTERIO DE HACIENDA": "PY-RUC",
}
# A Mexican RFC: 3 (companies) or 4 (persons) letters, a YYMMDD date and a
# 3-character homoclave. The date may hold a letter O typed for a zero, as
# CDMX's "TTVO711095D2" does; such ids are kept as written, and warned.
_RFC = re.compile(r"([A-ZÑ&]{3,4})([0-9O]{6})([A-Z0-9]{3})")
_FLOAT_LIKE_ID = re.compile(r"([0-9]+)\.0+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A release holding only these keys is a linked release: a pointer, no data.
LINK_KEYS = frozenset({"url", "date", "tag", "id", "ocid"})
# Keys by which a document without an ocid is still recognisably a release.
RELEASE_KEYS = frozenset(
    {"id", "date", "tag", "initiationType", "planning", "tender", "awards", "contracts", "parties"}
)
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_CENT = Decimal("0.01")
SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 16
BATCH_ROWS = 1000
ARROW_CHUNK_ROWS = 10_000
# Page cache of the scratch file; beyond it, pages stay on disk.
SCRATCH_CACHE_KIB = 64 * 1024
EXAMPLES = 3
LISTED = 20
# charset-normalizer often names a Central European code page for Spanish or
# Portuguese text that Windows-1252 decodes just as plausibly (a tie in its
# chaos and coherence scores, as for the CDMX latin-1 fixture); then the
# Western one is used, because a later ñ (0xF1) would read as ń in cp1250.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")


class OcdsConnector(Connector):
    kind = "ocds"
    description = "OCDS 1.0/1.1 release and record packages -> tender_parties, tender_bids"

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        report = QualityReport(source=self.kind)
        notes = _Notes()
        extractor = _Extractor(notes)
        with (
            tempfile.TemporaryDirectory(prefix="tspace-ocds-") as scratch_dir,
            _Scratch(Path(scratch_dir) / "releases.sqlite") as scratch,
        ):
            for path in _files(paths, report):
                report.files.append(str(path))
                _FileReader(path, scratch, notes, report).read()
            for problem in scratch.problems():
                extractor.reject(*problem)
            for unit in scratch.units(notes):
                extractor.release(unit)
        parties, bids = extractor.staged()
        for file, row, field_name, reason in extractor.rejections:
            report.reject(file, row, field_name, reason)
            report.rows_read += 1
            report.rows_rejected += 1
        with store.transaction():  # parties and bids: all or nothing
            store.load_table(
                TENDER_PARTIES, parties.table(), report, replace=options.replace, existing="keep"
            )
            store.load_table(TENDER_BIDS, bids.table(), report, replace=options.replace)
        extractor.note_names(notes)
        notes.emit(report)
        _warn_currencies(store, report)
        return report


# -- files and encodings --------------------------------------------------------


def _files(paths: Sequence[Path], report: QualityReport) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        found = (
            sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in found:
            resolved = file.resolve()
            if resolved in seen:
                report.warnings.append(f"{file}: given twice; read once")
                continue
            seen.add(resolved)
            out.append(file)
    if not out:
        raise InputError("no OCDS files (.json, .jsonl, .ndjson) among the paths given")
    return out


def _encoding(path: Path, report: QualityReport) -> str:
    """'utf-8' for UTF-8 (BOM or not), else the detected encoding, warned.

    Detection reads a sample starting shortly before the first byte that is
    not UTF-8, so that a file whose first megabyte is plain ASCII is not
    taken for ASCII."""
    where = Location(str(path), None, None)
    try:
        if path.stat().st_size == 0:
            raise InputError("empty file", where)
        offset = _first_non_utf8(path)
        if offset is None:
            return "utf-8"
        with open(path, "rb") as fh:
            start = max(0, offset - SAMPLE_BYTES // 16)
            head = fh.read(min(start, SAMPLE_BYTES // 16))
            fh.seek(start)
            sample = head + fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where) from exc
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    if best is None:
        raise InputError("not UTF-8, and no text encoding could be detected", where)
    candidates = {
        codecs.lookup(name).name
        for m in matches
        if m.chaos <= best.chaos and m.coherence >= best.coherence
        for name in m.could_be_from_charset
    }
    western = [codecs.lookup(c).name for c in _WESTERN]
    encoding = next((c for c in western if c in candidates), codecs.lookup(best.encoding).name)
    report.warnings.append(
        f"{path}: not UTF-8; read as {encoding} (detected by charset-normalizer)"
    )
    return encoding


def _first_non_utf8(path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(SAMPLE_BYTES):
                decoder.decode(chunk)
                consumed += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            # A sequence cut by the chunk end is still pending in the decoder.
            pending = len(decoder.getstate()[0])
            return max(0, consumed - pending + exc.start)
    return None


class _Undecodable(Exception):
    """Bytes that the detected encoding cannot decode, at ``offset``."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class _Transcoder:
    """A binary reader giving UTF-8 for a file in another encoding, chunk by
    chunk, for ijson (which reads bytes)."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._done = False
        self._consumed = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes read(0) to tell bytes from text
            return b""
        while not self._done:
            chunk = self._raw.read(CHUNK_BYTES)
            try:
                if not chunk:
                    self._done = True
                    return self._decoder.decode(b"", final=True).encode("utf-8")
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _Undecodable(self._consumed + exc.start) from exc
            self._consumed += len(chunk)
            if text:
                return text.encode("utf-8")
        return b""


# -- reading: documents, packages, releases, records ---------------------------


class _Scratch:
    """Releases staged as JSON text in a scratch SQLite file keyed by unit
    (an ocid, or one record), so a load's memory does not grow with its
    releases.

    SQLite rather than DuckDB: the merge needs each ocid's releases in date
    order, one ocid at a time. A B-tree index on (unit, date, seq) gives that
    order by lookups, without sorting the release texts; DuckDB 2.0 has to
    sort them, and its sort does not spill wide text (it fails at a 128 MB
    limit on 150 MB of releases).
    """

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",  # a scratch file: nothing to recover
            "synchronous = OFF",
            f"cache_size = -{SCRATCH_CACHE_KIB}",
            "temp_store = FILE",
        ):
            self.con.execute(f"PRAGMA {pragma}")
        self.con.execute(
            "CREATE TABLE staged (seq INTEGER PRIMARY KEY, unit TEXT NOT NULL, ocid TEXT, "
            "file TEXT, row INTEGER, release_id TEXT, sort_key TEXT, body TEXT)"
        )
        self.con.execute(
            "CREATE TABLE problems (seq INTEGER PRIMARY KEY, file TEXT, row INTEGER, "
            "field TEXT, reason TEXT, body TEXT)"
        )
        self.con.execute("BEGIN")
        self.next_seq = 1

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def add(self, unit: str, ocid: str, file: str, row: int, body: Any) -> None:
        release_id = sort_key = None
        if isinstance(body, dict):
            release_id = _id_text(body.get("id"))
            sort_key = release_sort_key(body.get("date"))
        self.con.execute(
            "INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.next_seq,
                unit,
                ocid,
                file,
                row,
                release_id,
                sort_key or "",
                json.dumps(body, ensure_ascii=False, default=_json_number),
            ),
        )
        self.next_seq += 1

    def refuse(self, file: str, row: int, field_name: str | None, reason: str, body: Any) -> None:
        """A release or record that cannot be staged; kept in order with the
        others so that ``take_from`` also takes it back."""
        text = json.dumps(body, ensure_ascii=False, default=_json_number)
        self.con.execute(
            "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?)",
            (self.next_seq, file, row, field_name, reason, text),
        )
        self.next_seq += 1

    def take_from(self, seq: int) -> list[Any]:
        """Remove and return, in order, what was staged from ``seq`` on (a
        document that turned out to be a record after its releases were
        streamed; a release without ocid is fine inside a record)."""
        rows = self.con.execute(
            "SELECT seq, body FROM staged WHERE seq >= ? UNION ALL "
            "SELECT seq, body FROM problems WHERE seq >= ? ORDER BY seq",
            (seq, seq),
        ).fetchall()
        self.con.execute("DELETE FROM staged WHERE seq >= ?", (seq,))
        self.con.execute("DELETE FROM problems WHERE seq >= ?", (seq,))
        return [_loads(body) for _, body in rows]

    def problems(self) -> list[tuple[str, int, str | None, str]]:
        rows = self.con.execute(
            "SELECT file, row, field, reason FROM problems ORDER BY seq"
        ).fetchall()
        return [(f, int(r), fld, reason) for f, r, fld, reason in rows]

    def units(self, notes: _Notes) -> Iterator[_Unit]:
        """Compiled releases, one per unit, in the order the units were first
        read; each merged from its releases in date order (undated first)."""
        self.con.execute("COMMIT")
        self.con.execute("CREATE INDEX staged_order ON staged (unit, sort_key, seq)")
        self.con.execute(
            "CREATE TABLE units AS SELECT unit, min(seq) AS first_seq FROM staged GROUP BY unit"
        )
        self.con.execute("CREATE INDEX units_order ON units (first_seq)")
        # Driven by units in first_seq order, each looked up through the index:
        # the rows come out in order without a sort of the release texts.
        cursor = self.con.execute(
            "SELECT s.unit, s.ocid, s.file, s.row, s.seq, s.release_id, s.sort_key, s.body "
            "FROM units u JOIN staged s ON s.unit = u.unit "
            "ORDER BY u.first_seq, s.sort_key, s.seq"
        )
        current: _Unit | None = None
        release_ids: set[str] = set()
        while rows := cursor.fetchmany(BATCH_ROWS):
            for unit, ocid, file, row, seq, release_id, sort_key, body in rows:
                if current is None or current.key != unit:
                    if current is not None:
                        yield current
                    current = _Unit(unit, ocid, file, int(row), {}, seq)
                    release_ids = set()
                elif seq < current.first_seq:
                    current.file, current.row, current.first_seq = file, int(row), seq
                if unit.startswith("ocid:"):
                    if not sort_key:
                        notes.add("undated", file, int(row))
                    if release_id is not None and release_id in release_ids:
                        notes.count("repeated_release")
                    release_ids.add(release_id)
                merge_into(current.compiled, _loads(body))
        if current is not None:
            yield current


@dataclass
class _Unit:
    """One ocid (or record) being compiled; file and row of its first release
    in load order."""

    key: str
    ocid: str
    file: str
    row: int
    compiled: dict[str, Any]
    first_seq: int


class _Malformed(Exception):
    """JSON that ends inside a value."""


class _FileReader:
    """Walks the parser events of one file and stages its releases."""

    def __init__(self, path: Path, scratch: _Scratch, notes: _Notes, report: QualityReport):
        self.path = path
        self.file = str(path)
        self.scratch = scratch
        self.notes = notes
        self.report = report
        self.row = 0  # releases and records read so far in this file
        self.documents = 0

    def read(self) -> None:
        encoding = _encoding(self.path, self.report)
        try:
            with open(self.path, "rb") as raw:
                if encoding == "utf-8":
                    if raw.read(3) != codecs.BOM_UTF8:
                        raw.seek(0)
                    self._parse(raw)
                else:
                    self._parse(_Transcoder(raw, encoding))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", self._where()) from exc
        except _Undecodable as exc:
            raise InputError(
                f"not valid {encoding} (as detected) near byte {exc.offset}", self._where()
            ) from exc
        except (ijson.JSONError, _Malformed, StopIteration) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "truncated"
            raise InputError(
                f"malformed JSON in document {max(self.documents, 1)}, after {self.row} "
                f"release(s)/record(s): {reason}",
                self._where(),
            ) from exc
        if self.documents == 0:
            raise InputError("no JSON value in the file", self._where())

    def _where(self) -> Location:
        return Location(self.file, None, None)

    def _parse(self, stream: Any) -> None:
        events: Iterator[tuple[str, Any]] = iter(
            ijson.basic_parse(stream, multiple_values=True, use_float=False)
        )
        for event, _value in events:
            if event == "start_map":
                self._document(events)
            elif event == "start_array":
                for item_event, item_value in events:
                    if item_event == "end_array":
                        break
                    if item_event != "start_map":
                        _build(item_event, item_value, events)
                        raise self._not_ocds("an array item that is not a JSON object")
                    self._document(events)
            else:
                raise self._not_ocds(f"a top-level {event} value")

    def _not_ocds(self, what: str) -> InputError:
        return InputError(
            f"document {max(self.documents, 1)} is {what}, not an OCDS package, record or release",
            self._where(),
        )

    def _document(self, events: Iterator[tuple[str, Any]]) -> None:
        """One top-level object: a package (its releases or records streamed
        one by one), a bare record or a bare release."""
        self.documents += 1
        meta: dict[str, Any] = {}
        streamed: tuple[int, int] | None = None  # (first seq, row before) of streamed releases
        packaged = False
        for event, key in events:
            if event == "end_map":
                break
            event, value = next(events)
            if key == "records" and event == "start_array" and "ocid" not in meta:
                packaged = True
                self._stream(events, self._record)
            elif key == "releases" and event == "start_array" and "ocid" not in meta:
                packaged = True
                if streamed is None:
                    streamed = (self.scratch.next_seq, self.row)
                self._stream(events, self._release)
            else:
                meta[key] = _build(event, value, events)
        if "ocid" in meta:
            if streamed is not None:
                # A bare record whose releases came before its ocid: they were
                # staged as package releases; take them back.
                first_seq, row_before = streamed
                meta["releases"] = self.scratch.take_from(first_seq)
                self.row = row_before
                self._record(meta)
            elif "releases" in meta or "compiledRelease" in meta:
                self._record(meta)
            else:
                self._release(meta)
        elif packaged:
            return
        elif "releases" in meta or "records" in meta:
            self.notes.add("empty_package", self.file, None)
        elif RELEASE_KEYS & set(meta):
            self._release(meta)
        else:
            raise self._not_ocds("an object without ocid, releases or records")

    def _stream(self, events: Iterator[tuple[str, Any]], handle: Callable[[Any], None]) -> None:
        for event, value in events:
            if event == "end_array":
                return
            handle(_build(event, value, events))

    def _release(self, release: Any) -> None:
        self.row += 1
        if not isinstance(release, dict):
            self.scratch.refuse(self.file, self.row, None, "not a JSON object", release)
            return
        ocid = _ocid(release.get("ocid"))
        if ocid is None:
            self.scratch.refuse(self.file, self.row, "ocid", "release has no ocid", release)
            return
        self.scratch.add(f"ocid:{ocid}", ocid, self.file, self.row, release)

    def _record(self, record: Any) -> None:
        self.row += 1
        if not isinstance(record, dict):
            self.scratch.refuse(self.file, self.row, None, "not a JSON object", None)
            return
        ocid = _ocid(record.get("ocid"))
        if ocid is None:
            self.scratch.refuse(self.file, self.row, "ocid", "record has no ocid", None)
            return
        unit = f"record:{self.scratch.next_seq}"
        compiled = record.get("compiledRelease")
        if isinstance(compiled, dict):
            self.scratch.add(unit, ocid, self.file, self.row, compiled)
            return
        releases = _list(record.get("releases"))
        embedded = [r for r in releases if isinstance(r, dict) and set(r) - LINK_KEYS]
        if not embedded:
            self.notes.add("linked_only", self.file, self.row)
            return
        if len(embedded) < len(releases):
            self.notes.add("linked_skipped", self.file, self.row)
        for release in embedded:
            self.scratch.add(unit, ocid, self.file, self.row, release)


def _build(event: str, value: Any, events: Iterator[tuple[str, Any]]) -> Any:
    """The value starting with ``event``, built from the following events."""
    if event not in _OPEN:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for ev, val in events:
        builder.event(ev, val)
        if ev in _OPEN:
            depth += 1
        elif ev in _CLOSE:
            depth -= 1
            if depth == 0:
                return builder.value
    raise _Malformed("the file ends inside a value")


def _json_number(value: Any) -> Any:
    """JSON for the Decimals ijson gives: a float when it round-trips to the
    same digits (read back exactly with ``parse_float=Decimal``), else text."""
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _ocid(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


# -- parties --------------------------------------------------------------------


@dataclass(frozen=True)
class _PartyId:
    key: str
    scheme: str
    identifier: str


@dataclass(frozen=True)
class _Problem:
    field: str
    reason: str


def _id_text(value: Any, notes: _Notes | None = None) -> str | None:
    """An id as text: numbers and strings alike, NFKC (full-width digits are
    the same id) and stripped; an integral number written like a float
    ("11111111.0", a spreadsheet's doing) loses its ".0"."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, Decimal | float):
        if Decimal(value).is_finite() and value == int(value):
            if notes is not None:
                notes.count("float_id")
            return str(int(value))
        return str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _FLOAT_LIKE_ID.fullmatch(text)
    if match:
        if notes is not None:
            notes.count("float_id")
        return match[1]
    return text or None


def _scheme(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme = " ".join(value.split()).upper()
    return SCHEME_ALIASES.get(scheme, scheme)


def _uscc(ident: str) -> tuple[str, str | None]:
    """(normalised code, why it is invalid or None). NFKC first: the shared
    normaliser maps full-width capitals but not full-width small letters."""
    code = normalise_uscc(unicodedata.normalize("NFKC", ident))
    return code, (uscc_error(code) if code else "empty code")


def _rfc_form(ident: str) -> Literal["valid", "bad date"] | None:
    """Whether an id without a scheme reads as a Mexican RFC, and whether its
    date part is a real date."""
    match = _RFC.fullmatch(ident.upper())
    if not match:
        return None
    if "O" not in match[2]:
        yy, mm, dd = (int(match[2][i : i + 2]) for i in (0, 2, 4))
        for century in (1900, 2000):
            try:
                dt.date(century + yy, mm, dd)
                return "valid"
            except ValueError:
                continue
    return "bad date"


def party_identity(org: dict[str, Any], path: str, notes: _Notes) -> _PartyId | _Problem:
    """The party key of an organisation object at ``path`` (see the module
    docstring), or why it has none."""
    candidates: list[tuple[str, Any]] = [(f"{path}.identifier", org.get("identifier"))]
    extra = org.get("additionalIdentifiers")
    if isinstance(extra, list):
        candidates += [(f"{path}.additionalIdentifiers[{i}]", c) for i, c in enumerate(extra)]
    unschemed: _Problem | None = None
    for where, candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        ident = _id_text(candidate.get("id"), notes)
        if ident is None:
            continue
        scheme = _scheme(candidate.get("scheme"))
        if scheme in USCC_SCHEMES:
            code, error = _uscc(ident)
            if error is not None:
                return _Problem(f"{where}.id", f"not a valid unified social credit code: {error}")
            return _PartyId(f"USCC:{code}", "USCC", code)
        if scheme is None or scheme.startswith("CN-"):
            code, error = _uscc(ident)
            if error is None:
                return _PartyId(f"USCC:{code}", "USCC", code)
        if scheme is None:
            rfc = _rfc_form(ident)
            if rfc is not None:
                notes.count("rfc_inferred")
                if rfc == "bad date":
                    notes.count("rfc_bad_date")
                return _PartyId(f"MX-RFC:{ident}", "MX-RFC", ident)
            unschemed = unschemed or _Problem(
                f"{where}.scheme",
                "no scheme, and the id is neither a unified social credit code nor a "
                "Mexican RFC; no party key is invented",
            )
            continue
        return _PartyId(f"{scheme}:{ident}", scheme, ident)
    return unschemed or _Problem(
        f"{path}.identifier",
        "no identifier (id) or additionalIdentifiers; no party key is invented",
    )


def _name(org: dict[str, Any]) -> str | None:
    for value in (org.get("name"), _obj(org.get("identifier")).get("legalName")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# -- compiled releases -> rows --------------------------------------------------


class _Rows:
    """Staged rows of one canonical table, with their file and release row.
    Columns move into Arrow every ``ARROW_CHUNK_ROWS`` rows: a million Python
    strings cost far more memory than the same text in Arrow."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        self.names = (*spec.column_names, "_file")
        self._pending: dict[str, list[str | None]] = {n: [] for n in self.names}
        self._batches: list[pa.RecordBatch] = []
        self.rows: list[int] = []

    def add(self, file: str, row: int, values: dict[str, str | None]) -> None:
        for name in self.spec.column_names:
            self._pending[name].append(values.get(name))
        self._pending["_file"].append(file)
        self.rows.append(row)
        if len(self._pending["_file"]) >= ARROW_CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending["_file"]:
            arrays = [pa.array(self._pending[n], pa.string()) for n in self.names]
            self._batches.append(pa.RecordBatch.from_arrays(arrays, names=list(self.names)))
            self._pending = {n: [] for n in self.names}

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> pa.Table:
        """The staging table; ``_row`` is each row's release (or record) number
        in its file, several rows sharing one."""
        self._flush()
        schema = pa.schema([(n, pa.string()) for n in self.names])
        table = pa.Table.from_batches(self._batches, schema=schema)
        return table.append_column("_row", pa.array(self.rows, pa.int64()))


class _Release:
    """Party resolution inside one compiled release."""

    def __init__(self, unit: _Unit, extractor: _Extractor) -> None:
        self.unit = unit
        self.x = extractor
        compiled = unit.compiled
        self.parties = _list(compiled.get("parties"))
        self.by_id: dict[str, int] = {}
        self.cache: dict[str, _PartyId | _Problem] = {}
        for i, party in enumerate(self.parties):
            if not isinstance(party, dict):
                continue
            pid = _id_text(party.get("id"))
            if pid is not None:
                if pid in self.by_id:
                    extractor.notes.add("duplicate_party_id", unit.file, unit.row)
                else:
                    self.by_id[pid] = i
            self.organisation(party, f"parties[{i}]")

    def organisation(self, org: dict[str, Any], path: str) -> _PartyId | _Problem:
        """Identify ``org`` once; record its party row (or its rejection)."""
        if path in self.cache:
            return self.cache[path]
        result = party_identity(org, path, self.x.notes)
        self.cache[path] = result
        if isinstance(result, _Problem):
            self.x.reject(self.unit.file, self.unit.row, result.field, result.reason)
            return result
        name = _name(org)
        if name is not None:
            self.x.spellings.setdefault(result.key, Counter())[name] += 1
        self.x.parties.setdefault(result.key, (result, self.unit.file, self.unit.row))
        return result

    def resolve(self, ref: Any, path: str) -> _PartyId | _Problem:
        """A reference ({id, name}) to its parties[] entry; an inline
        organisation (no parties[], or not found there) by its own identifier."""
        if not isinstance(ref, dict):
            return _Problem(path, "not an organisation object")
        rid = _id_text(ref.get("id"))
        if rid is not None and rid in self.by_id:
            i = self.by_id[rid]
            return self.organisation(self.parties[i], f"parties[{i}]")
        if isinstance(ref.get("identifier"), dict) or ref.get("additionalIdentifiers"):
            return self.organisation(ref, path)
        if rid is not None and self.parties:
            return _Problem(path, "refers to a party id not in parties[] and has no identifier")
        return _Problem(path, "no identifier and no party reference; no party key is invented")


class _Extractor:
    """Turns compiled releases into staged party and bid rows."""

    def __init__(self, notes: _Notes) -> None:
        self.notes = notes
        # party key -> (identity, file, row) of its first appearance
        self.parties: dict[str, tuple[_PartyId, str, int]] = {}
        self.spellings: dict[str, Counter[str]] = {}
        self.bids = _Rows(TENDER_BIDS)
        self.rejections: list[tuple[str, int | None, str | None, str]] = []

    def reject(self, file: str, row: int | None, field_name: str | None, reason: str) -> None:
        self.rejections.append((file, row, field_name, reason))

    def release(self, unit: _Unit) -> None:
        c = unit.compiled
        rel = _Release(unit, self)
        tender = _obj(c.get("tender"))
        if isinstance(tender.get("procuringEntity"), dict):
            rel.resolve(tender["procuringEntity"], "tender.procuringEntity")
        buyer_key = self._buyer(rel, c.get("buyer"))
        release_date = _date_part(c.get("date"))
        period = _obj(tender.get("tenderPeriod"))
        tender_date = (
            _date_part(period.get("startDate"))
            or _date_part(tender.get("datePublished"))
            or release_date
        )
        tenderers = _list(tender.get("tenderers"))
        awards = _list(c.get("awards"))
        if not tenderers and not awards:
            self.notes.add("no_bids", unit.file, unit.row)
            return
        common = {"ocid": unit.ocid, "buyer_key": buyer_key, "tender_date": tender_date}
        tenderer_keys: set[str] = set()
        for i, ref in enumerate(tenderers):
            party = rel.resolve(ref, f"tender.tenderers[{i}]")
            if isinstance(party, _Problem):
                self._reject_bid(unit, f"tender.tenderers[{i}]", "tenderer", party)
                continue
            tenderer_keys.add(party.key)
            self._bid(unit, common, "tenderer", None, party.key, {})
        contracts = _list(c.get("contracts"))
        for j, award in enumerate(awards):
            self._award(unit, rel, common, j, award, contracts, release_date)
        self._note_unlisted_tenderers(rel, tenderer_keys)

    def _buyer(self, rel: _Release, buyer: Any) -> str | None:
        if buyer is None:
            self.notes.add("no_buyer", rel.unit.file, rel.unit.row)
            return None
        party = rel.resolve(buyer, "buyer")
        if isinstance(party, _Problem):
            self.notes.add("buyer_unidentified", rel.unit.file, rel.unit.row)
            return None
        return party.key

    def _award(
        self,
        unit: _Unit,
        rel: _Release,
        common: dict[str, str | None],
        j: int,
        award: Any,
        contracts: list[Any],
        release_date: str | None,
    ) -> None:
        where = f"awards[{j}]"
        if not isinstance(award, dict):
            self.reject(unit.file, unit.row, where, "not an award object")
            return
        suppliers = _list(award.get("suppliers"))
        if not suppliers:
            self.notes.add("no_suppliers", unit.file, unit.row)
            return
        award_id = _id_text(award.get("id"))
        value = _obj(award.get("value"))
        amount = self._amount(value.get("amount"))
        currency = value.get("currency")
        status = self._status(award.get("status"))
        signed = [
            _date_part(k.get("dateSigned"))
            for k in contracts
            if isinstance(k, dict)
            and award_id is not None
            and _id_text(k.get("awardID")) == award_id
            and k.get("dateSigned")
        ]
        award_date = _date_part(award.get("date")) or min((d for d in signed if d), default=None)
        for k, ref in enumerate(suppliers):
            path = f"{where}.suppliers[{k}]"
            if award_id is None:
                self.reject(unit.file, unit.row, f"{where}.id", "award has no id")
                continue
            party = rel.resolve(ref, path)
            if isinstance(party, _Problem):
                self._reject_bid(unit, path, "supplier", party)
                continue
            self._bid(
                unit,
                common,
                "supplier",
                award_id,
                party.key,
                {
                    "award_date": award_date or release_date,
                    "award_amount": amount,
                    "currency": str(currency) if currency is not None else None,
                    "award_status": status,
                },
            )

    def _bid(
        self,
        unit: _Unit,
        common: dict[str, str | None],
        role: Literal["tenderer", "supplier"],
        award_id: str | None,
        supplier_key: str,
        award: dict[str, str | None],
    ) -> None:
        self.bids.add(
            unit.file,
            unit.row,
            {
                **common,
                **award,
                "bid_id": f"{unit.ocid}|{role}|{award_id or '-'}|{supplier_key}",
                "supplier_key": supplier_key,
                "role": role,
                "award_id": award_id,
            },
        )

    def _reject_bid(self, unit: _Unit, path: str, role: str, problem: _Problem) -> None:
        reason = f"{role} without a party key: {problem.reason}"
        if problem.field != path and not problem.field.startswith(f"{path}."):
            reason += f" (see {problem.field})"
        self.reject(unit.file, unit.row, path, reason)

    def _amount(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return str(value)
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            rounded = amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:  # not a number, infinite, or too long to round
            return str(value)
        if rounded != amount:
            self.notes.count("rounded")
        return format(rounded, "f")

    def _status(self, value: Any) -> str | None:
        if value is None:
            return None
        status = str(value).strip().lower()
        if status in AWARD_STATUSES:
            return status
        self.notes.count(f"status:{status}")
        return None

    def _note_unlisted_tenderers(self, rel: _Release, listed: set[str]) -> None:
        for i, party in enumerate(rel.parties):
            if not isinstance(party, dict) or "tenderer" not in (party.get("roles") or []):
                continue
            found = rel.cache.get(f"parties[{i}]")
            if isinstance(found, _PartyId) and found.key not in listed:
                self.notes.add("tenderer_role", rel.unit.file, rel.unit.row)

    def names(self) -> dict[str, str]:
        """The most frequent spelling per key; ties go to the first seen."""
        return {k: c.most_common(1)[0][0] for k, c in self.spellings.items()}

    def staged(self) -> tuple[_Rows, _Rows]:
        names = self.names()
        normalised = {k: normalise_name(n) for k, n in names.items()}
        parties = _Rows(TENDER_PARTIES)
        for party, file, row in self.parties.values():
            name = names.get(party.key)
            parties.add(
                file,
                row,
                {
                    "party_key": party.key,
                    "scheme": party.scheme,
                    "identifier": party.identifier,
                    "name": name,
                    "normalised_name": normalised.get(party.key) or None,
                },
            )
        return parties, self.bids

    def note_names(self, notes: _Notes) -> None:
        """Keys under several spellings (merged: one row), and normalised names
        under several keys (flagged only: identifiers decide, never names)."""
        variants = {k: len(c) for k, c in self.spellings.items() if len(c) > 1}
        if variants:
            notes.listing(
                "party keys seen under more than one name; the most frequent spelling was kept",
                [f"{k} ({n} spellings)" for k, n in variants.items()],
            )
        keys_by_name: dict[str, list[str]] = {}
        for key, spellings in self.spellings.items():
            for norm in dict.fromkeys(normalise_name(s) for s in spellings):
                if norm:
                    keys_by_name.setdefault(norm, []).append(key)
        shared = [keys for keys in keys_by_name.values() if len(keys) > 1]
        if shared:
            notes.listing(
                "possible conflicts: one normalised name used by several party keys "
                "(kept apart; check the identifiers)",
                [f"{' / '.join(keys)} ({len(keys)} keys)" for keys in shared],
            )


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one: publishers write
    ``null`` or the wrong type where an object belongs."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _date_part(value: Any) -> str | None:
    """The leading YYYY-MM-DD of a date or timestamp as written; anything else
    is passed on so that validation names the problem."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return text[:10] if _ISO_DATE.match(text) else text


# -- loading and the report -----------------------------------------------------


def _warn_currencies(store: NodeStore, report: QualityReport) -> None:
    """Amounts the lending features cannot convert: no conversion happens at
    load, and the features use the node's rate table only."""
    missing = store.con.execute(
        "SELECT currency, count(*) FROM tender_bids WHERE currency IS NOT NULL "
        "AND award_amount IS NOT NULL AND currency <> ? AND currency NOT IN "
        "(SELECT currency FROM currency_rates WHERE base_currency = ?) "
        "GROUP BY currency ORDER BY currency",
        [BASE_CURRENCY, BASE_CURRENCY],
    ).fetchall()
    for currency, n in missing:
        report.warnings.append(
            f"amounts in {currency} have no rate to {BASE_CURRENCY} in currency_rates "
            f"({n} bid row(s)); amount features will leave them out"
        )
    row = store.con.execute(
        "SELECT count(*) FROM tender_bids WHERE award_amount IS NOT NULL AND currency IS NULL"
    ).fetchone()
    if row and row[0]:
        report.warnings.append(
            f"{row[0]} award amount(s) have no currency; amount features will leave them out"
        )


_MESSAGES = {
    "undated": "releases without a readable date, merged before the dated releases of their ocid",
    "repeated_release": "releases repeating an (ocid, release id) already read (the same "
    "release in several files?); merged again in date order",
    "linked_only": "records with only linked releases (url, date, tag) and no "
    "compiledRelease: no data, no rows",
    "linked_skipped": "records mixing linked and embedded releases: the linked ones were skipped",
    "empty_package": "packages without releases or records",
    "no_bids": "compiled releases with neither tenderers nor awards (e.g. contract-only): "
    "no bid rows",
    "no_suppliers": "awards without suppliers: no supplier rows",
    "no_buyer": "compiled releases without a buyer: buyer_key left NULL",
    "buyer_unidentified": "compiled releases whose buyer has no party key: buyer_key left NULL",
    "duplicate_party_id": "compiled releases with a party id repeated in parties[]: "
    "references go to the first",
    "tenderer_role": "parties with the role 'tenderer' that tender.tenderers does not list: "
    "no tenderer row was made for them",
    "rfc_inferred": "identifiers without a scheme read as Mexican RFCs (MX-RFC) from their form",
    "rfc_bad_date": "ids without a scheme read as RFCs although their date part is not a date "
    "(a letter O for a zero?)",
    "float_id": "identifier ids written like floats ('11111111.0') read as integers",
    "rounded": "award amounts with more than 2 decimal places rounded half-even to cents",
}


@dataclass
class _Notes:
    """Warnings gathered during a load: a count and a few locations each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    listings: list[str] = field(default_factory=list)

    def add(self, kind: str, file: str, row: int | None) -> None:
        self.counts[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(file if row is None else f"{file} row {row}")

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def listing(self, message: str, items: list[str]) -> None:
        shown = ", ".join(items[:LISTED])
        more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
        self.listings.append(f"{message}: {len(items)}: {shown}{more}")

    def emit(self, report: QualityReport) -> None:
        statuses = {k[7:]: n for k, n in self.counts.items() if k.startswith("status:")}
        for kind, n in self.counts.items():
            if kind in _MESSAGES:
                where = self.examples.get(kind)
                suffix = f" (e.g. {'; '.join(where)})" if where else ""
                report.warnings.append(f"{_MESSAGES[kind]}: {n}{suffix}")
        if statuses:
            listed = ", ".join(f"{s or '(empty)'} ({n})" for s, n in statuses.items())
            report.warnings.append(
                "award statuses other than pending|active|cancelled|unsuccessful, "
                f"award_status left NULL: {listed}"
            )
        report.warnings.extend(self.listings)

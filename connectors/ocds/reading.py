"""Reading OCDS files: documents, packages, releases and records, streamed.

Paths are files or folders (``.json``, ``.jsonl``, ``.ndjson`` in name
order). A file may hold a release package, a record package, a JSON array of
packages, JSON Lines, several documents back to back, or bare releases and
records; ``ijson`` streams it, building one release or record at a time, so a
package of a million releases is never held in memory. Files not in UTF-8 are
transcoded while streaming (``connectors.ocds.encoding``). Malformed JSON
raises ``InputError`` before anything is written: every file is read and
staged (``connectors.ocds.staging``) before the first insert.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import ijson

from connectors.files import given_files, note_skipped
from connectors.ocds.encoding import Transcoder, Undecodable, detect_encoding
from connectors.ocds.notes import Notes
from connectors.ocds.staging import Scratch
from connectors.ocds.values import as_list
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

SUFFIXES = (".json", ".jsonl", ".ndjson")
# A release holding only these keys is a linked release: a pointer, no data.
LINK_KEYS = frozenset({"url", "date", "tag", "id", "ocid"})
# Keys by which a document without an ocid is still recognisably a release.
RELEASE_KEYS = frozenset(
    {"id", "date", "tag", "initiationType", "planning", "tender", "awards", "contracts", "parties"}
)
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


def input_files(paths: Sequence[Path], report: QualityReport) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    skipped: list[Path] = []
    for file in given_files(paths, lambda p: p.suffix.lower() in SUFFIXES, skipped):
        resolved = file.resolve()
        if resolved in seen:
            report.warnings.append(english(Text("err.connectors.ocds.twice", file=file)))
            continue
        seen.add(resolved)
        out.append(file)
    if not out:
        raise InputError(Text("ocds.no_files"))
    note_skipped(report, skipped, "OCDS")
    return out


class _Malformed(Exception):
    """JSON that ends inside a value."""


class FileReader:
    """Walks the parser events of one file and stages its releases."""

    def __init__(self, path: Path, scratch: Scratch, notes: Notes, report: QualityReport):
        self.path = path
        self.file = str(path)
        self.scratch = scratch
        self.notes = notes
        self.report = report
        self.row = 0  # releases and records read so far in this file
        self.documents = 0
        self.empty_arrays = 0  # top-level [] seen

    def read(self) -> None:
        encoding = detect_encoding(self.path, self.report)
        try:
            with open(self.path, "rb") as raw:
                if encoding == "utf-8":
                    if raw.read(3) != codecs.BOM_UTF8:
                        raw.seek(0)
                    self._parse(raw)
                else:
                    self._parse(Transcoder(raw, encoding))
        except OSError as exc:
            raise InputError(Text("file.cannot_read", reason=exc.strerror), self._where()) from exc
        except Undecodable as exc:
            raise InputError(
                Text("file.undecodable", encoding=encoding, offset=exc.offset), self._where()
            ) from exc
        except (ijson.JSONError, _Malformed, StopIteration) as exc:
            if self.documents == 0 and self._blank():
                raise InputError(Text("ocds.only_white_space"), self._where()) from exc
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "truncated"
            raise InputError(
                Text(
                    "ocds.malformed",
                    document=max(self.documents, 1),
                    rows=self.row,
                    reason=reason,
                ),
                self._where(),
            ) from exc
        if self.documents == 0:
            if self.path.stat().st_size == 0:
                raise InputError(Text("file.empty_bytes"), self._where())
            if self.empty_arrays:
                raise InputError(Text("ocds.empty_array"), self._where())
            raise InputError(Text("ocds.no_value"), self._where())

    def _blank(self) -> bool:
        """The file holds nothing but white space (and a byte order mark)."""
        with open(self.path, "rb") as raw:
            head = raw.read(3)
            if head != codecs.BOM_UTF8:
                raw.seek(0)
            while chunk := raw.read(1 << 16):
                if chunk.strip():
                    return False
        return True

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
                        if self.documents == 0:
                            self.empty_arrays += 1
                        break
                    if item_event != "start_map":
                        _build(item_event, item_value, events)
                        raise self._not_ocds(Text("ocds.what_item"))
                    self._document(events)
            else:
                raise self._not_ocds(Text("ocds.what_top", event=event))

    def _not_ocds(self, what: Text) -> InputError:
        return InputError(
            Text("ocds.not_ocds", document=max(self.documents, 1), what=what), self._where()
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
            raise self._not_ocds(Text("ocds.what_object"))

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
        releases = as_list(record.get("releases"))
        embedded = [r for r in releases if isinstance(r, dict) and set(r) - LINK_KEYS]
        if not embedded:
            self.notes.add("linked_only", self.file, self.row)
            return
        if len(embedded) < len(releases):
            self.notes.add("linked_skipped", self.file, self.row)
        for release in embedded:
            self.scratch.add(unit, ocid, self.file, self.row, release)


def _build(event: str, value: Any, events: Iterator[tuple[str, Any]]) -> Any:
    """The value starting with ``event``, built from the following events.

    Written out rather than ``ijson.ObjectBuilder``: a release is a few
    hundred events, and the generic builder's per-event dispatch was a
    quarter of an OCDS load's time. An explicit stack, so a hostile file's
    deep nesting cannot exhaust Python's recursion limit."""
    if event not in _OPEN:
        return value
    root: Any = {} if event == "start_map" else []
    stack: list[Any] = [root]
    top = root
    key: Any = None
    for ev, val in events:
        if ev == "map_key":
            key = val
        elif ev == "start_map" or ev == "start_array":
            child: Any = {} if ev == "start_map" else []
            if type(top) is dict:
                top[key] = child
            else:
                top.append(child)
            stack.append(child)
            top = child
        elif ev == "end_map" or ev == "end_array":
            stack.pop()
            if not stack:
                return root
            top = stack[-1]
        elif type(top) is dict:
            top[key] = val
        else:
            top.append(val)
    raise _Malformed("the file ends inside a value")


def _ocid(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None

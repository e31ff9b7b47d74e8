"""Read a CSV file into string columns, with exact record numbers.

The fast path is Arrow's multithreaded reader. When a file has malformed
records (a wrong number of fields), the file is read again with Python's csv
module so that every record keeps its true number, the malformed ones are
reported and the rest are kept.

Encoding: UTF-8 (a BOM is allowed); a file that is not valid UTF-8 is read as
GB18030, the superset of GBK that Chinese office software writes, and the
report says so. A declared encoding is used as given.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text

FALLBACK_ENCODING = "gb18030"
MAX_FIELD = 1 << 20


@dataclass
class CsvRead:
    table: pa.Table  # string columns named by the header, plus _row (int64)
    encoding: str
    malformed: list[tuple[int, str | Text]] = field(default_factory=list)  # (row, reason)


def _chinese_utf8(text: str) -> bool:
    """True when every non-ASCII character is Chinese (ideographs, CJK or
    full-width punctuation): UTF-8 Chinese text, not GB18030 bytes that
    happen to decode as UTF-8 (those give Cyrillic, Hebrew, Armenian...)."""
    wide = [c for c in text if ord(c) >= 0x80]
    return bool(wide) and all(
        "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
        for c in wide
    )


def detect_encoding(path: Path) -> str:
    """UTF-8 if the whole file is; else GB18030 if the whole file is and no
    line is UTF-8 with non-ASCII text (a file with both is refused: reading it
    either way would garble some rows); else the file is refused as not text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    where = Location(str(path), None, None)
    utf8_line = other_line = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                text = line.decode("utf-8")
                if utf8_line is None and _chinese_utf8(text):
                    utf8_line = number
            except UnicodeDecodeError:
                if other_line is None:
                    other_line = number
                try:
                    line.decode(FALLBACK_ENCODING)
                except UnicodeDecodeError:
                    raise InputError(
                        Text("csv.not_text", line=number),
                        where,
                    ) from None
            if utf8_line is not None and other_line is not None:
                raise InputError(
                    Text("csv.mixed", utf8=utf8_line, other=other_line),
                    where,
                )
    return FALLBACK_ENCODING


def read_csv(path: Path, encoding: str | None = None) -> CsvRead:
    path = Path(path)
    where = Location(str(path), None, None)
    if path.stat().st_size == 0:
        raise InputError(Text("csv.empty"), where)
    enc = encoding or detect_encoding(path)
    try:
        codecs.lookup(enc)
    except LookupError:
        raise InputError(Text("csv.encoding", encoding=repr(enc)), where) from None
    with open(path, encoding="utf-8-sig" if enc == "utf-8" else enc, newline="") as fh:
        try:
            header = next(csv.reader(fh))
        except StopIteration:
            raise InputError(Text("csv.empty"), where) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(Text("csv.header", reason=exc), where) from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError(Text("csv.no_header"), where)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(Text("csv.repeated", columns=duplicates), where)
    if "\x00" in "".join(header):
        raise InputError(Text("csv.nul"), where)

    bad: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if enc == "utf-8" else enc,
                column_names=header,
                skip_rows=1,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "straddling" in str(exc) or "CSV parse error" in str(exc):
            return _read_slow(path, enc, header)
        raise InputError(Text("csv.unreadable", reason=exc), where) from exc
    if bad:
        return _read_slow(path, enc, header)
    table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    return CsvRead(table, enc)


def _read_slow(path: Path, enc: str, header: list[str]) -> CsvRead:
    """Record-by-record read that keeps true record numbers."""
    csv.field_size_limit(MAX_FIELD)
    columns: list[list[str]] = [[] for _ in header]
    rows: list[int] = []
    malformed: list[tuple[int, str | Text]] = []
    with open(
        path, encoding="utf-8-sig" if enc == "utf-8" else enc, newline="", errors="strict"
    ) as fh:
        reader = csv.reader(_no_nul(fh))
        next(reader)
        record = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                malformed.append((record, Text("csv.malformed", reason=exc)))
                continue
            if not fields:
                continue  # a blank line is not a record (as in the fast path)
            record += 1
            if len(fields) != len(header):
                malformed.append(
                    (record, Text("csv.fields", expected=len(header), found=len(fields)))
                )
                continue
            rows.append(record)
            for i, value in enumerate(fields):
                columns[i].append(value)
    arrays = {h: pa.array(col, pa.string()) for h, col in zip(header, columns, strict=True)}
    arrays["_row"] = pa.array(rows, pa.int64())
    return CsvRead(pa.table(arrays), enc, malformed)


def _no_nul(fh: io.TextIOBase):  # type: ignore[no-untyped-def]
    for line in fh:
        yield line.replace("\x00", "\ufffd")

"""The text encoding of an OCDS file, and a transcoding reader for ijson.

UTF-8 (with or without a BOM) is read as is; any other encoding is detected
by charset-normalizer on a sample around the first byte that is not UTF-8,
transcoded while streaming and named in a warning.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, english

SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 16
# charset-normalizer often names a Central European code page for Spanish or
# Portuguese text that Windows-1252 decodes just as plausibly (a tie in its
# chaos and coherence scores, as for the CDMX latin-1 fixture); then the
# Western one is used, because a later ñ (0xF1) would read as ń in cp1250.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")


def detect_encoding(path: Path, report: QualityReport) -> str:
    """'utf-8' for UTF-8 (BOM or not), else the detected encoding, warned.

    Detection reads a sample starting shortly before the first byte that is
    not UTF-8, so that a file whose first megabyte is plain ASCII is not
    taken for ASCII."""
    where = Location(str(path), None, None)
    try:
        if path.stat().st_size == 0:
            raise InputError(Text("file.empty"), where)
        offset = _first_non_utf8(path)
        if offset is None:
            return "utf-8"
        with open(path, "rb") as fh:
            start = max(0, offset - SAMPLE_BYTES // 16)
            head = fh.read(min(start, SAMPLE_BYTES // 16))
            fh.seek(start)
            sample = head + fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(Text("file.cannot_read", reason=exc.strerror), where) from exc
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    if best is None:
        raise InputError(Text("file.no_encoding"), where)
    candidates = {
        codecs.lookup(name).name
        for m in matches
        if m.chaos <= best.chaos and m.coherence >= best.coherence
        for name in m.could_be_from_charset
    }
    western = [codecs.lookup(c).name for c in _WESTERN]
    encoding = next((c for c in western if c in candidates), codecs.lookup(best.encoding).name)
    said = Text("err.connectors.ocds.detected", path=path, encoding=encoding)
    report.warnings.append(english(said))
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


class Undecodable(Exception):
    """Bytes that the detected encoding cannot decode, at ``offset``."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class Transcoder:
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
                raise Undecodable(self._consumed + exc.start) from exc
            self._consumed += len(chunk)
            if text:
                return text.encode("utf-8")
        return b""

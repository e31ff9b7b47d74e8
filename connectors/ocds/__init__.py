"""Open Contracting Data Standard (OCDS 1.0 and 1.1) -> ``tender_parties`` and
``tender_bids``.

A trading centre publishes its tenders and awards as OCDS; a bank asks, under
policy, how often a loan applicant bid and won. This connector turns the
publication into one row per organisation and one row per bid or award, one
job per module, in the order of a load:

* ``reading``: files, documents, packages, releases and records, streamed
  with ijson (``encoding``: files not in UTF-8, detected and transcoded);
* ``staging``: releases staged in a scratch SQLite file, then compiled one
  ocid (or record) at a time, merged in date order by ``merge`` (the OCDS
  merge routine);
* ``parties``: the party key of each organisation (``USCC:``, ``MX-RFC:``,
  ``<SCHEME>:``), never invented;
* ``extract``: compiled releases -> ``tender_parties`` and ``tender_bids``
  rows, which the node store validates and inserts in one transaction;
* ``notes``: the load's warnings, counted, and the currencies the node cannot
  convert;
* ``values``: ids, dates, objects and lists as publishers write them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from connectors.base import Connector, LoadOptions
from connectors.canonical import TENDER_BIDS, TENDER_PARTIES
from connectors.node_store import NodeStore
from connectors.ocds.extract import Extractor
from connectors.ocds.merge import merge_releases, release_sort_key
from connectors.ocds.notes import Notes, warn_currencies
from connectors.ocds.parties import read_publisher
from connectors.ocds.reading import FileReader, input_files
from connectors.ocds.staging import Scratch
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text

__all__ = ["OcdsConnector", "merge_releases", "release_sort_key"]


class OcdsConnector(Connector):
    kind = "ocds"
    description = "OCDS 1.0/1.1 release and record packages -> tender_parties, tender_bids"

    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        report = QualityReport(source=self.kind)
        notes = Notes()
        extractor = Extractor(notes, read_publisher(options.mapping))
        with (
            tempfile.TemporaryDirectory(prefix="tspace-ocds-") as scratch_dir,
            Scratch(Path(scratch_dir) / "releases.sqlite") as scratch,
        ):
            files = input_files(paths, report)
            unreadable: list[InputError] = []
            for path in files:
                report.files.append(str(path))
                start = scratch.next_seq
                try:
                    FileReader(path, scratch, notes, report).read()
                except InputError as exc:
                    # One unreadable file does not stop the others: what it
                    # staged is taken back, and it is a file-level rejection
                    # (row None), counted as one record.
                    scratch.take_from(start)
                    unreadable.append(exc)
                    report.reject(str(path), None, None, exc.reason)
                    report.rows_read += 1
                    report.rows_rejected += 1
            if unreadable and len(unreadable) == len(files):
                if len(unreadable) == 1:
                    raise unreadable[0]
                listed = "; ".join(str(e) for e in unreadable)
                raise InputError(Text("ocds.none_readable", n=len(unreadable), files=listed))
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
        warn_currencies(store, report)
        return report

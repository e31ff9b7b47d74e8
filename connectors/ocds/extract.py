"""Compiled OCDS releases -> staged ``tender_parties`` and ``tender_bids`` rows.

Parties. ``tender_parties`` gets one staged row per party key of the load
(``connectors.ocds.parties``; with the file and row where it first
appeared), so its cost grows with the number of companies, not of mentions;
a party already in the node keeps its row and is counted as merged
(``existing="keep"``). Its name is the spelling seen most often in this load
(ties: the first seen), its ``normalised_name`` from
``connectors.company_names``; the report lists keys seen under several
spellings and normalised names shared by several keys (possible conflicts,
never merged).

Bids. Per compiled release: one ``tenderer`` row per ``tender.tenderers[]``
entry and one ``supplier`` row per supplier of each award, keyed
``ocid|role|award id or -|supplier key``. tender_date is
tender.tenderPeriod.startDate, else its endDate, else tender.datePublished,
never the release's date (a release may be published years after its
tender); award_date is award.date, else the earliest dateSigned of the
award's contracts, else the release date (warned); dates as written, before
any offset. Warned with counts and examples: bids with no usable date (no
tender date, and for a supplier no award date either), tender periods that
end before they start, and tender dates after their award's date.
award_amount is rounded half-even to cents (warned when that changed it),
in the award's currency: nothing is converted here, and currencies that the
node's rate table cannot convert to ``BASE_CURRENCY`` are warned after the
load (``connectors.ocds.notes``). Repeated bids (one ocid in two record
files) are rejected as duplicates.

Rows. ``_row`` is the 1-based number of the release or record in its file; a
compiled ocid reports the first of its releases in load order.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Literal

import pyarrow as pa

from connectors.canonical import AWARD_STATUSES, TENDER_BIDS, TENDER_PARTIES, TableSpec
from connectors.company_names import normalise_name
from connectors.ocds.notes import Notes
from connectors.ocds.parties import PartyId, Problem, party_identity, party_name
from connectors.ocds.staging import Unit
from connectors.ocds.values import as_list, as_object, date_part, id_text
from trusted_space.core.i18n import Text, english

_CENT = Decimal("0.01")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ARROW_CHUNK_ROWS = 10_000


def _iso(day: str | None) -> bool:
    """Whether a date as staged is a YYYY-MM-DD day that can be compared."""
    return day is not None and _ISO_DAY.fullmatch(day) is not None


def _suppliers_in(value: Any) -> int:
    """Supplier entries anywhere inside ``value`` (lists under a
    ``suppliers`` key)."""
    if isinstance(value, dict):
        return sum(
            (len(v) if k == "suppliers" and isinstance(v, list) else 0) + _suppliers_in(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return sum(_suppliers_in(v) for v in value)
    return 0


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

    def __init__(self, unit: Unit, extractor: Extractor) -> None:
        self.unit = unit
        self.x = extractor
        compiled = unit.compiled
        self.parties = as_list(compiled.get("parties"))
        self.by_id: dict[str, int] = {}
        self.cache: dict[str, PartyId | Problem] = {}
        for i, party in enumerate(self.parties):
            if not isinstance(party, dict):
                continue
            pid = id_text(party.get("id"))
            if pid is not None:
                if pid in self.by_id:
                    extractor.notes.add("duplicate_party_id", unit.file, unit.row)
                else:
                    self.by_id[pid] = i
            self.organisation(party, f"parties[{i}]")

    def organisation(self, org: dict[str, Any], path: str) -> PartyId | Problem:
        """Identify ``org`` once; record its party row (or its rejection)."""
        if path in self.cache:
            return self.cache[path]
        result = party_identity(org, path, self.x.notes, self.x.default_scheme)
        self.cache[path] = result
        if isinstance(result, Problem):
            self.x.reject(self.unit.file, self.unit.row, result.field, result.reason)
            return result
        name = party_name(org)
        if name is not None:
            self.x.spellings.setdefault(result.key, Counter())[name] += 1
        self.x.parties.setdefault(result.key, (result, self.unit.file, self.unit.row))
        return result

    def resolve(self, ref: Any, path: str) -> PartyId | Problem:
        """A reference ({id, name}) to its parties[] entry; an inline
        organisation (no parties[], or not found there) by its own identifier."""
        if not isinstance(ref, dict):
            return Problem(path, Text("err.connectors.ocds.not_organisation"))
        rid = id_text(ref.get("id"))
        if rid is not None and rid in self.by_id:
            i = self.by_id[rid]
            return self.organisation(self.parties[i], f"parties[{i}]")
        if isinstance(ref.get("identifier"), dict) or ref.get("additionalIdentifiers"):
            return self.organisation(ref, path)
        if rid is not None and self.parties:
            return Problem(path, Text("err.connectors.ocds.unknown_party"))
        return Problem(path, Text("err.connectors.ocds.no_reference"))


class Extractor:
    """Turns compiled releases into staged party and bid rows."""

    def __init__(self, notes: Notes, default_scheme: str | None = None) -> None:
        self.notes = notes
        self.default_scheme = default_scheme  # for ids written without a scheme
        # party key -> (identity, file, row) of its first appearance
        self.parties: dict[str, tuple[PartyId, str, int]] = {}
        self.spellings: dict[str, Counter[str]] = {}
        self.bids = _Rows(TENDER_BIDS)
        self.rejections: list[tuple[str, int | None, str | None, str]] = []

    def reject(
        self, file: str, row: int | None, field_name: str | None, reason: str | Text
    ) -> None:
        self.rejections.append((file, row, field_name, english(reason)))

    def release(self, unit: Unit) -> None:
        c = unit.compiled
        rel = _Release(unit, self)
        tender = as_object(c.get("tender"))
        if isinstance(tender.get("procuringEntity"), dict):
            rel.resolve(tender["procuringEntity"], "tender.procuringEntity")
        buyer_key = self._buyer(rel, c.get("buyer"))
        release_date = date_part(c.get("date"))
        period = as_object(tender.get("tenderPeriod"))
        start, end = date_part(period.get("startDate")), date_part(period.get("endDate"))
        if start and end and _iso(start) and _iso(end) and end < start:
            self.notes.add("period_reversed", unit.file, unit.row)
        # Never the release's date: a release published years after its
        # tender would date the bid then (issue 23).
        tender_date = start or end or date_part(tender.get("datePublished"))
        tenderers = self._array(tender.get("tenderers"), "tenderers", unit)
        awards = self._array(c.get("awards"), "awards", unit)
        if not tenderers and not awards:
            self.notes.add("no_bids", unit.file, unit.row)
            return
        common = {"ocid": unit.ocid, "buyer_key": buyer_key, "tender_date": tender_date}
        tenderer_keys: set[str] = set()
        for i, ref in enumerate(tenderers):
            party = rel.resolve(ref, f"tender.tenderers[{i}]")
            if isinstance(party, Problem):
                self._reject_bid(unit, f"tender.tenderers[{i}]", "tenderer", party)
                continue
            tenderer_keys.add(party.key)
            if tender_date is None:
                self.notes.add("undated_bid", unit.file, unit.row)
            self._bid(unit, common, "tenderer", None, party.key, {})
        contracts = as_list(c.get("contracts"))
        for j, award in enumerate(awards):
            self._award(unit, rel, common, j, award, contracts, release_date)
        self._note_unlisted_tenderers(rel, tenderer_keys)

    def _array(self, value: Any, field_name: str, unit: Unit) -> list[Any]:
        """``value`` when it is an array; anything else but null is warned,
        with the supplier entries it holds (Taiwan's publisher writes
        ``awards`` as one object with ``items[].suppliers[]``), never
        dropped without a word."""
        if value is None or isinstance(value, list):
            return value or []
        self.notes.add(f"not_array:{field_name}", unit.file, unit.row)
        self.notes.count(f"not_array_suppliers:{field_name}", _suppliers_in(value))
        return []

    def _buyer(self, rel: _Release, buyer: Any) -> str | None:
        if buyer is None:
            self.notes.add("no_buyer", rel.unit.file, rel.unit.row)
            return None
        party = rel.resolve(buyer, "buyer")
        if isinstance(party, Problem):
            self.notes.add("buyer_unidentified", rel.unit.file, rel.unit.row)
            return None
        return party.key

    def _award(
        self,
        unit: Unit,
        rel: _Release,
        common: dict[str, str | None],
        j: int,
        award: Any,
        contracts: list[Any],
        release_date: str | None,
    ) -> None:
        where = f"awards[{j}]"
        if not isinstance(award, dict):
            self.reject(unit.file, unit.row, where, Text("err.connectors.ocds.not_award"))
            return
        suppliers = self._array(award.get("suppliers"), "suppliers", unit)
        if not suppliers:
            self.notes.add("no_suppliers", unit.file, unit.row)
            return
        award_id = id_text(award.get("id"))
        value = as_object(award.get("value"))
        amount = self._amount(value.get("amount"))
        currency = value.get("currency")
        status = self._status(award.get("status"))
        signed = [
            date_part(k.get("dateSigned"))
            for k in contracts
            if isinstance(k, dict)
            and award_id is not None
            and id_text(k.get("awardID")) == award_id
            and k.get("dateSigned")
        ]
        award_date = date_part(award.get("date")) or min((d for d in signed if d), default=None)
        if award_date is None and release_date is not None:
            self.notes.add("award_release_dated", unit.file, unit.row)
        tender_date = common["tender_date"]
        dated = award_date or release_date
        if tender_date and dated and _iso(tender_date) and _iso(dated) and tender_date > dated:
            self.notes.add("period_after_award", unit.file, unit.row)
        for k, ref in enumerate(suppliers):
            path = f"{where}.suppliers[{k}]"
            if award_id is None:
                self.reject(
                    unit.file, unit.row, f"{where}.id", Text("err.connectors.ocds.award_id")
                )
                continue
            party = rel.resolve(ref, path)
            if isinstance(party, Problem):
                self._reject_bid(unit, path, "supplier", party)
                continue
            if tender_date is None and dated is None:
                self.notes.add("undated_bid", unit.file, unit.row)
            self._bid(
                unit,
                common,
                "supplier",
                award_id,
                party.key,
                {
                    "award_date": dated,
                    "award_amount": amount,
                    "currency": str(currency) if currency is not None else None,
                    "award_status": status,
                },
            )

    def _bid(
        self,
        unit: Unit,
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

    def _reject_bid(self, unit: Unit, path: str, role: str, problem: Problem) -> None:
        key = f"err.connectors.ocds.{role}_keyless"
        if problem.field != path and not problem.field.startswith(f"{path}."):
            reason = Text(f"{key}_see", reason=problem.reason, field=problem.field)
        else:
            reason = Text(key, reason=problem.reason)
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
            if isinstance(found, PartyId) and found.key not in listed:
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

    def note_names(self, notes: Notes) -> None:
        """Keys under several spellings (merged: one row), and normalised names
        under several keys (flagged only: identifiers decide, never names)."""
        variants = {k: len(c) for k, c in self.spellings.items() if len(c) > 1}
        if variants:
            notes.listing(
                "err.connectors.ocds.spellings",
                [
                    Text("err.connectors.ocds.spelling_count", party=k, n=n)
                    for k, n in variants.items()
                ],
            )
        keys_by_name: dict[str, list[str]] = {}
        for key, spellings in self.spellings.items():
            for norm in dict.fromkeys(normalise_name(s) for s in spellings):
                if norm:
                    keys_by_name.setdefault(norm, []).append(key)
        shared = [keys for keys in keys_by_name.values() if len(keys) > 1]
        if shared:
            notes.listing(
                "err.connectors.ocds.shared_names",
                [
                    Text("err.connectors.ocds.key_count", keys=" / ".join(keys), n=len(keys))
                    for keys in shared
                ],
            )

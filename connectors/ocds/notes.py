"""What an OCDS load warns about: counted notes with a few locations each,
listings, and the currencies the node cannot convert.

A load gathers its notes while it reads and extracts (``Notes.add``,
``Notes.count``, ``Notes.listing``) and writes them into the quality report
once, at the end (``Notes.emit``), so a million undated releases are one
warning with three examples, not a million warnings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from connectors.node_store import NodeStore
from connectors.quality import QualityReport

# The lending product sums amounts in yuan (products/lending/features.sql).
BASE_CURRENCY = "CNY"
EXAMPLES = 3
LISTED = 20
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
    "default_scheme": "identifiers without a scheme keyed under the centre's declared "
    "default_scheme",
    "undated_bid": "bids without a usable date (no tender period, tender datePublished or, "
    "for a supplier, award date; a release's publication date is never used): loaded, "
    "left out of every time window (bids_12m)",
    "award_release_dated": "awards without a date or a signed contract, dated by their "
    "release's date",
    "period_reversed": "tender periods that end before they start (as published; "
    "the start is the bid date)",
    "period_after_award": "tender dates after their award's date (as published)",
    "rfc_inferred": "identifiers without a scheme read as Mexican RFCs (MX-RFC) from their form",
    "rfc_bad_date": "ids without a scheme read as RFCs although their date part is not a date "
    "(a letter O for a zero?)",
    "float_id": "identifier ids written like floats ('11111111.0') read as integers",
    "rounded": "award amounts with more than 2 decimal places rounded half-even to cents",
}


@dataclass
class Notes:
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
        for kind, n in self.counts.items():
            if kind.startswith("not_array:"):
                name = kind[10:]
                inside = self.counts.get(f"not_array_suppliers:{name}", 0)
                shown = "; ".join(self.examples.get(kind, []))
                report.warnings.append(
                    f"compiled releases whose {name} is not an array (an object?): not read, "
                    f"no rows from it, {inside} supplier entr{'y' if inside == 1 else 'ies'} "
                    f"inside left out: {n} (e.g. {shown})"
                )
        if statuses:
            listed = ", ".join(f"{s or '(empty)'} ({n})" for s, n in statuses.items())
            report.warnings.append(
                "award statuses other than pending|active|cancelled|unsuccessful, "
                f"award_status left NULL: {listed}"
            )
        report.warnings.extend(self.listings)


def warn_currencies(store: NodeStore, report: QualityReport) -> None:
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

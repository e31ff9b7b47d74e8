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
from trusted_space.core.i18n import Text, english

# The lending product sums amounts in yuan (products/lending/features.sql).
BASE_CURRENCY = "CNY"
EXAMPLES = 3
LISTED = 20
# Each counted note's catalog entry: err.connectors.ocds.note.<kind>.
NOTED = frozenset(
    {
        "undated",
        "repeated_release",
        "linked_only",
        "linked_skipped",
        "empty_package",
        "no_bids",
        "no_suppliers",
        "no_buyer",
        "buyer_unidentified",
        "duplicate_party_id",
        "tenderer_role",
        "default_scheme",
        "undated_bid",
        "award_release_dated",
        "period_reversed",
        "period_after_award",
        "rfc_inferred",
        "rfc_bad_date",
        "float_id",
        "rounded",
    }
)
_E_G = ("err.connectors.ocds.e_g1", "err.connectors.ocds.e_g2", "err.connectors.ocds.e_g3")


@dataclass
class Notes:
    """Warnings gathered during a load: a count and a few locations each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Text | str]] = field(default_factory=dict)
    listings: list[Text] = field(default_factory=list)

    def add(self, kind: str, file: str, row: int | None) -> None:
        self.counts[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(
                file if row is None else Text("err.connectors.ocds.at", file=file, row=row)
            )

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def listing(self, key: str, items: list[Text]) -> None:
        """A listing of up to LISTED items: ``key`` takes n, listed and more."""
        shown = ", ".join(english(item) for item in items[:LISTED])
        more = (
            Text("err.connectors.codes.more", n=len(items) - LISTED) if len(items) > LISTED else ""
        )
        self.listings.append(Text(key, n=len(items), listed=shown, more=more))

    def _examples(self, kind: str) -> Text | str:
        where = self.examples.get(kind)
        if not where:
            return ""
        names = ("first", "second", "third")
        return Text(_E_G[len(where) - 1], **dict(zip(names, where, strict=False)))

    def emit(self, report: QualityReport) -> None:
        statuses = {k[7:]: n for k, n in self.counts.items() if k.startswith("status:")}
        for kind, n in self.counts.items():
            if kind in NOTED:
                said = Text(f"err.connectors.ocds.note.{kind}", n=n, examples=self._examples(kind))
                report.warnings.append(english(said))
        for kind, n in self.counts.items():
            if kind.startswith("not_array:"):
                name = kind[10:]
                inside = self.counts.get(f"not_array_suppliers:{name}", 0)
                key = "err.connectors.ocds.not_array" + ("_one" if inside == 1 else "")
                said = Text(key, name=name, inside=inside, n=n, examples=self._examples(kind))
                report.warnings.append(english(said))
        if statuses:
            empty = english(Text("err.connectors.ocds.empty_status"))
            listed = ", ".join(f"{s or empty} ({n})" for s, n in statuses.items())
            report.warnings.append(english(Text("err.connectors.ocds.statuses", listed=listed)))
        report.warnings.extend(english(listing) for listing in self.listings)


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
        said = Text("err.connectors.ocds.no_rate", currency=currency, base=BASE_CURRENCY, n=n)
        report.warnings.append(english(said))
    row = store.con.execute(
        "SELECT count(*) FROM tender_bids WHERE award_amount IS NOT NULL AND currency IS NULL"
    ).fetchone()
    if row and row[0]:
        report.warnings.append(english(Text("err.connectors.ocds.no_currency", n=row[0])))

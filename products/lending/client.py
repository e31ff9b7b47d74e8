"""The bank's side of tender_lending_features over HTTP (``tspace client lend``):
writes the same features.csv as the embedded ``tspace lend``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from connectors.companies import read_companies
from products.lending import TENDER_LENDING
from products.lending.runner import FeatureRow, distinct_keys, feature_rows, features_header
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.nodes.remote import choose_providers, connect_consumer, run_remote_lookup
from trusted_space.transport.http import HttpTransport


def client_lend(
    transport: HttpTransport,
    *,
    workdir: Path,
    applicants: Path,
    purpose: str,
    as_of: dt.date,
    out: Path,
    features: list[str] | None = None,
    providers: Mapping[str, list[str]] | None = None,
    timeout: float = 600.0,
) -> tuple[list[FeatureRow], dict[str, int]]:
    """Rows in the batch's order, and the duties the consumer accepted
    (e.g. retention_days), as the embedded run reports them."""
    node = connect_consumer(transport, workdir)
    chosen = choose_providers(transport, TENDER_LENDING.name, {"centre"}, providers)
    wanted = features or [f.name for f in TENDER_LENDING.features]
    batch = read_companies(applicants)
    keys = distinct_keys(batch)
    values: list[list[Decimal | None] | None] = []
    withheld: list[bool] = []
    duties: dict[str, int] = {}
    if keys:
        outcome = run_remote_lookup(
            node,
            transport,
            product=TENDER_LENDING.name,
            subjects=keys,
            as_of=as_of,
            purpose=purpose,
            providers=chosen,
            features=wanted,
            timeout=timeout,
        )
        values, withheld, duties = outcome.values, outcome.withheld, outcome.duties
    rows = feature_rows(batch, wanted, values, withheld)
    write_csv_atomic(out, features_header(wanted), (r.csv_cells(wanted) for r in rows))
    return rows, duties

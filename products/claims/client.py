"""The insurer's side of claim_verification over HTTP (``tspace client claims``):
writes the same result.csv as the embedded ``tspace claims``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from products.claims import CLAIMS
from products.claims.batch import read_claims
from products.claims.runner import ClaimRow, chosen_outputs, claim_rows, result_header
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.nodes.remote import choose_providers, connect_consumer, run_remote_lookup
from trusted_space.transport.http import HttpTransport


def client_claims(
    transport: HttpTransport,
    *,
    workdir: Path,
    claims: Path,
    purpose: str,
    as_of: dt.date,
    out: Path,
    outputs: Sequence[str] | None = None,
    providers: Mapping[str, list[str]] | None = None,
    consent_refs: list[str] | None = None,
    timeout: float = 600.0,
) -> tuple[list[ClaimRow], dict[str, int]]:
    """Rows in the claims file's order, and the duties the insurer accepted
    (e.g. retention_days), as the embedded run reports them. ``outputs``:
    default every output (a policy that releases fewer denies the job: name
    them)."""
    node = connect_consumer(transport, workdir)
    wanted = chosen_outputs(outputs or [f.name for f in CLAIMS.features])
    chosen = choose_providers(transport, CLAIMS.name, {"hospital"}, providers)
    batch = read_claims(claims)
    sent = [c for c in batch if c.valid]
    values: list[list[Decimal | None] | None] = []
    withheld: list[bool] = []
    duties: dict[str, int] = {}
    if sent:
        outcome = run_remote_lookup(
            node,
            transport,
            product=CLAIMS.name,
            subjects=[c.person_id for c in sent if c.person_id is not None],
            as_of=as_of,
            purpose=purpose,
            providers=chosen,
            features=wanted,
            consent_refs=consent_refs,
            timeout=timeout,
            arguments=[c.arguments() for c in sent],
        )
        values, withheld, duties = outcome.values, outcome.withheld, outcome.duties
    rows = claim_rows(batch, wanted, values, withheld)
    write_csv_atomic(out, result_header(wanted), (r.csv_cells(wanted) for r in rows))
    return rows, duties

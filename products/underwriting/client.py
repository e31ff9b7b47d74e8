"""The insurer's side of underwriting_score over HTTP (``tspace client underwrite``):
writes the same scores.csv as the embedded ``tspace underwrite``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from connectors.applicants import read_applicants
from products.score_model import ScoreModel
from products.underwriting import UNDERWRITING
from products.underwriting.runner import SCORES_HEADER, ScoreRow, score_rows
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.nodes.remote import choose_providers, connect_consumer, run_remote_lookup
from trusted_space.transport.http import HttpTransport


def client_underwrite(
    transport: HttpTransport,
    *,
    workdir: Path,
    applicants: Path,
    purpose: str,
    as_of: dt.date,
    out: Path,
    model: Path | None = None,
    providers: Mapping[str, list[str]] | None = None,
    consent_refs: list[str] | None = None,
    timeout: float = 600.0,
    engine: str | None = None,
) -> tuple[list[ScoreRow], dict[str, int], str]:
    """Rows in the batch's order, the duties the consumer accepted (e.g.
    retention_days), as the embedded run reports them, and the engine the
    job ran on. ``engine`` None: the one the space's published policies
    choose."""
    node = connect_consumer(transport, workdir)
    document = model.read_bytes() if model else transport.approved_model(UNDERWRITING.name)
    score_model = ScoreModel.parse(document, str(model) if model else "approved model")
    score_model.check_features(UNDERWRITING, str(model) if model else "approved model")
    used = [f.name for f in UNDERWRITING.features if score_model.weights.get(f.name, 0) != 0]
    chosen = choose_providers(transport, UNDERWRITING.name, UNDERWRITING.roles_for(used), providers)
    batch = read_applicants(applicants)
    valid = [a.person_id for a in batch if a.person_id is not None]
    scores: list[Decimal | None] = []
    duties: dict[str, int] = {}
    if engine is None:
        engine = node.lookup_engine(UNDERWRITING.name, chosen)
    if valid:
        outcome = run_remote_lookup(
            node,
            transport,
            product=UNDERWRITING.name,
            subjects=valid,
            as_of=as_of,
            purpose=purpose,
            providers=chosen,
            model_document=document,
            consent_refs=consent_refs,
            timeout=timeout,
            engine=engine,
        )
        scores, duties = outcome.scores(), outcome.duties
    rows = score_rows(batch, scores, score_model)
    write_csv_atomic(out, SCORES_HEADER, (r.csv_cells() for r in rows))
    return rows, duties, engine

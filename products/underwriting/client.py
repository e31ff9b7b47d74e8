"""The insurer's side of underwriting_score over HTTP (``tspace client underwrite``).

The client is the consumer node for its own job: it keeps the applicants,
the job's PSI key and its Paillier key on the insurer's machine, submits the
job, does its two steps when the space asks, decrypts, and writes the same
scores.csv as the embedded ``tspace underwrite``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from pathlib import Path

from connectors.applicants import read_applicants
from products.score_model import ScoreModel
from products.underwriting import UNDERWRITING
from products.underwriting.runner import SCORES_HEADER, ScoreRow, score_rows
from trusted_space.crypto import get_suite
from trusted_space.errors import JobFailed, NotAuthorised, PolicyDenied, ProtocolError
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.outputs import write_csv_atomic
from trusted_space.transport_http import HttpTransport


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
    timeout: float = 600.0,
) -> list[ScoreRow]:
    me = transport.connect()
    if me["role"] != "consumer":
        raise NotAuthorised(f"{me['name']!r} is a {me['role']}; underwriting needs a consumer key")
    node = ConsumerNode(me["name"], workdir, transport, get_suite(me["suite"]))
    transport.register_keys(node.public_keys())
    document = model.read_bytes() if model else transport.approved_model(UNDERWRITING.name)
    score_model = ScoreModel.parse(document, str(model) if model else "approved model")
    score_model.check_features(UNDERWRITING)
    used = [f.name for f in UNDERWRITING.features if score_model.weights.get(f.name, 0) != 0]
    roles = UNDERWRITING.roles_for(used)
    offered = dict(providers) if providers else transport.product_providers(UNDERWRITING.name)
    chosen = {role: list(offered.get(role, [])) for role in sorted(roles)}
    missing = [role for role, names in chosen.items() if not names]
    if missing:
        raise ProtocolError(f"no provider offers data for roles {missing}")
    batch = read_applicants(applicants)
    valid = [a.person_id for a in batch if a.person_id is not None]
    scores = []
    if valid:
        job_id = node.submit_lookup(
            UNDERWRITING.name,
            valid,
            as_of=as_of,
            purpose=purpose,
            providers=chosen,
            model_document=document,
        )
        deadline = time.monotonic() + timeout
        while True:
            node.run_pending(wait=5.0)
            status = transport.job_status(job_id)
            if status.state == "denied":
                raise PolicyDenied(status.reasons)
            if status.state == "failed":
                raise JobFailed("; ".join(status.reasons) or "the job failed")
            if status.state == "succeeded" and node.has_result(job_id):
                break
            if time.monotonic() > deadline:
                raise JobFailed(
                    f"job {job_id} did not finish in {timeout:.0f} s (step {status.step})"
                )
        scores = [row[0] for row in node.outcome(job_id).values]
    rows = score_rows(batch, scores, score_model)
    write_csv_atomic(out, SCORES_HEADER, (r.cells() for r in rows))
    return rows

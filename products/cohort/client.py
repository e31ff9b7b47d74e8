"""The requester's side of cohort_statistics over HTTP (``tspace client cohort``):
writes the same result.csv as the embedded ``tspace cohort`` (with DP off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from products.cohort import COHORT
from products.cohort.query import load_query
from products.cohort.runner import result_rows, write_result
from trusted_space.nodes.remote import await_result, choose_providers, connect_consumer
from trusted_space.transport.http import HttpTransport


def client_cohort(
    transport: HttpTransport,
    *,
    workdir: Path,
    query: Path,
    purpose: str,
    out: Path,
    timeout: float = 600.0,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    node = connect_consumer(transport, workdir)
    parsed = load_query(query)
    providers = choose_providers(transport, COHORT.name, {"hospital", "cdc"}, None)
    job_id = node.submit_join(
        COHORT.name,
        parsed.model_dump(mode="json", by_alias=True),
        as_of=parsed.hospital.end,
        purpose=purpose,
        providers={role: names[:1] for role, names in providers.items()},
        epsilon=parsed.dp.epsilon if parsed.dp else None,
    )
    await_result(node, transport, job_id, timeout)
    outcome = node.join_outcome(job_id)
    rows = result_rows(parsed, outcome)
    write_result(out, parsed, rows)
    return rows, outcome.privacy

"""The requester's side of subject_overlap over HTTP (``tspace overlap``):
the hospital's and the CDC's nodes run PSI cardinality between them through
the space; this side submits the job, answers the min_count comparison and
decrypts the count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from products.overlap import CDC, HOSPITAL, OVERLAP
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.nodes.consumer import OverlapOutcome
from trusted_space.nodes.remote import await_result, choose_providers, connect_consumer
from trusted_space.transport.http import HttpTransport


def client_overlap(
    transport: HttpTransport,
    *,
    workdir: Path,
    purpose: str,
    as_of: dt.date,
    epsilon: float | None = None,
    providers: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> OverlapOutcome:
    """``providers``: role -> the provider to count with (default: the first
    that offers data for the role)."""
    node = connect_consumer(transport, workdir)
    given = {role: [name] for role, name in providers.items()} if providers else None
    if given is not None and set(given) != {HOSPITAL, CDC}:
        raise ProtocolError(Text("err.products.overlap.providers", hospital=HOSPITAL, cdc=CDC))
    chosen = choose_providers(transport, OVERLAP.name, {HOSPITAL, CDC}, given)
    job_id = node.submit_overlap(
        OVERLAP.name,
        as_of=as_of,
        purpose=purpose,
        providers={role: names[:1] for role, names in chosen.items()},
        epsilon=epsilon,
    )
    await_result(node, transport, job_id, timeout)
    return node.overlap_outcome(job_id)

"""A consumer's job over HTTP: the client is the consumer node for its own job.

It keeps the subjects, the job's PSI key and its Paillier key on the
consumer's machine, submits, does its two steps when the space asks, and
returns the decrypted outcome. The product clients (underwriting, lending)
only prepare the inputs and write their output file.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trusted_space.core.errors import JobFailed, NotAuthorised, PolicyDenied, ProtocolError
from trusted_space.core.failures import job_failed
from trusted_space.core.i18n import MESSAGES, Text
from trusted_space.crypto import get_suite
from trusted_space.hazmat.paillier import process_preset
from trusted_space.nodes.consumer import ConsumerNode, LookupOutcome
from trusted_space.transport.http import HttpTransport


def _party(role: str) -> Text | str:
    """A participant's role in the reader's language (a role this version
    does not know: as the space names it)."""
    key = f"err.nodes.party.{role}"
    return Text(key) if key in MESSAGES else role


def connect_consumer(transport: HttpTransport, workdir: Path) -> ConsumerNode:
    me = transport.connect()
    if me["role"] != "consumer":
        raise NotAuthorised(
            Text("err.nodes.consumer.key_role", name=repr(me["name"]), role=_party(me["role"]))
        )
    node = ConsumerNode(
        me["name"], workdir, transport, get_suite(me["suite"]), paillier_preset=process_preset()
    )
    transport.register_keys(node.public_keys())
    return node


def choose_providers(
    transport: HttpTransport, product: str, roles: set[str], given: Mapping[str, list[str]] | None
) -> dict[str, list[str]]:
    offered = dict(given) if given else transport.product_providers(product)
    chosen = {role: list(offered.get(role, [])) for role in sorted(roles)}
    missing = [role for role, names in chosen.items() if not names]
    if missing:
        raise ProtocolError(Text("err.nodes.consumer.no_provider", roles=missing))
    return chosen


def run_remote_lookup(
    node: ConsumerNode,
    transport: HttpTransport,
    *,
    product: str,
    subjects: list[str],
    as_of: dt.date,
    purpose: str,
    providers: dict[str, list[str]],
    model_document: bytes | None = None,
    features: list[str] | None = None,
    consent_refs: list[str] | None = None,
    timeout: float = 600.0,
    engine: str | None = None,
    arguments: list[dict[str, Any]] | None = None,
) -> LookupOutcome:
    """Run one lookup job and return its decrypted outcome. ``engine`` None:
    the one the space's published policies choose for these providers."""
    if engine is None:
        engine = node.lookup_engine(product, providers)
    if engine == "blind_lookup":
        if model_document is None:
            raise ProtocolError(Text("err.nodes.consumer.blind_model"))
        blind_id = node.submit_blind(
            product,
            subjects,
            as_of=as_of,
            purpose=purpose,
            providers=providers,
            model_document=model_document,
            consent_refs=consent_refs,
            wait=5.0,
        )
        await_result(node, transport, blind_id, timeout)
        return node.outcome(blind_id)
    job_id = node.submit_lookup(
        product,
        subjects,
        as_of=as_of,
        purpose=purpose,
        providers=providers,
        model_document=model_document,
        features=features,
        consent_refs=consent_refs,
        arguments=arguments,
        wait=5.0,  # as await_result's polls
    )
    await_result(node, transport, job_id, timeout)
    return node.outcome(job_id)


def await_result(
    node: ConsumerNode, transport: HttpTransport, job_id: str, timeout: float = 600.0
) -> None:
    """Do the consumer's steps as the space asks, until the result is decrypted."""
    deadline = time.monotonic() + timeout
    node.refusal = None
    while True:
        node.run_pending(wait=5.0)
        status = transport.job_status(job_id)
        if status.state == "denied":
            raise PolicyDenied(status.reasons, status.reasons_zh)
        if status.state == "failed":
            if node.refusal is not None:  # this node refused a key or a task: say why in full
                raise node.refusal
            raise JobFailed(job_failed(status.reasons))
        if status.state == "succeeded" and node.has_result(job_id):
            return
        if time.monotonic() > deadline:
            raise JobFailed(
                Text(
                    "err.nodes.consumer.timeout",
                    job=job_id,
                    seconds=f"{timeout:.0f}",
                    step=status.step,
                )
            )

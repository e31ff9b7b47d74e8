"""A consumer posts its matched subjects with a poll that waits for its
result (one request where two were made); its acknowledgement waits for
nothing, so the call that collects a result returns at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from connectors.applicants import read_applicants
from tests.stories import offer_health
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.protocol.messages import TaskExchangeReply, TaskResult
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def test_matched_subjects_wait_for_the_result_and_the_ack_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    generate_health(300, 5, data, applicants=5, end_date=AS_OF)
    person = next(a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id)
    with EmbeddedDeployment(tmp_path / "w", paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        offer_health(dep, data)
        insurer = dep.consumer("insurer")
        polls: list[tuple[list[str], float]] = []  # (kinds posted, seconds it may wait)
        real = insurer.transport.exchange

        def recording(results: Sequence[TaskResult], wait: float = 0.0) -> TaskExchangeReply:
            polls.append(([r.payload.kind for r in results], wait))
            return real(list(results), wait=wait)

        monkeypatch.setattr(insurer.transport, "exchange", recording)
        job = insurer.submit_lookup(
            "underwriting_score",
            [person],
            as_of=AS_OF,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=default_model_path().read_bytes(),
        )
        for provider in dep.providers.values():
            provider.run_pending()
        insurer.run_pending(wait=0.2)  # PSI finished; the post waits (here in vain: one thread)
        for provider in dep.providers.values():
            provider.run_pending()
        dep.space.run_pending_work()
        insurer.run_pending(wait=0.2)
        assert insurer.has_result(job)
    assert polls == [
        ([], 0.2),
        (["matched_subjects"], 0.2),
        ([], 0.2),
        (["ack"], 0.0),
    ]

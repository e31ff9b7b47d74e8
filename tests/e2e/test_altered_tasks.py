"""Providers no longer trust every field of a task from the space (issue 22, item 5).

The attack: the space rewrites a task on its way to a provider. With the
consumer's Paillier key swapped for its own, the space decrypts the
provider's features for every matched applicant; with the model's weights
rewritten (one feature at 1, the others at 0), a "score" is that feature
alone; with a PSI request of its own, it learns which identifiers of its
choosing the provider holds. The provider used every field as sent.

Now the consumer signs its job (spec, PSI request or blinded points, by
hash); every provider task carries that signed job; the provider checks the
consumer's key against the one it pinned, the signature, and every field of
the task against the signed spec, and a score task's model against the one
its owner approved, before it opens a subject or reads a row. An altered task
fails with the typed code ``task_altered`` (``model_not_approved``), and the
provider posts nothing the space could decrypt.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stories import AS_OF, offer_health
from trusted_space.core.errors import KeyChanged, ModelNotApproved, TaskAltered
from trusted_space.core.failures import FAILURE_CODES
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, generate_keypair
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.protocol.identity import sign_job, sign_keys
from trusted_space.protocol.messages import (
    BlindEvaluateTask,
    ComputeFeaturesTask,
    EncryptedFeaturesResult,
    JobSpec,
    JoinUploadTask,
    PsiRespondTask,
    SignedJob,
    TaskPayload,
    TaskResultPayload,
)
from trusted_space.synth import generate_health

PROVIDERS = {"hospital": ["hospital"], "cdc": ["cdc"]}
MODEL = default_model_path().read_bytes()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("health")
    generate_health(400, 7, out, applicants=10, end_date=AS_OF)
    return out


def applicant_ids(data: Path) -> list[str]:
    with (data / "applicants.csv").open(encoding="utf-8") as fh:
        return [row["person_id"] for row in csv.DictReader(fh)]


class Space:
    """The space's hands: it rewrites tasks to a node and sees every post."""

    def __init__(self, dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch) -> None:
        self.posted: list[tuple[str, TaskResultPayload]] = []
        self.changes: list[tuple[str, Callable[[TaskPayload], TaskPayload | None]]] = []
        add_task, exchange = dep.space.add_task, dep.space.exchange

        def altered(job_id: str, node: str, payload: TaskPayload) -> str:
            for target, change in self.changes:
                if target == node:
                    payload = change(payload) or payload
            return add_task(job_id, node, payload)

        def seen(caller: str, results: list[Any], limit: int = 8, wait: float = 0.0) -> Any:
            self.posted.extend((caller, r.payload) for r in results)
            return exchange(caller, results, limit, wait)

        monkeypatch.setattr(dep.space, "add_task", altered)
        monkeypatch.setattr(dep.space, "exchange", seen)

    def rewrite(self, node: str, change: Callable[[TaskPayload], TaskPayload | None]) -> None:
        self.changes.append((node, change))


@pytest.fixture
def dep(tmp_path: Path, data: Path, suite: str) -> Iterator[EmbeddedDeployment]:
    with EmbeddedDeployment(
        tmp_path / "work", suite=suite, paillier_preset=TEST_ONLY_PAILLIER_1024
    ) as deployment:
        offer_health(deployment, data)
        yield deployment


def lookup(
    dep: EmbeddedDeployment, consumer: ConsumerNode, ids: list[str], model: bytes = MODEL
) -> str:
    job_id = consumer.submit_lookup(
        "underwriting_score",
        ids,
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=model,
    )
    dep.run_job(consumer, job_id)
    return job_id


def failed_reason(dep: EmbeddedDeployment) -> str:
    rows = dep.space.store.db.execute("SELECT reasons FROM jobs WHERE state = 'failed'").fetchall()
    assert len(rows) == 1, rows
    reasons: list[str] = json.loads(rows[0][0])
    return reasons[0]


def only_one_feature(payload: TaskPayload) -> TaskPayload | None:
    """Weights that make the score one feature alone (cost), unrounded."""
    if isinstance(payload, ComputeFeaturesTask) and payload.weights:
        weights = dict.fromkeys(payload.weights, 0)
        weights[sorted(weights)[0]] = 1
        return payload.model_copy(update={"weights": weights, "transforms": {}})
    return None


OPERATOR_PUBLIC, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)


def operators_key(payload: TaskPayload) -> TaskPayload | None:
    if isinstance(payload, ComputeFeaturesTask | JoinUploadTask):
        return payload.model_copy(update={"paillier_public_key": OPERATOR_PUBLIC.to_wire()})
    return None


ALTERATIONS: dict[str, Callable[[TaskPayload], TaskPayload | None]] = {
    "weights": only_one_feature,
    "paillier_key": operators_key,
    "purpose": lambda p: (
        p.model_copy(update={"purpose": "marketing"})
        if isinstance(p, ComputeFeaturesTask)
        else None
    ),
    "features": lambda p: (
        p.model_copy(update={"features": p.features[:1], "weights": None})
        if isinstance(p, ComputeFeaturesTask)
        else None
    ),
    "as_of": lambda p: (
        p.model_copy(update={"as_of": AS_OF.replace(year=AS_OF.year - 1)})
        if isinstance(p, ComputeFeaturesTask)
        else None
    ),
}


@pytest.mark.parametrize("field", sorted(ALTERATIONS))
def test_a_compute_task_the_space_altered_is_refused(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    space = Space(dep, monkeypatch)
    space.rewrite("hospital", ALTERATIONS[field])
    insurer = dep.consumer("insurer")
    with pytest.raises(TaskAltered, match="insurer signed"):
        lookup(dep, insurer, applicant_ids(data))
    reason = failed_reason(dep)
    assert reason.startswith("task_altered") and "node=hospital" in reason, reason
    assert "task_altered" in FAILURE_CODES
    # The hospital computed nothing and posted nothing the space could decrypt.
    assert not [p for node, p in space.posted if node == "hospital" and p.kind != "psi_response"]


def test_the_operator_decrypts_nothing_under_its_own_key(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = Space(dep, monkeypatch)
    space.rewrite("hospital", operators_key)
    space.rewrite("cdc", operators_key)
    with pytest.raises(TaskAltered):
        lookup(dep, dep.consumer("insurer"), applicant_ids(data))
    assert not [p for _, p in space.posted if isinstance(p, EncryptedFeaturesResult)]


def test_a_psi_request_of_the_spaces_own_is_refused(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space holds the providers' PSI setups: with a response to a request
    of its own, it would learn which identifiers of its choosing they hold."""
    ids = applicant_ids(data)
    own = psi.PsiClient().create_request(ids[:1] * len(ids))

    def swap(payload: TaskPayload) -> TaskPayload | None:
        if isinstance(payload, PsiRespondTask):
            return payload.model_copy(update={"psi_request": own})
        return None

    space = Space(dep, monkeypatch)
    space.rewrite("hospital", swap)
    with pytest.raises(TaskAltered, match="PSI request"):
        lookup(dep, dep.consumer("insurer"), ids)
    assert not [p for node, p in space.posted if node == "hospital"]


def test_a_model_the_owner_did_not_approve_is_refused(dep: EmbeddedDeployment, data: Path) -> None:
    ids = applicant_ids(data)
    hospital = dep.providers["hospital"]
    assert hospital.approve_model(MODEL) == hashlib.sha256(MODEL).hexdigest()
    other = json.loads(MODEL)
    other["weights"]["cost_12m"] = 0.5
    unapproved = json.dumps(other).encode()
    insurer = dep.consumer("insurer")
    with pytest.raises(ModelNotApproved):
        lookup(dep, insurer, ids, unapproved)
    assert failed_reason(dep).startswith("model_not_approved (node=hospital")
    assert dep.consumer("insurer").outcome(lookup(dep, insurer, ids)).scores()  # approved: runs


def test_a_model_unlike_the_policies_pin_is_refused(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a list of its own, a provider holds a score task to the model
    the policies of its owner pin, as the task carries it."""
    space = Space(dep, monkeypatch)
    space.rewrite(
        "hospital",
        lambda p: (
            p.model_copy(update={"approved_model": "0" * 64})
            if isinstance(p, ComputeFeaturesTask)
            else None
        ),
    )
    with pytest.raises(ModelNotApproved):
        lookup(dep, dep.consumer("insurer"), applicant_ids(data))


def test_a_job_forged_in_a_consumers_name_is_refused(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space signs a job of its own in the insurer's name, with keys it
    made for the insurer: the hospital pinned the insurer's real key."""
    insurer = dep.consumer("insurer")
    lookup(dep, insurer, applicant_ids(data))  # the providers pin the insurer's key
    suite = dep.space.suite
    forger = suite.new_signing_key()
    fake_keys = sign_keys(
        suite,
        forger,
        name="insurer",
        role="consumer",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=7,
    )

    def forge(payload: TaskPayload) -> TaskPayload | None:
        if not isinstance(payload, ComputeFeaturesTask):
            return None
        spec: JobSpec = payload.job.spec.model_copy(
            update={"paillier_public_key": OPERATOR_PUBLIC.to_wire()}
        )
        job = SignedJob(
            spec=spec,
            psi_request_hash=payload.job.psi_request_hash,
            signature=sign_job(suite, forger, spec),
            consumer_keys=fake_keys,
        )
        return payload.model_copy(
            update={"paillier_public_key": OPERATOR_PUBLIC.to_wire(), "job": job}
        )

    space = Space(dep, monkeypatch)
    space.rewrite("hospital", forge)
    with pytest.raises(KeyChanged, match="insurer"):
        lookup(dep, insurer, applicant_ids(data))
    assert not [p for node, p in space.posted if isinstance(p, EncryptedFeaturesResult)]


def test_a_join_upload_under_a_swapped_key_is_refused(
    dep: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = Space(dep, monkeypatch)
    space.rewrite("cdc", operators_key)
    requester = dep.consumer("insurer")
    job_id = requester.submit_join(
        "cohort_statistics",
        {
            "hospital": {"cohort": "inpatients", "from": "2025-01-01", "to": "2026-06-30"},
            "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
            "measures": ["count"],
            "group_by": ["sex"],
            "min_count": 0,
        },
        as_of=AS_OF,
        purpose="research",
        providers=PROVIDERS,
        epsilon=None,
    )
    with pytest.raises(TaskAltered, match="Paillier key"):
        dep.run_job(requester, job_id)
    assert not [p for node, p in space.posted if node == "cdc"]


def test_blind_weights_the_space_altered_are_refused(
    dep: EmbeddedDeployment, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rewrite(payload: TaskPayload) -> TaskPayload | None:
        if isinstance(payload, BlindEvaluateTask):
            weights = dict.fromkeys(payload.upload.weights, 0)
            weights[sorted(weights)[0]] = 1
            upload = payload.upload.model_copy(update={"weights": weights})
            return payload.model_copy(update={"upload": upload})
        return None

    space = Space(dep, monkeypatch)
    space.rewrite("hospital", rewrite)
    insurer = dep.consumer("insurer")
    job_id = insurer.submit_blind(
        "underwriting_score",
        applicant_ids(data),
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=MODEL,
    )
    with pytest.raises(TaskAltered, match="weights"):
        dep.run_job(insurer, job_id)
    assert not [p for node, p in space.posted if node == "hospital"]

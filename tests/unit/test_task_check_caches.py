"""What a provider keeps between tasks never hides a change: a pin or an
approval changed on disk while the node runs (``tspace keys trust``,
``tspace node --approve-model``, a person's edit) holds from the next task,
and a signed job verified once is verified again as soon as one byte of it
differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.node.task_checks import ApprovedModels, _check_model, signed_spec
from trusted_space.core.errors import KeyChanged, ModelNotApproved, TaskAltered
from trusted_space.crypto import CryptoSuite, get_suite
from trusted_space.nodes.pins import Pins
from trusted_space.protocol.identity import sign_job, sign_keys
from trusted_space.protocol.messages import JobSpec, ResultReadyTask, SignedJob, Task

MODEL = b'{"weights": {"age": 1}}'


@pytest.fixture(params=["default", "gm"])
def suite(request: pytest.FixtureRequest) -> CryptoSuite:
    return get_suite(request.param)


def signed_job(suite: CryptoSuite) -> SignedJob:
    signing = suite.new_signing_key()
    consumer = sign_keys(
        suite,
        signing,
        name="insurer",
        role="consumer",
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=0,
    )
    spec = JobSpec(
        job_id="a" * 32,
        product="underwriting_score",
        consumer="insurer",
        purpose="underwriting",
        as_of="2026-10-31",
        batch_size=2,
        providers={"hospital": ["hospital"]},
        paillier_public_key="ff",
        model=MODEL,
    )
    return SignedJob(
        spec=spec,
        psi_request_hash=suite.hex_hash(b"request"),
        signature=sign_job(suite, signing, spec, psi_request=b"request"),
        consumer_keys=consumer,
    )


def test_a_pin_changed_on_disk_holds_at_the_next_check(tmp_path: Path, suite: CryptoSuite) -> None:
    """The running node's pins and a person's ``tspace keys trust`` (another
    process, another Pins) share the file: the node obeys the new pin at once."""
    job = signed_job(suite)
    keys = job.consumer_keys
    running = Pins(tmp_path, suite)
    running.check(keys, "consumer")  # pinned on first use
    other = suite.identity_fingerprint(suite.new_signing_key().public_bytes())
    Pins(tmp_path, suite).trust("insurer", other)  # a person pins another key
    with pytest.raises(KeyChanged):
        running.check(keys, "consumer")
    assert running.pinned()["insurer"]["fingerprint"] == other
    # And back: the person pins this consumer's key again; it is accepted
    # at once, and the node's next save keeps the person's pin.
    mine = suite.identity_fingerprint(bytes.fromhex(keys.signing_key))
    Pins(tmp_path, suite).trust("insurer", mine)
    assert running.check(keys, "consumer") == keys
    assert Pins(tmp_path, suite).pinned()["insurer"]["fingerprint"] == mine


def test_a_verified_job_is_checked_again_when_it_differs(
    tmp_path: Path, suite: CryptoSuite
) -> None:
    """A job verified for one task passes for the next; the same job with
    one field altered is verified afresh and refused, and a pin changed in
    between refuses even the job that verified before."""
    job = signed_job(suite)
    task = Task(task_id="t1", job_id=job.spec.job_id, node="hospital", payload=ResultReadyTask())
    pins = Pins(tmp_path, suite)
    assert signed_spec(suite, pins, task, job) == job.spec
    assert signed_spec(suite, pins, task, job) == job.spec
    altered = job.model_copy(update={"spec": job.spec.model_copy(update={"batch_size": 3})})
    with pytest.raises(TaskAltered):
        signed_spec(suite, pins, task, altered)
    other = suite.identity_fingerprint(suite.new_signing_key().public_bytes())
    Pins(tmp_path, suite).trust("insurer", other)
    with pytest.raises(KeyChanged):
        signed_spec(suite, pins, task, job)


def test_an_approval_withdrawn_on_disk_holds_at_the_next_task(tmp_path: Path) -> None:
    """The node's list of approved models is the file as it is now: a model
    approved by another process is accepted, one whose approval was
    withdrawn (the file rewritten without it) is refused at the next task."""
    running = ApprovedModels(tmp_path)
    spec = signed_job(get_suite("default")).spec
    _check_model(spec, None, running)  # no list kept, no pin: any model
    other = ApprovedModels(tmp_path)  # tspace node --approve-model, another process
    digest = other.approve(MODEL)
    assert running.hashes() == {digest}
    _check_model(spec, None, running)
    other.approve(b'{"weights": {"age": 2}}')
    assert len(running.hashes()) == 2
    # A person withdraws this model's approval by editing the file in place,
    # keeping only the other one.
    path = tmp_path / "approved_models.json"
    kept = [h for h in json.loads(path.read_text())["sha256"] if h != digest]
    path.write_text(json.dumps({"sha256": kept}))
    with pytest.raises(ModelNotApproved):
        _check_model(spec, None, running)
    path.unlink()  # no list any more: back to the policies' pin (none here)
    _check_model(spec, None, running)
    assert running.hashes() == frozenset()

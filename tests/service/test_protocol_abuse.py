"""Protocol abuse over the REST API: malformed and replayed PSI messages, a
PSI request larger than its declared batch, a Paillier key under 2048 bits,
ciphertexts outside Z*_{n^2}, forged signatures, a node posting for another
node's task, steps out of order. Each is refused with its status and error,
and recorded in the ledger (``message_refused``; a job it broke also gets
``job_failed``) — never with the message itself."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.world import AS_OF, World
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import language, set_language
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, generate_keypair
from trusted_space.ledger.ledger import step_digest
from trusted_space.protocol.messages import (
    EncryptedFeaturesResult,
    JobSpec,
    JobSubmission,
    MatchedSubjectsResult,
    PsiResponseResult,
    Task,
    TaskResult,
    TaskResultPayload,
)

IDS = ["11010519491231002X", "110101199003074514"]
MAX_BATCH = 20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TSPACE_MAX_BATCH", str(MAX_BATCH))  # the space's own limit, kept small
        w = World(tmp_path_factory.mktemp("abuse"), "default")
    with TestClient(w.app) as client:
        yield w, client


def auth(w: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.keys[role]}"}


def last(w: World) -> dict[str, Any]:
    """The latest entry, past the signed checkpoints the ledger adds every so often."""
    entry = [e for e in w.space.ledger.entries() if e.kind != "checkpoint"][-1]
    return {"actor": entry.actor, "kind": entry.kind, "job": entry.job_id, **entry.details}


def kinds_of(w: World, job_id: str) -> list[str]:
    return [e.kind for e in w.space.ledger.entries(job_id)]


def submission(w: World, *, batch: int, request: bytes, key: str | None = None) -> str:
    spec = JobSpec(
        job_id=uuid.uuid4().hex,
        product="underwriting_score",
        consumer="insurer",
        purpose="underwriting",
        as_of=AS_OF,
        batch_size=batch,
        providers={"hospital": ["hospital"], "cdc": ["cdc"]},
        paillier_public_key=key or w.insurer.paillier_public.to_wire(),
        model=w.model,
    )
    return JobSubmission(spec=spec, psi_request=request).model_dump_json()


def post_job(w: World, client: TestClient, body: str) -> Any:
    return client.post(
        "/v1/jobs",
        content=body,
        headers={**auth(w, "consumer"), "content-type": "application/json"},
    )


def new_job(w: World, ids: list[str] = IDS) -> str:
    return w.insurer.submit_lookup(
        "underwriting_score",
        ids,
        as_of=AS_OF,
        purpose="underwriting",
        providers={"hospital": ["hospital"], "cdc": ["cdc"]},
        model_document=w.model,
    )


def pull(w: World, client: TestClient, role: str, job_id: str) -> Task:
    tasks = client.get("/v1/tasks", params={"limit": 8}, headers=auth(w, role)).json()
    mine = [Task.model_validate(t) for t in tasks if t["job_id"] == job_id]
    assert mine, tasks
    return mine[0]


def result_body(w: World, node: Any, task: Task, payload: TaskResultPayload) -> str:
    """A result signed by ``node``'s registered key, as a node would post it."""
    suite = w.space.suite
    digest = step_digest(
        suite,
        task.job_id,
        task.task_id,
        payload.kind,
        suite.hex_hash(payload.model_dump_json().encode()),
    )
    signature = node.signing_key.sign(digest).hex()
    return TaskResult(task_id=task.task_id, payload=payload, signature=signature).model_dump_json()


def post_result(w: World, client: TestClient, role: str, task_id: str, body: str) -> Any:
    return client.post(
        f"/v1/tasks/{task_id}/result",
        content=body,
        headers={**auth(w, role), "content-type": "application/json"},
    )


def test_a_psi_request_larger_than_its_declared_batch(world: tuple[World, TestClient]) -> None:
    w, client = world
    r = post_job(w, client, submission(w, batch=1, request=psi.PsiClient().create_request(IDS)))
    assert r.status_code == 422 and "holds 2 items but the job declares a batch of 1" in r.text
    entry = last(w)
    assert entry["kind"] == "message_refused" and entry["actor"] == "insurer"
    assert "holds 2 items" in entry["reason"] and entry["error"] == "ProtocolError"


def test_a_refusal_reads_in_the_language_asked_and_the_ledger_keeps_english(
    world: tuple[World, TestClient],
) -> None:
    """Under a Chinese-speaking space and reader the detail is Chinese; the
    ledger's record of the refusal stays English (one record for every reader)."""
    w, client = world
    before = language()
    set_language("zh-CN")
    try:
        r = client.post(
            "/v1/jobs",
            content=submission(w, batch=1, request=psi.PsiClient().create_request(IDS)),
            headers={
                **auth(w, "consumer"),
                "content-type": "application/json",
                "Accept-Language": "zh-CN",
            },
        )
    finally:
        set_language(before)
    assert r.status_code == 422
    assert "PSI 请求含 2 项，而作业声明的批次大小为 1" in r.json()["detail"]
    entry = last(w)
    assert entry["kind"] == "message_refused"
    assert "holds 2 items but the job declares a batch of 1" in entry["reason"]


def test_a_batch_over_the_spaces_limit(world: tuple[World, TestClient]) -> None:
    w, client = world
    ids = w.hospital.store.subject_ids("hospital")[: MAX_BATCH + 1]
    request = psi.PsiClient().create_request(ids)
    r = post_job(w, client, submission(w, batch=len(ids), request=request))
    assert r.status_code == 413 and f"batch of {MAX_BATCH + 1} exceeds {MAX_BATCH}" in r.text
    assert last(w)["kind"] == "message_refused" and last(w)["error"] == "PayloadTooLarge"


def test_a_malformed_psi_request(world: tuple[World, TestClient]) -> None:
    w, client = world
    r = post_job(w, client, submission(w, batch=1, request=b"\x00not a PSI request"))
    assert r.status_code == 422
    assert last(w)["kind"] == "message_refused" and last(w)["message"] == "job"


def test_a_paillier_key_under_2048_bits(world: tuple[World, TestClient]) -> None:
    w, client = world
    weak, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    body = submission(
        w, batch=1, request=psi.PsiClient().create_request(IDS[:1]), key=weak.to_wire()
    )
    r = post_job(w, client, body)
    assert r.status_code == 422 and "2048" in r.text
    assert last(w)["kind"] == "message_refused" and "2048" in last(w)["reason"]


def task_count(w: World) -> int:
    return int(w.space.store.db.execute("SELECT count(*) FROM tasks").fetchone()[0])


@pytest.mark.parametrize("bits", [8192, 1_048_576])
def test_a_paillier_key_over_4096_bits(world: tuple[World, TestClient], bits: int) -> None:
    """Issue 22, item 7: a 1,048,576-bit key was accepted, and every provider
    encrypted under it. Refused at admission: no job, no provider's task."""
    w, client = world
    tasks = task_count(w)
    huge = format((1 << (bits - 1)) | 1, "x")  # odd, all a key needs to be read
    body = submission(w, batch=1, request=psi.PsiClient().create_request(IDS[:1]), key=huge)
    r = post_job(w, client, body)
    assert r.status_code == 422, r.text
    assert str(bits) in r.json()["detail"] and "4096" in r.json()["detail"]
    entry = last(w)
    assert entry["kind"] == "message_refused" and entry["error"] == "CryptoError"
    assert "4096" in entry["reason"] and huge[:64] not in json.dumps(entry)
    assert task_count(w) == tasks
    job_id = json.loads(body)["spec"]["job_id"]
    assert (
        w.space.store.db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchall() == []
    )


def test_a_cohort_query_of_two_centuries_by_month(world: tuple[World, TestClient]) -> None:
    """Issue 22, item 7: 1900 to 2099 by month, sex and age band asked each
    provider for 12,185 encryptions per person. Refused at admission, before
    any provider's task, naming the bound."""
    w, _ = world
    tasks = task_count(w)
    query = {
        "hospital": {"cohort": "inpatients", "from": "1900-01-01", "to": "2099-12-31"},
        "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
        "measures": ["count", "sum_cost"],
        "group_by": ["month", "sex", "age_band"],
    }
    with pytest.raises(ProtocolError) as refused:
        w.insurer.submit_join(
            "cohort_statistics",
            query,
            as_of=AS_OF,
            purpose="actuarial",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            epsilon=None,
        )
    assert "120" in str(refused.value) and "2400" in str(refused.value)
    entry = last(w)
    assert entry["kind"] == "message_refused" and entry["product"] == "cohort_statistics"
    assert "2400" in entry["reason"]
    assert task_count(w) == tasks


def test_a_node_posting_for_another_nodes_task(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    task = pull(w, client, "provider", job)  # the hospital's psi_respond task
    payload = PsiResponseResult(psi_response=b"x")
    r = post_result(w, client, "cdc", task.task_id, result_body(w, w.cdc, task, payload))
    assert r.status_code == 404
    entry = last(w)
    assert entry["kind"] == "message_refused" and entry["actor"] == "cdc"
    assert entry["error"] == "NotFound" and entry["job"] is None
    assert "job_failed" not in kinds_of(w, job), "another node cannot break the job"


def test_a_result_before_its_task_was_handed_out(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    row = w.space.store.db.execute(
        "SELECT task_id FROM tasks WHERE job_id = ? AND node = 'cdc'", (job,)
    ).fetchone()
    task = Task.model_validate(
        {"task_id": row[0], "job_id": job, "node": "cdc", "payload": {"kind": "result_ready"}}
    )
    r = post_result(
        w, client, "cdc", row[0], result_body(w, w.cdc, task, PsiResponseResult(psi_response=b"x"))
    )
    assert r.status_code == 409 and "pull it first" in r.text
    assert last(w)["kind"] == "message_refused" and last(w)["job"] == job


def test_the_wrong_kind_of_result_for_a_step(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    task = pull(w, client, "provider", job)
    wrong = MatchedSubjectsResult(handles=b"", sealed={}, counts={})
    r = post_result(w, client, "provider", task.task_id, result_body(w, w.hospital, task, wrong))
    assert r.status_code == 422 and "takes a psi_response result" in r.text
    assert last(w)["kind"] == "message_refused" and last(w)["job"] == job


def test_a_malformed_psi_response_fails_the_job(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    task = pull(w, client, "provider", job)
    bad = PsiResponseResult(psi_response=b"\x01garbage")
    r = post_result(w, client, "provider", task.task_id, result_body(w, w.hospital, task, bad))
    assert r.status_code == 422
    assert kinds_of(w, job)[-2:] == ["job_failed", "message_refused"]
    assert w.space.job_status("insurer", job).state == "failed"


def test_a_forged_signature_fails_the_job(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    task = pull(w, client, "provider", job)
    real = w.hospital.handle(task)
    forged = result_body(w, w.insurer, task, real)  # signed with another participant's key
    r = post_result(w, client, "provider", task.task_id, forged)
    assert r.status_code == 422 and "not signed by hospital's registered key" in r.text
    assert "job_failed" in kinds_of(w, job)


def test_a_replayed_result_with_other_content(world: tuple[World, TestClient]) -> None:
    w, client = world
    job = new_job(w)
    task = pull(w, client, "provider", job)
    first = result_body(w, w.hospital, task, w.hospital.handle(task))
    assert post_result(w, client, "provider", task.task_id, first).status_code == 204
    assert post_result(w, client, "provider", task.task_id, first).status_code == 204  # idempotent
    answer = w.hospital.handle(task)
    assert isinstance(answer, PsiResponseResult)
    changed = PsiResponseResult(psi_response=answer.psi_response + b"\x00")
    other = result_body(w, w.hospital, task, changed)
    r = post_result(w, client, "provider", task.task_id, other)
    assert r.status_code == 409 and "already completed" in r.text
    assert last(w)["kind"] == "message_refused" and last(w)["error"] == "Conflict"


@pytest.mark.parametrize("value", ["zero", "n_squared", "multiple_of_n"])
def test_ciphertexts_outside_z_n2_fail_the_job(world: tuple[World, TestClient], value: str) -> None:
    w, client = world
    held = w.hospital.store.subject_ids("hospital")[:2]  # subjects the hospital holds
    job = new_job(w, held)
    for node in (w.hospital, w.cdc, w.insurer):  # PSI, then the insurer's intersection
        node.run_pending()
    task = pull(w, client, "provider", job)
    real = w.hospital.handle(task)
    assert isinstance(real, EncryptedFeaturesResult)
    pk = w.insurer.paillier_public
    cts = [int(c) for c in pk.unpack(real.ciphertexts)]
    cts[0] = {"zero": 0, "n_squared": int(pk.nsquare), "multiple_of_n": int(pk.n) * 7}[value]
    width = pk.ciphertext_bytes
    raw = b"".join(
        (c % (1 << (8 * width))).to_bytes(width, "big")
        if c < (1 << (8 * width))
        else b"\xff" * width
        for c in cts
    )
    bad = real.model_copy(update={"ciphertexts": raw})
    r = post_result(w, client, "provider", task.task_id, result_body(w, w.hospital, task, bad))
    assert r.status_code == 422, r.text
    assert "job_failed" in kinds_of(w, job) and last(w)["kind"] == "message_refused"
    assert w.space.job_status("insurer", job).state == "failed"


def test_refusals_never_carry_the_message(world: tuple[World, TestClient]) -> None:
    w, _ = world
    refused = [e for e in w.space.ledger.entries() if e.kind == "message_refused"]
    assert len(refused) >= 8
    text = json.dumps([e.details for e in refused])
    for needle in (*IDS, base64.b64encode(b"\x01garbage").decode(), "garbage"):
        assert needle not in text

"""POST /v1/tasks/exchange: a node's results and its next poll in one round
trip. Each result is taken or refused on its own, with the status the
single-result route would give; then the caller's own tasks are leased."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from tests.service.procs import Proc, admin_key, free_port, wait_healthy
from tests.service.world import World, direct_example
from trusted_space.protocol.messages import (
    PsiRespondTask,
    PsiResponseResult,
    Task,
    TaskResult,
)
from trusted_space.service import long_polls


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    w = World(tmp_path_factory.mktemp("exchange"), "default")
    with TestClient(w.app) as client:
        yield w, client


def exchange(client: TestClient, w: World, role: str, results: list[Any]) -> Any:
    response = client.post(
        "/v1/tasks/exchange",
        json={"results": results},
        headers={"Authorization": f"Bearer {w.keys[role]}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def task_state(w: World, task_id: str) -> str:
    row = w.space.store.db.execute("SELECT state FROM tasks WHERE task_id = ?", (task_id,))
    return str(row.fetchone()[0])


def test_results_are_judged_one_by_one_then_own_tasks_are_leased(
    world: tuple[World, TestClient],
) -> None:
    w, client = world
    # The consumer cannot answer the hospital's task: 404 for that result,
    # the request itself succeeds, and the task stays the hospital's.
    foreign = TaskResult(task_id=w.open_task, payload=PsiResponseResult(psi_response=b"x"))
    reply = exchange(client, w, "consumer", [foreign.model_dump(mode="json")])
    assert [(o["task_id"], o["status"]) for o in reply["outcomes"]] == [(w.open_task, 404)]
    assert all(t["node"] == "insurer" for t in reply["tasks"])
    assert task_state(w, w.open_task) == "pending"

    # The hospital gets its pending task in the same kind of call.
    reply = exchange(client, w, "provider", [])
    assert reply["outcomes"] == []
    assert [t["task_id"] for t in reply["tasks"]] == [w.open_task]
    assert task_state(w, w.open_task) == "leased"

    # Its signed answer is taken (204), and the same answer posted again too.
    task = Task.model_validate(reply["tasks"][0])
    body = w.hospital._signed(task, w.hospital.handle(task)).model_dump(mode="json")
    reply = exchange(client, w, "provider", [body, body])
    assert [o["status"] for o in reply["outcomes"]] == [204, 204]
    assert task_state(w, w.open_task) == "done"


def test_a_refused_result_fails_its_job_and_is_recorded(world: tuple[World, TestClient]) -> None:
    w, client = world
    assert [t["task_id"] for t in exchange(client, w, "provider", [])["tasks"]] == [w.open_task]
    malformed = TaskResult(task_id=w.open_task, payload=PsiResponseResult(psi_response=b"AAAA"))
    reply = exchange(client, w, "provider", [malformed.model_dump(mode="json")])
    (outcome,) = reply["outcomes"]
    assert outcome["status"] == 422 and outcome["detail"]
    assert w.space.job_status("insurer", w.open_job).state == "failed"
    kinds = [
        r[0]
        for r in w.space.store.db.execute(
            "SELECT kind FROM ledger WHERE job_id = ? ORDER BY seq", (w.open_job,)
        )
    ]
    assert "message_refused" in kinds


def test_a_role_without_tasks_is_refused_before_its_results_are_read(
    world: tuple[World, TestClient],
) -> None:
    w, client = world
    entries = w.space.store.db.execute("SELECT count(*) FROM ledger").fetchone()[0]
    result = TaskResult(task_id=w.open_task, payload=PsiResponseResult(psi_response=b"x"))
    response = client.post(
        "/v1/tasks/exchange",
        json={"results": [result.model_dump(mode="json")]},
        headers={"Authorization": f"Bearer {w.keys['steward']}"},
    )
    assert response.status_code == 403
    assert w.space.store.db.execute("SELECT count(*) FROM ledger").fetchone()[0] == entries
    assert task_state(w, w.open_task) == "pending"


def test_a_waiting_poll_wakes_when_its_task_is_added_and_not_before(
    world: tuple[World, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long polls wait on the event loop; a task added for the node, from
    any thread, wakes its poll (and only its poll) at once."""
    monkeypatch.setattr(long_polls, "RECHECK_SECONDS", 30.0)  # only a wake-up answers early
    w, client = world
    leased = exchange(client, w, "provider", [])["tasks"]  # the hospital's open task
    payload = PsiRespondTask.model_validate(leased[0]["payload"])
    headers = {"Authorization": f"Bearer {w.keys['provider']}"}
    answers: list[tuple[float, list[Any]]] = []

    def poll() -> None:
        start = time.monotonic()
        got = client.get("/v1/tasks", params={"wait": 6}, headers=headers)
        answers.append((time.monotonic() - start, got.json()))

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(0.5)
    with w.space.lock, w.space.store.transaction():
        w.space.add_task(w.open_job, "insurer", payload)  # another node's task
    time.sleep(0.5)
    assert answers == []  # still waiting
    added = threading.Thread(target=lambda: w.space.add_task(w.open_job, "hospital", payload))
    with w.space.lock, w.space.store.transaction():
        added.start()
        added.join()
    waiting.join(timeout=10)
    assert len(answers) == 1
    seconds, tasks = answers[0]
    assert [t["payload"]["kind"] for t in tasks] == ["psi_respond"]
    assert seconds < 3  # woken, not answered when the 6 s wait ran out


def test_waiting_polls_hold_no_thread(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key = admin_key(tmp_path / "space", "hospital", "provider", tmp_path).read_text().strip()
    space = Proc(
        tmp_path / "space.log", "serve", "--workdir", str(tmp_path / "space"), "--port", str(port)
    )
    try:
        wait_healthy(url)
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url}/v1/tasks", headers=headers).json() == []
        threads = len(list(Path(f"/proc/{space.proc.pid}/task").iterdir()))
        polls = [
            threading.Thread(
                target=httpx.get,
                args=(f"{url}/v1/tasks",),
                kwargs={"params": {"wait": 3}, "headers": headers, "timeout": 30},
            )
            for _ in range(30)
        ]
        for p in polls:
            p.start()
        time.sleep(1.5)  # every poll is waiting now
        during = len(list(Path(f"/proc/{space.proc.pid}/task").iterdir()))
        for p in polls:
            p.join()
        assert during - threads < 5, f"{during - threads} threads for 30 waiting polls"
    finally:
        space.stop()


def test_a_submission_that_waits_carries_the_callers_next_task(
    world: tuple[World, TestClient],
) -> None:
    """POST /v1/jobs?wait=S: the new job's status, and the caller's tasks
    leased within S seconds, as an exchange would lease them."""
    w, client = world
    for provider in (w.hospital, w.cdc):  # the open job's PSI step: the insurer's turn
        provider.run_pending()
    (finish_id,) = w.space.store.db.execute(
        "SELECT task_id FROM tasks WHERE job_id = ? AND node = 'insurer' AND state = 'pending'",
        (w.open_job,),
    ).fetchone()
    headers = {"Authorization": f"Bearer {w.keys['consumer']}"}

    def submit(job_id: str, wait: float) -> tuple[Any, float]:
        body = w.signed(job_id=job_id).model_dump(mode="json")
        start = time.monotonic()
        response = client.post("/v1/jobs", params={"wait": wait}, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json(), time.monotonic() - start

    reply, _ = submit("a" * 32, 0.0)  # no wait: the status alone
    assert reply["state"] == "queued" and reply["tasks"] == []
    assert task_state(w, finish_id) == "pending"
    reply, seconds = submit("b" * 32, 5.0)
    assert reply["state"] == "queued" and reply["job_id"] == "b" * 32
    assert [(t["task_id"], t["payload"]["kind"]) for t in reply["tasks"]] == [
        (finish_id, "psi_finish")
    ]
    assert task_state(w, finish_id) == "leased" and seconds < 3.0  # not the whole wait

    # A denied submission answers at once, with no task.
    w.space.publish_policy(
        "steward", yaml.safe_dump(direct_example("hospital", purposes=["claims"], version=2))
    )
    reply, seconds = submit("c" * 32, 5.0)
    assert reply["state"] == "denied" and reply["tasks"] == [] and seconds < 3.0


def test_a_consumer_first_does_the_tasks_a_submission_brought(
    world: tuple[World, TestClient],
) -> None:
    """Tasks leased by a waiting submission are done by the next
    run_pending; a poll would not offer them again (their lease holds)."""
    w, _ = world
    for provider in (w.hospital, w.cdc):
        provider.run_pending()
    w.insurer.leased = w.space.pull_now("insurer")  # as the submission's reply carries them
    assert [t.payload.kind for t in w.insurer.leased] == ["psi_finish"]
    assert w.space.pull_now("insurer") == []
    assert w.insurer.run_pending() == 1  # its matched subjects, taken
    assert w.insurer.leased == []
    status = w.space.job_status("insurer", w.open_job)
    assert (status.state, status.step) == ("running", "features")


def test_a_poll_whose_node_hung_up_leases_nothing_when_it_wakes() -> None:
    """A node killed (or restarted) while its long poll waits leaves that
    poll behind at the space; when a task for the node appears, the orphaned
    poll must not lease it (the lease would be lost to a dead socket, and a
    task has only ``max_lost_leases`` of them). A poll whose caller is still
    there leases it."""

    class Space:
        closing = False

        def __init__(self) -> None:
            self.task_ready = False
            self.leased: list[str] = []
            self.wake: Any = None

        def on_tasks(self, wake: Any) -> None:
            self.wake = wake

        def pull_now(self, caller: str, limit: int) -> list[Any]:
            if not self.task_ready:
                return []
            self.leased.append(caller)
            return ["task"]

    async def scenario(hung_up: bool) -> tuple[list[Any], list[str]]:
        space = Space()
        polls = long_polls.LongPolls(space, max_wait=10)  # type: ignore[arg-type]

        async def gone() -> bool:
            return hung_up

        async def add_task() -> None:
            await asyncio.sleep(0.2)
            space.task_ready = True
            space.wake("hospital")

        adder = asyncio.create_task(add_task())
        tasks = await polls.pull("hospital", 8, 5.0, gone)
        await adder
        return tasks, space.leased

    assert asyncio.run(scenario(hung_up=False)) == (["task"], ["hospital"])
    assert asyncio.run(scenario(hung_up=True)) == ([], [])

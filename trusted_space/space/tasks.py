"""Tasks at the space: the queue of each node's steps, their leases, the
pull and exchange of tasks and results, node signatures on results, and the
conditions long polls wait on.

A task waits for its node; a pull leases it for ``lease_seconds``. A lease
that runs out without a result means the node died or hung on the task (a
result, even a late one, ends it): the task is offered again, but once its
leases have run out ``max_lost_leases`` times (twice) it is not offered
again and its job fails with ``task_abandoned``: a task that kills its node
cannot do so forever. A result must answer a leased task with the kind of
result the job's engine expects, signed by the node's registered key; the
engine then moves the job on, in the result's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from trusted_space.core.errors import (
    Conflict,
    CryptoError,
    NotFound,
    PayloadTooLarge,
    ProtocolError,
    TspaceError,
    status_of,
)
from trusted_space.core.failures import TASK_ABANDONED, failure_code, failure_reason, known_code
from trusted_space.core.i18n import Text, logged
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger.ledger import Ledger, step_digest
from trusted_space.protocol.messages import (
    PartsResult,
    ResultOutcome,
    ResultReadyTask,
    Task,
    TaskExchangeReply,
    TaskPayload,
    TaskResult,
    TaskResultPayload,
)
from trusted_space.space.config import SpaceConfig
from trusted_space.space.jobs import Jobs
from trusted_space.space.participants import Participants
from trusted_space.space.store import SpaceStore

log = logging.getLogger("tspace.space")
_PAYLOAD: TypeAdapter[TaskResultPayload] = TypeAdapter(TaskResultPayload)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Tasks:
    def __init__(
        self,
        *,
        store: SpaceStore,
        ledger: Ledger,
        suite: CryptoSuite,
        participants: Participants,
        config: SpaceConfig,
        lock: threading.RLock,
        jobs: Jobs,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.suite = suite
        self.participants = participants
        self.config = config
        self.lock = lock  # the space's lock
        self.jobs = jobs
        # One condition per node over one lock: a task for a node wakes only
        # that node's long polls, not every waiting node.
        self._tasks_lock = threading.Lock()
        self._node_cvs: dict[str, threading.Condition] = {}
        self._task_generation: dict[str, int] = {}  # node -> tasks added so far
        self._closing = False  # set on shutdown: long polls answer at once
        # Called with a node's name when a task is added for it (from any
        # thread), and with None on shutdown: how the service wakes the long
        # polls it waits on the event loop.
        self._task_listeners: list[Callable[[str | None], None]] = []

    def add_task(self, job_id: str, node: str, payload: TaskPayload) -> str:
        task_id = uuid.uuid4().hex
        self.store.db.execute(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, ?)",
            (task_id, job_id, node, payload.kind, payload.model_dump_json(), _now()),
        )
        with self._tasks_lock:  # lock order: space lock, then this lock
            self._task_generation[node] = self._task_generation.get(node, 0) + 1
            self._node_cv(node).notify_all()
        for listener in self._task_listeners:
            listener(node)
        return task_id

    def on_tasks(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener(node)`` whenever a task is added for ``node`` (from
        any thread, possibly before its transaction commits: the listener
        only schedules a new look), and ``listener(None)`` on shutdown."""
        self._task_listeners.append(listener)

    @property
    def closing(self) -> bool:
        return self._closing

    def _node_cv(self, node: str) -> threading.Condition:
        """The condition a node's long polls wait on (call with _tasks_lock held)."""
        cv = self._node_cvs.get(node)
        if cv is None:
            cv = self._node_cvs[node] = threading.Condition(self._tasks_lock)
        return cv

    def pull_tasks(self, caller: str, limit: int = 8, wait: float = 0.0) -> list[Task]:
        """Lease up to ``limit`` of the caller's pending tasks (or expired
        leases), waiting up to ``wait`` seconds for one to appear."""
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            with self._tasks_lock:
                generation = self._task_generation.get(caller, 0)
            # Never hold the condition while taking the space lock (add_task
            # takes them the other way round).
            tasks = self.pull_now(caller, limit)
            remaining = deadline - time.monotonic()
            if tasks or remaining <= 0 or self._closing:
                return tasks
            with self._tasks_lock:
                # Sleep until a task for this node appears (or a second passes,
                # for leases that expire); other nodes' tasks do not wake us.
                cv = self._node_cv(caller)
                end = time.monotonic() + min(remaining, 1.0)
                while self._task_generation.get(caller, 0) == generation and not self._closing:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    cv.wait(left)

    def pull_now(self, caller: str, limit: int = 8) -> list[Task]:
        """Lease up to ``limit`` of the caller's pending tasks (or expired
        leases) without waiting."""
        with self.lock:
            return self._pull_now(caller, limit)

    def _pull_now(self, caller: str, limit: int) -> list[Task]:
        self.participants.require(caller, "provider", "consumer")
        now = time.time()
        out: list[Task] = []
        # Under the space lock no other thread writes, so a poll that finds
        # nothing opens no transaction (most long-poll wake-ups).
        rows = self.store.db.execute(
            "SELECT t.task_id, t.job_id, t.payload, t.attempt, t.kind FROM tasks t "
            "JOIN jobs j ON j.job_id = t.job_id "
            "WHERE t.node = ? AND j.state IN ('queued', 'running', 'succeeded') AND "
            "(t.state = 'pending' OR (t.state = 'leased' AND t.lease_until < ?)) "
            "ORDER BY t.created_at LIMIT ?",
            (caller, now, limit),
        ).fetchall()
        if not rows:
            return out
        # Leases are soft state; a task given up fails its job, durably. A
        # leased task found here had every one of its ``attempt`` leases run
        # out (a result would have ended it).
        failing = any(row[3] >= self.config.max_lost_leases for row in rows)
        with self.store.transaction(durable=failing) as db:
            for task_id, job_id, payload, attempt, kind in rows:
                if attempt >= self.config.max_lost_leases:
                    self._abandon(task_id, job_id, caller, str(kind), attempt)
                    continue
                db.execute(
                    "UPDATE tasks SET state = 'leased', attempt = attempt + 1, lease_until = ? "
                    "WHERE task_id = ?",
                    (now + self.config.lease_seconds, task_id),
                )
                task = Task.model_validate(
                    {
                        "task_id": task_id,
                        "job_id": job_id,
                        "node": caller,
                        "attempt": attempt + 1,
                        "payload": json.loads(payload),
                    }
                )
                if isinstance(task.payload, ResultReadyTask):
                    # The result travels with the task: no second request for it.
                    result = self.jobs.stored_result(job_id)
                    task = task.model_copy(
                        update={"payload": task.payload.model_copy(update={"result": result})}
                    )
                out.append(task)
        return out

    def _abandon(self, task_id: str, job_id: str, node: str, kind: str, leases: int) -> None:
        """Give up a task whose leases ran out ``leases`` times (in the
        caller's transaction): never offered again, its job failed with a
        code that names the node and the step, no value."""
        self.store.db.execute("UPDATE tasks SET state = 'cancelled' WHERE task_id = ?", (task_id,))
        said = logged("log.space.abandoned", task=task_id, job=job_id, n=leases, node=node)
        log.warning("%s", said)
        self.jobs.fail_job(
            job_id, failure_reason(TASK_ABANDONED, node=node, step=kind, leases=leases)
        )

    def exchange(
        self, caller: str, results: list[TaskResult], limit: int = 8, wait: float = 0.0
    ) -> TaskExchangeReply:
        """Take a node's results, each on its own (one refused result fails
        only its job), then lease its next tasks as ``pull_tasks`` does."""
        outcomes = self.take_results(caller, results)
        tasks = self.pull_tasks(caller, limit, wait)
        return TaskExchangeReply(outcomes=outcomes, tasks=tasks, checkpoint=self.checkpoint())

    def checkpoint(self) -> dict[str, Any] | None:
        """The latest signed checkpoint, for a node to keep outside the space."""
        with self.lock:
            entry = self.ledger.latest_checkpoint()
        return None if entry is None else entry.to_dict()

    def put_part(self, caller: str, task_id: str, data: bytes) -> str:
        """A part of the result of a task leased to ``caller``, too large for
        one request; the result then names its parts (``PartsResult``).
        Returns the part's suite hash."""
        with self.lock:
            row = self.store.db.execute(
                "SELECT node, state FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
            if row is None or row[0] != caller:
                raise NotFound(Text("err.space.task.unknown", task=task_id[:64], caller=caller))
            if row[1] not in ("leased", "pending"):
                raise Conflict(Text("err.space.task.no_more_parts", state=row[1]))
            if not data:
                raise ProtocolError(Text("err.space.task.empty_part"))
            stored = self.store.parts_size(task_id)
            if stored + len(data) > self.config.max_result_bytes:
                raise PayloadTooLarge(
                    Text(
                        "err.space.task.parts_limit",
                        limit=self.config.max_result_bytes,
                        stored=stored,
                        size=len(data),
                    )
                )
            digest = self.suite.hex_hash(data)
            with self.store.transaction():
                self.store.put_part(task_id, digest, data)
            return digest

    def _joined(self, result: TaskResult) -> TaskResult:
        """The result its parts make up (a PartsResult names them)."""
        named = result.payload
        assert isinstance(named, PartsResult)
        chunks = []
        for digest in named.parts:
            part = self.store.get_part(result.task_id, digest)
            if part is None:
                raise ProtocolError(Text("err.space.task.part_missing"))
            chunks.append(part)
        data = b"".join(chunks)
        if len(data) != named.size:
            raise ProtocolError(
                Text("err.space.task.parts_size", size=len(data), declared=named.size)
            )
        try:
            payload = _PAYLOAD.validate_json(data)
        except ValidationError as exc:
            raise ProtocolError(Text("err.space.task.parts_not_result")) from exc
        if isinstance(payload, PartsResult):
            raise ProtocolError(Text("err.space.task.nested_parts"))
        return TaskResult(task_id=result.task_id, payload=payload, signature=result.signature)

    def take_results(self, caller: str, results: list[TaskResult]) -> list[ResultOutcome]:
        """Take a node's results, each on its own: one refused result fails
        only its job. The outcome of each, in order."""
        with self.lock:
            # before any result is looked at
            self.participants.require(caller, "provider", "consumer")
        outcomes = []
        for result in results:
            try:
                self.complete_task(caller, result)
            except TspaceError as exc:
                outcomes.append(
                    ResultOutcome(task_id=result.task_id, status=status_of(exc), detail=str(exc))
                )
            else:
                outcomes.append(ResultOutcome(task_id=result.task_id, status=204))
        return outcomes

    def complete_task(self, caller: str, result: TaskResult) -> None:
        with self.lock:
            try:
                self._complete_task(caller, result)
            except (ProtocolError, CryptoError, NotFound) as exc:
                row = self.store.db.execute(
                    "SELECT job_id FROM tasks WHERE task_id = ? AND node = ?",
                    (result.task_id, caller),
                ).fetchone()
                self.jobs.refused(
                    caller,
                    f"{result.payload.kind} result",
                    exc,
                    row[0] if row else None,
                    {"task_id": result.task_id[:64]},
                )
                raise

    def _complete_task(self, caller: str, result: TaskResult) -> None:
        log.debug("result of task %s from %s (%s)", result.task_id, caller, result.payload.kind)
        row = self.store.db.execute(
            "SELECT job_id, node, kind, state, result_hash FROM tasks WHERE task_id = ?",
            (result.task_id,),
        ).fetchone()
        if row is None or row[1] != caller:
            raise NotFound(Text("err.space.task.unknown", task=result.task_id, caller=caller))
        job_id, _, kind, state, done_hash = row
        if isinstance(result.payload, PartsResult):
            if state in ("done", "cancelled"):  # its parts are gone with the first post
                raise Conflict(Text("err.space.task.already", state=state))
            result = self._joined(result)
        result_hash = self.suite.hex_hash(result.model_dump_json().encode())
        if state == "done":
            if done_hash == result_hash:
                return  # the same result posted again: nothing to do
            raise Conflict(Text("err.space.task.completed"))
        if state == "cancelled":
            raise Conflict(Text("err.space.task.cancelled"))
        if state != "leased":
            raise Conflict(Text("err.space.task.not_leased"))
        status = self.store.db.execute(
            "SELECT state FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if status is None or status[0] in ("failed", "denied"):
            raise Conflict(Text("err.space.task.job_ended", job=job_id))
        spec = self.jobs.spec(job_id)
        engine = self.jobs.engine_for(spec)
        # The job's engine handed the task out and says what result it takes.
        expected = engine.result_kinds[kind]
        if result.payload.kind != expected:
            raise ProtocolError(
                Text(
                    "err.space.task.result_kind",
                    kind=kind,
                    expected=expected,
                    got=result.payload.kind,
                )
            )
        try:
            payload_hash = self._check_node_signature(caller, job_id, result)
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE tasks SET state = 'done', result_hash = ? WHERE task_id = ?",
                    (result_hash, result.task_id),
                )
                self.store.drop_parts(task_id=result.task_id)
                self.ledger.append(
                    caller,
                    "task_result",
                    {
                        "task_id": result.task_id,
                        "result": result.payload.kind,
                        "result_hash": payload_hash,
                        "node_signature": result.signature,
                    },
                    job_id=job_id,
                )
                engine.advance(spec, caller, result.payload)
        except (CryptoError, ProtocolError) as exc:
            with self.store.transaction():
                self.jobs.fail_job(
                    job_id,
                    failure_reason(failure_code(exc), node=caller, unacceptable=expected),
                )
            raise

    def _check_node_signature(self, caller: str, job_id: str, result: TaskResult) -> str:
        """The payload's hash, once the result is signed by the caller's registered key."""
        row = self.store.db.execute(
            "SELECT signing_key FROM participants WHERE name = ?", (caller,)
        ).fetchone()
        payload_hash = self.suite.hex_hash(result.payload.model_dump_json().encode())
        digest = step_digest(self.suite, job_id, result.task_id, result.payload.kind, payload_hash)
        try:
            if row is None or row[0] is None:
                raise CryptoError(Text("err.space.task.no_signing_key"))
            self.suite.verify(bytes.fromhex(row[0]), digest, bytes.fromhex(result.signature))
        except (CryptoError, ValueError) as exc:
            raise ProtocolError(Text("err.space.task.unsigned", caller=caller)) from exc
        return payload_hash

    def report_failure(self, caller: str, task_id: str, reason: str) -> None:
        """A node could not do its step; the job fails cleanly, nothing released."""
        with self.lock:
            row = self.store.db.execute(
                "SELECT job_id, node, kind FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
            if row is None or row[1] != caller:
                exc = NotFound(Text("err.space.task.unknown", task=task_id[:64], caller=caller))
                self.jobs.refused(caller, "failure report", exc, None)
                raise exc
            with self.store.transaction():
                # A code, never the node's text (core/failures.py).
                self.jobs.fail_job(
                    row[0], failure_reason(known_code(reason), node=caller, step=str(row[2]))
                )

    def stop_waiting(self) -> None:
        """Shutting down: every long poll answers now (with what it has), so
        the server does not wait out each node's poll before it exits."""
        with self._tasks_lock:
            self._closing = True
            for cv in self._node_cvs.values():
                cv.notify_all()
        for listener in self._task_listeners:
            listener(None)
        self.jobs.work_added()

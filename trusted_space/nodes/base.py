"""What every node shares: its folder, its keys and the keys it pinned, and
the pull-work-post loop."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from trusted_space.core.errors import (
    Conflict,
    ModelNotApproved,
    NotFound,
    ProtocolError,
    TaskAltered,
    TspaceError,
    UntrustedKey,
)
from trusted_space.core.failures import failure_code
from trusted_space.core.i18n import Text, logged
from trusted_space.core.timing import StageTimer
from trusted_space.crypto import CryptoSuite, SealingKey, SigningKey
from trusted_space.ledger.checkpoints import NodeCheckpoints
from trusted_space.ledger.ledger import step_digest
from trusted_space.nodes.identity import NodeIdentity
from trusted_space.nodes.pins import Pins
from trusted_space.protocol.api import SpaceAPI
from trusted_space.protocol.messages import (
    ParticipantKeys,
    PartsResult,
    ResultOutcome,
    Role,
    StewardAppointment,
    Task,
    TaskResult,
    TaskResultPayload,
    appointment_digest,
)

log = logging.getLogger("tspace.node")

# For fault tests only: a node holds forever, after doing a task of this kind
# and before posting its result, so a test can kill it at that exact step.
TEST_ONLY_HOLD = "TSPACE_TEST_ONLY_HOLD_AFTER"
# Room kept in a request for the exchange's own JSON around the results.
PART_SLACK = 4096
# For fault tests only: the first task of this kind a node process does
# raises an exception tspace does not foresee (not a TspaceError), quoting a
# value, as a DuckDB overflow in a feature query did (issue 22, item 2).
TEST_ONLY_FAIL_ONCE = "TSPACE_TEST_ONLY_FAIL_ONCE"
TEST_ONLY_FAIL_TEXT = "Overflow in SUM: 73191.123456789123 does not fit"
_failed_once: set[str] = set()


def _fail_once(kind: str) -> None:
    if kind not in _failed_once:
        _failed_once.add(kind)
        raise ArithmeticError(TEST_ONLY_FAIL_TEXT)


def _kind(exc: BaseException) -> str:
    """What a log line may say of an exception: its type and, for tspace's
    own, its code; never its text."""
    return f"{type(exc).__name__} ({failure_code(exc)})"


def appoint_steward(
    suite: CryptoSuite, key: SigningKey, owner: str, steward: str, space: str
) -> StewardAppointment:
    """An owner's appointment of ``steward``, signed with the owner's key."""
    signature = key.sign(appointment_digest(suite, owner, steward, space))
    return StewardAppointment(owner=owner, steward=steward, space=space, signature=signature.hex())


class Node(ABC):
    role: Role

    def __init__(self, name: str, node_dir: Path, transport: SpaceAPI, suite: CryptoSuite) -> None:
        self.name = name
        self.dir = Path(node_dir)
        self.transport = transport
        self.suite = suite
        self.timer = StageTimer()
        self.keys_dir = self.dir / "keys"
        self.identity = NodeIdentity(suite, self.keys_dir)
        # The other parties' signing keys this node trusts (trust on first
        # use, or pinned by a person): checked before sealing or computing.
        self.pins = Pins(self.dir, suite)
        # The last refusal of a key or a task (a swapped key, an altered
        # task), for a client to show in full: its text names parties and
        # fingerprints only.
        self.refusal: TspaceError | None = None
        # Tasks leased by a request other than a poll (a consumer's
        # submission), done first by the next run_pending.
        self.leased: list[Task] = []
        # The space's signed ledger checkpoints, kept here, out of its reach.
        self.checkpoints = NodeCheckpoints(self.dir)

    @property
    def signing_key(self) -> SigningKey:
        return self.identity.signing_key

    @property
    def sealing_key(self) -> SealingKey:
        """The current sealing key; what was sealed to a retired one opens too."""
        return self.identity.sealing_key

    def public_keys(self) -> ParticipantKeys:
        """This node's keys as it announces them, signed by its signing key."""
        return self.identity.statement(self.name, self.role)

    def rotate_keys(self, *, signing: bool = False) -> ParticipantKeys:
        """New keys (a sealing key; a signing key too when ``signing``, handed
        over by the old one's signature), registered with the space."""
        keys = self.identity.rotate(self.name, self.role, signing=signing)
        self.transport.register_keys(keys)
        return keys

    def appoint_steward(self, steward: str, space: str) -> StewardAppointment:
        """This owner's signed consent that ``steward`` governs its policies
        in the space whose ledger key has the fingerprint ``space``
        (``whoami()["space"]``). Hand it to the operator, who adds the
        steward with it."""
        return appoint_steward(self.suite, self.signing_key, self.name, steward, space)

    @abstractmethod
    def handle(self, task: Task) -> TaskResultPayload:
        """Do one task locally and return what to post back."""

    def run_pending(self, wait: float = 0.0, *, linger: bool = False) -> int:
        """Do every task the space has for this node, waiting up to ``wait``
        seconds for one to arrive; return how many results the space took.

        Results travel with the next request for work, one round trip where
        a result and a poll would take two; the last ones are posted before
        this returns. That request waits up to ``wait`` for more work when
        the results call for a next step of this node's (``awaits_more``),
        or always with ``linger``, for a node that does nothing else
        (``serve_node``).

        A task the node cannot do is reported as a failure (the job then
        fails cleanly); the reason names no identifier or value. A result the
        space no longer wants (the job ended, or another attempt already
        answered) is dropped. Tasks already leased (``leased``) are done
        first."""
        done = 0
        results: list[TaskResult] = []
        poll = wait
        if self.leased:
            tasks, self.leased = self.leased, []
            results = self._run_tasks(tasks)
            poll = wait if linger or self.awaits_more(results) else 0.0
        while True:
            reply = self.transport.exchange(self._fitted(results), wait=poll)
            self.checkpoints.keep(reply.checkpoint)
            done += self._taken(reply.outcomes)
            if not reply.tasks:
                return done
            results = self._run_tasks(reply.tasks)
            poll = wait if linger or self.awaits_more(results) else 0.0

    def awaits_more(self, results: Sequence[TaskResult]) -> bool:
        """Whether posting ``results`` leads the space to a next task for this
        node, worth waiting for in the same request (a consumer's matched
        subjects are followed by its result)."""
        return False

    def before_tasks(self, tasks: Sequence[Task]) -> None:
        """A hook before the tasks pulled together are done one by one (a
        provider computes their features in one query)."""
        return

    def after_tasks(self) -> None:
        """A hook after the tasks pulled together are done."""
        return

    def _run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        """Do the tasks pulled together; their signed results, to post.

        Work shared by the tasks (``before_tasks``) that fails is dropped:
        each task then does its own and fails, if it must, on its own."""
        try:
            self.before_tasks(tasks)
        except Exception as exc:  # the node outlives any task
            said = logged("log.node.shared_failed", name=self.name, n=len(tasks), kind=_kind(exc))
            log.warning("%s", said)
        try:
            return [r for r in (self._run_task(task) for task in tasks) if r is not None]
        finally:
            self.after_tasks()

    def _run_task(self, task: Task) -> TaskResult | None:
        """Do one task: its signed result, or None when it was reported as
        failed or is no longer wanted."""
        log.debug(
            "%s: task %s of job %s (%s, attempt %d)",
            self.name,
            task.task_id,
            task.job_id,
            task.payload.kind,
            task.attempt,
        )
        try:
            with self.timer.stage(task.payload.kind):
                if os.environ.get(TEST_ONLY_FAIL_ONCE) == task.payload.kind:
                    _fail_once(task.payload.kind)
                result = self.handle(task)
        except (Conflict, NotFound) as exc:
            said = logged(
                "log.node.dropped", name=self.name, task=task.task_id, kind=type(exc).__name__
            )
            log.info("%s", said)
            return None
        except (UntrustedKey, TaskAltered, ModelNotApproved) as exc:
            # Their texts name parties, fingerprints and hashes only: a person
            # must read why the node refused (a swapped key, an altered task).
            log.warning(
                "%s", logged("log.node.refused", name=self.name, task=task.task_id, reason=exc)
            )
            self.refusal = exc
            self._report(task.task_id, failure_code(exc))
            return None
        except Exception as exc:  # the node outlives any task
            # Anything, tspace's own refusals or what it did not foresee (a
            # DuckDB overflow, a bug): the task fails with its code, never
            # its text (it may quote a value), and the node goes on serving.
            log.warning(
                "%s", logged("log.node.failed", name=self.name, task=task.task_id, kind=_kind(exc))
            )
            self._report(task.task_id, failure_code(exc))
            return None
        log.debug("%s: task %s done (%s)", self.name, task.task_id, result.kind)
        if os.environ.get(TEST_ONLY_HOLD) == task.payload.kind:
            log.warning("%s: holding after %s (%s)", self.name, task.payload.kind, TEST_ONLY_HOLD)
            while True:
                time.sleep(3600)
        return self._signed(task, result)

    def _taken(self, outcomes: Sequence[ResultOutcome]) -> int:
        """How many posted results the space took; the others are logged (a
        refused one failed its job at the space, which recorded why)."""
        taken = 0
        for outcome in outcomes:
            if outcome.status < 300:
                taken += 1
            elif outcome.status in (404, 409):
                said = logged(
                    "log.node.not_taken",
                    name=self.name,
                    task=outcome.task_id,
                    status=outcome.status,
                )
                log.info("%s", said)
            else:
                said = logged(
                    "log.node.result_refused",
                    name=self.name,
                    task=outcome.task_id,
                    status=outcome.status,
                )
                log.warning("%s", said)
        return taken

    def _fitted(self, results: list[TaskResult]) -> list[TaskResult]:
        """The results as one request may carry them: while they exceed the
        transport's limit, the largest goes first in parts (``put_part``) and
        is posted as a ``PartsResult`` naming them, with its signature on
        the whole payload (the space joins the parts and checks it)."""
        limit = self.transport.part_bytes
        if limit is None or not results:
            return results
        budget = max(limit // 2, limit - PART_SLACK)
        sizes = [len(r.model_dump_json()) for r in results]
        total = sum(sizes) + 64 * len(results)
        fitted = list(results)
        for i in sorted(range(len(results)), key=lambda i: -sizes[i]):
            if total <= budget:
                break
            fitted[i] = self._in_parts(results[i], limit)
            total -= sizes[i] - len(fitted[i].model_dump_json())
        return fitted

    def _in_parts(self, result: TaskResult, limit: int) -> TaskResult:
        body = result.payload.model_dump_json().encode()
        digests = []
        for start in range(0, len(body), limit):
            part = body[start : start + limit]
            digest = self.transport.put_part(result.task_id, part)
            if digest != self.suite.hex_hash(part):
                raise ProtocolError(Text("err.nodes.part_mismatch"))
            digests.append(digest)
        said = logged(
            "log.node.parts", name=self.name, task=result.task_id, n=len(digests), size=len(body)
        )
        log.info("%s", said)
        return TaskResult(
            task_id=result.task_id,
            payload=PartsResult(parts=digests, size=len(body)),
            signature=result.signature,
        )

    def _signed(self, task: Task, result: TaskResultPayload) -> TaskResult:
        """The result with this node's signature: the ledger keeps it as
        evidence that this node performed the step."""
        result_hash = self.suite.hex_hash(result.model_dump_json().encode())
        digest = step_digest(self.suite, task.job_id, task.task_id, result.kind, result_hash)
        return TaskResult(
            task_id=task.task_id, payload=result, signature=self.signing_key.sign(digest).hex()
        )

    def _report(self, task_id: str, reason: str) -> None:
        with contextlib.suppress(Conflict, NotFound):
            self.transport.report_failure(task_id, reason)

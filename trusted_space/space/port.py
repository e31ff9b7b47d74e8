"""What an engine may ask of the space: the ``JobContext`` port.

An engine (``trusted_space.space.engines``) runs one kind of job's steps. It
reaches the space only through this port, never through ``Space`` itself:
it adds tasks for nodes, moves its job's step, fails its job, records ledger
entries, reads the job's stored data and its consumer's signature, a
provider's newest offer and setup hash, the suite, the configuration, the DP
noise generator and the stage timer, and wakes the background worker.
Every call runs under the space's lock and inside the caller's transaction.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from policies.obligations import Obligations
from trusted_space.core.timing import StageTimer
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import (
    BlindMasksResult,
    JobSpec,
    JobSubmission,
    MatchedSubjectsResult,
    SignedJob,
    TaskPayload,
)
from trusted_space.protocol.peering import PeerDataset
from trusted_space.space.config import SpaceConfig
from trusted_space.space.participants import Participants
from trusted_space.space.store import SpaceStore

# The ledger's actor for the space's own steps.
SPACE = "space"


class JobContext(Protocol):
    @property
    def store(self) -> SpaceStore:
        """Per-job data (``put_data``, ``get_data``, ``drop_data``...)."""
        ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def suite(self) -> CryptoSuite: ...

    @property
    def config(self) -> SpaceConfig: ...

    @property
    def participants(self) -> Participants:
        """Roles and registered public keys of the job's nodes."""
        ...

    @property
    def timer(self) -> StageTimer: ...

    @property
    def dp_rng(self) -> random.Random:
        """Differential-privacy noise (tests may seed their own)."""
        ...

    def add_task(self, job_id: str, node: str, payload: TaskPayload) -> str:
        """Queue a task for ``node`` and wake its long polls; the task's id."""
        ...

    def set_step(self, job_id: str, state: str, step: str) -> None: ...

    def fail_job(self, job_id: str, reason: str) -> None:
        """End the job as failed: open tasks cancelled, its data dropped."""
        ...

    def work_added(self) -> None:
        """Wake the background worker (a job reached its engine's background step)."""
        ...

    def latest_offer(self, provider: str, dataset: str) -> tuple[int, int] | None:
        """(version, max_client_items) of the provider's newest offer of a dataset."""
        ...

    def setup_hash(self, provider: str, dataset: str, version: int) -> str: ...

    def privacy_report(self, spec: JobSpec, obligations: Obligations) -> dict[str, Any]:
        """Epsilon this job spent, and what is left of the strictest budget."""
        ...

    def signed_job(self, spec: JobSpec) -> SignedJob:
        """The job as its consumer signed it: every provider task carries it."""
        ...

    # -- federation (trusted_space/space/federation.py) ------------------------------
    def is_local_provider(self, name: str) -> bool:
        """Whether ``name`` is a provider of this space (else a peer's)."""
        ...

    def home_of(self, job_id: str) -> str | None:
        """The peer that forwarded this job, when a peer did."""
        ...

    def remote_dataset(
        self, provider: str, product: str, role: str
    ) -> tuple[str, PeerDataset] | None:
        """The active peer hosting ``provider`` for ``role``, and its offer."""
        ...

    def forward_to_peers(self, spec: JobSpec, submission: JobSubmission, names: list[str]) -> None:
        """Hand the job's parts at peers (``names``: their providers) to the
        federation worker."""
        ...

    def subjects_to_peers(
        self, spec: JobSpec, matched: MatchedSubjectsResult, names: list[str]
    ) -> None:
        """Relay the consumer's handles and sealed subjects to the peers of ``names``."""
        ...

    def masks_to_peers(self, spec: JobSpec, masks: BlindMasksResult, names: list[str]) -> None:
        """Relay a blind lookup's tokens and mask removals for ``names`` (the
        peers' providers) to their peers."""
        ...

    def close_peers(self, job_id: str, entry: str) -> list[str]:
        """The job ended here (``entry``: its last ledger entry): its peers are
        to be told; the job-data keys to keep until they are."""
        ...

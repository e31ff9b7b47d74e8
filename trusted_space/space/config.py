"""A space's settings: its crypto suite, limits and timeouts."""

from __future__ import annotations

from dataclasses import dataclass

from trusted_space.hazmat.paillier import MIN_PRODUCTION_BITS


@dataclass(frozen=True)
class SpaceConfig:
    suite: str = "default"
    min_paillier_bits: int = MIN_PRODUCTION_BITS
    lease_seconds: float = 120.0
    # A task whose leases ran out this many times (its node died or hung on
    # it each time) is not offered again: its job fails (``task_abandoned``).
    max_lost_leases: int = 2
    # A job that makes no progress for this long fails (a consumer that
    # never came back for its step must not leave a job running forever).
    job_timeout_seconds: float = 6 * 3600.0
    max_batch: int = 100_000
    # The most bytes the parts of one task's result may add up to: a node
    # (or a stolen node key) cannot fill the space's disk with parts. A
    # million people's cohort upload is about 3.5 GB at 2048 bits.
    max_result_bytes: int = 8 * 1024**3
    # A service requires a published policy for every job; an embedded
    # single-owner run may go without one (and the ledger says so).
    require_policy: bool = False
    # A cap on the database's size in pages (None: only the disk's); past
    # it a write fails as on a full disk and its transaction rolls back.
    sqlite_max_pages: int | None = None
    # A part of a job at a peer space waits this long for the peer to answer
    # (down, slow) before the job fails with ``peer_unavailable``.
    peer_patience_seconds: float = 300.0
    # How long one call to a peer may take.
    peer_timeout_seconds: float = 10.0

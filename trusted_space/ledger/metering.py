"""Usage metering from the ledger alone: the basis for billing and subsidy claims.

Every figure is recomputed from ledger entries, so anyone holding an export
and the space's public key can check a bill: a row lists the entries it was
counted from. Months are calendar months in China Standard Time (UTC+8),
taken from the time of the job's policy decision.

Per consumer, product, engine, provider and month:

- ``engine``: the engine the jobs ran on (``job_submitted``'s ``engine``;
  empty for entries written before it was recorded);
- ``jobs``: jobs the policy allowed that named this provider (a job a peer
  space denied, ``peer_decision``, is not allowed: the most restrictive
  decision across the spaces holds);
- ``succeeded``: those whose result was released;
- ``subjects``: subjects submitted in those jobs (the batch sizes);
- ``matched``: subjects this provider held (lookups: its PSI matches; cohort
  statistics: the size of the joined cohort, rounded down on the 1-2-5 scale
  by ``cohort_bucket`` — the consumer of a cohort sees noisy, suppressed
  cells only, so a report must not carry the exact intersection). None
  (an empty cell) for blind lookups: no ledger entry carries their matches,
  which stay in the space, so a blind job is priced per subject queried
  (a bill "per matched subject" on a batch of one would be a membership
  answer);
- ``cells_released``: cohort cells released, not suppressed;
- ``epsilon``: differential-privacy budget spent.

A job appears once in the row of each provider it involved, so per-provider
rows add up per provider; a consumer's total of jobs or epsilon is counted
over its jobs, not summed over providers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trusted_space.core.clock import CHINA

COLUMNS = (
    "month",
    "consumer",
    "product",
    "engine",
    "provider",
    "jobs",
    "succeeded",
    "subjects",
    "matched",
    "cells_released",
    "epsilon",
    "ledger_entries",
)


BLIND = "blind_lookup"  # its matches are never counted in the ledger


@dataclass
class UsageRow:
    month: str
    consumer: str
    product: str
    engine: str
    provider: str
    jobs: int = 0
    succeeded: int = 0
    subjects: int = 0
    matched: int | None = 0  # None: a blind lookup's, never counted
    cells_released: int = 0
    epsilon: float = 0.0
    entries: list[int] = field(default_factory=list)

    def cells(self) -> list[object]:
        return [
            self.month,
            self.consumer,
            self.product,
            self.engine,
            self.provider,
            self.jobs,
            self.succeeded,
            self.subjects,
            "" if self.matched is None else self.matched,
            self.cells_released,
            round(self.epsilon, 6),
            " ".join(str(s) for s in sorted(self.entries)),
        ]


def cohort_bucket(size: int) -> int:
    """A joined cohort's size as reports show it: the greatest of 0, 10, 20,
    50, 100, 200, 500, ... at or below ``size``. Enough to bill and to see
    scale; never the exact intersection, which no party but the space (and
    no report of it) is to learn."""
    if size < 10:
        return 0
    power = 10 ** (len(str(size)) - 1)
    return max(step * power for step in (1, 2, 5) if step * power <= size)


def month_of(timestamp: str) -> str:
    """The China-time calendar month (YYYY-MM) of an ISO timestamp from the ledger."""
    return dt.datetime.fromisoformat(timestamp).astimezone(CHINA).strftime("%Y-%m")


@dataclass
class JobUsage:
    """One job as the ledger tells it: what metering counts and settlement
    prices (trusted_space/ledger/settlement.py)."""

    job_id: str = ""
    seqs: list[int] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)  # of the entries in ``seqs``
    providers: list[str] = field(default_factory=list)
    consumer: str = ""
    product: str = ""
    engine: str = ""
    month: str = ""
    allowed: bool = False
    subjects: int = 0
    epsilon: float = 0.0
    matched: dict[str, int] = field(default_factory=dict)
    joined: int | None = None
    cells_released: int = 0
    released: bool = False
    # the price terms recorded with the decision (``Policy.price_terms``)
    prices: list[dict[str, Any]] = field(default_factory=list)
    # Across peered spaces (docs/federation.md): at the job's home, the peers
    # that accepted a part and their providers (``peer_part_accepted``); at a
    # peer, the home's name here and the hash of its ``job_submitted``
    # (``job_submitted.home``), this space's providers of the job (its
    # ``dataset_versions``) and how the home closed the part (``peer_job_closed``).
    peer_parts: dict[str, list[str]] = field(default_factory=dict)
    home: str | None = None
    home_entry: str | None = None
    mine: list[str] = field(default_factory=list)
    closed: str | None = None
    submitted: str = ""  # the hash of this ledger's ``job_submitted`` of the job

    @property
    def local_providers(self) -> list[str]:
        """The job's providers this space hosts (for a job of its own, all
        but those a peer accepted; for a peer's job, those it ran)."""
        if self.home is not None:
            return list(self.mine)
        remote = {n for names in self.peer_parts.values() for n in names}
        return [p for p in self.providers if p not in remote]

    @property
    def succeeded(self) -> bool:
        """Allowed and done: its result released here or, for a part of a
        peer's job, the home's word that its consumer collected it."""
        if not self.allowed:
            return False
        return self.released if self.home is None else self.closed == "collected"

    def matched_at(self, provider: str) -> int | None:
        """Subjects this provider held in the job, as metering counts them
        (cohorts: the joined cohort's bucket); None for a blind lookup."""
        if self.engine == BLIND:
            return None
        return self.joined if self.joined is not None else self.matched.get(provider, 0)


_COUNTED = (
    "job_submitted",
    "policy_decision",
    "peer_decision",
    "subjects_relayed",
    "tokens_joined",
    "cohort_joined",
    "result_released",
    "peer_part_accepted",
    "peer_job_closed",
)


def job_usage(entries: Iterable[dict[str, Any]]) -> dict[str, JobUsage]:
    """Every job in the entries, in the order of its first entry."""
    jobs: dict[str, JobUsage] = {}
    for e in entries:
        job_id, kind, d = e.get("job_id"), e.get("kind"), e.get("details") or {}
        if job_id is None or kind not in _COUNTED:
            continue
        job = jobs.setdefault(job_id, JobUsage(job_id=str(job_id)))
        job.seqs.append(int(e["seq"]))
        job.hashes.append(str(e.get("hash", "")))
        if kind == "job_submitted":
            job.providers = sorted({n for names in d["providers"].values() for n in names})
            job.engine = str(d.get("engine") or "")
            job.submitted = str(e.get("hash", ""))
            if isinstance(d.get("home"), dict):
                job.home = str(d["home"].get("peer"))
                job.home_entry = str(d["home"].get("entry"))
                job.mine = sorted(str(n) for n in d.get("dataset_versions") or {})
        elif kind == "peer_part_accepted":
            job.peer_parts[str(d.get("peer"))] = sorted(str(n) for n in d.get("providers") or ())
        elif kind == "peer_job_closed":
            job.closed = str(d.get("outcome"))
        elif kind == "policy_decision":
            job.consumer, job.product = str(d["consumer"]), str(d["product"])
            job.month = month_of(str(e["time"]))
            job.allowed = d.get("decision") == "allow"
            job.subjects = int(d.get("batch_size") or 0)
            job.epsilon = float(d.get("epsilon") or 0.0)
            job.prices = list(d.get("prices") or [])
        elif kind == "peer_decision":  # a peer space denied the job: most restrictive wins
            job.allowed = job.allowed and bool(d.get("allowed", True))
        elif kind == "subjects_relayed":
            job.matched = {str(k): int(v) for k, v in d.get("matched", {}).items()}
        elif kind in ("tokens_joined", "cohort_joined"):  # cohort_joined: the older name
            job.joined = cohort_bucket(int(d["intersection"]))
        else:  # result_released
            job.released = True
            job.cells_released = int(d.get("cells", 0)) - int(d.get("suppressed", 0))
    return jobs


def usage(entries: Iterable[dict[str, Any]], month: str | None = None) -> list[UsageRow]:
    """Usage rows (sorted) from ledger entries, for one month or all."""
    jobs = job_usage(entries)
    rows: dict[tuple[str, str, str, str, str], UsageRow] = {}
    for job in jobs.values():
        if not job.allowed or (month is not None and job.month != month):
            continue
        for provider in job.providers:
            key = (job.month, job.consumer, job.product, job.engine, provider)
            row = rows.setdefault(key, UsageRow(*key, matched=None if job.engine == BLIND else 0))
            row.jobs += 1
            row.succeeded += int(job.released)
            row.subjects += job.subjects
            matched = job.matched_at(provider)
            if row.matched is not None and matched is not None:
                row.matched += matched
            row.cells_released += job.cells_released
            row.epsilon += job.epsilon
            row.entries += job.seqs
    return [rows[k] for k in sorted(rows)]

"""Run subject_overlap end to end on the embedded deployment: the hospital
and the CDC are provider nodes that run PSI cardinality between them through
the space, the requester a consumer node that decrypts the count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.base import LoadOptions
from products.overlap import CDC, HOSPITAL, OVERLAP
from trusted_space.hazmat.paillier import PaillierPreset
from trusted_space.nodes.consumer import OverlapOutcome

ANALYST = "analyst"


@dataclass(frozen=True)
class OverlapRun:
    job_id: str
    outcome: OverlapOutcome


def run_overlap(
    *,
    workdir: Path,
    hospital: Sequence[Path],
    cdc: Sequence[Path],
    as_of: dt.date,
    purpose: str = "research",
    consumer: str = ANALYST,
    epsilon: float | None = None,
    policies: Sequence[Path] = (),
    suite: str = "default",
    paillier_preset: PaillierPreset | None = None,
) -> OverlapRun:
    """Load both providers, publish any policies, count the people both
    hold. A denied job raises ``PolicyDenied``."""
    # Here, not at the top: the HTTP client (``tspace client ...``) imports this
    # module for its output rows and never runs the embedded space.
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    with EmbeddedDeployment(workdir, suite=suite, paillier_preset=paillier_preset) as deployment:
        nodes = {HOSPITAL: deployment.provider(HOSPITAL), CDC: deployment.provider(CDC)}
        for name, paths in ((HOSPITAL, hospital), (CDC, cdc)):
            report = nodes[name].load("csv", paths, LoadOptions(replace=True))
            path = deployment.node_dir(name) / "quality" / "last_load.json"
            report.write(path)
            report.require_rows(name, path)
            nodes[name].offer_datasets()
        if policies:
            steward = deployment.steward(governs=policy_owners(policies))
            for policy in policies:
                steward.publish(policy)
        analyst = deployment.consumer(consumer)
        job_id = analyst.submit_overlap(
            OVERLAP.name,
            as_of=as_of,
            purpose=purpose,
            providers={HOSPITAL: [HOSPITAL], CDC: [CDC]},
            epsilon=epsilon,
        )
        deployment.run_job(analyst, job_id)
        return OverlapRun(job_id, analyst.overlap_outcome(job_id))

"""Run cohort_statistics end to end on the embedded deployment.

The hospital and the CDC are provider nodes, the requester a consumer node;
writes result.csv: one row per cell with the dimension values, count, each
measure and status ('ok'|'suppressed'). A suppressed cell has empty count and
measures — never zero, never its sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import LoadOptions
from connectors.quality import QualityReport
from products.cohort import COHORT
from products.cohort.query import CohortQuery, load_query
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.hazmat.paillier import PaillierPreset
from trusted_space.nodes.consumer import JoinOutcome

HOSPITAL, CDC, ANALYST = "hospital", "cdc", "analyst"


@dataclass
class CohortRun:
    job_id: str
    query: CohortQuery
    rows: list[dict[str, Any]]
    privacy: dict[str, Any]
    quality: dict[str, QualityReport]
    seconds: dict[str, float] = field(default_factory=dict)


def result_rows(query: CohortQuery, outcome: JoinOutcome) -> list[dict[str, Any]]:
    """Decoded cells: counts and days as integers, costs in yuan. A noisy
    (differentially private) value below zero is shown as 0, a
    post-processing that costs no privacy."""
    rows = []
    for dims, status, released in outcome.cells:
        row: dict[str, Any] = dict(dims)
        for name in query.values:
            if released is None:
                row[name] = None
            elif name == "sum_cost":
                row[name] = Decimal(max(released[name], 0)).scaleb(-2)
            else:
                row[name] = max(released[name], 0)
        row["status"] = status
        rows.append(row)
    return rows


def write_result(path: Path, query: CohortQuery, rows: list[dict[str, Any]]) -> None:
    header = [*query.group_by, *query.values, "status"]
    write_csv_atomic(path, header, ([row.get(h) for h in header] for row in rows))


def run_cohort(
    *,
    workdir: Path,
    hospital: Sequence[Path],
    cdc_reports: Sequence[Path],
    cdc_registry: Sequence[Path],
    query: Path,
    out: Path | None,
    purpose: str = "research",
    consumer: str = ANALYST,
    policies: Sequence[Path] = (),
    suite: str = "default",
    paillier_preset: PaillierPreset | None = None,
) -> CohortRun:
    """Load both providers, publish any policies, run one cohort query, write
    result.csv: cells below min_count suppressed, noise added when the policy
    asks for differential privacy. A denied job raises ``PolicyDenied``."""
    parsed = load_query(query)
    document = parsed.model_dump(mode="json", by_alias=True)
    # Here, not at the top: the HTTP client (``tspace client ...``) imports this
    # module for its output rows and never runs the embedded space.
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    with EmbeddedDeployment(workdir, suite=suite, paillier_preset=paillier_preset) as deployment:
        timer = deployment.timer
        hospital_node = deployment.provider(HOSPITAL)
        cdc_node = deployment.provider(CDC)
        with timer.stage("load"):
            quality = {
                HOSPITAL: hospital_node.load("csv", hospital, LoadOptions(replace=True)),
                CDC: cdc_node.load("csv", [*cdc_reports, *cdc_registry], LoadOptions(replace=True)),
            }
        for name, report in quality.items():
            report.write(deployment.node_dir(name) / "quality" / "last_load.json")
        for name, report in quality.items():
            report.require_rows(name, deployment.node_dir(name) / "quality" / "last_load.json")
        if policies:
            steward = deployment.steward(governs=policy_owners(policies))
            for policy in policies:
                steward.publish(policy)
        analyst = deployment.consumer(consumer)
        with timer.stage("submit"):
            job_id = analyst.submit_join(
                COHORT.name,
                document,
                as_of=parsed.hospital.end,
                purpose=purpose,
                providers={"hospital": [HOSPITAL], "cdc": [CDC]},
                epsilon=parsed.dp.epsilon if parsed.dp else None,
            )
        deployment.run_job(analyst, job_id)
        outcome = analyst.join_outcome(job_id)
        rows = result_rows(parsed, outcome)
        if out is not None:
            write_result(out, parsed, rows)
        for node in (hospital_node, cdc_node, analyst):
            timer.merge(node.timer)
        timer.merge(deployment.space.timer)
        return CohortRun(job_id, parsed, rows, outcome.privacy, quality, dict(timer.seconds))

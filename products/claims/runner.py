"""Run claim_verification end to end on the embedded deployment.

The hospital group is a provider node (every ``--hospital`` file is loaded
into it: one group may hold several hospitals); the insurer a consumer node.
Writes result.csv: claim_ref, status, failed_checks, one column per released
output, then detail, in the claims file's order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from connectors.base import LoadOptions
from connectors.batch import InvalidId
from connectors.freshness import newest_date
from connectors.quality import QualityReport
from policies.model import load_policy
from products.claims import CLAIMS
from products.claims.batch import Claim, read_claims
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text, t
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.hazmat.paillier import PaillierPreset

HOSPITAL, INSURER = "hospital", "insurer"
# The checks a found visit can fail, in the order failed_checks lists them.
CHECKS = ("within_bill", "dx_match")
FLAGS = ("visit_found", "within_bill", "dx_match")

Value = bool | Decimal | int | None


@dataclass(frozen=True)
class ClaimRow:
    claim_ref: str
    status: str  # verified | mismatch | not_found | invalid | no_consent
    failed: tuple[str, ...] = ()  # mismatch: the checks that failed
    values: dict[str, Value] = field(default_factory=dict)
    detail: InvalidId | None = field(default=None, compare=False)  # an invalid claim's row, field

    def cells(self, outputs: Sequence[str]) -> list[object]:
        """The result's cells (what the plaintext reference checks)."""
        return [
            self.claim_ref,
            self.status,
            "|".join(self.failed),
            *(_cell(self.values.get(o)) for o in outputs),
        ]

    def csv_cells(self, outputs: Sequence[str]) -> list[object]:
        """A line of result.csv: the result, then ``detail``."""
        return [*self.cells(outputs), self.detail and str(self.detail)]


def _cell(value: Value) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def result_header(outputs: Sequence[str]) -> tuple[str, ...]:
    """result.csv's columns: the reference, the status, the failed checks,
    the released outputs, then ``detail`` (an invalid claim's row, field and
    reason; empty otherwise)."""
    return ("claim_ref", "status", "failed_checks", *outputs, "detail")


def requested_outputs(policies: Sequence[Path], owners: Sequence[str]) -> list[str]:
    """Every output, or those every governing policy allows. ``visit_found``
    is always asked for: without it no claim can be told found or not."""
    allowed = [f.name for f in CLAIMS.features]
    for path in policies:
        policy = load_policy(path)
        if policy.product != CLAIMS.name or not set(policy.owners) & set(owners):
            continue
        if policy.output.features is not None:
            allowed = [f for f in allowed if f in policy.output.features]
    if "visit_found" not in allowed:
        raise InputError(Text("err.products.claims.visit_found", product=CLAIMS.name))
    return allowed


def chosen_outputs(asked: Sequence[str]) -> list[str]:
    """The outputs asked for, in the product's order, with ``visit_found``."""
    names = [f.name for f in CLAIMS.features]
    unknown = [o for o in asked if o not in names]
    if unknown:
        raise InputError(
            Text(
                "err.products.claims.outputs",
                product=CLAIMS.name,
                unknown=unknown,
                names=", ".join(names),
            )
        )
    return [n for n in names if n in asked or n == "visit_found"]


def claim_rows(
    claims: Sequence[Claim],
    outputs: Sequence[str],
    values: Sequence[Sequence[Decimal | None] | None],
    withheld: Sequence[bool] = (),
) -> list[ClaimRow]:
    """Claims in order; ``values`` (and ``withheld``) hold one entry per valid
    claim, in order: the released outputs, or None when no hospital of the
    job holds the person."""
    sent = [c for c in claims if c.valid]
    answers = dict(zip((c.ref for c in sent), values, strict=True))
    refused = dict(zip((c.ref for c in sent), withheld or [False] * len(sent), strict=True))
    _refuse_shared_hospitals(sent, outputs, answers)
    rows = []
    for claim in claims:
        if not claim.valid:
            rows.append(ClaimRow(claim.ref, "invalid", detail=claim.detail))
        elif refused[claim.ref]:
            rows.append(ClaimRow(claim.ref, "no_consent"))
        else:
            rows.append(verdict(claim, outputs, answers[claim.ref]))
    return rows


def _refuse_shared_hospitals(
    sent: Sequence[Claim],
    outputs: Sequence[str],
    answers: Mapping[str, Sequence[Decimal | None] | None],
) -> None:
    """Each claim is answered by the one group that runs its hospital, the
    others adding zeros; a ``visit_found`` above 1 means two groups both
    found a visit at the claim's hospital_id, and their answers were added:
    the result is refused, naming the hospital_id (which never leaves the
    insurer's node)."""
    if "visit_found" not in outputs:
        return
    place = list(outputs).index("visit_found")
    shared = sorted(
        {
            str(c.hospital_id)
            for c in sent
            if (answer := answers[c.ref]) is not None and (answer[place] or 0) > 1
        }
    )
    if shared:
        raise InputError(t("claims.hospital_held_twice", hospitals=", ".join(shared)))


def verdict(
    claim: Claim, outputs: Sequence[str], answer: Sequence[Decimal | None] | None
) -> ClaimRow:
    """A valid claim's row from the hospital's answer (None: not held)."""
    raw = dict(zip(outputs, answer, strict=True)) if answer is not None else {}
    if not raw.get("visit_found"):
        return ClaimRow(claim.ref, "not_found", values={"visit_found": False})
    values: dict[str, Value] = {}
    for name in outputs:
        value = raw[name]
        if name in FLAGS:
            values[name] = None if value is None else value != 0
        elif name == "inpatient_days":
            values[name] = None if value is None else int(value)
        else:
            values[name] = value
    if "dx_match" in values and claim.icd10 is None:
        values["dx_match"] = None  # no diagnosis claimed: nothing to check
    failed = tuple(c for c in CHECKS if values.get(c) is False)
    return ClaimRow(claim.ref, "mismatch" if failed else "verified", failed, values)


@dataclass
class ClaimsRun:
    job_id: str | None
    outputs: list[str]
    rows: list[ClaimRow]
    matched: dict[str, int]
    quality: dict[str, QualityReport]
    seconds: dict[str, float] = field(default_factory=dict)
    duties: dict[str, int] = field(default_factory=dict)
    newest: dict[str, dt.date | None] = field(default_factory=dict)


def run_claims(
    *,
    workdir: Path,
    hospital: Sequence[Path],
    claims: Path,
    as_of: dt.date,
    out: Path | None,
    purpose: str = "claims",
    consumer: str = INSURER,
    policies: Sequence[Path] = (),
    consent_refs: Sequence[str] = (),
    outputs: Sequence[str] | None = None,
    suite: str = "default",
    paillier_preset: PaillierPreset | None = None,
) -> ClaimsRun:
    """Load the hospital group, publish any policies, verify the claims in
    one job, write result.csv.

    ``outputs``: those the insurer asks for (default: every one the policies
    allow). A denied job raises ``PolicyDenied`` before the hospital computes
    anything and writes no output."""
    chosen = chosen_outputs(outputs) if outputs else requested_outputs(policies, [HOSPITAL])
    batch = read_claims(claims)
    # Here, not at the top: the HTTP client (``tspace client ...``) imports this
    # module for its output rows and never runs the embedded space.
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    with EmbeddedDeployment(workdir, suite=suite, paillier_preset=paillier_preset) as deployment:
        timer = deployment.timer
        node = deployment.provider(HOSPITAL)
        with timer.stage("load"):
            quality = {HOSPITAL: node.load("csv", list(hospital), LoadOptions(replace=True))}
        report_path = deployment.node_dir(HOSPITAL) / "quality" / "last_load.json"
        quality[HOSPITAL].write(report_path)
        quality[HOSPITAL].require_rows(HOSPITAL, report_path)
        newest = {HOSPITAL: newest_date(node.store.con)}
        with timer.stage("psi_setup"):
            node.offer_datasets()
        if policies:
            steward = deployment.steward(governs=policy_owners(policies))
            for policy in policies:
                steward.publish(policy)
        insurer = deployment.consumer(consumer)
        sent = [c for c in batch if c.valid]
        job_id = None
        values: list[list[Decimal | None] | None] = []
        withheld: list[bool] = []
        matched = {HOSPITAL: 0}
        duties: dict[str, int] = {}
        if sent:
            with timer.stage("submit"):
                job_id = insurer.submit_lookup(
                    CLAIMS.name,
                    [c.person_id for c in sent if c.person_id is not None],
                    as_of=as_of,
                    purpose=purpose,
                    providers={"hospital": [HOSPITAL]},
                    features=chosen,
                    consent_refs=list(consent_refs),
                    arguments=[c.arguments() for c in sent],
                )
            deployment.run_job(insurer, job_id)
            outcome = insurer.outcome(job_id)
            values, withheld = outcome.values, outcome.withheld
            matched, duties = outcome.matched, outcome.duties
        rows = claim_rows(batch, chosen, values, withheld)
        if out is not None:
            write_csv_atomic(out, result_header(chosen), (r.csv_cells(chosen) for r in rows))
        timer.merge(node.timer)
        timer.merge(insurer.timer)
        timer.merge(deployment.space.timer)
        return ClaimsRun(
            job_id, chosen, rows, matched, quality, dict(timer.seconds), duties, newest
        )

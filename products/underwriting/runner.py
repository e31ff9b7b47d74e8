"""Run underwriting_score end to end on the embedded deployment.

Hospital and CDC are provider nodes, the insurer a consumer node, all under
one work folder; this module only wires the recipe together and writes
scores.csv (applicant_ref, status, score, probability, band) in the
applicants' order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.applicants import Applicant, read_applicants
from connectors.base import LoadOptions
from connectors.batch import InvalidId
from connectors.freshness import newest_date
from connectors.quality import QualityReport
from products.score_model import ScoreModel, probability
from products.underwriting import UNDERWRITING
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import t
from trusted_space.core.outputs import write_csv_atomic
from trusted_space.hazmat.paillier import PaillierPreset

if TYPE_CHECKING:
    from trusted_space.space.gate import PolicyGate

# detail: for an invalid id, its row, field and reason (empty otherwise).
SCORES_HEADER = ("applicant_ref", "status", "score", "probability", "band", "detail")
HOSPITAL, CDC, INSURER = "hospital", "cdc", "insurer"


@dataclass(frozen=True)
class ScoreRow:
    applicant_ref: str
    status: str  # scored | invalid_id | no_consent
    score: Decimal | None = None
    probability: float | None = None
    band: str | None = None
    detail: InvalidId | None = field(default=None, compare=False)

    def cells(self) -> tuple[object, ...]:
        """The result's cells (what the plaintext reference checks)."""
        if self.score is None or self.probability is None:
            return (self.applicant_ref, self.status, None, None, None)
        return (
            self.applicant_ref,
            self.status,
            f"{self.score:.12f}",
            f"{self.probability:.12f}",
            self.band,
        )

    def csv_cells(self) -> tuple[object, ...]:
        """A line of scores.csv: the result, then ``detail``."""
        return (*self.cells(), self.detail and str(self.detail))


@dataclass
class UnderwritingRun:
    job_id: str | None
    rows: list[ScoreRow]
    matched: dict[str, int]
    quality: dict[str, QualityReport]
    seconds: dict[str, float] = field(default_factory=dict)
    duties: dict[str, int] = field(default_factory=dict)
    newest: dict[str, dt.date | None] = field(default_factory=dict)  # newest record per provider
    engine: str = "direct_lookup"  # the engine the job ran on


def _source(
    sources: Mapping[str, tuple[str, LoadOptions]] | None, provider: str, paths: list[Path]
) -> tuple[str, list[Path], LoadOptions]:
    """A provider's load: canonical CSVs unless ``sources`` names its connector."""
    kind, options = (sources or {}).get(provider, ("csv", LoadOptions()))
    return kind, paths, dataclasses.replace(options, replace=True)


def score_rows(
    applicants: list[Applicant], scores: Sequence[Decimal | None], model: ScoreModel
) -> list[ScoreRow]:
    """Applicants in order; ``scores`` holds one score per valid applicant,
    None for one a provider withheld (no live consent): never scored on
    partial data."""
    rows: list[ScoreRow] = []
    it = iter(scores)
    for a in applicants:
        if a.person_id is None:
            rows.append(ScoreRow(a.ref, "invalid_id", detail=a.detail))
            continue
        score = next(it)
        if score is None:
            rows.append(ScoreRow(a.ref, "no_consent"))
            continue
        p = probability(float(score))
        rows.append(ScoreRow(a.ref, "scored", score, p, model.band(p)))
    return rows


def run_underwriting(
    *,
    workdir: Path,
    hospital: list[Path],
    cdc_reports: list[Path],
    cdc_registry: list[Path],
    applicants: Path,
    model: Path,
    as_of: dt.date,
    out: Path | None,
    purpose: str = "underwriting",
    consumer: str = INSURER,
    policies: Sequence[Path] = (),
    consent_refs: Sequence[str] = (),
    suite: str = "default",
    paillier_preset: PaillierPreset | None = None,
    gate: PolicyGate | None = None,
    engine: str | None = None,
    sources: Mapping[str, tuple[str, LoadOptions]] | None = None,
) -> UnderwritingRun:
    """Load both providers, publish any policies, run one job, write scores.csv.

    ``sources``: for a provider whose files are not canonical CSVs, its
    connector and load options, as ``tspace load KIND --mapping --id-map``
    takes them (``{"hospital": ("fhir", LoadOptions(mapping=..., id_map=...)),
    "cdc": ("hl7v2", LoadOptions(id_map=...))}``); ``hospital`` and
    ``cdc_reports`` then name its files or folders. The id map is the
    documented step from a source's own patient ids to resident ids
    (docs/connectors.md); nothing is matched without one.

    ``engine="blind_lookup"`` runs the job blind: the insurer learns each
    applicant's score and not whether the hospital or the CDC holds them (a
    subject a provider withholds for want of consent scores as one it does
    not hold). By default (None) the job runs on the engine the published
    policies choose: blind when an owner's policy requires it, else direct.

    When a policy denies the job, ``PolicyDenied`` is raised before any
    provider computes anything and no output file is written."""
    unknown = sorted(set(sources or {}) - {HOSPITAL, CDC})
    if unknown:
        raise InputError(
            t(
                "underwrite.sources_provider",
                names=", ".join(unknown),
                providers=f"{HOSPITAL}, {CDC}",
            )
        )
    score_model = ScoreModel.load(model)
    score_model.check_features(UNDERWRITING, str(model))
    used = [f.name for f in UNDERWRITING.features if score_model.weights.get(f.name, 0) != 0]
    roles = UNDERWRITING.roles_for(used)
    batch = read_applicants(applicants)
    # Here, not at the top: the HTTP client (``tspace client ...``) imports this
    # module for its output rows and never runs the embedded space.
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    with EmbeddedDeployment(
        workdir, suite=suite, paillier_preset=paillier_preset, gate=gate
    ) as deployment:
        timer = deployment.timer
        hospital_node = deployment.provider(HOSPITAL)
        cdc_node = deployment.provider(CDC)
        with timer.stage("load"):
            quality = {
                HOSPITAL: hospital_node.load(*_source(sources, HOSPITAL, hospital)),
                CDC: cdc_node.load(*_source(sources, CDC, [*cdc_reports, *cdc_registry])),
            }
        for name, report in quality.items():
            report.write(deployment.node_dir(name) / "quality" / "last_load.json")
        for name in sorted(roles):
            quality[name].require_rows(
                name, deployment.node_dir(name) / "quality" / "last_load.json"
            )
        newest = {
            HOSPITAL: newest_date(hospital_node.store.con),
            CDC: newest_date(cdc_node.store.con),
        }
        with timer.stage("psi_setup"):
            hospital_node.offer_datasets()
            cdc_node.offer_datasets()
        if policies:
            steward = deployment.steward(governs=policy_owners(policies))
            for policy in policies:
                steward.publish(policy)
        with timer.stage("keys"):
            insurer = deployment.consumer(consumer)
        valid = [a.person_id for a in batch if a.person_id is not None]
        providers = {role: [role] for role in sorted(roles)}
        if engine is None:
            engine = insurer.lookup_engine(UNDERWRITING.name, providers)
        job_id = None
        scores: list[Decimal | None] = []
        matched = dict.fromkeys(sorted(roles), 0)
        duties: dict[str, int] = {}
        if valid and used:
            with timer.stage("submit_blind" if engine == "blind_lookup" else "submit"):
                if engine == "blind_lookup":
                    job_id = insurer.submit_blind(
                        UNDERWRITING.name,
                        valid,
                        as_of=as_of,
                        purpose=purpose,
                        providers=providers,
                        model_document=score_model.document,
                        consent_refs=list(consent_refs),
                    )
                else:
                    job_id = insurer.submit_lookup(
                        UNDERWRITING.name,
                        valid,
                        as_of=as_of,
                        purpose=purpose,
                        providers=providers,
                        model_document=score_model.document,
                        consent_refs=list(consent_refs),
                    )
            deployment.run_job(insurer, job_id)
            outcome = insurer.outcome(job_id)
            scores = outcome.scores()
            matched = outcome.matched
            duties = outcome.duties
        elif valid:
            scores = [score_model.intercept] * len(valid)  # no feature in use: all zeros
        rows = score_rows(batch, scores, score_model)
        if out is not None:
            write_csv_atomic(out, SCORES_HEADER, (r.csv_cells() for r in rows))
        for node in (hospital_node, cdc_node):
            timer.merge(node.timer)
        timer.merge(insurer.timer)
        timer.merge(deployment.space.timer)
        return UnderwritingRun(
            job_id, rows, matched, quality, dict(timer.seconds), duties, newest, engine
        )

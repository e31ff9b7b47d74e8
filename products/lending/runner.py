"""Run tender_lending_features end to end on the embedded deployment.

Each ``--tenders`` file or folder is one trading centre, a provider node
named after it; the bank is a consumer node. Writes features.csv:
company_ref, status ('found'|'not_found'|'invalid_id'), then one column per
released feature, in the applicants' order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from connectors.base import LoadOptions
from connectors.batch import InvalidId
from connectors.companies import Company, read_companies
from connectors.freshness import newest_date
from connectors.quality import QualityReport
from policies.model import load_policy
from products.lending import TENDER_LENDING
from trusted_space.bulk import parallel
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text, t
from trusted_space.core.outputs import write_csv_atomic, write_text_atomic
from trusted_space.hazmat.paillier import PaillierPreset

BANK = "bank"


@dataclass(frozen=True)
class FeatureRow:
    company_ref: str
    status: str  # found | not_found | invalid_id | no_consent
    values: dict[str, Decimal | None] = field(default_factory=dict)
    detail: InvalidId | None = field(default=None, compare=False)  # an invalid id's row, reason

    def cells(self, features: Sequence[str]) -> list[object]:
        """The result's cells (what the plaintext reference checks)."""
        return [self.company_ref, self.status, *(self.values.get(f) for f in features)]

    def csv_cells(self, features: Sequence[str]) -> list[object]:
        """A line of features.csv: the result, then ``detail``."""
        return [*self.cells(features), self.detail and str(self.detail)]


def features_header(features: Sequence[str]) -> tuple[str, ...]:
    """features.csv's columns: the reference, the status, the features, then
    ``detail`` (an invalid id's row, field and reason; empty otherwise)."""
    return ("company_ref", "status", *features, "detail")


@dataclass
class LendingRun:
    job_id: str | None
    features: list[str]
    rows: list[FeatureRow]
    centres: dict[str, Path]
    quality: dict[str, QualityReport]
    holders: dict[str, int]  # company_ref -> centres holding it
    seconds: dict[str, float]
    duties: dict[str, int]
    newest: dict[str, dt.date | None] = field(default_factory=dict)  # newest record per centre


def centre_names(paths: Sequence[Path]) -> dict[str, Path]:
    """A node name per centre, from its file or folder name ('Centre A.json' -> 'centre_a')."""
    names: dict[str, Path] = {}
    for path in paths:
        base = re.sub(r"[^a-z0-9_.-]+", "_", Path(path).stem.lower()).strip("_.-") or "centre"
        name, k = base[:60], 2
        while name in names:
            name, k = f"{base[:57]}-{k}", k + 1
        names[name] = Path(path)
    return names


def requested_features(policies: Sequence[Path], centres: Sequence[str]) -> list[str]:
    """Every feature, or those every governing policy allows."""
    allowed = [f.name for f in TENDER_LENDING.features]
    for path in policies:
        policy = load_policy(path)
        if policy.product != TENDER_LENDING.name or not set(policy.owners) & set(centres):
            continue
        if policy.output.features is not None:
            allowed = [f for f in allowed if f in policy.output.features]
    if not allowed:
        raise InputError(Text("err.products.lending.no_feature"))
    return allowed


def distinct_keys(batch: Sequence[Company]) -> list[str]:
    """The valid keys of a batch, each once, in the order first named: a
    company the bank names on several rows (or in several accepted forms) is
    asked about once and answered on every row."""
    return list(dict.fromkeys(c.key for c in batch if c.key is not None))


def feature_rows(
    batch: list[Company],
    features: list[str],
    values: list[list[Decimal | None] | None],
    withheld: Sequence[bool] = (),
) -> list[FeatureRow]:
    """Companies in order; ``values`` (and ``withheld``) hold one entry per
    distinct valid key (``distinct_keys``)."""
    keys = distinct_keys(batch)
    found_for = dict(zip(keys, values, strict=True))
    refused_for = dict(zip(keys, withheld or [False] * len(keys), strict=True))
    rows = []
    for company in batch:
        if company.key is None:
            rows.append(FeatureRow(company.ref, "invalid_id", detail=company.detail))
            continue
        found = found_for[company.key]
        if refused_for[company.key]:
            rows.append(FeatureRow(company.ref, "no_consent"))
        elif found is None:
            rows.append(FeatureRow(company.ref, "not_found"))
        else:
            rows.append(FeatureRow(company.ref, "found", dict(zip(features, found, strict=True))))
    return rows


def run_lending(
    *,
    workdir: Path,
    tenders: Sequence[Path],
    applicants: Path,
    as_of: dt.date,
    out: Path | None,
    purpose: str = "credit",
    consumer: str = BANK,
    policies: Sequence[Path] = (),
    rates: Path | None = None,
    features: Sequence[str] | None = None,
    default_schemes: Mapping[str, str] | None = None,
    suite: str = "default",
    paillier_preset: PaillierPreset | None = None,
) -> LendingRun:
    """Load every centre, publish any policies, run one job, write features.csv.

    A denied job raises ``PolicyDenied`` before any centre computes anything
    and writes no output. ``features``: those the bank asks for (default:
    every feature the policies allow); the policies decide, as over HTTP.
    ``default_schemes``: centre name -> the scheme its publisher leaves
    unwritten (what ``tspace load --mapping`` declares)."""
    centres = centre_names(tenders)
    schemes = dict(default_schemes or {})
    unknown = sorted(set(schemes) - set(centres))
    if unknown:
        raise InputError(
            t("lend.default_scheme_centre", names=", ".join(unknown), centres=", ".join(centres))
        )
    features = list(features) if features else requested_features(policies, list(centres))
    batch = read_companies(applicants)
    # Here, not at the top: the HTTP client (``tspace client ...``) imports this
    # module for its output rows and never runs the embedded space.
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    with EmbeddedDeployment(workdir, suite=suite, paillier_preset=paillier_preset) as deployment:
        timer = deployment.timer
        nodes = {name: deployment.provider(name) for name in centres}
        bank = deployment.consumer(consumer)
        # The centres encrypt under the bank's key: their workers build its
        # noise tables while this process loads the files.
        parallel.warm_noise(bank.paillier_public)
        quality: dict[str, QualityReport] = {}
        with timer.stage("load"):
            for name, node in nodes.items():
                mapping = None
                if name in schemes:
                    # Kept in the node's folder: the declaration this load used.
                    mapping = deployment.node_dir(name) / "ocds_publisher.yaml"
                    declared = {"default_scheme": schemes[name]}
                    write_text_atomic(mapping, yaml.safe_dump(declared, allow_unicode=True))
                options = LoadOptions(mapping=mapping, replace=True)
                quality[name] = node.load("ocds", [centres[name]], options)
                if rates is not None:
                    quality[name].merge(node.load("csv", [rates], LoadOptions(replace=True)))
                quality[name].write(deployment.node_dir(name) / "quality" / "last_load.json")
        for name, report in quality.items():
            report.require_rows(name, deployment.node_dir(name) / "quality" / "last_load.json")
        newest = {name: newest_date(node.store.con) for name, node in nodes.items()}
        with timer.stage("psi_setup"):
            for node in nodes.values():
                node.offer_datasets()
        if policies:
            steward = deployment.steward(governs=policy_owners(policies))
            for policy in policies:
                steward.publish(policy)
        keys = distinct_keys(batch)
        job_id = None
        values: list[list[Decimal | None] | None] = []
        withheld: list[bool] = []
        holders: list[int] = []
        duties: dict[str, int] = {}
        if keys:
            with timer.stage("submit"):
                job_id = bank.submit_lookup(
                    TENDER_LENDING.name,
                    keys,
                    as_of=as_of,
                    purpose=purpose,
                    providers={"centre": list(centres)},
                    features=features,
                )
            deployment.run_job(bank, job_id)
            outcome = bank.outcome(job_id)
            values, holders, duties = outcome.values, outcome.holders, outcome.duties
            withheld = outcome.withheld
        rows = feature_rows(batch, features, values, withheld)
        if out is not None:
            write_csv_atomic(out, features_header(features), (r.csv_cells(features) for r in rows))
        for node in nodes.values():
            timer.merge(node.timer)
        timer.merge(bank.timer)
        timer.merge(deployment.space.timer)
        holders_of = dict(zip(keys, holders, strict=False))
        held = {c.ref: holders_of[c.key] for c in batch if c.key in holders_of}
        return LendingRun(
            job_id, features, rows, centres, quality, held, dict(timer.seconds), duties, newest
        )

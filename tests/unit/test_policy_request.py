"""The dry run is the decision: ``explain_job`` and the space's ``RegistryGate``
build their policy request with one builder (``policies.request``), so on the
same job, at the same moment, with the same usage they decide alike, with the
same reasons and obligations. Checked on every example policy (alone, with
consent required, with fewer features allowed, and with the other examples of
its product) and on allowed and denied jobs of every product."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.decision import Decision
from policies.explain import explain_job
from policies.model import parse_policy
from policies.obligations import Obligations
from products.registry import get_product
from tests.stewards import add_steward
from trusted_space.core.clock import CHINA
from trusted_space.demo import default_model_path
from trusted_space.protocol.messages import JobSpec
from trusted_space.space.policy_registry import RegistryGate
from trusted_space.space.space import Space, SpaceConfig
from trusted_space.space.usage import LedgerUsage

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "policies" / "examples").glob("*.yaml"))
AS_OF = dt.date(2026, 6, 1)
LATE = dt.date(2027, 9, 1)  # after the CDC's underwriting policy expires
MODEL = default_model_path().read_bytes()
CHANGED_MODEL = MODEL.replace(b"0.08", b"0.09")
HOSPITAL_ONLY_MODEL = MODEL.replace(
    b'"notifiable_reports_5y": 0.9', b'"notifiable_reports_5y": 0'
).replace(b'"chronic_registered": 0.4', b'"chronic_registered": 0')


@dataclass(frozen=True)
class Shape:
    """One job, as a steward gives it to explain and a consumer submits it."""

    name: str
    consumer: str
    purpose: str
    batch_size: int
    providers: dict[str, str | list[str]]  # role -> provider(s)
    features: list[str] | None = None
    model: bytes | None = None
    epsilon: float | None = None
    consent_refs: list[str] = field(default_factory=list)
    as_of: dt.date = AS_OF


def _underwriting() -> list[Shape]:
    both = {"hospital": "hospital", "cdc": "cdc"}
    base = Shape("allowed", "insurer", "underwriting", 100, both, model=MODEL)
    return [
        base,
        Shape("other consumer", "bank", "underwriting", 100, both, model=MODEL),
        Shape("other purpose", "insurer", "claims", 100, both, model=MODEL),
        Shape("everything wrong", "bank", "credit", 9000, both, model=MODEL),
        Shape("batch over the cdc's limit", "insurer", "underwriting", 3000, both, model=MODEL),
        Shape("batch below the cdc's minimum", "insurer", "underwriting", 5, both, model=MODEL),
        Shape("changed model", "insurer", "underwriting", 100, both, model=CHANGED_MODEL),
        Shape(
            "hospital features only",
            "insurer",
            "underwriting",
            100,
            {"hospital": "hospital"},
            model=HOSPITAL_ONLY_MODEL,
        ),
        Shape(
            "a provider no policy covers",
            "insurer",
            "underwriting",
            100,
            {"hospital": "hospital", "cdc": "cdc-2"},
            model=MODEL,
        ),
        Shape(
            "after the cdc's policy expired",
            "insurer",
            "underwriting",
            100,
            both,
            model=MODEL,
            as_of=LATE,
        ),
    ]


def _lending() -> list[Shape]:
    a: dict[str, str | list[str]] = {"centre": ["centre_a", "centre_b"]}
    return [
        Shape("allowed", "bank", "credit", 500, a),
        Shape("centre b alone", "bank", "credit", 500, {"centre": "centre_b"}),
        Shape("centre a alone", "bank", "credit", 500, {"centre": "centre_a"}),
        Shape("some features", "bank", "credit", 500, a, features=["bids_12m", "max_award_36m"]),
        Shape(
            "late features",
            "bank",
            "credit",
            500,
            a,
            features=["max_award_36m", "days_since_last_award"],
        ),
        Shape("other consumer", "insurer", "credit", 500, a),
        Shape("other purpose", "bank", "underwriting", 500, a),
        Shape("batch over the limit", "bank", "credit", 2001, a),
        Shape("a provider no policy covers", "bank", "credit", 500, {"centre": "centre_x"}),
    ]


def _cohort() -> list[Shape]:
    both = {"hospital": "hospital", "cdc": "cdc"}
    hospital = {"hospital": "hospital"}
    mine = ["cohort:inpatients", "measure:count", "group:sex"]
    return [
        Shape("allowed", "analyst", "public_statistics", 1, both, epsilon=0.5),
        Shape("hospital only", "analyst", "research", 1, hospital, features=mine, epsilon=1.0),
        Shape(
            "cdc only",
            "health-commission",
            "public_statistics",
            1,
            {"cdc": "cdc"},
            features=["cohort:chronic_registry", "measure:count_reports"],
            epsilon=0.25,
        ),
        Shape("no epsilon", "analyst", "public_statistics", 1, both),
        Shape("epsilon over the cap", "analyst", "public_statistics", 1, both, epsilon=2.0),
        Shape(
            "a consumer only the hospital allows",
            "insurer-actuary",
            "research",
            1,
            both,
            epsilon=0.5,
        ),
        Shape("other purpose", "analyst", "credit", 1, both, epsilon=0.5),
        Shape("batch over the limit", "analyst", "public_statistics", 2, both, epsilon=0.5),
    ]


def _claims() -> list[Shape]:
    hospital = {"hospital": "hospital"}
    flags = ["visit_found", "within_bill", "dx_match", "billed_total"]
    return [
        Shape("allowed", "insurer", "claims", 100, hospital, features=flags),
        Shape("flags only", "insurer", "claims", 100, hospital, features=flags[:3]),
        Shape("inpatient days too", "insurer", "claims", 100, hospital),
        Shape("other purpose", "insurer", "underwriting", 100, hospital, features=flags),
        Shape("other consumer", "bank", "claims", 100, hospital, features=flags),
        Shape("batch over the limit", "insurer", "claims", 5001, hospital, features=flags),
    ]


def _overlap() -> list[Shape]:
    both = {"hospital": "hospital", "cdc": "cdc"}
    return [
        Shape("allowed", "analyst", "public_statistics", 1, both, epsilon=0.5),
        # as each owner's policy alone sees the job: its own role's subjects
        Shape(
            "hospital's side",
            "analyst",
            "research",
            1,
            {"hospital": "hospital"},
            features=["overlap:hospital_subjects"],
            epsilon=1.0,
        ),
        Shape(
            "cdc's side",
            "health-commission",
            "research",
            1,
            {"cdc": "cdc"},
            features=["overlap:cdc_subjects"],
            epsilon=0.5,
        ),
        Shape("no epsilon", "analyst", "public_statistics", 1, both),
        Shape("epsilon over the cap", "analyst", "public_statistics", 1, both, epsilon=2.0),
        Shape("other consumer", "insurer", "public_statistics", 1, both, epsilon=0.5),
        Shape("other purpose", "analyst", "credit", 1, both, epsilon=0.5),
        Shape("batch over the limit", "analyst", "public_statistics", 2, both, epsilon=0.5),
    ]


SHAPES = {
    "underwriting_score": _underwriting(),
    "tender_lending_features": _lending(),
    "cohort_statistics": _cohort(),
    "claim_verification": _claims(),
    "subject_overlap": _overlap(),
}


def _doc(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def _consent(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "consent_required": True}


def _fewer_features(doc: dict[str, Any]) -> dict[str, Any]:
    product = get_product(doc["product"])
    owned = doc["output"].get("features") or [f.name for f in product.features]
    kept = owned[: max(1, len(owned) // 2)]
    transforms = {f: t for f, t in doc["output"].get("transforms", {}).items() if f in kept}
    return {**doc, "output": {**doc["output"], "features": kept, "transforms": transforms}}


def policy_sets() -> Iterator[Any]:
    by_product: dict[str, list[dict[str, Any]]] = {}
    for path in EXAMPLES:
        doc = _doc(path)
        by_product.setdefault(doc["product"], []).append(doc)
        # A score product's single policy never covers both of its providers.
        some_allowed = doc["product"] != "underwriting_score"
        for variant, docs, allows in (
            ("alone", [doc], some_allowed),
            ("consent required", [_consent(doc)], some_allowed),
            ("fewer features", [_fewer_features(doc)], False),
        ):
            yield pytest.param(docs, allows, id=f"{path.stem}-{variant}")
    for product, docs in sorted(by_product.items()):
        if len(docs) > 1:
            yield pytest.param(docs, True, id=f"{product}-all")
            yield pytest.param(
                [docs[0], _consent(docs[1])], True, id=f"{product}-all, one requiring consent"
            )


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), CHINA)


def _gate_decision(space: Space, product: str, shape: Shape) -> Decision:
    gate = RegistryGate(space.policies, require_policy=True, now=lambda: _noon(shape.as_of))
    providers = {
        role: [name] if isinstance(name, str) else list(name)
        for role, name in shape.providers.items()
    }
    # The engine a consumer's default run asks for: the one the policies choose.
    engine = space.lookup_engine("steward", product, providers).engine
    spec = JobSpec(
        job_id="0" * 32,
        product=product,
        consumer=shape.consumer,
        purpose=shape.purpose,
        as_of=shape.as_of,
        batch_size=shape.batch_size,
        providers={
            role: [name] if isinstance(name, str) else name
            for role, name in shape.providers.items()
        },
        paillier_public_key="ab",
        model=shape.model,
        features=shape.features,
        epsilon=shape.epsilon,
        consent_refs=shape.consent_refs,
        engine=engine,
    )
    return gate.evaluate(spec)


def _explained(space: Space, product: str, shape: Shape, tmp_path: Path) -> Decision:
    model = None
    if shape.model is not None:
        model = tmp_path / "model.json"
        model.write_bytes(shape.model)
    return explain_job(
        space.policies.active(product),
        consumer=shape.consumer,
        product=product,
        purpose=shape.purpose,
        batch_size=shape.batch_size,
        model=model,
        features=shape.features,
        as_of=shape.as_of,
        epsilon=shape.epsilon,
        providers=shape.providers,
        usage=LedgerUsage(space.store.db),
        consent_refs=shape.consent_refs,
    )


@pytest.mark.parametrize(("docs", "some_allowed"), list(policy_sets()))
def test_explain_decides_as_the_gate_does(
    docs: list[dict[str, Any]], some_allowed: bool, tmp_path: Path
) -> None:
    product = docs[0]["product"]
    space = Space(tmp_path / "space", SpaceConfig(require_policy=True))
    add_steward(space, "steward", {o for doc in docs for o in doc["owners"]})
    for doc in docs:
        space.publish_policy("steward", json.dumps(doc, default=str))
    outcomes = set()
    for base in SHAPES[product]:
        for shape in (base, Shape(**{**base.__dict__, "consent_refs": ["EV-1", "EV-2"]})):
            gate = _gate_decision(space, product, shape)
            explained = _explained(space, product, shape, tmp_path)
            what = f"{shape.name}, consent refs {shape.consent_refs}"
            assert explained.to_dict() == gate.to_dict(), what
            assert explained == gate, what
            assert isinstance(gate.obligations, Obligations)
            assert Obligations.from_dict(gate.obligations.to_dict()) == gate.obligations
            outcomes.add(gate.allowed)
    # Where the policies allow anything, the shapes reach both answers: the
    # comparison is not of denials alone.
    assert False in outcomes
    if some_allowed:
        assert True in outcomes


def test_every_example_is_in_a_policy_set() -> None:
    ids = {p.id for p in policy_sets()}
    for path in EXAMPLES:
        assert f"{path.stem}-alone" in ids
    assert {parse_policy(path.read_text("utf-8")).product for path in EXAMPLES} == set(SHAPES)

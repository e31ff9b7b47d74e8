"""Policies: the document, each constraint alone and combined, and the decision."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from policies.constraints import JobRequest
from policies.engine import evaluate
from policies.model import PolicyError, load_policy, parse_policy, schema_text
from policies.odrl import to_odrl
from policies.semantics import semantic_errors
from products.registry import get_product
from products.score_model import ScoreModel
from tests.usage_counter import FakeUsage
from trusted_space.core.clock import CHINA
from trusted_space.demo import default_model_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "policies" / "examples").glob("*.yaml"))
HOSPITAL = ROOT / "policies" / "examples" / "underwriting_score.hospital.yaml"
CDC = ROOT / "policies" / "examples" / "underwriting_score.cdc.yaml"
PRODUCT = get_product("underwriting_score")
MODEL_SHA = ScoreModel.load(default_model_path()).sha256()
ALL_FEATURES = [f.name for f in PRODUCT.features]
NOON = dt.time(12)


def job(**changes: Any) -> JobRequest:
    base: dict[str, Any] = dict(
        consumer="insurer",
        product=PRODUCT,
        purpose="underwriting",
        batch_size=100,
        features=ALL_FEATURES,
        providers={"hospital": ["hospital"], "cdc": ["cdc"]},
        when=dt.datetime.combine(dt.date(2026, 6, 1), NOON, CHINA),
        model_sha256=MODEL_SHA,
    )
    base.update(changes)
    # As a consumer's default run under the example policies, which require
    # the blind lookup: blind where the product can run blind.
    if "engine" not in changes and "blind_lookup" in base["product"].engines:
        base["engine"] = "blind_lookup"
    return JobRequest(**base)


def hospital_doc(**changes: Any) -> dict[str, Any]:
    doc = yaml.safe_load(HOSPITAL.read_text(encoding="utf-8"))
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return doc


def policy(**changes: Any):  # type: ignore[no-untyped-def]
    return parse_policy(json.dumps(hospital_doc(**changes), default=str))


def failed(decision: Any) -> set[str]:
    return {r.constraint for r in decision.reasons} if not decision.allowed else set()


HOSPITAL_ONLY = {"providers": {"hospital": ["hospital"]}, "features": ALL_FEATURES[:4]}


# -- the document -----------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_are_valid_against_model_schema_and_product(path: Path) -> None:
    p = load_policy(path)
    assert semantic_errors(p) == []
    assert p.valid_from < p.valid_until
    schema = json.loads((ROOT / "policies" / "schema" / "policy.schema.json").read_text())
    # As JSON would carry it: YAML reads dates as dates, JSON as ISO strings.
    as_json = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    jsonschema.validate(as_json, schema)


def test_every_product_has_an_example_policy() -> None:
    from products.registry import PRODUCTS

    for name in PRODUCTS:
        assert any(name in p.name for p in EXAMPLES), name


def test_the_published_schema_is_the_models_schema() -> None:
    assert (ROOT / "policies" / "schema" / "policy.schema.json").read_text() == schema_text()


def test_every_schema_error_is_reported_with_its_path() -> None:
    doc = hospital_doc(limits__batch__max="lots", purposes=["marketing"])
    doc["colour"] = "blue"
    with pytest.raises(PolicyError) as info:
        parse_policy(json.dumps(doc, default=str))
    paths = {path for path, _ in info.value.errors}
    assert {"limits.batch.max", "purposes.0", "colour"} <= paths


def test_yaml_aliases_are_refused() -> None:
    bomb = "a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(PolicyError, match="aliases are not allowed"):
        parse_policy(bomb)


def test_semantic_errors_name_the_path() -> None:
    p = policy(
        output__features=["visits_12m", "shoe_size"], columns={"hospital_visits.colour": "never"}
    )
    errors = dict(semantic_errors(p))
    assert "output.features" in errors and "columns.hospital_visits.colour" in errors
    assert semantic_errors(policy(product="no_such_product"))[0][0] == "product"


def test_content_hash_changes_with_content_only() -> None:
    assert policy().content_hash() == policy().content_hash()
    assert policy().content_hash() != policy(limits__batch__max=4999).content_hash()


# -- each constraint alone --------------------------------------------------------------

ALONE = [
    ("consumer", dict(consumer="bank")),
    ("purpose", dict(purpose="credit")),
    ("validity", dict(when=dt.datetime.combine(dt.date(2025, 12, 31), NOON, CHINA))),
    ("validity", dict(when=dt.datetime.combine(dt.date(2028, 1, 1), NOON, CHINA))),
    ("batch_size", dict(batch_size=5001)),
    ("model", dict(model_sha256="0" * 64)),
]


@pytest.mark.parametrize(
    ("constraint", "change"), ALONE, ids=[f"{c}-{i}" for i, (c, _) in enumerate(ALONE)]
)
def test_each_constraint_denies_alone(constraint: str, change: dict[str, Any]) -> None:
    decision = evaluate([policy()], job(**HOSPITAL_ONLY, **change), None)
    assert failed(decision) == {constraint}
    assert evaluate([policy()], job(**HOSPITAL_ONLY), None).allowed


def test_validity_edges_are_inclusive() -> None:
    for day in (dt.date(2026, 1, 1), dt.date(2027, 12, 31)):
        when = dt.datetime.combine(day, NOON, CHINA)
        assert evaluate([policy()], job(**HOSPITAL_ONLY, when=when), None).allowed


def test_batch_below_minimum() -> None:
    decision = evaluate([policy(limits__batch__min=200)], job(**HOSPITAL_ONLY), None)
    assert failed(decision) == {"batch_size"}


def test_model_changed_by_one_byte(tmp_path: Path) -> None:
    changed = tmp_path / "m.json"
    changed.write_bytes(default_model_path().read_bytes() + b" ")
    sha = ScoreModel.load(changed).sha256()
    assert failed(evaluate([policy()], job(**HOSPITAL_ONLY, model_sha256=sha), None)) == {"model"}


def test_a_feature_the_output_does_not_allow() -> None:
    p = policy(output__features=["visits_12m"])
    decision = evaluate([p], job(**HOSPITAL_ONLY), None)
    assert failed(decision) == {"features"}
    assert "cost_12m" in decision.reasons[0].detail


def test_a_column_whose_class_forbids_the_use() -> None:
    doc = hospital_doc()
    doc["columns"]["hospital_visits.total_cost"] = {"class": "aggregate_only", "min_count": 10}
    p = parse_policy(json.dumps(doc, default=str))
    decision = evaluate([p], job(**HOSPITAL_ONLY), None)
    assert failed(decision) == {"column_class"}
    assert "hospital_visits.total_cost is aggregate_only" in decision.reasons[0].detail


def test_an_unlisted_column_is_never() -> None:
    doc = hospital_doc()
    del doc["columns"]["hospital_visits.icd10"]
    decision = evaluate([parse_policy(json.dumps(doc, default=str))], job(**HOSPITAL_ONLY), None)
    assert failed(decision) == {"column_class"}
    assert "unlisted" in decision.reasons[0].detail


def test_a_model_that_does_not_use_a_column_does_not_need_it() -> None:
    doc = hospital_doc()
    doc["columns"]["hospital_visits.total_cost"] = "never"
    p = parse_policy(json.dumps(doc, default=str))
    without_cost = [f for f in ALL_FEATURES[:4] if f != "cost_12m"]
    assert evaluate(
        [p], job(providers={"hospital": ["hospital"]}, features=without_cost), None
    ).allowed


def test_daily_quota_used_up() -> None:
    p = policy(limits__jobs_per_consumer_per_day=3)
    assert evaluate([p], job(**HOSPITAL_ONLY), FakeUsage(jobs=2)).allowed
    decision = evaluate([p], job(**HOSPITAL_ONLY), FakeUsage(jobs=3))
    assert failed(decision) == {"jobs_per_day"}
    assert "used up" in decision.reasons[0].detail


def test_monthly_subjects_counted_conservatively() -> None:
    p = policy(limits__subjects_per_consumer_per_month=1000)
    assert evaluate([p], job(**HOSPITAL_ONLY, batch_size=100), FakeUsage(subjects=900)).allowed
    decision = evaluate([p], job(**HOSPITAL_ONLY, batch_size=101), FakeUsage(subjects=900))
    assert failed(decision) == {"subjects_per_month"}


def test_consent_required_needs_evidence() -> None:
    p = policy(consent_required=True)
    assert failed(evaluate([p], job(**HOSPITAL_ONLY), None)) == {"consent"}
    assert evaluate([p], job(**HOSPITAL_ONLY, consent_refs=["consent-batch-17"]), None).allowed


# -- combined ---------------------------------------------------------------------------------


def test_every_failed_constraint_is_reported_not_only_the_first() -> None:
    decision = evaluate(
        [policy()], job(**HOSPITAL_ONLY, consumer="bank", purpose="credit", batch_size=9999), None
    )
    assert failed(decision) == {"consumer", "purpose", "batch_size"}


def test_all_governing_policies_must_allow_and_the_strictest_limit_wins() -> None:
    both = [load_policy(HOSPITAL), load_policy(CDC)]
    assert evaluate(both, job(batch_size=2000), None).allowed
    decision = evaluate(both, job(batch_size=3000), None)  # cdc allows 2000, hospital 5000
    assert failed(decision) == {"batch_size"}
    assert all(r.detail.startswith("cdc-underwriting") for r in decision.reasons)


def test_a_provider_no_policy_covers_is_denied() -> None:
    decision = evaluate([load_policy(HOSPITAL)], job(), None)
    assert failed(decision) == {"coverage"}
    assert "'cdc'" in decision.reasons[0].detail


def test_obligations_merge_to_the_most_restrictive() -> None:
    a = policy(output__transforms={"cost_12m": {"round_to": 100}}, duties={"retention_days": 30})
    b = policy(
        id="second",
        output__transforms={"cost_12m": {"round_to": 1000}},
        duties={"retention_days": 7},
    )
    decision = evaluate([a, b], job(**HOSPITAL_ONLY), None)
    assert decision.allowed
    assert decision.obligations.to_dict()["transforms"] == {"cost_12m": {"round_to": 1000}}
    assert decision.obligations.retention_days == 7
    assert len(decision.policy_versions) == 2


def test_allow_explains_every_check() -> None:
    decision = evaluate([load_policy(HOSPITAL), load_policy(CDC)], job(), None)
    assert decision.allowed
    kinds = {r.constraint for r in decision.reasons}
    assert {"validity", "consumer", "purpose", "column_class", "batch_size", "model"} <= kinds


# -- ODRL ----------------------------------------------------------------------------------------


def test_odrl_export_carries_the_rules() -> None:
    doc = to_odrl(load_policy(HOSPITAL))
    assert doc["@type"] == "Offer" and "http://www.w3.org/ns/odrl.jsonld" in doc["@context"]
    perm = doc["permission"][0]
    assert perm["assignee"] == ["urn:tspace:participant:insurer"]
    ops = {(c["leftOperand"], c["operator"]) for c in perm["constraint"]}
    assert {
        ("purpose", "isAnyOf"),
        ("dateTime", "gteq"),
        ("dateTime", "lteq"),
        ("count", "lteq"),
    } <= ops
    assert perm["duty"][0]["action"] == "delete"
    never = {p["target"] for p in doc["prohibition"] if p["action"] == "use"}
    assert "urn:tspace:column:hospital_visits.visit_id" in never


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_plain_words_never_say_a_score_product_releases_a_feature(language: str) -> None:
    from policies.plain import describe

    root = Path(__file__).resolve().parents[2] / "policies" / "examples"
    scored = describe(load_policy(root / "underwriting_score.hospital.yaml"), language)
    line = next(s for s in scored if "cost_12m" in s and ("100" in s))
    assert ("不发布" in line) if language == "zh-CN" else ("never released" in line)
    assert "后发布" not in line and "is released" not in line
    released = describe(load_policy(root / "tender_lending_features.centres.yaml"), language)
    bucketed = [s for s in released if "awarded_amount_12m" in s and "10000" in s]
    assert bucketed and all(("发布" in s) or ("released" in s) for s in bucketed)
    assert not any(("不发布" in s) or ("never released" in s) for s in bucketed)

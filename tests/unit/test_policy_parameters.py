"""Product parameters in policies (``output.parameters``): checked against the
product, merged to the strictest setting, explained, described and exported.
claim_verification's date tolerance is the one product parameter so far."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.explain import explain_job
from policies.model import PolicyError, parse_policy
from policies.obligations import Obligations
from policies.odrl import to_odrl
from policies.plain import describe
from policies.semantics import semantic_errors

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "policies" / "examples" / "claim_verification.hospital.yaml"
UNDERWRITING = ROOT / "policies" / "examples" / "underwriting_score.hospital.yaml"
FLAGS = ["visit_found", "within_bill", "dx_match", "billed_total"]


def doc(path: Path = EXAMPLE, **output: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["output"] = {**data["output"], **output}
    return data


def parsed(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_policy(yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"date_tolerance": 1}, "no such parameter"),
        ({"date_tolerance_days": 31}, "within 0-30"),
        ({"date_tolerance_days": -1}, "within 0-30"),
    ],
)
def test_a_setting_the_product_does_not_admit_is_named(
    parameters: dict[str, int], message: str
) -> None:
    errors = dict(semantic_errors(parsed(doc(parameters=parameters))))
    (name,) = parameters
    assert message in str(errors[f"output.parameters.{name}"])


def test_a_product_without_parameters_admits_none() -> None:
    errors = dict(semantic_errors(parsed(doc(UNDERWRITING, parameters={"slack": 1}))))
    assert "has no such parameter (it has -)" in str(errors["output.parameters.slack"])


def test_a_setting_must_be_a_whole_number() -> None:
    with pytest.raises(PolicyError) as info:
        parsed(doc(parameters={"date_tolerance_days": "1"}))
    assert "output.parameters.date_tolerance_days" in {p for p, _ in info.value.errors}


def decide(*policies: dict[str, Any], features: list[str] = FLAGS):  # type: ignore[no-untyped-def]
    return explain_job(
        [parsed(p) for p in policies],
        consumer="insurer",
        product="claim_verification",
        purpose="claims",
        batch_size=10,
        features=features,
        as_of=dt.date(2026, 6, 1),
        consent_refs=["EV-1"],
    )


def test_the_strictest_tolerance_wins_and_is_explained() -> None:
    loose = {**doc(parameters={"date_tolerance_days": 3}), "id": "loose"}
    tight = {**doc(parameters={"date_tolerance_days": 0}), "id": "tight"}
    decision = decide(loose, tight)
    assert decision.allowed
    assert dict(decision.obligations.parameters) == {"date_tolerance_days": 0}
    details = [r.detail for r in decision.reasons if r.constraint == "parameters"]
    assert details == [
        "loose v1: date_tolerance_days = 3, set by the policy",
        "tight v1: date_tolerance_days = 0, set by the policy",
    ]
    chinese = [r.text("zh-CN") for r in decision.reasons if r.constraint == "parameters"]
    assert chinese[1] == (
        "tight 第 1 版：date_tolerance_days = 0（就诊日期与申请日期允许相差的天数），由本策略设定"
    )
    wire = decision.obligations.to_dict()
    assert wire["parameters"] == {"date_tolerance_days": 0}
    assert Obligations.from_dict(wire) == decision.obligations


def test_a_policy_that_sets_no_tolerance_leaves_the_default() -> None:
    data = doc()
    del data["output"]["parameters"]
    decision = decide(data)
    assert decision.allowed and dict(decision.obligations.parameters) == {}
    (detail,) = [r.detail for r in decision.reasons if r.constraint == "parameters"]
    assert "date_tolerance_days = 1, the product's default" in detail
    assert "parameters" not in decision.obligations.to_dict()


def test_the_example_releases_flags_and_buckets_and_refuses_the_stay_length() -> None:
    assert decide(doc()).allowed
    denied = decide(doc(), features=[*FLAGS, "inpatient_days"])
    assert not denied.allowed
    assert any("inpatient_days" in r.detail for r in denied.reasons)
    assert dict(decide(doc()).obligations.transforms)["billed_total"].to_dict() == {
        "buckets": [0, 1000, 5000, 10000, 50000, 100000]
    }


def test_odrl_and_plain_words_carry_the_tolerance() -> None:
    policy = parsed(doc())
    (permission,) = to_odrl(policy)["permission"]
    assert permission["tspace:output"]["tspace:parameters"] == {"date_tolerance_days": 1}
    assert "The computation sets date_tolerance_days to 1." in describe(policy, "en")
    assert "计算参数 date_tolerance_days 取 1。" in describe(policy, "zh-CN")

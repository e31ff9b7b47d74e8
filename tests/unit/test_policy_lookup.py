"""``lookup: blind``: an owner requires the blind lookup for jobs on its data."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from policies.decision import Reason
from policies.engine import evaluate
from policies.explain import explain_job
from policies.lookup import choose_engine
from policies.model import parse_policy
from policies.odrl import to_odrl
from policies.plain import describe
from products.registry import get_product
from tests.unit.test_policies import CDC, HOSPITAL, ROOT, job, policy
from trusted_space.demo import default_model_path


def reason(decision, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(r.detail for r in decision.reasons if r.constraint == name)


HOSPITAL_ONLY = {"providers": {"hospital": ["hospital"]}}


def test_a_policy_requiring_blind_denies_a_direct_job_and_allows_a_blind_one() -> None:
    blind = policy(lookup="blind")
    direct = evaluate([blind], job(**HOSPITAL_ONLY, engine="direct_lookup"), None)
    assert not direct.allowed
    assert {r.constraint for r in direct.reasons} == {"lookup"}
    assert "requires the blind lookup" in reason(direct, "lookup")
    assert direct.engine == "direct_lookup"
    allowed = evaluate([blind], job(**HOSPITAL_ONLY, engine="blind_lookup"), None)
    assert allowed.allowed, allowed.reasons
    assert "runs on blind_lookup" in reason(allowed, "lookup")
    assert allowed.engine == "blind_lookup"
    # Without the field any engine runs, and the reason says which.
    plain = evaluate([policy(lookup="any")], job(**HOSPITAL_ONLY, engine="direct_lookup"), None)
    assert plain.allowed and "runs on direct_lookup" in reason(plain, "lookup")


def test_the_example_underwriting_policies_require_blind() -> None:
    for path in (HOSPITAL, CDC):
        assert parse_policy(path.read_text("utf-8")).lookup == "blind", path.name
    both = [parse_policy(p.read_text("utf-8")) for p in (HOSPITAL, CDC)]
    direct = evaluate(both, job(engine="direct_lookup"), None)
    assert not direct.allowed
    assert {r.constraint for r in direct.reasons} == {"lookup"}
    assert len(direct.reasons) == 2  # each owner says so for its own data


def test_the_lookup_reasons_are_given_in_both_languages() -> None:
    blind = policy(lookup="blind")
    denied = evaluate([blind], job(**HOSPITAL_ONLY, engine="direct_lookup"), None)
    (r,) = denied.reasons
    assert r.detail.startswith("hospital-underwriting v1: the policy requires the blind lookup")
    assert r.detail_zh.startswith("hospital-underwriting 第 1 版：本策略要求盲查")
    assert r.text("zh-CN") == r.detail_zh and r.text("en") == r.detail
    assert denied.to_dict()["reasons"][0]["detail_zh"] == r.detail_zh
    # Every constraint gives both languages (issue 24 item 9).
    other = evaluate([blind], job(**HOSPITAL_ONLY, consumer="bank"), None)
    consumer = next(r for r in other.reasons if r.constraint == "consumer")
    assert consumer.text("zh-CN") == (
        "hospital-underwriting 第 1 版：'bank' 不在允许的使用方 insurer 之中"
    )
    assert consumer.text("en") == "hospital-underwriting v1: 'bank' is not among insurer"
    # A reason recorded without zh-CN (an older ledger entry) keeps its English in both.
    old = Reason("consumer", "'bank' is not among insurer")
    assert old.text("zh-CN") == old.detail and "detail_zh" not in old.to_dict()


def test_choose_engine_says_which_engine_and_why() -> None:
    product = get_product("underwriting_score")
    hospital_any, cdc_blind = policy(lookup="any"), parse_policy(CDC.read_text("utf-8"))
    chosen = choose_engine([hospital_any, cdc_blind], product)
    assert chosen.engine == "blind_lookup" and chosen.required_by == ("cdc-underwriting",)
    assert "cdc-underwriting require the blind lookup" in chosen.why("en")
    assert "要求盲查" in chosen.why("zh-CN")
    # Only the policies of the job's providers choose: the hospital alone runs direct.
    alone = choose_engine([hospital_any, cdc_blind], product, {"hospital": ["hospital"]})
    assert alone.engine == "direct_lookup" and alone.required_by == ()
    assert "no policy requires the blind lookup" in alone.why("en")
    lending = get_product("tender_lending_features")
    doc = yaml.safe_load(
        (ROOT / "policies" / "examples" / "tender_lending_features.centres.yaml").read_text("utf-8")
    )
    # Without its price per matched subject, which a blind policy may not carry.
    doc.pop("price")
    refused = choose_engine(
        [parse_policy(json.dumps(doc | {"lookup": "blind"}, default=str))], lending
    )
    assert refused.engine == "direct_lookup" and not refused.runnable
    assert "cannot run blind" in refused.why("en") and "不能以盲查运行" in refused.why("zh-CN")


def test_a_product_that_cannot_run_blind_is_denied_with_that_reason() -> None:
    doc = yaml.safe_load(
        (ROOT / "policies" / "examples" / "tender_lending_features.centres.yaml").read_text("utf-8")
    )
    doc["lookup"] = "blind"
    doc.pop("price")  # a price per matched subject: refused under lookup: blind
    lending = get_product("tender_lending_features")
    assert "blind_lookup" not in lending.engines
    decision = evaluate(
        [parse_policy(json.dumps(doc, default=str))],
        job(
            product=lending,
            purpose=doc["purposes"][0],
            consumer=doc["consumers"][0],
            features=[f.name for f in lending.features],
            providers={"centre": [doc["owners"][0]]},
            model_sha256=None,
            when=job().when.replace(year=int(str(doc["valid_from"])[:4])),
        ),
        None,
    )
    assert not decision.allowed
    assert "cannot run blind" in reason(decision, "lookup")


def test_explain_picks_the_blind_lookup_when_a_policy_requires_it() -> None:
    blind = policy(lookup="blind")
    cdc = yaml.safe_load(CDC.read_text("utf-8")) | {"lookup": "blind"}
    both = [blind, parse_policy(json.dumps(cdc, default=str))]
    kw = dict(
        consumer="insurer",
        product="underwriting_score",
        purpose="underwriting",
        batch_size=100,
        model=default_model_path(),
        as_of=job().when.date(),
    )
    picked = explain_job(both, **kw)  # type: ignore[arg-type]
    assert "runs on blind_lookup" in reason(picked, "lookup")
    forced = explain_job(both, engine="direct_lookup", **kw)  # type: ignore[arg-type]
    assert not forced.allowed and "requires the blind lookup" in reason(forced, "lookup")


def test_the_odrl_export_and_the_plain_text_carry_it() -> None:
    blind = policy(lookup="blind")
    constraints = to_odrl(blind)["permission"][0]["constraint"]
    assert {"leftOperand": "tspace:lookupEngine", "operator": "eq"}.items() <= next(
        c for c in constraints if c["leftOperand"] == "tspace:lookupEngine"
    ).items()
    assert not any(
        c["leftOperand"] == "tspace:lookupEngine"
        for c in to_odrl(policy(lookup="any"))["permission"][0]["constraint"]
    )
    for path in (HOSPITAL, CDC):  # the examples carry it into their ODRL
        exported = to_odrl(parse_policy(path.read_text("utf-8")))["permission"][0]["constraint"]
        assert {
            "leftOperand": "tspace:lookupEngine",
            "operator": "eq",
            "rightOperand": "tspace:engine/blind",
        }.items() <= next(c for c in exported if c["leftOperand"] == "tspace:lookupEngine").items()
    assert any("blind lookup" in line for line in describe(blind, "en"))
    assert any("盲查" in line for line in describe(blind, "zh-CN"))
    assert HOSPITAL.exists()


def test_an_unknown_lookup_value_is_refused() -> None:
    import pytest

    from policies.model import PolicyError

    with pytest.raises(PolicyError, match="lookup"):
        policy(lookup="sideways")
    assert Path(HOSPITAL).exists()

"""Settlement (issue 26): price terms in policies, their refusals in both
languages, the arithmetic on hand-made ledger entries, and signed statements
that verify and fail when edited."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import yaml

from policies.model import PolicyError, parse_policy
from policies.semantics import semantic_errors
from tests.policy_docs import dated, dated_example
from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import LedgerTampered
from trusted_space.core.i18n import language, set_language
from trusted_space.crypto import get_suite
from trusted_space.ledger import settlement
from trusted_space.ledger.settlement import (
    StatementInvalid,
    compute,
    format_yuan,
    largest_remainder,
    sign,
    verify,
)


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    before = language()
    yield
    set_language(before)


def lending(**price: Any) -> dict[str, Any]:
    doc = dated("tender_lending_features.centres.yaml")
    doc["price"] = {**doc["price"], **price}
    return doc


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        policy = parse_policy(yaml.safe_dump(doc, allow_unicode=True))
    except PolicyError as exc:
        return exc.errors
    return semantic_errors(policy)


# -- price terms in policies ------------------------------------------------------------
def test_the_example_price_terms_are_valid_and_read_in_plain_words() -> None:
    from policies.plain import describe

    for doc in (lending(), dated_example("hospital")):
        assert problems(doc) == []
    policy = parse_policy(yaml.safe_dump(dated_example("hospital")))
    assert policy.price is not None and policy.price.per_subject_queried == "0.30"
    words = " ".join(describe(policy, "en"))
    assert "CNY 2.00 a job, plus CNY 0.30 a subject queried" in words
    assert "¥0.30" in " ".join(describe(policy, "zh-CN"))
    terms = policy.price_terms()
    assert terms is not None and terms["owners"] == ["hospital"]
    assert terms["policy"] == f"hospital-underwriting@1:{policy.content_hash()}"
    from policies.odrl import to_odrl

    duty = to_odrl(policy)["permission"][0]["duty"][-1]
    assert duty["action"] == "compensate" and duty["tspace:price"]["per_job"] == "2.00"


def test_a_policy_without_price_keeps_its_content_hash() -> None:
    import hashlib

    doc = dated_example("cdc")
    assert "price" not in doc
    policy = parse_policy(yaml.safe_dump(doc))
    old = policy.model_dump(mode="json", by_alias=True)
    del old["price"]  # the document as hashed before price terms existed
    assert policy.content_hash() == hashlib.sha256(canonical_json(old)).hexdigest()
    assert policy.price_terms() is None


@pytest.mark.parametrize(
    ("change", "field", "en", "zh"),
    [
        ({"currency": "USD"}, "price.currency", "only CNY", "只接受 CNY"),
        ({"per_subject_matched": 1.5}, "price.per_subject_matched", "quoted string", "带引号"),
        ({"per_subject_matched": "1.505"}, "price.per_subject_matched", "two decimals", "两位小数"),
        ({"per_subject_matched": "-1.00"}, "price.per_subject_matched", "non-negative", "非负"),
        (
            {"split": {"operator": "1.2", "by": "matched"}},
            "price.split.operator",
            "0 to 1",
            "0 到 1",
        ),
        ({"split": {"operator": "0.1"}}, "price.split", "either by", "二者只能取其一"),
        (
            {"split": {"operator": "0.1", "by": "matched", "weights": {"centre_a": "1"}}},
            "price.split",
            "either by",
            "二者只能取其一",
        ),
        (
            {"split": {"operator": "0.1", "weights": {"centre_a": "0.5", "centre_b": "0.4"}}},
            "price.split.weights",
            "exactly 1",
            "恰为 1",
        ),
        (
            {"split": {"operator": "0.1", "weights": {"centre_a": "0.5", "centre_c": "0.5"}}},
            "price.split.weights.centre_c",
            "not one of this policy's owners",
            "不是本策略的 owners",
        ),
        ({"per_subject_matched": None}, "price", "at least one of", "至少须给出"),
    ],
)
def test_bad_terms_are_refused_naming_the_field_in_both_languages(
    change: dict[str, Any], field: str, en: str, zh: str
) -> None:
    doc = lending(**change)
    doc["price"] = {k: v for k, v in doc["price"].items() if v is not None}
    for lang, words in (("en", en), ("zh-CN", zh)):
        set_language(lang)
        found = problems(doc)
        assert found, (lang, change)
        text = " ".join(f"{path}: {message}" for path, message in found)
        assert field in text and words in text, text


def test_blind_policies_cannot_price_or_split_by_matched_subjects() -> None:
    set_language("en")
    # lookup: blind requires the blind engine: refused by the document alone.
    required = dated_example("hospital")
    required["price"] = {
        "currency": "CNY",
        "per_subject_matched": "0.50",
        "split": {"operator": "0.1", "by": "queried"},
    }
    text = str(problems(required))
    assert "price.per_subject_matched" in text and "requires the blind lookup" in text
    required["price"] = {
        "currency": "CNY",
        "per_job": "1.00",
        "split": {"operator": "0.1", "by": "matched"},
    }
    assert "price.split.by" in str(problems(required))
    # lookup: any on a product that can run blind allows it: refused against the product.
    allowed = dict(required, lookup="any")
    found = problems(allowed)
    assert [path for path, _ in found] == ["price.split.by"]
    assert "may run as a blind lookup" in str(found[0][1])
    set_language("zh-CN")
    assert "盲查" in str(problems(allowed)[0][1])
    # Per subject queried, split by queried: fine under either.
    allowed["price"]["split"]["by"] = "queried"
    assert problems(allowed) == []
    # A product that cannot run blind may price per match.
    assert problems(lending()) == []


# -- the arithmetic -----------------------------------------------------------------
def test_largest_remainder_adds_up_and_breaks_ties_by_name() -> None:
    shares = largest_remainder(Decimal("2.38"), {"centre_a": Decimal(2), "centre_b": Decimal(1)})
    assert shares == {"centre_a": Decimal("1.59"), "centre_b": Decimal("0.79")}
    # 0.10 in three equal parts: 0.03 each and one fen over, to the first name.
    equal = largest_remainder(Decimal("0.10"), {"c": Decimal(1), "a": Decimal(1), "b": Decimal(1)})
    assert equal == {"a": Decimal("0.04"), "b": Decimal("0.03"), "c": Decimal("0.03")}
    assert largest_remainder(Decimal("1.00"), {"x": Decimal(0), "y": Decimal(0)}) == {
        "x": Decimal("0.50"),
        "y": Decimal("0.50"),
    }
    for total in ("0.00", "0.01", "99.99", "123456.78"):
        weights = {"p": Decimal(7), "q": Decimal(3), "r": Decimal(11)}
        assert sum(largest_remainder(Decimal(total), weights).values()) == Decimal(total)


def test_amounts_are_shown_in_each_language() -> None:
    assert format_yuan(Decimal("1234.5"), "zh-CN") == "¥1,234.50"
    assert format_yuan("1234.50", "en") == "CNY 1,234.50"
    assert format_yuan("0", "en") == "CNY 0.00"


SUITE = get_suite("default")
KEY = SUITE.new_signing_key()
MONTH = "2026-12"
IN_MONTH = "2026-12-01T03:00:00.000+00:00"  # 11:00 China time


class Ledger:
    """Ledger entries made by hand: enough for settlement, chained and signed."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.add(
            "space_created", None, {"suite": "default", "signing_key": KEY.public_bytes().hex()}
        )
        for name, role in (
            ("bank", "consumer"),
            ("centre_a", "provider"),
            ("centre_b", "provider"),
        ):
            self.add("participant_added", None, {"name": name, "role": role})

    def add(
        self, kind: str, job: str | None, details: dict[str, Any], time: str = IN_MONTH
    ) -> None:
        body = {
            "seq": len(self.entries) + 1,
            "time": time,
            "actor": "space",
            "kind": kind,
            "job_id": job,
            "details": details,
            "prev": self.entries[-1]["hash"] if self.entries else "0" * 64,
        }
        digest = SUITE.hash(canonical_json(body))
        self.entries.append({**body, "hash": digest.hex(), "signature": KEY.sign(digest).hex()})

    def job(
        self,
        job: str,
        prices: list[dict[str, Any]],
        matched: dict[str, int],
        batch: int = 3,
        allow: bool = True,
        released: bool = True,
        time: str = IN_MONTH,
    ) -> None:
        self.add(
            "job_submitted",
            job,
            {"providers": {"centre": sorted(matched)}, "engine": "direct_lookup"},
            time,
        )
        decision = {
            "decision": "allow" if allow else "deny",
            "consumer": "bank",
            "product": "tender_lending_features",
            "batch_size": batch,
            "prices": prices,
        }
        self.add("policy_decision", job, decision, time)
        if allow:
            self.add("subjects_relayed", job, {"matched": matched}, time)
        if released:
            self.add("result_released", job, {}, time)


TERMS = {
    "policy": "centres-lending@1:abc",
    "owners": ["centre_a", "centre_b"],
    "price": {
        "currency": "CNY",
        "per_job": "1.00",
        "per_subject_matched": "0.55",
        "split": {"operator": "0.10", "by": "matched"},
    },
}


def statements(ledger: Ledger) -> dict[tuple[str, str], dict[str, Any]]:
    return compute(ledger.entries, MONTH, SUITE)


def test_the_worked_example_of_the_docs() -> None:
    ledger = Ledger()
    ledger.job("j1", [TERMS], {"centre_a": 2, "centre_b": 1})
    got = statements(ledger)
    assert got[("consumer", "bank")]["total"] == "2.65"
    assert got[("operator", "operator")]["total"] == "0.27"  # 0.265, half up
    assert got[("provider", "centre_a")]["total"] == "1.59"
    assert got[("provider", "centre_b")]["total"] == "0.79"
    line = got[("provider", "centre_a")]["lines"][0]
    assert line["matched"] == 2 and line["charge"] == "2.65" and line["space"]
    assert got[("consumer", "bank")]["entries"] == [e["hash"] for e in ledger.entries[4:]]
    assert "largest" in got[("consumer", "bank")]["rounding"]["en"]


def test_only_succeeded_jobs_of_the_month_are_charged() -> None:
    ledger = Ledger()
    ledger.job("denied", [TERMS], {"centre_a": 2}, allow=False, released=False)
    ledger.job("failed", [TERMS], {"centre_a": 2}, released=False)
    ledger.job("november", [TERMS], {"centre_a": 2}, time="2026-11-30T15:59:00.000+00:00")
    ledger.job("free", [], {"centre_a": 2, "centre_b": 2})  # no price terms: charges nothing
    ledger.job("charged", [TERMS], {"centre_a": 0, "centre_b": 0}, batch=5)
    got = statements(ledger)
    assert {line["job_id"] for s in got.values() for line in s["lines"]} == {"charged"}
    # nobody matched: 1.00 per job, 0.10 to the operator, 0.90 in equal halves
    assert got[("provider", "centre_a")]["total"] == "0.45"
    assert got[("provider", "centre_b")]["total"] == "0.45"
    # 2026-11-30 23:59 China time belongs to November
    assert statements(ledger)[("consumer", "bank")]["jobs"] == 1
    november = compute(ledger.entries, "2026-11", SUITE)
    assert november[("consumer", "bank")]["total"] == "2.10"  # 1.00 + 0.55 x 2


def test_a_month_without_jobs_gives_zero_statements() -> None:
    got = statements(Ledger())
    assert set(got) == {
        ("consumer", "bank"),
        ("provider", "centre_a"),
        ("provider", "centre_b"),
        ("operator", "operator"),
    }
    assert all(s["total"] == "0.00" and s["lines"] == [] and s["jobs"] == 0 for s in got.values())


def test_fixed_weights_are_renormalised_over_the_owners_in_the_job() -> None:
    weighted = copy.deepcopy(TERMS)
    weighted["price"] = {
        "currency": "CNY",
        "per_subject_queried": "0.07",
        "split": {"operator": "0", "weights": {"centre_a": "0.6", "centre_b": "0.4"}},
    }
    ledger = Ledger()
    ledger.job("both", [weighted], {"centre_a": 1, "centre_b": 1}, batch=10)
    ledger.job("one", [weighted], {"centre_b": 1}, batch=10)
    got = statements(ledger)
    assert got[("provider", "centre_a")]["total"] == "0.42"  # 0.70 x 0.6
    assert got[("provider", "centre_b")]["total"] == "0.98"  # 0.28 + all of 0.70
    assert got[("operator", "operator")]["total"] == "0.00"


def test_a_blind_job_priced_by_matches_is_refused_not_guessed() -> None:
    ledger = Ledger()
    ledger.job("blind", [TERMS], {"centre_a": 2})
    ledger.entries[4]["details"]["engine"] = "blind_lookup"  # unsigned: compute only reads
    with pytest.raises(StatementInvalid, match="never records"):
        statements(ledger)


def test_a_signed_statement_verifies_and_every_edit_fails() -> None:
    ledger = Ledger()
    ledger.job("j1", [TERMS], {"centre_a": 2, "centre_b": 1})
    ledger.add("checkpoint_free_entry", None, {})  # the export may run past the head
    head = ledger.entries[:-1]
    signed = sign(compute(head, MONTH, SUITE)[("provider", "centre_a")], SUITE, KEY)
    verify(signed, ledger.entries, SUITE, KEY.public_bytes())

    edited = dict(signed, total="1.60")
    with pytest.raises(StatementInvalid, match=r"statement.total: the statement says '1.60'"):
        verify(edited, ledger.entries, SUITE, KEY.public_bytes())
    lines = copy.deepcopy(signed["lines"])
    lines[0]["matched"] = 3
    with pytest.raises(StatementInvalid, match=r"lines\[0\].matched"):
        verify(dict(signed, lines=lines), ledger.entries, SUITE, KEY.public_bytes())
    forged = dict(signed, signature=sign(signed, SUITE, SUITE.new_signing_key())["signature"])
    with pytest.raises(StatementInvalid, match="signature"):
        verify(forged, ledger.entries, SUITE, KEY.public_bytes())
    tampered = copy.deepcopy(ledger.entries)
    tampered[5]["details"]["batch_size"] = 4
    with pytest.raises(LedgerTampered) as caught:
        verify(signed, tampered, SUITE, KEY.public_bytes())
    assert caught.value.seq == 6
    with pytest.raises(LedgerTampered):
        verify(signed, ledger.entries, SUITE, SUITE.new_signing_key().public_bytes())


def test_the_csv_lists_the_lines_and_the_total() -> None:
    ledger = Ledger()
    ledger.job("j1", [TERMS], {"centre_a": 2, "centre_b": 1})
    statement = statements(ledger)[("provider", "centre_b")]
    rows = settlement.to_csv(statement).splitlines()
    assert rows[0].split(",") == list(settlement.CSV_COLUMNS)
    assert rows[1].endswith(",centre_b,3,1,2.65,0.79")
    assert rows[-1].split(",")[4] == "total" and rows[-1].endswith(",0.79")
    assert dt.date.fromisoformat(MONTH + "-01")  # the month is a real one

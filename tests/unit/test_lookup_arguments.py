"""What a lookup's subjects may carry beside their ids (products whose
``Product.arguments`` ask for it, e.g. a claim's date and amount): the
provider accepts exactly the declared arguments, typed, and refuses anything
else without naming a value; the consumer's PSI request carries each id
once, fillers in the places of repeats."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.node.provider import _checked_arguments
from products.base import Argument, Parameter, Product, RoleSpec
from trusted_space.core.errors import ProtocolError
from trusted_space.nodes.consumer import FILLER_PREFIX, psi_items

PRODUCT = Product(
    name="toy",
    package="products",
    engine="direct_lookup",
    output_mode="features",
    roles=(RoleSpec("r", "hospital", "none.sql"),),
    features=(),
    title_en="toy",
    title_zh="玩具",
    arguments=(
        Argument("day", "date"),
        Argument("note", "text", required=False),
        Argument("amount", "integer"),
    ),
    parameters=(Parameter("slack", 1, 0, 30, "lower", "slack", "宽限"),),
)


def test_declared_arguments_are_typed() -> None:
    got = _checked_arguments(PRODUCT, {"day": "2026-03-02", "note": None, "amount": 12})
    assert got == {"day": dt.date(2026, 3, 2), "note": None, "amount": 12}


@pytest.mark.parametrize(
    "given",
    [
        {"day": "2026-03-02", "amount": 12},  # one missing
        {"day": "2026-03-02", "note": None, "amount": 12, "extra": 1},  # one more
        {"day": "2026-02-30", "note": None, "amount": 12},  # impossible date
        {"day": 20260302, "note": None, "amount": 12},  # not text
        {"day": "2026-03-02", "note": None, "amount": True},  # a bool is not a number
        {"day": "2026-03-02", "note": None, "amount": "12"},
        {"day": "2026-03-02", "note": "x" * 257, "amount": 12},  # too long
        {"day": None, "note": None, "amount": 12},  # a required one left out
        ["2026-03-02", None, 12],
    ],
)
def test_anything_else_is_refused_without_its_value(given: object) -> None:
    with pytest.raises(ProtocolError) as info:
        _checked_arguments(PRODUCT, given)
    assert "2026" not in str(info.value) and "xxx" not in str(info.value)


def test_a_parameter_takes_its_default_and_the_stricter_setting() -> None:
    (slack,) = PRODUCT.parameters
    assert PRODUCT.parameter_values({}) == {"slack": 1}
    assert PRODUCT.parameter_values({"slack": 0}) == {"slack": 0}
    assert slack.strictest([3, 0, 2]) == 0 and slack.strictest([]) == 1
    assert slack.check(31) is not None and slack.check(True) is not None
    assert slack.check(30) is None


def test_psi_items_carry_each_id_once_and_keep_the_size() -> None:
    ids = ["a", "b", "a", "c", "b", "a"]
    items = psi_items(ids)
    assert len(items) == len(ids)
    assert items[:2] == ["a", "b"] and items[3] == "c"
    fillers = [items[i] for i in (2, 4, 5)]
    assert all(f.startswith(FILLER_PREFIX) for f in fillers)
    assert len(set(items)) == len(items)  # the fillers differ from each other too
    assert psi_items(["a", "b"]) == ["a", "b"]

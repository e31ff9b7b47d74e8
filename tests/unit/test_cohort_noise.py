"""A DP cohort says how much noise each value carries and warns when it
exceeds the value: a cell of twenty people is otherwise silently wrong."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from products.cohort.noise import noise_in_display_units, noise_lines, noisy_cells
from trusted_space.core.i18n import language, set_language

PRIVACY = {"epsilon": 1.0, "noise_sd": {"count": 4.24, "sum_cost": 42_426_406.9}}
ROWS = [
    {"sex": "F", "count": 21, "sum_cost": Decimal("61234.00"), "status": "ok"},
    {"sex": "M", "count": 2400, "sum_cost": Decimal("9100000.00"), "status": "ok"},
    {"sex": "X", "count": None, "sum_cost": None, "status": "suppressed"},
]


@pytest.fixture
def lang() -> Iterator[None]:
    before = language()
    yield
    set_language(before)


def test_noise_is_shown_in_the_units_of_result_csv() -> None:
    assert noise_in_display_units(PRIVACY) == pytest.approx(
        {"count": 4.24, "sum_cost": 424_264.069}
    )


def test_values_below_their_noise_are_counted_per_value() -> None:
    assert noisy_cells(ROWS, PRIVACY) == {"count": (0, 2), "sum_cost": (1, 2)}


@pytest.mark.parametrize(
    ("chosen", "words"),
    [("zh-CN", ("噪声标准差", "警告")), ("en", ("standard deviation", "Warning"))],
)
def test_lines_name_each_value_and_warn_in_the_chosen_language(
    lang: None, chosen: str, words: tuple[str, str]
) -> None:
    set_language(chosen)
    lines = noise_lines(ROWS, PRIVACY)
    assert (
        words[0] in lines[0] and "count ≈ 4.24" in lines[0] and "sum_cost ≈ 424,264.07" in lines[0]
    )
    assert len(lines) == 2 and words[1] in lines[1] and "sum_cost" in lines[1]
    assert "1" in lines[1] and "2" in lines[1]


def test_no_dp_prints_nothing() -> None:
    assert noise_lines(ROWS, {"epsilon": 0.0}) == []

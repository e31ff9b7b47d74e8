"""The private path's probability and band against hand-computed values (the
reference has its own logistic, so the two are independent)."""

from __future__ import annotations

import json

import pytest

from products.score_model import ScoreModel, probability


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, 0.5),
        (1.0, 0.7310585786300049),  # e / (1 + e)
        (-1.0, 0.2689414213699951),
        (-3.0, 0.04742587317756678),  # the default model's intercept
        (710.0, 1.0),  # no overflow on either side
        (-710.0, 4.476286225675642e-309),
    ],
)
def test_probability_is_the_logistic_function(score: float, expected: float) -> None:
    assert probability(score) == pytest.approx(expected, rel=1e-12, abs=1e-320)


def test_bands_take_the_first_bound_at_or_above_the_probability() -> None:
    doc = {
        "name": "m",
        "version": "1",
        "intercept": 0,
        "weights": {},
        "bands": [["A", 0.05], ["B", 0.1], ["C", 1.0]],
    }
    model = ScoreModel.parse(json.dumps(doc).encode())
    assert [model.band(p) for p in (0.0, 0.05, 0.050001, 0.1, 0.100001, 1.0)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "C",
    ]

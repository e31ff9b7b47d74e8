"""Discrete Laplace noise: the exact sampler draws the distribution it claims.

The statistical tests are seeded, so they are deterministic; their tolerances
are still set where a correct sampler would fail only rarely over seeds
(4 standard errors, about 6e-5 two-sided; chi-square at its 0.999 quantile),
so a pass is evidence about the sampler and not about a lucky seed. The
reference pmf and moments are computed here from the formula, independently
of the module.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import cache

import pytest

from trusted_space.space.dp import (
    discrete_laplace_variance,
    epsilon_fraction,
    sample_discrete_laplace,
    split_epsilon,
)

SEED = 20240611
RUNS = 300
CELLS_PER_RUN = 70  # 300 runs x 70 cells = 21,000 samples per setting
Z = 4.0  # standard errors allowed; P(|N(0,1)| > 4) ≈ 6.3e-5

# 0.999 quantile of chi-square with 6 degrees of freedom (7 bins, nothing fitted).
# For even df the tail is closed-form, P(X > x) = exp(-x/2) * sum_{i<3} (x/2)^i / i!;
# solving that for 0.001 by bisection gives 22.4577 (tables: 22.458).
# test_chi_square_threshold_is_the_0999_quantile re-checks it.
CHI2_DF6_Q999 = 22.4577

# epsilon / sensitivity pairs: a unit scale; a fraction 7/10 with sensitivity 3
# (t = 30, s = 7: exercises the uniform-remainder rejection and the division by s);
# and a narrow one (5/2, s = 5) where nearly everything is 0.
SETTINGS = [(1.0, 1), (0.7, 3), (2.5, 1)]


def pmf(k: int, epsilon: float, sensitivity: int) -> float:
    a = math.exp(-epsilon / sensitivity)
    return (1 - a) / (1 + a) * a ** abs(k)


def central_moment(order: int, epsilon: float, sensitivity: int) -> float:
    """Sum k**order * pmf(k) over k until the terms vanish (the mean is 0 by symmetry)."""
    ratio = epsilon / sensitivity
    # a**K * K**4 is below 1e-25 relative to the head for this K.
    limit = int(80 / ratio) + 100
    return 2 * math.fsum(k**order * pmf(k, epsilon, sensitivity) for k in range(1, limit))


@cache
def released_noise(epsilon: float, sensitivity: int) -> tuple[int, ...]:
    """Noise of 300 independent releases of a 70-cell table, each run with its own seed."""
    samples: list[int] = []
    for run in range(RUNS):
        rng = random.Random(SEED + run)
        samples.extend(
            sample_discrete_laplace(epsilon, sensitivity, rng) for _ in range(CELLS_PER_RUN)
        )
    return tuple(samples)


def sample_variance(xs: tuple[int, ...] | list[int]) -> float:
    n = len(xs)
    mean = math.fsum(xs) / n
    return math.fsum((x - mean) ** 2 for x in xs) / (n - 1)


def variance_standard_error(epsilon: float, sensitivity: int, n: int) -> float:
    """Standard error of the unbiased sample variance: sqrt((mu4 - sigma^4 (n-3)/(n-1)) / n)."""
    mu4 = central_moment(4, epsilon, sensitivity)
    var = central_moment(2, epsilon, sensitivity)
    return math.sqrt((mu4 - var**2 * (n - 3) / (n - 1)) / n)


def chi2_df6_tail(x: float) -> float:
    half = x / 2
    return math.exp(-half) * (1 + half + half**2 / 2)


@pytest.mark.parametrize(("epsilon", "sensitivity"), SETTINGS)
def test_noise_scale_matches_epsilon_over_300_runs(epsilon: float, sensitivity: int) -> None:
    xs = released_noise(epsilon, sensitivity)
    n = len(xs)
    assert n == RUNS * CELLS_PER_RUN
    expected = discrete_laplace_variance(epsilon, sensitivity)
    tolerance = Z * variance_standard_error(epsilon, sensitivity, n)
    observed = sample_variance(xs)
    assert abs(observed - expected) <= tolerance, (observed, expected, tolerance)


@pytest.mark.parametrize(("epsilon", "sensitivity"), SETTINGS)
def test_noise_is_centred_on_zero(epsilon: float, sensitivity: int) -> None:
    xs = released_noise(epsilon, sensitivity)
    standard_error = math.sqrt(discrete_laplace_variance(epsilon, sensitivity) / len(xs))
    mean = math.fsum(xs) / len(xs)
    assert abs(mean) <= Z * standard_error, (mean, standard_error)


@pytest.mark.parametrize(("epsilon", "sensitivity"), SETTINGS)
def test_pmf_near_zero_matches_the_exact_pmf(epsilon: float, sensitivity: int) -> None:
    # Bins <= -3, -2, -1, 0, 1, 2, >= 3: the tails are pooled so every bin expects
    # at least 5 counts (the smallest, |k| >= 3 at epsilon 2.5, expects about 10).
    xs = released_noise(epsilon, sensitivity)
    n = len(xs)
    inner = range(-2, 3)
    observed = [sum(x <= -3 for x in xs)] + [xs.count(k) for k in inner] + [sum(x >= 3 for x in xs)]
    centre = [pmf(k, epsilon, sensitivity) for k in inner]
    tail = (1 - math.fsum(centre)) / 2
    expected = [n * p for p in [tail, *centre, tail]]
    assert min(expected) >= 5
    chi2 = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    assert chi2 < CHI2_DF6_Q999, (chi2, observed, expected)


def test_chi_square_threshold_is_the_0999_quantile() -> None:
    assert chi2_df6_tail(CHI2_DF6_Q999) == pytest.approx(0.001, rel=1e-4)


@pytest.mark.parametrize(
    ("epsilon", "sensitivity"), [(1.0, 1), (0.7, 3), (2.5, 1), (0.01, 1), (1.0, 1000), (50.0, 1)]
)
def test_variance_formula_matches_the_summed_pmf(epsilon: float, sensitivity: int) -> None:
    assert discrete_laplace_variance(epsilon, sensitivity) == pytest.approx(
        central_moment(2, epsilon, sensitivity), rel=1e-9
    )


def test_variance_approaches_the_continuous_laplace_for_small_epsilon() -> None:
    # 2 * (sensitivity / epsilon)**2 - 1/6 + O(epsilon^2): the relative gap is ~1e-5.
    assert discrete_laplace_variance(0.01, 1) == pytest.approx(2 * 100**2, rel=1e-4)


def test_larger_epsilon_gives_smaller_spread() -> None:
    rng = random.Random(SEED)
    epsilons = [0.25, 0.5, 1.0, 2.0, 4.0]
    n = 3000
    variances = []
    for epsilon in epsilons:
        xs = [sample_discrete_laplace(epsilon, 1, rng) for _ in range(n)]
        observed = sample_variance(xs)
        tolerance = Z * variance_standard_error(epsilon, 1, n)
        assert abs(observed - discrete_laplace_variance(epsilon, 1)) <= tolerance, epsilon
        variances.append(observed)
    assert variances == sorted(variances, reverse=True)
    assert len(set(variances)) == len(variances)


def test_sensitivity_scales_the_spread() -> None:
    rng = random.Random(SEED + 1)
    n = 3000
    deviations = []
    for sensitivity in [1, 2, 4, 8]:
        xs = [sample_discrete_laplace(1.0, sensitivity, rng) for _ in range(n)]
        observed = sample_variance(xs)
        tolerance = Z * variance_standard_error(1.0, sensitivity, n)
        assert abs(observed - discrete_laplace_variance(1.0, sensitivity)) <= tolerance
        deviations.append(math.sqrt(observed))
    assert deviations == sorted(deviations)
    # The spread grows linearly: sd / sensitivity tends to the continuous Laplace's
    # sqrt(2) / epsilon (exactly 1.4133 at sensitivity 8). The empirical sd's relative
    # standard error is sqrt((kurtosis - 1) / n) / 2 = sqrt(5 / 3000) / 2 ≈ 2%, so 10%
    # is about 5 standard errors.
    per_unit = [d / s for d, s in zip(deviations, [1, 2, 4, 8], strict=True)]
    assert per_unit[-1] == pytest.approx(math.sqrt(2), rel=0.1)


def draws(seed: int, count: int = 200) -> list[int]:
    rng = random.Random(seed)
    return [sample_discrete_laplace(0.7, 3, rng) for _ in range(count)]


def test_same_seed_gives_the_same_noise() -> None:
    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


@pytest.mark.parametrize(
    ("epsilon", "sensitivity"),
    [
        (0.0, 1),
        (-1.0, 1),
        (math.nan, 1),
        (math.inf, 1),
        (1e-9, 1),  # rounds to the fraction 0
        (True, 1),
        ("1", 1),
        (1.0, 0),
        (1.0, -2),
        (1.0, 1.5),
        (1.0, 2.0),
        (1.0, True),
    ],
)
def test_invalid_arguments_raise_value_error(epsilon: object, sensitivity: object) -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError):
        sample_discrete_laplace(epsilon, sensitivity, rng)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        discrete_laplace_variance(epsilon, sensitivity)  # type: ignore[arg-type]


def test_output_is_always_a_plain_int() -> None:
    rng = random.Random(SEED)
    draws = [sample_discrete_laplace(e, s, rng) for e, s in SETTINGS * 200]
    draws.append(sample_discrete_laplace(1, 1, rng))  # int epsilon
    draws.extend(sample_discrete_laplace(1.0, 1) for _ in range(50))  # SystemRandom default
    assert all(type(x) is int for x in draws)
    assert any(x < 0 for x in draws) and any(x > 0 for x in draws)


def test_epsilon_is_the_closest_fraction_with_denominator_at_most_a_million() -> None:
    assert epsilon_fraction(0.1) == Fraction(1, 10)
    assert epsilon_fraction(0.7) == Fraction(7, 10)
    assert epsilon_fraction(math.pi).denominator <= 10**6
    assert abs(float(epsilon_fraction(math.pi)) - math.pi) <= 5e-7


@pytest.mark.parametrize(
    ("total", "parts"), [(1.0, 1), (1.0, 3), (0.3, 3), (0.7, 10), (2.0, 7), (0.9, 7), (0.23, 3)]
)
def test_split_epsilon_is_equal_and_never_overspends(total: float, parts: int) -> None:
    shares = split_epsilon(total, parts)
    assert len(shares) == parts
    assert len(set(shares)) == 1
    assert math.fsum(shares) <= total
    assert math.fsum(shares) == pytest.approx(total, rel=1e-12)


def test_split_epsilon_corrects_rounding_up() -> None:
    # 0.9 / 7 rounds up: seven copies of the naive share add to more than 0.9.
    assert math.fsum([0.9 / 7] * 7) > 0.9
    assert math.fsum(split_epsilon(0.9, 7)) <= 0.9


@pytest.mark.parametrize(
    ("total", "parts"), [(0.0, 2), (-1.0, 2), (math.inf, 2), (1.0, 0), (1.0, 1.5)]
)
def test_split_epsilon_rejects_invalid_arguments(total: float, parts: int) -> None:
    with pytest.raises(ValueError):
        split_epsilon(total, parts)

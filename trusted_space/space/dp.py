"""Integer differential-privacy noise for aggregate cells released under encryption.

The space adds noise to an aggregate cell (a count, or a fixed-point sum from
:mod:`trusted_space.core.encoding`) while the cell is still a Paillier ciphertext.
Paillier only adds integers, so the noise must be an integer: that is why the
mechanism is the *discrete* Laplace distribution,

    P(k) = (1 - a) / (1 + a) * a**|k|,   a = exp(-epsilon / sensitivity),  k in Z,

rather than a rounded continuous Laplace.

Guarantee. Adding one independent sample to each released integer makes that
release epsilon-differentially private for a query whose L1 sensitivity is
``sensitivity``: changing one person's data moves the (vector of) true values
by at most ``sensitivity`` in L1 norm. For a fixed-point sum, ``sensitivity``
is in encoded units, i.e. the clipping bound times ``10**decimals``.

Caveat: the sampler cannot make the sensitivity true. The caller must bound
each person's contribution (one row per person for a count, values clipped to
a known range for a sum) before aggregating; if a person can contribute more
than ``sensitivity``, the stated epsilon is not what the release delivers.
Releasing several cells or queries about the same people spends epsilon once
per release (basic composition, see :func:`split_epsilon`).

The sampler is exact: it follows Canonne, Kamath and Steinke, "The Discrete
Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2, which
use only integer random draws and rational arithmetic. Inverting a
floating-point Laplace CDF instead leaves gaps and biases in the low-order bits
that can leak the true value (Mironov, CCS 2012); an exact sampler has no such
side channel beyond its running time.

To stay in rational arithmetic, epsilon is used as
``Fraction(epsilon).limit_denominator(10**6)`` (see :func:`epsilon_fraction`):
the closest fraction with denominator at most 10**6, so it differs from the
float by at most 5e-7 (0.1 becomes exactly 1/10). The guarantee holds for that
fraction; record it, not the float, if the accounting must be exact.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

__all__ = [
    "discrete_laplace_variance",
    "epsilon_fraction",
    "sample_discrete_laplace",
    "split_epsilon",
]

EPSILON_MAX_DENOMINATOR = 10**6


def epsilon_fraction(epsilon: float) -> Fraction:
    """Return the rational epsilon the sampler actually uses.

    Raises ValueError unless epsilon is finite and positive, and also when it is
    so small (below about 5e-7) that the closest allowed fraction is zero: a silent
    zero would mean infinite noise, a rounded-up one a weaker guarantee.
    """
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise ValueError(f"epsilon must be a number, got {epsilon!r}")
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be finite and > 0, got {epsilon!r}")
    fraction = Fraction(epsilon).limit_denominator(EPSILON_MAX_DENOMINATOR)
    if fraction == 0:
        raise ValueError(f"epsilon {epsilon!r} is too small to represent with denominator 10**6")
    return fraction


def _check_sensitivity(sensitivity: int) -> None:
    # bool is an int subclass; True as a sensitivity is a bug, not a 1.
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int):
        raise ValueError(f"sensitivity must be an int, got {sensitivity!r}")
    if sensitivity < 1:
        raise ValueError(f"sensitivity must be >= 1, got {sensitivity!r}")


def _bernoulli_exp_minus(numerator: int, denominator: int, rng: random.Random) -> bool:
    """Draw Bernoulli(exp(-gamma)) exactly, for gamma = numerator / denominator in [0, 1].

    Algorithm 1 of Canonne-Kamath-Steinke for gamma <= 1: draw Bernoulli(gamma/k)
    for k = 1, 2, ... until one fails; the first failure index K is odd with
    probability exp(-gamma). Each Bernoulli(n/d) is ``randrange(d) < n``, so no
    float is involved. The gamma > 1 branch of Algorithm 1 is omitted because
    Algorithm 2 only ever asks for gamma = u/t < 1 and gamma = 1.
    """
    k = 1
    while rng.randrange(denominator * k) < numerator:
        k += 1
    return k % 2 == 1


def _discrete_laplace(s: int, t: int, rng: random.Random) -> int:
    """Draw from the discrete Laplace with scale t/s, i.e. P(k) ∝ exp(-|k| * s / t).

    Algorithm 2 of Canonne-Kamath-Steinke. ``u + t*v`` is geometric with
    parameter exp(-1/t), built from a uniform remainder u (accepted with
    probability exp(-u/t)) and a geometric number v of whole units of t, so the
    cost does not grow with the scale. Dividing by s gives the magnitude; the
    sign is a fair coin, and "negative zero" is rejected so that 0 is not
    counted twice.
    """
    while True:
        u = rng.randrange(t)
        if not _bernoulli_exp_minus(u, t, rng):
            continue
        v = 0
        while _bernoulli_exp_minus(1, 1, rng):
            v += 1
        magnitude = (u + t * v) // s
        negative = rng.getrandbits(1) == 1
        if negative and magnitude == 0:
            continue
        return -magnitude if negative else magnitude


def sample_discrete_laplace(
    epsilon: float, sensitivity: int, rng: random.Random | None = None
) -> int:
    """Draw one integer from P(k) ∝ exp(-epsilon * |k| / sensitivity).

    Adding it to one integer query answer of L1 sensitivity ``sensitivity``
    gives epsilon-DP (for the rational epsilon of :func:`epsilon_fraction`).
    ``rng`` defaults to a fresh ``random.SystemRandom()`` because noise that an
    observer can predict protects nothing; pass a seeded ``random.Random`` only
    in tests, for reproducibility. Raises ValueError on a non-positive or
    non-finite epsilon or a sensitivity that is not an int >= 1.
    """
    eps = epsilon_fraction(epsilon)
    _check_sensitivity(sensitivity)
    if rng is None:
        rng = random.SystemRandom()
    # Scale sensitivity / epsilon = sensitivity * q / p for epsilon = p / q.
    return _discrete_laplace(eps.numerator, sensitivity * eps.denominator, rng)


def discrete_laplace_variance(epsilon: float, sensitivity: int) -> float:
    """Return the exact variance 2a / (1 - a)**2, a = exp(-epsilon / sensitivity).

    Uses the same rational epsilon as the sampler, so it is the variance of what
    :func:`sample_discrete_laplace` draws; callers use it to report the noise a
    released cell carries. It approaches the continuous Laplace's
    2 * (sensitivity / epsilon)**2 as epsilon / sensitivity becomes small.
    """
    eps = epsilon_fraction(epsilon)
    _check_sensitivity(sensitivity)
    ratio = float(eps) / sensitivity
    a = math.exp(-ratio)
    # 1 - a cancels badly when the ratio is tiny; expm1 keeps it accurate.
    return 2.0 * a / math.expm1(-ratio) ** 2


def split_epsilon(total: float, parts: int) -> list[float]:
    """Split a privacy budget equally over ``parts`` releases.

    Basic (sequential) composition: releases that are eps_1-, ..., eps_n-DP about
    the same people are together (eps_1 + ... + eps_n)-DP, so each of n
    releases gets total / n. The share is nudged down by one float step when
    rounding would make the shares add up to more than ``total``, so a budget
    is never overspent by rounding. (Each share is then rationalised by the
    sampler; see :func:`epsilon_fraction`.) Raises ValueError unless total is
    finite and positive and parts is an int >= 1.
    """
    if isinstance(total, bool) or not isinstance(total, int | float):
        raise ValueError(f"total must be a number, got {total!r}")
    if not math.isfinite(total) or total <= 0:
        raise ValueError(f"total must be finite and > 0, got {total!r}")
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise ValueError(f"parts must be an int >= 1, got {parts!r}")
    share = total / parts
    while share > 0 and math.fsum([share] * parts) > total:
        share = math.nextafter(share, 0.0)
    return [share] * parts

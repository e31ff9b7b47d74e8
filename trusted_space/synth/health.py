"""Synthetic hospital and CDC records plus an insurer's applicant batch.

Demos and benchmarks need data that looks like what hospitals and the disease
control centre really hold (valid resident ids, diagnoses that follow age and
sex, inpatient stays with costs) without a single real person in it. Real
extracts cannot leave their providers, which is the point of the data space.

Everything is vectorised with numpy and written with Arrow's CSV writer, so a
million people (about six million visits) take some ten seconds. The output
is a pure function of (people, seed, applicants, end_date): no wall clock, no
``hash()``, and every random stream comes from ``PCG64(seed)`` (jumped per
stage, so that, say, the applicant count does not change the hospital files).

Known simplifications: visit rates depend on age at ``end_date``, not at each
visit; nobody dies; visits do not avoid a patient's own inpatient stays; the
chronic registry may predate the six-year window (registration began in 2009).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

Progress = Callable[[str, int, int], None]
Array = NDArray[Any]

EPOCH = date(1970, 1, 1)
WINDOW_YEARS = 6
REGISTRY_START = date(2009, 1, 1)  # China's basic public health service programme
CHUNK_PEOPLE = 200_000  # bounds memory for any N; a constant, so output stays deterministic
DAYS_PER_YEAR = 365.2425

FILES = ("hospital_visits", "cdc_case_reports", "cdc_chronic_registry", "applicants")

# --- resident ids -------------------------------------------------------------
# Real county-level division codes (GB/T 2260) across 26 provinces.
REGION_CODES = (
    "110101", "110105", "110108", "120101", "130102", "140105", "210102", "220102",
    "230103", "310104", "310115", "320102", "320506", "330106", "340104", "350203",
    "360102", "370102", "370202", "410105", "420106", "430104", "440106", "440305",
    "450103", "500103", "510107", "520102", "530102", "610113", "620102", "650102",
)  # fmt: skip
_REGION_DIGITS = np.array([[ord(c) - 48 for c in r] for r in REGION_CODES], np.uint8)
_ID_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), np.int64)
_CHECK_CHARS = np.frombuffer(b"10X98765432", np.uint8)
# Sequence numbers are 2k+1 (men) or 2k+2 (women), k in [0, 499). The population
# draws k below 400 and the insurer's outsiders from 400 up, so an outsider can
# never collide with a resident, whatever the applicant count.
SEQ_POPULATION = (0, 400)
SEQ_OUTSIDERS = (400, 499)

# China's 2020 census shape, 5-year groups from 0 to 89, then 90-95.
_AGE_GROUP_SHARE = np.array(
    [5.5, 6.3, 6.0, 5.2, 5.3, 6.4, 8.5, 7.0, 6.7, 8.2, 8.6, 7.2, 5.2, 5.1, 3.6, 2.2, 1.4, 0.8, 0.3]
)
_AGE_GROUP_LO = np.arange(len(_AGE_GROUP_SHARE)) * 5.0
_AGE_GROUP_WIDTH = np.where(_AGE_GROUP_LO == 90, 6.0, 5.0)

# --- age bands shared by every table ------------------------------------------
# [0,1) [1,5) [5,18) [18,30) [30,45) [45,60) [60,75) [75,+)
BAND_EDGES = np.array([0, 1, 5, 18, 30, 45, 60, 75])
N_BANDS = len(BAND_EDGES)
PREGNANCY_BANDS = (3, 4)  # women aged 18 to 44

# --- hospitals ------------------------------------------------------------------
HOSPITALS = (
    "H110101001", "H110108001", "H310104001", "H310115001", "H440305001",
    "H440106001", "H510107001", "H330106001", "H420106001", "H320102001",
)  # fmt: skip
_HOSPITAL_SIZE = np.array([1.2, 1.0, 1.3, 1.1, 0.9, 1.0, 1.0, 0.8, 0.9, 0.8])
HOME_HOSPITAL_SHARE = 0.75


def _region_hospital_p() -> Array:
    """People mostly use hospitals in their own province, when there is one."""
    overall = _HOSPITAL_SIZE / _HOSPITAL_SIZE.sum()
    rows = []
    for region in REGION_CODES:
        local = np.array([h[1:3] == region[:2] for h in HOSPITALS]) * _HOSPITAL_SIZE
        rows.append(0.8 * local / local.sum() + 0.2 * overall if local.any() else overall)
    return np.array(rows)


_REGION_HOSPITAL_P = _region_hospital_p()
_REGION_HAS_HOSPITAL = np.array([any(h[1:3] == r[:2] for h in HOSPITALS) for r in REGION_CODES])
# Catchment regions are over-represented: these are the hospitals' own cities.
_REGION_P = (
    np.where(_REGION_HAS_HOSPITAL, 3.0, 1.0) / np.where(_REGION_HAS_HOSPITAL, 3.0, 1.0).sum()
)
# Share of people whose care is in these hospitals at all (others go elsewhere).
_COVERED_P = np.where(_REGION_HAS_HOSPITAL, 0.82, 0.62)

# --- chronic conditions -----------------------------------------------------------
CONDITIONS = (
    "hypertension",
    "diabetes",
    "copd",
    "chronic_kidney_disease",
    "cancer",
    "tuberculosis",
)
# Prevalence by age band (see BAND_EDGES); the true state that drives diagnoses.
_PREVALENCE = np.array(
    [
        [0, 0, 0, 0.002, 0.02, 0.08, 0.20, 0.32],
        [0, 0, 0.0005, 0.001, 0.008, 0.04, 0.09, 0.13],
        [0, 0, 0, 0, 0.002, 0.01, 0.035, 0.08],
        [0, 0, 0.0003, 0.0005, 0.003, 0.008, 0.018, 0.035],
        [0.0002, 0.0002, 0.0003, 0.0008, 0.003, 0.008, 0.018, 0.03],
        [0, 0, 0.0002, 0.0008, 0.001, 0.0012, 0.0015, 0.002],
    ]
)
# Relative risk for men and women: COPD and TB are markedly male in China.
_PREVALENCE_SEX = np.array([[1.1, 0.9], [1.1, 0.9], [1.5, 0.55], [1, 1], [1.1, 0.9], [1.6, 0.5]])
# The CDC's management registry misses many patients; TB is followed closely.
_REGISTERED_P = np.array([0.55, 0.7, 0.4, 0.4, 0.65, 0.9])
# (code, weight for men, weight for women): one code per patient and condition.
_CONDITION_CODES: tuple[tuple[tuple[str, float, float], ...], ...] = (
    (("I10", 85, 85), ("I11.9", 15, 15)),
    (("E11.9", 75, 75), ("E11.2", 10, 10), ("E14.9", 10, 10), ("E11.6", 5, 5)),
    (("J44.9", 60, 60), ("J44.1", 40, 40)),
    (("N18.3", 40, 40), ("N18.4", 30, 30), ("N18.5", 30, 30)),
    (
        ("C34.9", 30, 20), ("C16.9", 15, 10), ("C22.0", 15, 10), ("C18.9", 12, 12),
        ("C61", 10, 0), ("C15.9", 10, 0), ("C67.9", 8, 0), ("C50.9", 0, 25),
        ("C53.9", 0, 10), ("C73", 0, 13),
    ),
    (("A15.0", 80, 80), ("A16.2", 20, 20)),
)  # fmt: skip
TYPE1_DIABETES = "E10.9"  # diabetes before 30 is mostly type 1
CHRONIC_EXTRA_VISITS = 1.2  # follow-up visits a year per condition
# Share of a patient's visits that are for one of their conditions, by visit type.
_CONDITION_VISIT_P = np.array([0.55, 0.45, 0.15])

# --- visits -------------------------------------------------------------------------
VISIT_TYPES = ("outpatient", "inpatient", "emergency")
OUTPATIENT, INPATIENT, EMERGENCY = 0, 1, 2
_VISIT_RATE = np.array([3.0, 2.0, 0.9, 0.8, 0.9, 1.3, 2.0, 2.8])  # a year, by band
_FRAILTY_SHAPE = 1.5  # gamma heterogeneity: most people rarely visit, a few often
_P_INPATIENT = np.array([0.09, 0.045, 0.028, 0.05, 0.05, 0.062, 0.078, 0.11])
_P_EMERGENCY = np.array([0.12, 0.12, 0.11, 0.10, 0.08, 0.07, 0.06, 0.07])
MAX_STAY = 30

# Diagnoses of visits not about a chronic condition:
# code, (men, women), (outpatient, inpatient, emergency), weight by age band.
_CATALOGUE: tuple[
    tuple[str, tuple[float, float], tuple[float, float, float], tuple[float, ...]], ...
] = (
    ("J06.9", (1, 1), (30, 0, 6), (8, 10, 6, 4, 3, 2, 1.5, 1.5)),
    ("J20.9", (1, 1), (8, 0, 3), (3, 6, 3, 2, 2, 2, 2.5, 3)),
    ("J02.9", (1, 1), (8, 0, 2), (2, 5, 5, 3, 2, 1.5, 1, 1)),
    ("J18.9", (1, 1), (2, 20, 8), (8, 6, 2, 1, 1, 1.5, 3, 6)),
    ("K29.7", (1, 1), (10, 1, 1), (0, 0, 0.5, 2, 3, 3, 3, 2.5)),
    ("K30", (1, 1), (4, 0, 0), (0, 0.2, 1, 2, 2, 2, 1.5, 1)),
    ("K02.9", (1, 1), (4, 0, 0), (0, 1, 3, 2, 2, 2, 2, 1)),
    ("M54.5", (1, 1), (6, 1, 1), (0, 0, 0.3, 2, 3, 3.5, 3, 2.5)),
    ("M17.9", (0.7, 1), (4, 1, 0), (0, 0, 0, 0.1, 0.5, 2.5, 4, 5)),
    ("M51.2", (1, 1), (2, 4, 0), (0, 0, 0, 1, 2, 2.5, 2, 1)),
    ("H52.1", (1, 1), (4, 0, 0), (0, 0.2, 6, 2, 1, 0.3, 0.1, 0.1)),
    ("H25.9", (1, 1), (1, 6, 0), (0, 0, 0, 0, 0.05, 0.5, 3, 5)),
    ("L30.9", (1, 1), (5, 0, 0), (4, 4, 2, 2, 2, 2, 2, 2)),
    ("N39.0", (0.3, 1), (5, 1, 2), (1, 1, 1, 3, 3, 3, 3, 4)),
    ("N40", (1, 0), (4, 2, 0), (0, 0, 0, 0, 0.1, 2, 4, 5)),
    ("E78.5", (1, 1), (4, 0, 0), (0, 0, 0, 0.3, 1.5, 3, 3.5, 3)),
    ("E03.9", (0.25, 1), (2, 0, 0), (0, 0.1, 0.2, 1, 2, 2, 2, 1.5)),
    ("F32.9", (0.7, 1), (2, 0.5, 0), (0, 0, 0.5, 2, 2, 1.5, 1, 1)),
    ("R51", (1, 1), (3, 0, 2), (0, 0.5, 2, 3, 3, 2, 1.5, 1)),
    ("Z00.0", (1, 1), (8, 0, 0), (0, 0, 0, 3, 4, 4, 3, 2)),
    ("Z00.1", (1, 1), (8, 0, 0), (25, 12, 2, 0, 0, 0, 0, 0)),
    ("Z34.9", (0, 1), (6, 0, 0), (0, 0, 0, 3, 2, 0, 0, 0)),
    ("O21.0", (0, 1), (1, 1, 1), (0, 0, 0, 3, 2, 0, 0, 0)),
    ("O26.9", (0, 1), (1, 1, 1), (0, 0, 0, 3, 2, 0, 0, 0)),
    ("O80", (0, 1), (0, 14, 0), (0, 0, 0, 3, 2, 0, 0, 0)),
    ("O82.9", (0, 1), (0, 9, 0), (0, 0, 0, 3, 2, 0, 0, 0)),
    ("P59.9", (1, 1), (1, 4, 1), (6, 0, 0, 0, 0, 0, 0, 0)),
    ("S52.5", (1, 1), (1, 1, 6), (0, 1, 3, 1.5, 1, 1, 1.5, 2.5)),
    ("S06.0", (1.3, 1), (0.5, 1, 4), (2, 3, 3, 2, 1.5, 1, 1, 2)),
    ("S93.4", (1, 1), (1, 0, 5), (0, 0.5, 3, 3, 2, 1.5, 0.7, 0.3)),
    ("T14.0", (1.2, 1), (1, 0, 6), (1, 3, 3, 3, 2.5, 2, 1.5, 1.5)),
    ("S72.0", (0.7, 1), (0, 6, 2), (0, 0, 0, 0, 0, 0.3, 2, 8)),
    ("R10.4", (1, 1), (3, 1, 8), (1, 2, 2, 2.5, 2.5, 2, 2, 2)),
    ("R50.9", (1, 1), (2, 0, 8), (8, 8, 4, 1, 1, 1, 1, 1.5)),
    ("A09", (1, 1), (3, 2, 5), (4, 6, 3, 2, 1.5, 1.5, 1.5, 2)),
    ("K35.8", (1, 1), (0, 6, 3), (0, 0.2, 3, 3, 2, 1, 0.5, 0.3)),
    ("K80.2", (0.8, 1), (0.5, 5, 1), (0, 0, 0, 0.5, 1.5, 2.5, 3, 3)),
    ("N20.0", (1.5, 1), (1, 3, 3), (0, 0, 0.1, 1.5, 2.5, 2.5, 2, 1.5)),
    ("I21.9", (1.8, 1), (0, 5, 3), (0, 0, 0, 0.05, 0.5, 2, 4, 5)),
    ("I63.9", (1.3, 1), (0.5, 8, 3), (0, 0, 0, 0.05, 0.3, 2, 5, 8)),
    ("I50.9", (1, 1), (0.5, 5, 2), (0, 0, 0, 0, 0.1, 0.5, 3, 7)),
    ("I25.1", (1.3, 1), (2, 4, 0.5), (0, 0, 0, 0, 0.2, 2, 4, 5)),
    ("K56.7", (1, 1), (0, 2, 1), (0.5, 0.5, 0.5, 0.5, 1, 1.5, 2, 3)),
    ("T78.4", (1, 1), (1, 0, 3), (1, 2, 3, 3, 2, 1.5, 1, 1)),
)

# Notifiable diseases (China's Law on the Prevention and Control of Infectious
# Diseases, classes A-C): code and weight by age band.
_NOTIFIABLE: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("B08.4", (20, 35, 3, 0, 0, 0, 0, 0)),  # hand, foot and mouth disease
    ("J10.1", (25, 30, 40, 35, 35, 35, 40, 45)),  # influenza
    ("A09", (25, 20, 10, 10, 10, 10, 10, 12)),  # other infectious diarrhoea
    ("B01.9", (2, 8, 25, 2, 1, 0.5, 0.2, 0.1)),  # varicella
    ("A37.9", (15, 6, 2, 0.2, 0.2, 0.2, 0.1, 0.1)),  # pertussis
    ("B05.9", (2, 1, 0.5, 0.2, 0.1, 0, 0, 0)),  # measles
    ("B18.1", (0, 0, 0.3, 10, 18, 18, 14, 8)),  # chronic hepatitis B
    ("B16.9", (0, 0, 0.1, 2, 3, 3, 2, 1)),  # acute hepatitis B
    ("A15.0", (0, 0, 1, 4, 5, 7, 10, 12)),  # pulmonary tuberculosis
    ("A53.9", (0, 0, 0.1, 6, 8, 7, 5, 2)),  # syphilis
    ("A90", (0, 0, 0.5, 1.5, 1.5, 1, 0.5, 0.2)),  # dengue
    ("B24", (0, 0, 0.05, 1, 1, 0.6, 0.3, 0.1)),  # HIV disease
)
CASE_STATUSES = ("confirmed", "probable", "suspected")
_CASE_STATUS_P = np.array([0.82, 0.11, 0.07])
_P_REPORTED = np.array([0.05, 0.07, 0.045, 0.02, 0.018, 0.02, 0.025, 0.03])  # by band
EXTRA_REPORTS = 0.12  # mean further reports of someone reported once

# One list of every code, so a visit's diagnosis is a small integer.
ALL_CODES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c[0] for c in _CATALOGUE]
        + [code for options in _CONDITION_CODES for code, _, _ in options]
        + [TYPE1_DIABETES]
        + [c[0] for c in _NOTIFIABLE]
    )
)
_CODE_INDEX = {code: i for i, code in enumerate(ALL_CODES)}
_IS_CANCER = np.array([code.startswith("C") for code in ALL_CODES])
_STAY_CAP = {"O80": 4, "O82.9": 7, "P59.9": 7}  # deliveries and neonatal jaundice are short


def _catalogue_weights() -> Array:
    """Rows indexed by (visit type, age band, sex), one column per catalogue code."""
    w = np.zeros((len(VISIT_TYPES), N_BANDS, 2, len(_CATALOGUE)))
    for j, (_, by_sex, by_type, by_band) in enumerate(_CATALOGUE):
        if len(by_band) != N_BANDS:
            raise AssertionError(f"{_CATALOGUE[j][0]}: {len(by_band)} band weights")
        w[..., j] = np.multiply.outer(np.outer(by_type, by_band), by_sex)
    rows = w.reshape(-1, len(_CATALOGUE))
    if not (rows.sum(axis=1) > 0).all():
        raise AssertionError("a (visit type, age band, sex) has no possible diagnosis")
    return rows


_CATALOGUE_W = _catalogue_weights()
_CATALOGUE_CODES = np.array([_CODE_INDEX[c[0]] for c in _CATALOGUE], np.int16)
_NOTIFIABLE_W = np.array([weights for _, weights in _NOTIFIABLE]).T
_NOTIFIABLE_CODES = np.array([_CODE_INDEX[c] for c, _ in _NOTIFIABLE], np.int16)
_STAY_CAP_BY_CODE = np.array([_STAY_CAP.get(code, MAX_STAY) for code in ALL_CODES])

# --- applicants ------------------------------------------------------------------------
OUTSIDER_SHARE = 0.05
INVALID_SHARE = 0.01
REFORMATTED_SHARE = 0.02
_IMPOSSIBLE_MMDD = ("0230", "1301", "0431", "0000", "0631")

_WRITE_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=1 << 16)


@dataclass(frozen=True)
class HealthSynthSummary:
    """What was written, so callers (and the CLI) can report without re-reading.

    ``applicant_mix`` is the ground truth of the insurer's batch: how many
    applicants are residents (``in_population``, of which ``with_records`` have
    at least one hospital or CDC row), valid ids of people who are not
    residents (``outsiders``), invalid ids (``invalid``) and valid ids written
    with a lower-case x or spaces (``reformatted``).
    """

    out_dir: Path
    people: int
    seed: int
    end_date: date
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    applicant_mix: dict[str, int] = field(default_factory=dict)


@dataclass
class _People:
    """Columns of one person per row; ``chars`` holds the 18 id bytes."""

    birth: Array  # days since 1970-01-01
    male: Array
    region: Array
    chars: Array


@dataclass
class _Health:
    """The person-level state that the hospital and CDC records share."""

    band_at_end: Array
    conditions: Array  # n x len(CONDITIONS) bool
    condition_code: Array  # n x len(CONDITIONS) index into ALL_CODES, -1 if absent
    covered: Array
    frailty: Array
    home_hospital: Array


# --- small vectorised helpers -------------------------------------------------------
def _day(d: date) -> int:
    return (d - EPOCH).days


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _ymd(days: Array) -> tuple[Array, Array, Array]:
    d64 = days.astype("datetime64[D]")
    years = d64.astype("datetime64[Y]")
    months = d64.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    dd = (d64 - months).astype(np.int64) + 1
    return y, m, dd


def _age_years(birth: Array, on: Array) -> Array:
    """Completed years of age on a day, as a birthday counts them."""
    by, bm, bd = _ymd(birth)
    y, m, d = _ymd(on)
    return y - by - ((m * 100 + d) < (bm * 100 + bd))


def _band(age: Array) -> Array:
    return np.searchsorted(BAND_EDGES, age, side="right") - 1


def _digits(values: Array, width: int) -> Array:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values.astype(np.int64)[:, None] // powers) % 10).astype(np.uint8)


def _check_chars(first17: Array) -> Array:
    """GB 11643 check characters (ASCII) for rows of 17 digit values."""
    return _CHECK_CHARS[(first17.astype(np.int64) @ _ID_WEIGHTS) % 11]


def _strings(chars: Array) -> pa.Array:
    """Fixed-width ASCII rows as an Arrow string array, without Python objects."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _numbered(prefix: str, numbers: Array, width: int) -> pa.Array:
    head = np.frombuffer(prefix.encode("ascii"), np.uint8)
    chars = np.empty((len(numbers), len(head) + width), np.uint8)
    chars[:, : len(head)] = head
    chars[:, len(head) :] = _digits(numbers, width) + 48
    return _strings(chars)


def _labels(values: Sequence[str], index: Array) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(index.astype(np.int32)))


def _dates(days: Array, missing: Array | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32(), mask=missing)


def _yuan(cents: Array) -> pa.Array:
    """Cents as DECIMAL(18,2), which Arrow writes with exactly two decimals."""
    raw = np.zeros((len(cents), 2), np.int64)  # little-endian 128-bit, non-negative
    raw[:, 0] = cents
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(raw)])


def _sample_rows(rng: np.random.Generator, weights: Array, row: Array) -> Array:
    """One column index per element, drawn from ``weights[row[i]]``.

    Each row's CDF is shifted by its row number so that one searchsorted over
    the flattened table serves every row at once.
    """
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    ncols = weights.shape[1]
    flat = (cdf + np.arange(len(weights))[:, None]).ravel()
    u = rng.random(len(row)) * (1 - 1e-12)
    picked = np.searchsorted(flat, row + u, side="right") - row * ncols
    return np.minimum(picked, ncols - 1)


def _uniform_day(rng: np.random.Generator, lo: Array, hi: Array) -> Array:
    """A day in [lo, hi] for each pair."""
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


# --- people --------------------------------------------------------------------
def _draw_people(
    rng: np.random.Generator, n: int, end_day: int, seq_range: tuple[int, int]
) -> _People:
    """People with realistic ages and unique, valid resident ids.

    Ids are made unique by construction: within each (region, birth date, sex)
    group, members take consecutive sequence slots from a random start.
    """
    group = rng.choice(len(_AGE_GROUP_SHARE), size=n, p=_AGE_GROUP_SHARE / _AGE_GROUP_SHARE.sum())
    years = _AGE_GROUP_LO[group] + rng.random(n) * _AGE_GROUP_WIDTH[group]
    birth = end_day - np.floor(years * DAYS_PER_YEAR).astype(np.int64)
    # More women survive to old age.
    p_male = np.where(years < 60, 0.512, np.where(years < 80, 0.49, 0.42))
    male = rng.random(n) < p_male
    region = rng.choice(len(REGION_CODES), size=n, p=_REGION_P)

    lo, hi = seq_range
    capacity = hi - lo
    key = (region.astype(np.int64) * 2 + male) * 100_000 + (birth - end_day + 99_999)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.ones(n, bool)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    starts = np.flatnonzero(first)
    group_of = np.cumsum(first) - 1
    rank = np.arange(n) - starts[group_of]
    if n and int(rank.max()) >= capacity:
        raise ValueError(f"{n} people do not fit the id space of {len(REGION_CODES)} regions")
    slot = np.empty(n, np.int64)
    slot[order] = lo + (rng.integers(0, capacity, size=len(starts))[group_of] + rank) % capacity
    sequence = 2 * slot + np.where(male, 1, 2)

    y, m, d = _ymd(birth)
    chars = np.empty((n, 18), np.uint8)
    chars[:, 0:6] = _REGION_DIGITS[region]
    chars[:, 6:10] = _digits(y, 4)
    chars[:, 10:12] = _digits(m, 2)
    chars[:, 12:14] = _digits(d, 2)
    chars[:, 14:17] = _digits(sequence, 3)
    check = _check_chars(chars[:, :17])
    chars[:, :17] += 48
    chars[:, 17] = check
    return _People(birth=birth, male=male, region=region, chars=chars)


def _draw_health(rng: np.random.Generator, people: _People, end_day: int) -> _Health:
    n = len(people.birth)
    age = _age_years(people.birth, np.full(n, end_day))
    band = _band(age)
    sex = np.where(people.male, 0, 1)
    p = _PREVALENCE[:, band].T * _PREVALENCE_SEX[:, sex].T
    # Diabetes and hypertension travel together; diabetes damages kidneys.
    conditions = np.zeros((n, len(CONDITIONS)), bool)
    for c in range(len(CONDITIONS)):
        risk = p[:, c]
        if CONDITIONS[c] == "diabetes":
            risk = risk * np.where(conditions[:, 0], 1.8, 0.8)
        elif CONDITIONS[c] == "chronic_kidney_disease":
            risk = risk * np.where(conditions[:, 1], 2.5, 0.9)
        conditions[:, c] = rng.random(n) < risk

    condition_code = np.full((n, len(CONDITIONS)), -1, np.int16)
    for c, options in enumerate(_CONDITION_CODES):
        who = np.flatnonzero(conditions[:, c])
        weights = np.array([[m_w for _, m_w, _ in options], [f_w for _, _, f_w in options]])
        pick = _sample_rows(rng, weights, sex[who])
        codes = np.array([_CODE_INDEX[code] for code, _, _ in options], np.int16)[pick]
        if CONDITIONS[c] == "diabetes":
            codes = np.where(age[who] < 30, _CODE_INDEX[TYPE1_DIABETES], codes)
        condition_code[who, c] = codes

    covered = rng.random(n) < _COVERED_P[people.region]
    frailty = rng.gamma(_FRAILTY_SHAPE, 1 / _FRAILTY_SHAPE, size=n)
    home = _sample_rows(rng, _REGION_HOSPITAL_P, people.region)
    return _Health(
        band_at_end=band,
        conditions=conditions,
        condition_code=condition_code,
        covered=covered,
        frailty=frailty,
        home_hospital=home,
    )


# --- hospital visits -------------------------------------------------------------
def _visits(
    rng: np.random.Generator,
    people: _People,
    health: _Health,
    chunk: slice,
    window: tuple[int, int],
    first_visit: int,
) -> tuple[pa.Table, Array]:
    """Visits of the people in ``chunk``, and how many each person had."""
    start_day, end_day = window
    idx = np.arange(chunk.start, chunk.stop)
    conditions = health.conditions[idx]
    first_day = np.maximum(people.birth[idx], start_day)
    exposure = (end_day - first_day + 1) / DAYS_PER_YEAR
    rate = _VISIT_RATE[health.band_at_end[idx]] + CHRONIC_EXTRA_VISITS * conditions.sum(axis=1)
    lam = np.where(health.covered[idx], rate * health.frailty[idx] * exposure, 0.0)
    counts = rng.poisson(lam)

    local = np.repeat(np.arange(len(idx)), counts)
    m = len(local)
    day = _uniform_day(rng, first_day[local], np.full(m, end_day))
    order = np.lexsort((day, local))
    local, day = local[order], day[order]
    person = idx[local]

    band = _band(_age_years(people.birth[person], day))
    sex = np.where(people.male[person], 0, 1)
    own = conditions[local]
    n_own = own.sum(axis=1)
    # The old, the chronically ill and above all cancer patients are admitted more.
    p_inpatient = _P_INPATIENT[band] * (1 + 0.2 * n_own) * np.where(own[:, 4], 2.5, 1.0)
    p_inpatient = np.minimum(p_inpatient, 0.6)
    u = rng.random(m)
    kind = np.where(
        u < p_inpatient,
        INPATIENT,
        np.where(u < p_inpatient + _P_EMERGENCY[band], EMERGENCY, OUTPATIENT),
    )

    code = _CATALOGUE_CODES[_sample_rows(rng, _CATALOGUE_W, (kind * N_BANDS + band) * 2 + sex)]
    about_condition = np.flatnonzero((n_own > 0) & (rng.random(m) < _CONDITION_VISIT_P[kind]))
    if about_condition.size:
        mask = own[about_condition]
        which = ((rng.random(mask.shape) + 1e-3) * mask).argmax(axis=1)
        code[about_condition] = health.condition_code[person[about_condition], which]

    inpatient = kind == INPATIENT
    stay = np.rint(rng.lognormal(np.log(4.5) + 0.1 * band, 0.6)).astype(np.int64)
    stay = np.clip(stay, 1, np.minimum(MAX_STAY, _STAY_CAP_BY_CODE[code]))
    discharge = day + stay
    still_in = inpatient & (discharge > end_day)  # cannot be discharged after the extract

    charged_days = np.where(still_in, end_day - day + 1, stay)
    yuan = np.select(
        [kind == OUTPATIENT, kind == EMERGENCY],
        [rng.lognormal(np.log(380), 0.45, m), rng.lognormal(np.log(1700), 0.4, m)],
        (4000 + 1600 * charged_days)
        * rng.lognormal(0, 0.3, m)
        * np.where(_IS_CANCER[code], 1.5, 1),
    )
    cents = np.maximum(np.rint(yuan * 100).astype(np.int64), 100)

    elsewhere = rng.random(m) >= HOME_HOSPITAL_SHARE
    hospital = health.home_hospital[person]
    hospital[elsewhere] = _sample_rows(
        rng, _HOSPITAL_SIZE[None, :], np.zeros(int(elsewhere.sum()), np.int64)
    )

    table = pa.table(
        {
            "person_id": _strings(people.chars[person]),
            "visit_id": _numbered("V", first_visit + np.arange(m), 10),
            "hospital_id": _labels(HOSPITALS, hospital),
            "visit_date": _dates(day),
            "visit_type": _labels(VISIT_TYPES, kind),
            "discharge_date": _dates(discharge, ~inpatient | still_in),
            "icd10": _labels(ALL_CODES, code),
            "total_cost": _yuan(cents),
        }
    )
    return table, counts


# --- CDC ------------------------------------------------------------------------------
def _case_reports(
    rng: np.random.Generator, people: _People, health: _Health, window: tuple[int, int]
) -> tuple[pa.Table, Array]:
    """Notifiable-disease reports; every tuberculosis patient has been reported."""
    start_day, end_day = window
    n = len(people.birth)
    reported = rng.random(n) < _P_REPORTED[health.band_at_end]
    n_reports = np.where(reported, 1 + rng.poisson(EXTRA_REPORTS, n), 0)
    person = np.repeat(np.arange(n), n_reports)
    day = _uniform_day(
        rng, np.maximum(people.birth[person], start_day), np.full(len(person), end_day)
    )
    band = _band(_age_years(people.birth[person], day))
    disease = _NOTIFIABLE_CODES[_sample_rows(rng, _NOTIFIABLE_W, band)]
    status = _sample_rows(rng, _CASE_STATUS_P[None, :], np.zeros(len(person), np.int64))

    tb = CONDITIONS.index("tuberculosis")
    tb_person = np.flatnonzero(health.conditions[:, tb])
    tb_day = _uniform_day(
        rng, np.maximum(people.birth[tb_person], start_day), np.full(len(tb_person), end_day)
    )
    person = np.concatenate([person, tb_person])
    day = np.concatenate([day, tb_day])
    disease = np.concatenate([disease, health.condition_code[tb_person, tb]])
    status = np.concatenate([status, np.zeros(len(tb_person), np.int64)])

    # Report ids are issued in date order, as a surveillance system would.
    order = np.lexsort((person, day))
    person, day, disease, status = person[order], day[order], disease[order], status[order]
    table = pa.table(
        {
            "person_id": _strings(people.chars[person]),
            "report_id": _numbered("CR", np.arange(1, len(person) + 1), 10),
            "report_date": _dates(day),
            "disease_icd10": _labels(ALL_CODES, disease),
            "case_status": _labels(CASE_STATUSES, status),
        }
    )
    return table, person


def _chronic_registry(
    rng: np.random.Generator, people: _People, health: _Health, end_day: int
) -> tuple[pa.Table, Array]:
    """At most one registration per person and condition, some time after onset."""
    registered = health.conditions & (rng.random(health.conditions.shape) < _REGISTERED_P)
    person, condition = np.nonzero(registered)
    birth = people.birth[person]
    onset = birth + np.floor(rng.uniform(0.6, 1.0, len(person)) * (end_day - birth))
    first = np.minimum(np.maximum(onset.astype(np.int64), _day(REGISTRY_START)), end_day)
    day = _uniform_day(rng, first, np.full(len(person), end_day))
    order = np.lexsort((condition, person, day))
    person, condition, day = person[order], condition[order], day[order]
    table = pa.table(
        {
            "person_id": _strings(people.chars[person]),
            "condition": _labels(CONDITIONS, condition),
            "registered_date": _dates(day),
        }
    )
    return table, person


# --- the insurer's batch ---------------------------------------------------------------
def _applicant_counts(count: int) -> tuple[int, int, int]:
    """(residents, outsiders, invalid) for a batch of ``count``."""
    invalid = max(round(count * INVALID_SHARE), 1 if count >= 50 else 0)
    outsiders = round(count * OUTSIDER_SHARE)
    return count - invalid - outsiders, outsiders, invalid


def _invalidate(rng: np.random.Generator, chars: Array, kind: int) -> str:
    """One id made invalid in exactly one way: check character, date or length."""
    row = chars.copy()
    if kind == 0:
        alphabet = b"0123456789X"
        here = alphabet.index(bytes(row[17:18]))
        row[17] = alphabet[(here + int(rng.integers(1, 11))) % 11]
    elif kind == 1:
        mmdd = _IMPOSSIBLE_MMDD[int(rng.integers(len(_IMPOSSIBLE_MMDD)))]
        row[10:14] = np.frombuffer(mmdd.encode("ascii"), np.uint8)
        row[17] = _check_chars(row[None, :17] - 48)[0]
    else:
        cut = int(rng.integers(0, 18))
        if rng.random() < 0.5:
            row = np.delete(row, cut)
        else:
            row = np.insert(row, cut, 48 + int(rng.integers(0, 10)))
    return row.tobytes().decode("ascii")


def _applicants(
    rng: np.random.Generator,
    people: _People,
    has_records: Array,
    count: int,
    end_day: int,
) -> tuple[pa.Table, dict[str, int]]:
    n_resident, n_outsider, n_invalid = _applicant_counts(count)
    if n_resident > len(people.birth):
        raise ValueError(
            f"{count} applicants need {n_resident} residents but there are only "
            f"{len(people.birth)} people"
        )
    picks = rng.choice(len(people.birth), size=n_resident, replace=False)
    others = _draw_people(rng, n_outsider + n_invalid, end_day, SEQ_OUTSIDERS)
    x = ord("X")
    if count >= 200 and not (
        (people.chars[picks, 17] == x).any() or (others.chars[:n_outsider, 17] == x).any()
    ):
        # Force a resident with an X check character in, so the batch exercises it.
        with_x = np.setdiff1d(np.flatnonzero(people.chars[:, 17] == x), picks)
        if with_x.size and n_resident:
            picks[0] = with_x[int(rng.integers(len(with_x)))]
    valid = np.concatenate([people.chars[picks], others.chars[:n_outsider]])
    written: list[str] = _strings(valid).to_pylist()

    n_reformatted = round(len(valid) * REFORMATTED_SHARE)
    reformat = rng.choice(len(valid), size=n_reformatted, replace=False)
    ends_x = valid[:, 17] == x
    if count >= 200 and n_reformatted and not ends_x[reformat].any() and ends_x.any():
        reformat[0] = np.flatnonzero(ends_x)[0]
    for i in reformat.tolist():
        if ends_x[i]:
            written[i] = written[i][:17] + "x"
        else:
            pad = int(rng.integers(3))
            written[i] = (" " + written[i], written[i] + " ", "  " + written[i] + " ")[pad]
    written += [_invalidate(rng, others.chars[n_outsider + i], i % 3) for i in range(n_invalid)]

    order = rng.permutation(count)
    ids = pa.array([written[i] for i in order.tolist()], pa.string())
    width = max(6, len(str(count)))
    table = pa.table(
        {"applicant_ref": _numbered("APP", np.arange(1, count + 1), width), "person_id": ids}
    )
    mix = {
        "in_population": n_resident,
        "with_records": int(has_records[picks].sum()),
        "outsiders": n_outsider,
        "invalid": n_invalid,
        "reformatted": n_reformatted,
    }
    return table, mix


# --- writing ------------------------------------------------------------------------
class _CsvFile:
    """A CSV written under a temporary name and renamed when complete, so a
    reader never sees half a file."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.writer = pacsv.CSVWriter(str(self.tmp), schema, write_options=_WRITE_OPTIONS)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self.writer.close()
        os.replace(self.tmp, self.path)


def _write(path: Path, table: pa.Table) -> int:
    out = _CsvFile(path, table.schema)
    out.write(table)
    out.close()
    return out.rows


def _streams(seed: int) -> tuple[np.random.Generator, ...]:
    """Independent generators for people, visits, CDC and applicants.

    Separate streams keep one stage's draws from shifting another's: the
    applicant count, say, leaves the hospital files unchanged.
    """
    base = np.random.PCG64(seed)
    return tuple(np.random.Generator(base.jumped(i)) for i in range(4))


def _population(rng: np.random.Generator, people: int, end_day: int) -> tuple[_People, _Health]:
    population = _draw_people(rng, people, end_day, SEQ_POPULATION)
    return population, _draw_health(rng, population, end_day)


def resident_ids(people: int, seed: int, end_date: date = date(2026, 10, 31)) -> pa.Array:
    """``people`` distinct, valid synthetic resident ids (an Arrow string
    array, no Python objects): the population ``generate_health`` draws."""
    population = _draw_people(_streams(seed)[0], people, _day(end_date), SEQ_POPULATION)
    return _strings(population.chars)


def generate_health(
    people: int,
    seed: int,
    out_dir: Path,
    *,
    applicants: int | None = None,
    end_date: date = date(2026, 10, 31),
    progress: Progress | None = None,
) -> HealthSynthSummary:
    """Write hospital visits, CDC reports and registry, and an applicant batch.

    ``applicants`` defaults to min(1000, people). Records cover the six years
    up to and including ``end_date``. Ids are only valid to a validator whose
    clock is at or after ``end_date`` (a birth date may not lie in the future).
    """
    if people < 1:
        raise ValueError("people must be at least 1")
    count = min(1000, people) if applicants is None else applicants
    if count < 0:
        raise ValueError("applicants must not be negative")
    if _applicant_counts(count)[0] > people:
        raise ValueError(f"{count} applicants are too many for {people} people")
    report = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end_day = _day(end_date)
    window = (_day(_years_before(end_date, WINDOW_YEARS) + timedelta(days=1)), end_day)

    rng_people, rng_visits, rng_cdc, rng_applicants = _streams(seed)
    report("people", 0, people)
    population, health = _population(rng_people, people, end_day)
    report("people", people, people)

    paths = {name: out_dir / f"{name}.csv" for name in FILES}
    rows: dict[str, int] = {}
    has_records = np.zeros(people, bool)
    visits_file: _CsvFile | None = None
    next_visit = 1
    try:
        for start in range(0, people, CHUNK_PEOPLE):
            chunk = slice(start, min(start + CHUNK_PEOPLE, people))
            table, counts = _visits(rng_visits, population, health, chunk, window, next_visit)
            if visits_file is None:
                visits_file = _CsvFile(paths["hospital_visits"], table.schema)
            visits_file.write(table)
            next_visit += table.num_rows
            has_records[chunk] = counts > 0
            report("hospital_visits", chunk.stop, people)
        assert visits_file is not None
        visits_file.close()
    except BaseException:
        if visits_file is not None:
            visits_file.writer.close()
            visits_file.tmp.unlink(missing_ok=True)
        raise
    rows["hospital_visits"] = visits_file.rows

    report("cdc", 0, 2)
    reports, reported = _case_reports(rng_cdc, population, health, window)
    rows["cdc_case_reports"] = _write(paths["cdc_case_reports"], reports)
    report("cdc", 1, 2)
    registry, registered = _chronic_registry(rng_cdc, population, health, end_day)
    rows["cdc_chronic_registry"] = _write(paths["cdc_chronic_registry"], registry)
    has_records[reported] = True
    has_records[registered] = True
    report("cdc", 2, 2)

    report("applicants", 0, count)
    batch, mix = _applicants(rng_applicants, population, has_records, count, end_day)
    rows["applicants"] = _write(paths["applicants"], batch)
    report("applicants", count, count)

    return HealthSynthSummary(
        out_dir=out_dir,
        people=people,
        seed=seed,
        end_date=end_date,
        rows=rows,
        paths=paths,
        applicant_mix=mix,
    )

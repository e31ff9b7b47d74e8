"""A cohort query: which two cohorts, which measures, how grouped.

Cohorts and measures are declared by the product, not free SQL::

    hospital: {cohort: inpatients, from: 2026-01-01, to: 2026-06-30}
    cdc: {cohort: chronic_registry, condition: diabetes}
    measures: [count, sum_cost, sum_inpatient_days]
    group_by: [sex]          # also age_band, hospital_id, month
    min_count: 0             # cells under it are suppressed
    dp: {epsilon: 1.0}       # absent: no noise

Hospital cohorts: ``inpatients`` (people with an inpatient visit dated in
[from, to]) and ``icd10_visits`` (people with a visit dated in [from, to]
whose ICD-10 category is in ``codes``, e.g. "E10-E14"). CDC cohorts:
``chronic_registry`` (people with a registry row of ``condition``) and
``confirmed_reports`` (people with a confirmed report of a disease in
``codes`` dated in [from, to]). The cell is the intersection of both.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from products.base import JoinLayout
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import OnlyInEnglish, Text, t

MEASURES = ("count", "sum_cost", "sum_inpatient_days", "count_reports")
DIMENSIONS = ("sex", "age_band", "hospital_id", "month")
PERSON_DIMENSIONS = ("sex", "age_band")  # derived from the resident id: both sides know them
# The two provider roles, joined in this order; the CDC sends vectors only
# when a measure is its own (count_reports).
HOSPITAL, CDC = "hospital", "cdc"
CDC_MEASURES = ("count_reports",)
# Bounds on one person's contribution to one cell, in encoded units, so that
# differential privacy's sensitivity is true: 100,000 yuan (in fen), a year of
# inpatient days, 20 reports. Applied by the providers when the query asks for DP.
CLIP = {"count": 1, "sum_cost": 10_000_000, "sum_inpatient_days": 366, "count_reports": 20}
SEXES = ("F", "M")
AGE_BANDS = (*(f"{10 * i}-{10 * i + 9}" for i in range(10)), "100+")
# Bounds on a query's shape (issue 22, item 7), checked before any provider
# works (the space's admission parses the query with this model): every
# person costs each provider one encryption per plaintext of cells x values,
# and a query from 1900 to 2099 by month, sex and age band asked for 12,185
# per person. Ten years by month, and 10,000 cells: sex x age band x 120
# months is 2,640; the hospitals' ids, declared only when the hospital
# computes, count when the layout is built (products/cohort/layout.py).
MAX_MONTHS = 120
MAX_CELLS = 10_000
_RANGE = re.compile(r"[A-Z][0-9]{2}(-[A-Z][0-9]{2})?(,[A-Z][0-9]{2}(-[A-Z][0-9]{2})?)*")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HospitalCohort(Strict):
    cohort: Literal["inpatients", "icd10_visits"]
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    codes: str | None = None

    @model_validator(mode="after")
    def _check(self) -> HospitalCohort:
        if self.start > self.end:
            raise ValueError("'from' is after 'to'")
        if self.cohort == "icd10_visits" and (not self.codes or not _RANGE.fullmatch(self.codes)):
            raise ValueError("icd10_visits needs codes like 'E10-E14' or 'I10,I11'")
        return self


class CdcCohort(Strict):
    cohort: Literal["chronic_registry", "confirmed_reports"]
    condition: str | None = None
    codes: str | None = None
    start: dt.date | None = Field(default=None, alias="from")
    end: dt.date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _check(self) -> CdcCohort:
        if self.cohort == "chronic_registry" and not self.condition:
            raise ValueError("chronic_registry needs a condition")
        if self.cohort == "confirmed_reports":
            if not self.codes or not _RANGE.fullmatch(self.codes):
                raise ValueError("confirmed_reports needs codes like 'A15-A19'")
            if self.start is None or self.end is None or self.start > self.end:
                raise ValueError("confirmed_reports needs 'from' <= 'to'")
        return self


class Dp(Strict):
    epsilon: Annotated[float, Field(gt=0, le=100)]


class CohortQuery(Strict):
    hospital: HospitalCohort
    cdc: CdcCohort
    measures: Annotated[
        list[Literal["count", "sum_cost", "sum_inpatient_days", "count_reports"]],
        Field(min_length=1),
    ]
    group_by: list[Literal["sex", "age_band", "hospital_id", "month"]] = []
    min_count: Annotated[int, Field(ge=0)] = 0
    dp: Dp | None = None

    @model_validator(mode="after")
    def _check(self) -> CohortQuery:
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by repeats a dimension")
        if len(set(self.measures)) != len(self.measures):
            raise ValueError("measures repeat")
        if "count_reports" in self.measures:
            if self.cdc.cohort != "confirmed_reports":
                raise ValueError("count_reports needs the confirmed_reports cohort")
            if not set(self.group_by) <= set(PERSON_DIMENSIONS):
                raise ValueError("count_reports can only be grouped by sex and age_band")
        months = self.month_count()
        if "month" in self.group_by and months > MAX_MONTHS:
            raise ValueError(
                t(
                    "cohort.too_many_months",
                    max=MAX_MONTHS,
                    months=months,
                    start=self.hospital.start,
                    end=self.hospital.end,
                )
            )
        sizes = {"sex": len(SEXES), "age_band": len(AGE_BANDS), "month": months}
        check_cells({d: sizes[d] for d in self.group_by if d in sizes})
        return self

    @property
    def values(self) -> list[str]:
        """The values each cell carries: always the count, then the other measures."""
        return ["count", *(m for m in self.measures if m != "count")]

    @property
    def epsilon(self) -> float | None:
        return self.dp.epsilon if self.dp else None

    def features(self) -> list[str]:
        """The product 'features' a query uses, for the policy engine."""
        return [
            f"cohort:{self.hospital.cohort}",
            f"cohort:{self.cdc.cohort}",
            *(f"measure:{m}" for m in self.values),
            *(f"group:{g}" for g in self.group_by),
        ]

    def sends_vectors(self, role: str) -> bool:
        """The hospital always sends vectors; the CDC only for its own measures."""
        return role == HOSPITAL or any(m in self.measures for m in CDC_MEASURES)

    def sensitivity(self, layout: JoinLayout) -> dict[str, int]:
        """Per value: its per-person clip times the cells one person can touch."""
        spread = cells_per_person(layout)
        return {name: CLIP[name] * spread for name in layout.values}

    def month_count(self) -> int:
        """How many months [from, to] touches (``len(self.months())``)."""
        start, end = self.hospital.start, self.hospital.end
        return (end.year - start.year) * 12 + end.month - start.month + 1

    def months(self) -> list[str]:
        out, y, m = [], self.hospital.start.year, self.hospital.start.month
        while (y, m) <= (self.hospital.end.year, self.hospital.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def check_cells(sizes: Mapping[str, int]) -> None:
    """Refuse a grouping of more than ``MAX_CELLS`` cells (``sizes``: each
    dimension's number of values), in words that say its shape."""
    cells = math.prod(sizes.values())
    if cells > MAX_CELLS:
        shape = " × ".join(f"{dim} {n}" for dim, n in sizes.items())
        raise ValueError(t("cohort.too_many_cells", max=MAX_CELLS, cells=cells, shape=shape))


def cells_per_person(layout: JoinLayout) -> int:
    """How many cells one person can touch: the visit-level dimensions' sizes."""
    n = 1
    for dim in layout.dims:
        if dim not in PERSON_DIMENSIONS:
            n *= len(layout.domains[dim])
    return n


def parse_query(data: Any, origin: str = "query") -> CohortQuery:
    try:
        return CohortQuery.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(query)'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(problems, Location(origin, None, None)) from None


def load_query(path: Path) -> CohortQuery:
    """Read and validate a cohort query file (YAML)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            Text("err.products.cohort.query_unreadable", reason=OnlyInEnglish(f": {exc}")),
            Location(str(path), None, None),
        ) from None
    return parse_query(data, str(path))


def code_ranges(codes: str) -> list[tuple[str, str]]:
    """'E10-E14,I10' -> [('E10', 'E14'), ('I10', 'I10')]: inclusive category ranges."""
    out = []
    for part in codes.split(","):
        lo, _, hi = part.partition("-")
        out.append((lo, hi or lo))
    return out

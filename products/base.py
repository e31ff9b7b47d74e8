"""What a product is: features per provider role, an engine and an output mode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

OutputMode = Literal["score", "features", "aggregate"]
# How a feature uses a column: to match subjects, to select rows, or as the
# value it aggregates. Policies grant or refuse each use per column.
ColumnUse = Literal["join", "filter", "value"]


# How several providers' values of a feature combine: added up, the least or
# the greatest, or a ratio of two sums (see products/lending/layout.py).
Combine = Literal["sum", "min", "max", "ratio"]


@dataclass(frozen=True)
class Feature:
    name: str
    role: str
    decimals: int  # fixed-point places the value is encoded with
    reads: Mapping[str, ColumnUse]  # canonical "table.column" -> how it is used
    label_en: str
    label_zh: str
    combine: Combine = "sum"
    # ratio features: the numerator and denominator columns of the feature SQL
    ratio_of: tuple[str, str] | None = None
    # min/max features across several providers: the grid a value is rounded to
    grid: tuple[int, ...] = ()


@dataclass(frozen=True)
class RoleSpec:
    role: str
    dataset: str  # the node dataset whose subjects answer the PSI
    sql_resource: str  # feature SQL file in the product's package
    # Tables the feature SQL reads whole besides the dataset's (not keyed by subject)
    reference_tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    name: str
    package: str
    engine: Literal["direct_lookup", "space_join"]
    output_mode: OutputMode
    roles: tuple[RoleSpec, ...]
    features: tuple[Feature, ...]
    title_en: str
    title_zh: str
    description_en: str = ""
    description_zh: str = ""
    # What a subject is: a resident id (GB 11643) or a company key
    # (connectors.identifiers.company_key).
    subject: Literal["resident_id", "company"] = "resident_id"

    def role(self, role: str) -> RoleSpec:
        for r in self.roles:
            if r.role == role:
                return r
        raise KeyError(f"{self.name} has no role {role!r}")

    def features_for(self, role: str) -> list[Feature]:
        return [f for f in self.features if f.role == role]

    def roles_for(self, features: list[str]) -> set[str]:
        """The provider roles whose data the given features read."""
        return {self.feature(f).role for f in features}

    def feature(self, name: str) -> Feature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no feature {name!r}")

    def feature_sql(self, role: str) -> str:
        """The SQL a provider of ``role`` runs. It reads a temporary table
        ``subjects(handle, subject)`` and the parameter ``$as_of`` and
        returns one row per handle with every feature of the role."""
        resource = self.role(role).sql_resource
        return resources.files(self.package).joinpath(resource).read_text(encoding="utf-8")

    @property
    def max_decimals(self) -> int:
        return max(f.decimals for f in self.features)

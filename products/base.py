"""What a product is: features per provider role, an engine and an output mode.

A space-aided join product also carries a ``JoinSpec``: everything the join
engine, the providers' upload and the requester's side need to know about
the product, so that none of them names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from trusted_space.protocol.messages import CellLayoutSpec

if TYPE_CHECKING:
    import duckdb

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


class JoinLayout(Protocol):
    """A join query's cells and how their (cell, value) slots are packed into
    Paillier plaintexts (products/cohort/layout.py's CellLayout)."""

    @property
    def dims(self) -> tuple[str, ...]: ...
    @property
    def domains(self) -> Mapping[str, tuple[str, ...]]: ...
    @property
    def values(self) -> tuple[str, ...]: ...
    @property
    def slots_per_plaintext(self) -> int: ...
    @property
    def cells(self) -> list[tuple[str, ...]]: ...
    @property
    def n_slots(self) -> int: ...
    @property
    def n_plaintexts(self) -> int: ...
    def cell_index(self, key: Sequence[str]) -> int: ...
    def slot(self, cell: int, value: str) -> int: ...
    def pack(self, slots: Mapping[int, int], limit: int = ...) -> list[int]: ...
    def unpack(self, plaintexts: Sequence[int]) -> list[int]: ...
    def to_wire(self) -> CellLayoutSpec: ...


class JoinQuery(Protocol):
    """What the join engine asks of a parsed query."""

    @property
    def epsilon(self) -> float | None:
        """The differential-privacy budget the query asks for; None: no noise."""
        ...

    @property
    def min_count(self) -> int: ...

    def features(self) -> list[str]:
        """The product features the query uses, for the policy engine."""
        ...

    def sends_vectors(self, role: str) -> bool:
        """Whether the provider of ``role`` uploads vectors (else tokens only)."""
        ...

    def sensitivity(self, layout: JoinLayout) -> dict[str, int]:
        """Per value: the L1 sensitivity of a cell's value, one person's
        clipped contribution times the cells one person can touch."""
        ...


@dataclass(frozen=True)
class JoinVectors:
    """A provider's share of a join: per person its sparse slot vector
    (empty when the role sends no vectors), the layout the slots refer to,
    and the domains it declares (see JoinUploadResult.domains)."""

    slots: dict[str, dict[int, int]]
    layout: JoinLayout
    domains: dict[str, list[str]] = field(default_factory=dict)


Q = TypeVar("Q", bound=JoinQuery)


@dataclass(frozen=True)
class JoinSpec(Generic[Q]):
    """A space-aided join product as its engine sees it. The product's two
    provider roles are joined in the order of ``Product.roles``."""

    # The query document -> the product's query; raises InputError.
    parse_query: Callable[[Any], Q]
    # The query, the declared domains and the Paillier modulus bits -> the layout;
    # raises InputError for a shape the product does not allow.
    layout: Callable[[Q, Mapping[str, Sequence[str]], int], JoinLayout]
    layout_of: Callable[[CellLayoutSpec], JoinLayout]  # the wire form back to a layout
    # A provider's vectors from its own tables: (connection, role, query,
    # modulus bits, clip each person's contribution).
    vectors: Callable[[duckdb.DuckDBPyConnection, str, Q, int, bool], JoinVectors]
    mask_bits: int  # masks on every slot before the requester unpacks
    # role -> the layout dimensions whose domain that role declares
    declares: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    count_value: str = "count"  # the value min_count compares


EngineName = Literal["direct_lookup", "space_join", "blind_lookup", "psi_cardinality"]

ArgumentKind = Literal["date", "text", "integer"]


@dataclass(frozen=True)
class Argument:
    """A value the consumer gives with each subject of a lookup (a claim's
    date, its amount...): sealed with the subject to the provider, so the
    space never reads it, and a column of the feature SQL's ``subjects``
    table. ``None`` (a SQL NULL) when the consumer leaves it out, which
    only an optional argument admits."""

    name: str
    kind: ArgumentKind
    required: bool = True

    @property
    def sql_type(self) -> str:
        return {"date": "DATE", "text": "VARCHAR", "integer": "BIGINT"}[self.kind]


@dataclass(frozen=True)
class Routing:
    """Which provider answers a subject's lookup: the one whose table
    ``table`` holds, in ``column``, the value the consumer sends as the argument
    ``argument`` (a claim's hospital). A provider answers a subject whose
    argument names a value it does not hold with the neutral answer (the
    feature SQL's zeros), never withholds it: its consent records cannot
    touch another provider's subjects. The space never reads the argument,
    so it cannot tell which provider answered."""

    argument: str
    table: str
    column: str


@dataclass(frozen=True)
class Parameter:
    """A whole-number setting of a product's computation that its policies
    set (a date tolerance...): the feature SQL reads it as ``$name``. Where
    several policies set it, the stricter value wins: the ``lower`` or the
    ``higher`` one, as ``stricter`` says; where none does, ``default``."""

    name: str
    default: int
    minimum: int
    maximum: int
    stricter: Literal["lower", "higher"]
    label_en: str
    label_zh: str

    def check(self, value: object) -> str | None:
        """Why ``value`` is not a setting of this parameter; None when it is."""
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not self.minimum <= value <= self.maximum:
            return f"must lie within {self.minimum}-{self.maximum}"
        return None

    def strictest(self, values: Sequence[int]) -> int:
        """The value several policies' settings agree on."""
        if not values:
            return self.default
        return min(values) if self.stricter == "lower" else max(values)


@dataclass(frozen=True)
class Product:
    name: str
    package: str
    engine: EngineName  # the engine a job runs on unless it asks for another
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
    # engine "space_join": what the join engine needs from the product
    join: JoinSpec[Any] | None = None
    # Further engines a job may ask for (JobSpec.engine) or a policy may
    # require: underwriting allows the blind lookup besides the direct one.
    also_runs_on: tuple[EngineName, ...] = ()
    # Lookups: what the consumer sends with each subject (sealed to the
    # provider), and the settings its policies fix (see Argument, Parameter).
    arguments: tuple[Argument, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    # Lookups: which provider answers each subject, by one of its arguments.
    routing: Routing | None = None

    @property
    def engines(self) -> tuple[EngineName, ...]:
        """Every engine this product's jobs may run on, its own first."""
        return (self.engine, *(e for e in self.also_runs_on if e != self.engine))

    def role(self, role: str) -> RoleSpec:
        for r in self.roles:
            if r.role == role:
                return r
        raise KeyError(f"{self.name} has no role {role!r}")

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")

    def parameter_values(self, given: Mapping[str, int]) -> dict[str, int]:
        """Every parameter's value: ``given`` where it sets one, else the default."""
        return {p.name: given.get(p.name, p.default) for p in self.parameters}

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
        ``subjects(handle, subject)`` (with one more column per argument)
        and the parameter ``$as_of`` (and one per product parameter) and
        returns one row per handle with every feature of the role."""
        resource = self.role(role).sql_resource
        return resources.files(self.package).joinpath(resource).read_text(encoding="utf-8")

    @property
    def max_decimals(self) -> int:
        return max(f.decimals for f in self.features)

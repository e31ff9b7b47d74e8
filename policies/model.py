"""The policy document a data steward writes: one readable file per product.

YAML or JSON; the published JSON Schema is ``policies/schema/policy.schema.json``
(generated from these models and checked by a test). Unknown keys are errors,
so a misspelt constraint can never be silently ignored.

Disclosure classes, from most to least restrictive, say what a product may do
with a provider's column:

- ``never``: not read at all.
- ``join_key_only``: used only to match subjects (PSI, join tokens).
- ``aggregate_only``: may shape aggregates over at least ``min_count``
  subjects, never a per-subject output.
- ``encrypted_only``: may shape a per-subject result only under encryption
  inside a model score or an aggregate; never released as its own value.
- ``plaintext``: any use, including release as a per-subject feature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.i18n import OnlyInEnglish, Text, t

PURPOSES = ("underwriting", "claims", "credit", "research", "public_statistics")
Purpose = Literal["underwriting", "claims", "credit", "research", "public_statistics"]
DisclosureName = Literal["plaintext", "join_key_only", "aggregate_only", "encrypted_only", "never"]
Period = Literal["day", "month", "quarter", "year"]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
ColumnRef = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")]


class Strict(BaseModel):
    # Strict types: YAML's true is not a batch size of 1, nor "5" a number.
    # Dates are the one exception (below): JSON writes them as strings.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ColumnClass(Strict):
    disclosure: DisclosureName = Field(alias="class")
    min_count: Annotated[int, Field(ge=1)] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _min_count_for_aggregates(self) -> ColumnClass:
        if self.disclosure == "aggregate_only" and self.min_count is None:
            raise ValueError("aggregate_only needs min_count")
        if self.disclosure != "aggregate_only" and self.min_count is not None:
            raise ValueError("min_count belongs to aggregate_only")
        return self


class Rounding(Strict):
    """Release a feature rounded to a multiple of ``step`` (half-even)."""

    round_to: Annotated[float, Field(gt=0)]


class Buckets(Strict):
    """Release a feature as the lower edge of its bucket; edges rise strictly."""

    buckets: Annotated[list[float], Field(min_length=1)]

    @model_validator(mode="after")
    def _rising(self) -> Buckets:
        if any(b >= a for a, b in zip(self.buckets[1:], self.buckets, strict=False)):
            raise ValueError("bucket edges must rise strictly")
        return self


class Output(Strict):
    mode: Literal["score", "features", "aggregate"]
    features: list[str] | None = None  # None: every feature of the product
    transforms: dict[str, Rounding | Buckets] = {}
    min_count: Annotated[int, Field(ge=0)] = 0
    # Settings of the product's computation (its ``Product.parameters``, e.g.
    # a date tolerance in days); an unset one takes the product's default.
    parameters: dict[str, int] = {}


class BatchLimits(Strict):
    min: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> BatchLimits:
        if self.min > self.max:
            raise ValueError("batch min exceeds max")
        return self


class Limits(Strict):
    batch: BatchLimits
    jobs_per_consumer_per_day: Annotated[int, Field(ge=0)] | None = None
    subjects_per_consumer_per_month: Annotated[int, Field(ge=0)] | None = None


class Budget(Strict):
    epsilon: Annotated[float, Field(gt=0)]
    period: Period = "month"


class Privacy(Strict):
    epsilon_per_query: Annotated[float, Field(gt=0)]
    budget_per_consumer: Budget


class ModelPin(Strict):
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Duties(Strict):
    retention_days: Annotated[int, Field(ge=0)]


# Price terms: yuan with at most two decimals (fen), written as strings so
# that no amount passes through a float; fractions with at most six decimals.
YUAN = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
FRACTION = r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$"
PRICED = ("per_job", "per_subject_queried", "per_subject_matched")


def _decimal_text(value: Any, pattern: str, key: str, where: str) -> Any:
    if isinstance(value, str) and re.fullmatch(pattern, value):
        return value
    raise ValueError(t(key, field=where, value=repr(value)))


class Split(Strict):
    """Who earns what a job pays under this policy: the operator's fraction,
    and the rest among the policy's owners that took part in the job, by the
    subjects each matched, by the subjects each was queried for, or by fixed
    weights (docs/settlement.md)."""

    operator: Annotated[str, Field(pattern=FRACTION)]
    by: Literal["matched", "queried"] | None = None
    weights: dict[Name, Annotated[str, Field(pattern=FRACTION)]] | None = None

    @field_validator("operator", mode="before")
    @classmethod
    def _operator(cls, value: Any) -> Any:
        return _decimal_text(value, FRACTION, "price.fraction", "price.split.operator")

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name, weight in value.items():
                _decimal_text(weight, FRACTION, "price.fraction", f"price.split.weights.{name}")
        return value

    @model_validator(mode="after")
    def _one_rule(self) -> Split:
        if (self.by is None) == (self.weights is None):
            raise ValueError(t("price.split_one"))
        if self.weights is not None:
            total = sum((Decimal(w) for w in self.weights.values()), Decimal(0))
            if total != 1 or not self.weights:
                raise ValueError(t("price.weights_sum", total=total))
        return self


class Price(Strict):
    """What a consumer pays for a succeeded job under this policy, in CNY,
    and how it is split (docs/settlement.md)."""

    currency: Literal["CNY"]
    per_job: Annotated[str, Field(pattern=YUAN)] | None = None
    per_subject_queried: Annotated[str, Field(pattern=YUAN)] | None = None
    per_subject_matched: Annotated[str, Field(pattern=YUAN)] | None = None
    split: Split

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        if value != "CNY":
            raise ValueError(t("price.currency", value=repr(value)))
        return value

    @field_validator(*PRICED, mode="before")
    @classmethod
    def _yuan(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        return _decimal_text(value, YUAN, "price.yuan", f"price.{info.field_name}")

    @model_validator(mode="after")
    def _something(self) -> Price:
        if all(getattr(self, name) is None for name in PRICED):
            raise ValueError(t("price.nothing"))
        return self

    def by_matched(self) -> bool:
        """Whether the terms count matched subjects (to charge or to split)."""
        return self.per_subject_matched is not None or self.split.by == "matched"

    def matched_field(self) -> str:
        """The field that counts matches, to name in a refusal."""
        return (
            "price.per_subject_matched"
            if self.per_subject_matched is not None
            else "price.split.by"
        )


class Policy(Strict):
    """A data steward's usage policy for one product, validated (docs/policies.md)."""

    id: Name
    version: Annotated[int, Field(ge=1)]
    product: str
    title: str | None = None
    owners: Annotated[list[Name], Field(min_length=1)]
    valid_from: Annotated[dt.date, Field(strict=False)]
    valid_until: Annotated[dt.date, Field(strict=False)]
    consumers: Annotated[list[Name], Field(min_length=1)]
    purposes: Annotated[list[Purpose], Field(min_length=1)]
    columns: dict[ColumnRef, DisclosureName | ColumnClass]
    output: Output
    limits: Limits
    privacy: Privacy | None = None
    model: ModelPin | None = None
    consent_required: bool = False
    # "blind": jobs on this owner's data must run as a blind lookup (engine 4),
    # so the consumer never learns whether the owner holds a subject.
    lookup: Literal["any", "blind"] = "any"
    duties: Duties | None = None
    # What a consumer pays per succeeded job, and the revenue split
    # (docs/settlement.md); none: jobs under this policy are free.
    price: Price | None = None

    @model_validator(mode="after")
    def _window(self) -> Policy:
        if self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        return self

    @model_validator(mode="after")
    def _price_terms(self) -> Policy:
        if self.price is None:
            return self
        # A blind lookup records no matches in the ledger (counting them per
        # job would answer membership), so blind jobs cannot be priced or
        # split by matched subjects.
        if self.lookup == "blind" and self.price.by_matched():
            raise ValueError(t("price.blind_required", field=self.price.matched_field()))
        stray = sorted(set(self.price.split.weights or {}) - set(self.owners))
        if stray:
            raise ValueError(t("price.weights_owner", name=stray[0]))
        return self

    def column_class(self, column: str) -> ColumnClass:
        """The class of a column; an unlisted column is ``never``."""
        value = self.columns.get(column, "never")
        if isinstance(value, ColumnClass):
            return value
        return ColumnClass(disclosure=value)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated document: the
        version identity recorded with every decision."""
        document = self.model_dump(mode="json", by_alias=True)
        if document.get("price") is None:
            # A policy without price terms keeps the hash it had before them.
            document.pop("price", None)
        return hashlib.sha256(canonical_json(document)).hexdigest()

    def price_terms(self) -> dict[str, Any] | None:
        """The price terms as the ledger records them with each decision
        (``policy_decision``'s ``prices``): the policy version, its owners
        and the terms, all settlement needs besides the counts."""
        if self.price is None:
            return None
        return {
            "policy": f"{self.id}@{self.version}:{self.content_hash()}",
            "owners": sorted(self.owners),
            "price": self.price.model_dump(mode="json", exclude_none=True),
        }


class PolicyError(ValueError):
    """A policy document is invalid; ``errors`` lists every problem with its
    path, each message said in the reader's language where the catalog has it."""

    def __init__(self, origin: str, errors: Sequence[tuple[str, str | Text]]) -> None:
        self.origin = origin
        self.errors = list(errors)
        super().__init__(origin, self.errors)

    def __str__(self) -> str:
        lines = "; ".join(f"{path}: {message}" for path, message in self.errors)
        return f"{self.origin}: {lines}"


# Pydantic's errors in the reader's language, by type (its own English otherwise).
SCHEMA_TEXT = {
    "missing": "schema.missing",
    "extra_forbidden": "schema.extra",
    "int_type": "schema.int",
    "int_parsing": "schema.int",
    "int_from_float": "schema.int",
    "float_type": "schema.number",
    "float_parsing": "schema.number",
    "string_type": "schema.string",
    "bool_type": "schema.bool",
    "bool_parsing": "schema.bool",
    "list_type": "schema.list",
    "dict_type": "schema.mapping",
    "model_type": "schema.mapping",
    "date_type": "schema.date",
    "date_parsing": "schema.date",
    "date_from_datetime_parsing": "schema.date",
    "date_from_datetime_inexact": "schema.date",
}
SCHEMA_BOUNDS = {
    "greater_than_equal": ("schema.ge", "ge"),
    "greater_than": ("schema.gt", "gt"),
    "less_than_equal": ("schema.le", "le"),
    "less_than": ("schema.lt", "lt"),
    "literal_error": ("schema.literal", "expected"),
    "too_short": ("schema.too_short", "min_length"),
}


def schema_message(error: Mapping[str, Any]) -> str | Text:
    """One pydantic error's message, from the catalog when its type is there."""
    kind = str(error.get("type", ""))
    if kind in SCHEMA_TEXT:
        return Text(SCHEMA_TEXT[kind])
    ctx = error.get("ctx") or {}
    if kind in SCHEMA_BOUNDS and SCHEMA_BOUNDS[kind][1] in ctx:
        key, name = SCHEMA_BOUNDS[kind]
        return Text(key, bound=ctx[name])
    return str(error.get("msg", ""))


MAX_POLICY_BYTES = 1 << 20


def parse_policy(text: str | bytes, origin: str = "policy") -> Policy:
    """Parse YAML or JSON text into a validated ``Policy`` or raise ``PolicyError``."""
    if isinstance(text, bytes):
        if len(text) > MAX_POLICY_BYTES:
            raise PolicyError(origin, [("(document)", Text("policy_doc.large"))])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(origin, [("(document)", Text("policy_doc.utf8"))]) from None
    try:
        data: Any = _load_yaml(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = where.line + 1 if where is not None else "?"
        refused = getattr(exc, "problem", None) == ALIASES_REFUSED
        if refused:
            message = Text("policy_doc.aliases", line=line)
        else:
            problem = OnlyInEnglish(str(getattr(exc, "problem", None) or "invalid"))
            message = Text("policy_doc.yaml", line=line, problem=problem)
        raise PolicyError(origin, [("(document)", message)]) from None
    if not isinstance(data, dict):
        raise PolicyError(origin, [("(document)", Text("policy_doc.mapping"))])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(
            origin,
            [
                (".".join(str(p) for p in e["loc"]) or "(document)", schema_message(e))
                for e in exc.errors()
            ],
        ) from None


def load_document(path: Path) -> dict[str, Any] | None:
    """The raw mapping of a policy file, valid or not; None when it is not one.

    For reporting the product's errors beside the schema's in one pass."""
    try:
        data = _load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file (YAML or JSON); ``PolicyError`` lists every problem."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(str(path), [("(file)", str(exc))]) from None
    return parse_policy(data, str(path))


ALIASES_REFUSED = "YAML aliases are not allowed in policies"


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: a steward's policy never needs
    them, and refusing them stops alias bombs outright."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            loader: Any = self  # PyYAML's loader methods are untyped
            event = loader.peek_event()
            raise yaml.composer.ComposerError(None, None, ALIASES_REFUSED, event.start_mark)
        return super().compose_node(parent, index)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_NoAliasLoader)


def policy_json_schema() -> dict[str, Any]:
    schema = Policy.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://tspace.example/schemas/policy.schema.json"
    return schema


def schema_text() -> str:
    return json.dumps(policy_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

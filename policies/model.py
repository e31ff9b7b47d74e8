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
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trusted_space.core.canonical_json import canonical_json

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

    @model_validator(mode="after")
    def _window(self) -> Policy:
        if self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
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
        return hashlib.sha256(
            canonical_json(self.model_dump(mode="json", by_alias=True))
        ).hexdigest()


class PolicyError(ValueError):
    """A policy document is invalid; ``errors`` lists every problem with its path."""

    def __init__(self, origin: str, errors: list[tuple[str, str]]) -> None:
        self.origin = origin
        self.errors = errors
        lines = "; ".join(f"{path}: {message}" for path, message in errors)
        super().__init__(f"{origin}: {lines}")


MAX_POLICY_BYTES = 1 << 20


def parse_policy(text: str | bytes, origin: str = "policy") -> Policy:
    """Parse YAML or JSON text into a validated ``Policy`` or raise ``PolicyError``."""
    if isinstance(text, bytes):
        if len(text) > MAX_POLICY_BYTES:
            raise PolicyError(origin, [("(document)", "larger than 1 MiB")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(origin, [("(document)", "not UTF-8 text")]) from None
    try:
        data: Any = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise PolicyError(origin, [("(document)", f"not YAML or JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise PolicyError(origin, [("(document)", "a policy must be a mapping")])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(
            origin,
            [(".".join(str(p) for p in e["loc"]) or "(document)", e["msg"]) for e in exc.errors()],
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


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: a steward's policy never needs
    them, and refusing them stops alias bombs outright."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            loader: Any = self  # PyYAML's loader methods are untyped
            event = loader.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in policies", event.start_mark
            )
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

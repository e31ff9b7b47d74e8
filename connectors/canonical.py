"""The canonical tables every connector writes and every product reads.

A connector only has to produce string columns named as here; validation,
normalisation, duplicate detection and the insert happen in one place, in
DuckDB, so a million rows are checked as fast as they are read.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.identifiers import normalise_resident_id_sql, resident_id_error_sql
from trusted_space.core.i18n import Text, english

MAX_TEXT = 256
DATE_MIN_YEAR = 1900
DATE_MAX_YEAR = 2100


def said_sql(key: str, /, **params: object) -> str:
    """A catalog message's English as a SQL string literal: a reason the
    checks give in SQL, for the report (the terminal says it in the reader's
    language, ``trusted_space.core.i18n.recognised``)."""
    return "'" + english(Text(key, **params)).replace("'", "''") + "'"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # resident_id | text | date | money | rate | currency | enum | icd10
    sql_type: str
    required: bool = True
    allowed: tuple[str, ...] = ()

    def normalise_sql(self, col: str) -> str:
        """Expression turning the raw string into its canonical string form."""
        trimmed = f"NULLIF(trim({col}), '')"
        if self.kind == "resident_id":
            return f"NULLIF({normalise_resident_id_sql(col)}, '')"
        if self.kind == "enum":
            return f"lower({trimmed})"
        if self.kind == "currency":
            return f"upper({trimmed})"
        if self.kind == "icd10":
            up = f"upper(replace({trimmed}, ' ', ''))"
            # 'E119' and 'E11.9' are the same code; keep the dotted form.
            return (
                f"CASE WHEN length({up}) > 3 AND NOT contains({up}, '.') "
                f"THEN substr({up}, 1, 3) || '.' || substr({up}, 4) ELSE {up} END"
            )
        if self.kind == "money":
            return f"replace({trimmed}, ',', '')"
        return trimmed

    def error_sql(self, col: str) -> str:
        """Expression over the normalised value: NULL when acceptable, else why."""
        when = [f"WHEN {col} IS NULL THEN " + (said_sql("id.missing") if self.required else "NULL")]
        otherwise = "NULL"
        if self.kind == "resident_id":
            otherwise = resident_id_error_sql(col)
        elif self.kind == "text":
            too_long = said_sql("batch.long_ref", n=MAX_TEXT)
            when.append(f"WHEN length({col}) > {MAX_TEXT} THEN {too_long}")
        elif self.kind == "enum":
            values = ", ".join(f"'{v}'" for v in self.allowed)
            when.append(
                f"WHEN {col} NOT IN ({values}) THEN "
                + said_sql("err.connectors.value.one_of", allowed="|".join(self.allowed))
            )
        elif self.kind == "date":
            when += [
                f"WHEN NOT regexp_full_match({col}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                "THEN " + said_sql("err.connectors.value.iso_date"),
                f"WHEN TRY_CAST({col} AS DATE) IS NULL THEN "
                + said_sql("err.connectors.value.impossible_date"),
                f"WHEN year(TRY_CAST({col} AS DATE)) NOT BETWEEN {DATE_MIN_YEAR} AND "
                f"{DATE_MAX_YEAR} THEN "
                + said_sql(
                    "err.connectors.value.date_range", first=DATE_MIN_YEAR, last=DATE_MAX_YEAR
                ),
            ]
        elif self.kind == "money":
            when += [
                f"WHEN NOT regexp_full_match({col}, '-?[0-9]{{1,16}}(\\.[0-9]{{1,2}})?') "
                "THEN " + said_sql("err.connectors.value.amount"),
                f"WHEN CAST({col} AS DECIMAL(18,2)) < 0 THEN "
                + said_sql("err.connectors.value.negative"),
            ]
        elif self.kind == "rate":
            when.append(
                f"WHEN NOT regexp_full_match({col}, '[0-9]{{1,10}}(\\.[0-9]{{1,8}})?') "
                f"OR TRY_CAST({col} AS DECIMAL(18,8)) = 0 "
                "THEN " + said_sql("err.connectors.value.rate")
            )
        elif self.kind == "currency":
            when.append(
                f"WHEN NOT regexp_full_match({col}, '[A-Z]{{3}}') "
                "THEN " + said_sql("err.connectors.value.currency")
            )
        elif self.kind == "icd10":
            when.append(
                f"WHEN NOT regexp_full_match({col}, '[A-Z][0-9]{{2}}(\\.[0-9A-Z]{{1,8}})?[+*]?') "
                "THEN " + said_sql("err.connectors.value.icd10")
            )
        return "CASE " + " ".join(when) + f" ELSE {otherwise} END"

    def cast_sql(self, col: str) -> str:
        if self.sql_type == "VARCHAR":
            return col
        return f"CAST({col} AS {self.sql_type})"


@dataclass(frozen=True)
class RowCheck:
    """A check across columns of one row; ``condition`` true means the row is bad."""

    field: str
    condition: str
    reason: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self) -> str:
        cols = ", ".join(
            f"{c.name} {c.sql_type}{' NOT NULL' if c.required else ''}" for c in self.columns
        )
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        )


VISIT_TYPES = ("outpatient", "inpatient", "emergency")
CASE_STATUSES = ("confirmed", "probable", "suspected")

HOSPITAL_VISITS = TableSpec(
    name="hospital_visits",
    columns=(
        ColumnSpec("person_id", "resident_id", "VARCHAR"),
        ColumnSpec("visit_id", "text", "VARCHAR"),
        ColumnSpec("hospital_id", "text", "VARCHAR"),
        ColumnSpec("visit_date", "date", "DATE"),
        ColumnSpec("visit_type", "enum", "VARCHAR", allowed=VISIT_TYPES),
        ColumnSpec("discharge_date", "date", "DATE", required=False),
        ColumnSpec("icd10", "icd10", "VARCHAR", required=False),
        ColumnSpec("total_cost", "money", "DECIMAL(18,2)", required=False),
    ),
    key=("hospital_id", "visit_id"),
    row_checks=(
        RowCheck(
            "discharge_date",
            "TRY_CAST(discharge_date AS DATE) < TRY_CAST(visit_date AS DATE)",
            english(Text("err.connectors.value.discharge")),
        ),
    ),
)

CDC_CASE_REPORTS = TableSpec(
    name="cdc_case_reports",
    columns=(
        ColumnSpec("person_id", "resident_id", "VARCHAR"),
        ColumnSpec("report_id", "text", "VARCHAR"),
        ColumnSpec("report_date", "date", "DATE"),
        ColumnSpec("disease_icd10", "icd10", "VARCHAR"),
        ColumnSpec("case_status", "enum", "VARCHAR", allowed=CASE_STATUSES),
    ),
    key=("report_id",),
)

CDC_CHRONIC_REGISTRY = TableSpec(
    name="cdc_chronic_registry",
    columns=(
        ColumnSpec("person_id", "resident_id", "VARCHAR"),
        ColumnSpec("condition", "text", "VARCHAR"),
        ColumnSpec("registered_date", "date", "DATE"),
    ),
    key=("person_id", "condition"),
)

APPLICANTS = TableSpec(
    name="applicants",
    columns=(
        ColumnSpec("applicant_ref", "text", "VARCHAR"),
        ColumnSpec("person_id", "resident_id", "VARCHAR"),
    ),
    key=("applicant_ref",),
)

TENDER_PARTIES = TableSpec(
    name="tender_parties",
    columns=(
        ColumnSpec("party_key", "text", "VARCHAR"),  # 'USCC:<code>' or '<SCHEME>:<id>'
        ColumnSpec("scheme", "text", "VARCHAR"),
        ColumnSpec("identifier", "text", "VARCHAR"),
        ColumnSpec("name", "text", "VARCHAR", required=False),
        ColumnSpec("normalised_name", "text", "VARCHAR", required=False),
    ),
    key=("party_key",),
)

ROLES = ("tenderer", "supplier")
AWARD_STATUSES = ("pending", "active", "cancelled", "unsuccessful")

TENDER_BIDS = TableSpec(
    name="tender_bids",
    columns=(
        ColumnSpec("bid_id", "text", "VARCHAR"),  # ocid|role|award id|supplier key
        ColumnSpec("supplier_key", "text", "VARCHAR"),
        ColumnSpec("ocid", "text", "VARCHAR"),
        ColumnSpec("award_id", "text", "VARCHAR", required=False),
        ColumnSpec("buyer_key", "text", "VARCHAR", required=False),
        ColumnSpec("role", "enum", "VARCHAR", allowed=ROLES),
        ColumnSpec("tender_date", "date", "DATE", required=False),
        ColumnSpec("award_date", "date", "DATE", required=False),
        ColumnSpec("award_amount", "money", "DECIMAL(18,2)", required=False),
        ColumnSpec("currency", "currency", "VARCHAR", required=False),
        ColumnSpec("award_status", "enum", "VARCHAR", required=False, allowed=AWARD_STATUSES),
    ),
    key=("bid_id",),
)

# A trading centre's rate table: amounts in `currency` times `rate` give
# `base_currency`. Features convert only with it, never with a guessed rate.
CURRENCY_RATES = TableSpec(
    name="currency_rates",
    columns=(
        ColumnSpec("currency", "currency", "VARCHAR"),
        ColumnSpec("base_currency", "currency", "VARCHAR"),
        ColumnSpec("rate", "rate", "DECIMAL(18,8)"),
    ),
    key=("currency",),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        HOSPITAL_VISITS,
        CDC_CASE_REPORTS,
        CDC_CHRONIC_REGISTRY,
        TENDER_PARTIES,
        TENDER_BIDS,
        CURRENCY_RATES,
    )
}

# A dataset is what a provider offers to PSI: the subjects of a group of
# tables, as (table, subject column) pairs.
DATASETS: dict[str, tuple[tuple[str, str], ...]] = {
    "hospital": (("hospital_visits", "person_id"),),
    "cdc": (("cdc_case_reports", "person_id"), ("cdc_chronic_registry", "person_id")),
    "tenders": (("tender_bids", "supplier_key"),),
}


def dataset_tables(dataset: str) -> tuple[str, ...]:
    return tuple(table for table, _ in DATASETS[dataset])


def table_for_header(header: list[str]) -> TableSpec | None:
    """The canonical table whose required columns a header carries, if exactly one."""
    names = set(header)
    matches = [t for t in TABLES.values() if set(t.required_names) <= names]
    return matches[0] if len(matches) == 1 else None

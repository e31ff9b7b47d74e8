"""CSV, Parquet and DuckDB sources: mappings, encodings, and every bad row reported."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.base import LoadOptions, load_source
from connectors.node_store import NodeStore
from trusted_space.core.errors import InputError

HEADER = "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
GOOD = "11010519491231002X,v1,H1,2025-01-02,inpatient,2025-01-05,E119,1234.50\n"


def _rows(node: Path, sql: str) -> list[tuple[object, ...]]:
    with NodeStore(node, read_only=True) as store:
        return store.con.execute(sql).fetchall()


def test_canonical_csv_loads_and_reports_each_bad_row_with_field(tmp_path: Path) -> None:
    f = tmp_path / "visits.csv"
    f.write_text(
        HEADER
        + GOOD
        + "11010519491231002x,v2,H1,2025-02-30,outpatient,,J06.9,100\n"  # impossible date
        + "110101199003074515,v3,H1,2025-03-01,outpatient,,J06.9,100\n"  # check digit
        + "11010519491231002X,v1,H1,2025-01-02,inpatient,2025-01-05,E11.9,1.00\n"  # duplicate key
        + "11010519491231002X,v4,H1,2025-01-02,surgery,,E11.9,1.00\n"  # enum
        + "11010519491231002X,v5,H1,2025-01-02,emergency,,E11.9,1.234\n",  # 3 decimals
        encoding="utf-8",
    )
    report = load_source("csv", [f], tmp_path / "node")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (6, 1, 5)
    got = {(r.row, r.field) for r in report.rejections}
    assert got == {
        (2, "visit_date"),
        (3, "person_id"),
        (4, "visit_id"),
        (5, "visit_type"),
        (6, "total_cost"),
    }
    assert all(r.file == str(f) for r in report.rejections)
    assert _rows(tmp_path / "node", "SELECT person_id, icd10, total_cost FROM hospital_visits") == [
        ("11010519491231002X", "E11.9", pytest.approx(1234.5))
    ]


def test_loading_the_same_rows_again_rejects_them_as_already_loaded(tmp_path: Path) -> None:
    f = tmp_path / "visits.csv"
    f.write_text(HEADER + GOOD, encoding="utf-8")
    load_source("csv", [f], tmp_path / "node")
    again = load_source("csv", [f], tmp_path / "node")
    assert again.rows_loaded == 0 and again.rejections[0].reason.endswith("already loaded")
    replaced = load_source("csv", [f], tmp_path / "node", LoadOptions(replace=True))
    assert replaced.rows_loaded == 1


def test_ragged_rows_keep_their_true_record_numbers(tmp_path: Path) -> None:
    f = tmp_path / "visits.csv"
    f.write_text(HEADER + GOOD + "a,b,c\n" + GOOD.replace("v1", "v9"), encoding="utf-8")
    report = load_source("csv", [f], tmp_path / "node")
    assert report.rows_read == 3 and report.rows_loaded == 2
    assert [(r.row, r.reason) for r in report.rejections] == [(2, "expected 8 fields, found 3")]


def test_mapping_with_chinese_headers_constants_values_and_gb18030(tmp_path: Path) -> None:
    f = tmp_path / "就诊.csv"
    f.write_text(
        "身份证号,就诊流水号,就诊日期,就诊类型,出院日期,诊断编码,总费用\n"
        "11010519491231002X,MZ001,2025-03-01,门诊,,J06.9,88.00\n"
        "11010519491231002X,ZY001,2025-04-01,住院,2025-04-09,I10,15800.50\n",
        encoding="gb18030",
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "table: hospital_visits\n"
        "columns: {person_id: 身份证号, visit_id: 就诊流水号, visit_date: 就诊日期,\n"
        "          visit_type: 就诊类型, discharge_date: 出院日期,\n"
        "          icd10: 诊断编码, total_cost: 总费用}\n"
        "constants: {hospital_id: H310101001}\n"
        "values: {visit_type: {门诊: outpatient, 住院: inpatient, 急诊: emergency}}\n",
        encoding="utf-8",
    )
    report = load_source("csv", [f], tmp_path / "node", LoadOptions(mapping=mapping))
    assert report.rows_loaded == 2, report.rejections
    assert any("gb18030" in w for w in report.warnings)
    assert _rows(
        tmp_path / "node",
        "SELECT visit_id, hospital_id, visit_type FROM hospital_visits ORDER BY 1",
    ) == [
        ("MZ001", "H310101001", "outpatient"),
        ("ZY001", "H310101001", "inpatient"),
    ]


def test_parquet_source(tmp_path: Path) -> None:
    import datetime as dt
    from decimal import Decimal

    table = pa.table(
        {
            "person_id": ["11010519491231002X"],
            "report_id": ["R1"],
            "report_date": pa.array([dt.date(2025, 5, 1)], pa.date32()),
            "disease_icd10": ["A15.0"],
            "case_status": ["confirmed"],
            "extra": [Decimal("1.50")],
        }
    )
    pq.write_table(table, tmp_path / "reports.parquet")
    report = load_source("parquet", [tmp_path / "reports.parquet"], tmp_path / "node")
    assert report.rows_loaded == 1 and any("extra" in w for w in report.warnings)


def test_duckdb_source_reads_the_named_table_with_a_mapping(tmp_path: Path) -> None:
    db = tmp_path / "hospital.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute('CREATE TABLE "my visits" (pid VARCHAR, condition VARCHAR, since DATE)')
        con.execute(
            "INSERT INTO \"my visits\" VALUES ('11010519491231002X', 'diabetes', DATE '2019-01-01')"
        )
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "table": "cdc_chronic_registry",
                "source_table": "my visits",
                "columns": {
                    "person_id": "pid",
                    "condition": "condition",
                    "registered_date": "since",
                },
            }
        )
    )
    report = load_source("duckdb", [db], tmp_path / "node", LoadOptions(mapping=mapping))
    assert report.rows_loaded == 1


def test_unreadable_inputs_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        load_source("csv", [empty], tmp_path / "node")
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="--mapping"):
        load_source("csv", [odd], tmp_path / "node")
    with pytest.raises(InputError, match="no such file"):
        load_source("csv", [tmp_path / "missing.csv"], tmp_path / "node")
    with pytest.raises(InputError, match="unknown source kind"):
        load_source("xlsx", [odd], tmp_path / "node")
    bad_mapping = tmp_path / "bad.yaml"
    bad_mapping.write_text("table: hospital_visits\ncolumns: {nonsense: x}\n")
    with pytest.raises(InputError, match="nonsense"):
        load_source("csv", [odd], tmp_path / "node", LoadOptions(mapping=bad_mapping))


def test_a_failed_load_leaves_the_tables_as_they_were(tmp_path: Path) -> None:
    good = tmp_path / "visits.csv"
    good.write_text(HEADER + GOOD, encoding="utf-8")
    load_source("csv", [good], tmp_path / "node")
    broken = tmp_path / "broken.yaml"
    broken.write_text("table: hospital_visits\ncolumns: {person_id: missing_column}\n")
    with pytest.raises(InputError):
        load_source("csv", [good], tmp_path / "node", LoadOptions(mapping=broken, replace=True))
    assert _rows(tmp_path / "node", "SELECT count(*) FROM hospital_visits") == [(1,)]


def test_the_first_copy_in_input_order_is_kept(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text(HEADER + GOOD, encoding="utf-8")
    (tmp_path / "a.csv").write_text(HEADER + GOOD.replace("1234.50", "1.00"), encoding="utf-8")
    report = load_source("csv", [tmp_path / "b.csv", tmp_path / "a.csv"], tmp_path / "node")
    assert [(Path(r.file).name, r.row) for r in report.rejections] == [("a.csv", 1)]
    assert _rows(tmp_path / "node", "SELECT total_cost FROM hospital_visits") == [
        (pytest.approx(1234.5),)
    ]


def test_blank_lines_are_not_records_on_either_reading_path(tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text(
        HEADER + GOOD + "\n" + GOOD.replace("2025-01-02", "2025-13-02"), encoding="utf-8"
    )
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(
        HEADER + GOOD + "\n" + GOOD.replace("2025-01-02", "2025-13-02") + "x,y\n", encoding="utf-8"
    )
    for f in (clean, ragged):
        report = load_source("csv", [f], tmp_path / f.stem)
        assert (2, "visit_date") in {(r.row, r.field) for r in report.rejections}, f.name


def test_a_rate_table_loads_and_refuses_bad_rates(tmp_path: Path) -> None:
    f = tmp_path / "rates.csv"
    f.write_text("currency,base_currency,rate\nEUR,CNY,7.81234567\nusd,cny,7.1\nMXN,CNY,zero\n")
    report = load_source("csv", [f], tmp_path / "node")
    assert report.rows_loaded == 2
    assert [(r.row, r.field) for r in report.rejections] == [(3, "rate")]
    assert _rows(
        tmp_path / "node", "SELECT currency, base_currency FROM currency_rates ORDER BY 1"
    ) == [
        ("EUR", "CNY"),
        ("USD", "CNY"),
    ]


def test_keep_existing_merges_repeated_keys_instead_of_rejecting(tmp_path: Path) -> None:
    import pyarrow as pa

    from connectors.canonical import TENDER_PARTIES
    from connectors.quality import QualityReport

    def staging(names: list[str]) -> pa.Table:
        n = len(names)
        return pa.table(
            {
                "party_key": ["USCC:91350100M000100Y43"] * n,
                "scheme": ["CN-USCC"] * n,
                "identifier": ["91350100M000100Y43"] * n,
                "name": names,
                "normalised_name": names,
                "_file": ["f.json"] * n,
                "_row": list(range(1, n + 1)),
            }
        )

    report = QualityReport(source="test")
    with NodeStore(tmp_path / "node") as store:
        store.load_table(TENDER_PARTIES, staging(["甲公司", "甲有限公司"]), report, existing="keep")
        store.load_table(TENDER_PARTIES, staging(["甲公司"]), report, existing="keep")
    assert (report.rows_read, report.rows_loaded, report.rows_merged, report.rows_rejected) == (
        3,
        1,
        2,
        0,
    )
    assert _rows(tmp_path / "node", "SELECT name FROM tender_parties") == [("甲公司",)]


def test_a_missing_column_is_an_error_naming_it_and_the_files_columns(tmp_path: Path) -> None:
    """A hospital's total_cost named cost_total: not 'columns ignored' and every
    row without a cost, but an error (issue 23, item 13)."""
    f = tmp_path / "visits.csv"
    f.write_text(HEADER.replace("total_cost", "cost_total") + GOOD, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_source("csv", [f], tmp_path / "node")
    message = str(err.value)
    assert "missing column total_cost of hospital_visits" in message
    assert "the file has person_id, visit_id" in message and "cost_total" in message
    assert not (tmp_path / "node" / "node.duckdb").exists() or _rows(
        tmp_path / "node", "SELECT count(*) FROM hospital_visits"
    ) == [(0,)]

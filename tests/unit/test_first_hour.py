"""What a new user trips over, at unit level (issue 24): misspelt model
weights, invalid applicants named, missing columns, Excel-friendly CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from products.score_model import ScoreModel
from products.underwriting import UNDERWRITING
from trusted_space.core import i18n
from trusted_space.core.errors import InputError
from trusted_space.demo import default_model_path


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "en")


def test_a_misspelt_weight_names_the_file_the_field_and_the_nearest_feature(
    tmp_path: Path,
) -> None:
    document = json.loads(default_model_path().read_text(encoding="utf-8"))
    weights = document["weights"]
    name = next(n for n in weights if n.startswith("visits_"))
    weights["vists" + name[len("visits") :]] = weights.pop(name)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        ScoreModel.load(path).check_features(UNDERWRITING, str(path))
    message = str(exc.value)
    assert message.startswith(f"{path}, field 'weights.vists")
    assert f"did you mean {name}?" in message


def test_an_invalid_applicant_is_named_by_row_line_field_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connectors.applicants import read_applicants
    from connectors.companies import read_companies
    from products.underwriting.runner import score_rows
    from trusted_space.cli.common import show_invalid

    batch = tmp_path / "applicants.csv"
    batch.write_text(
        "applicant_ref,person_id\nA1,11010519491231002X\nA2,110105194912310021\n"
        "A3,110105194902300020\nA4,12345\n",
        encoding="utf-8",
    )
    applicants = read_applicants(batch)
    assert applicants[0].detail is None
    assert str(applicants[1].detail).startswith("row 2 (line 3), person_id: check character")
    assert str(applicants[2].detail) == (
        "row 3 (line 4), person_id: impossible birth date 19490230"
    )
    assert str(applicants[3].detail) == "row 4 (line 5), person_id: wrong length 5 (expected 18)"
    model = ScoreModel.load(default_model_path())
    rows = score_rows(applicants, [model.intercept], model)
    assert [r.status for r in rows] == ["scored", "invalid_id", "invalid_id", "invalid_id"]
    assert rows[2].csv_cells() == ("A3", "invalid_id", None, None, None, str(applicants[2].detail))
    assert rows[2].cells() == ("A3", "invalid_id", None, None, None)

    show_invalid([r.detail for r in rows], tmp_path / "scores.csv")
    err = capsys.readouterr().err
    assert "3 rows with invalid ids" in err
    assert "  row 3 (line 4), person_id: impossible birth date 19490230" in err

    banks = tmp_path / "bank.csv"
    banks.write_text("company_ref,company_id\nC1,91110000600037341L\nC2,bad\n", encoding="utf-8")
    companies = read_companies(banks)
    assert str(companies[1].detail).startswith("row 2 (line 3), company_id: ")


def test_csv_outputs_carry_a_bom_and_inputs_are_read_with_or_without(tmp_path: Path) -> None:
    from connectors.csv_reader import read_csv
    from trusted_space.core.outputs import write_csv_atomic

    out = tmp_path / "scores.csv"
    write_csv_atomic(out, ("applicant_ref", "status"), [("张三-001", "scored")])
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfapplicant_ref,status\r\n")
    assert "张三-001".encode() in data
    plain = tmp_path / "plain.csv"
    write_csv_atomic(plain, ("applicant_ref", "status"), [("张三-001", "scored")], bom=False)
    assert plain.read_bytes() == data[3:]
    for path in (out, plain):
        table = read_csv(path).table
        assert table.column_names == ["applicant_ref", "status", "_row"]
        assert table.column("applicant_ref").to_pylist() == ["张三-001"]


def test_row_numbers_in_messages_say_the_spreadsheet_line(tmp_path: Path) -> None:
    from connectors.batch import read_batch
    from trusted_space.core.errors import Location

    assert str(Location("a.csv", 3, "person_id")) == "a.csv, row 3 (line 4), field 'person_id'"
    assert str(Location("a.json", 3, None)) == "a.json, row 3"
    batch = tmp_path / "b.csv"
    batch.write_text("applicant_ref,person_id\nA1,x\nA1,y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \(line 3\), field 'applicant_ref'"):
        read_batch(batch, "applicant_ref", "person_id")


def test_a_misnamed_column_is_named_with_the_fix_that_works_everywhere() -> None:
    from connectors.mapping import ColumnMapping

    header = ["person_id", "visit_id", "hospital_id", "visit_dt", "visit_type", "icd10"]
    with pytest.raises(InputError) as exc:
        ColumnMapping.identity(header, "visits.csv")
    message = str(exc.value)
    assert message.startswith("visits.csv: the header is nearest to hospital_visits")
    assert "lacks its required column visit_date (is it visit_dt?)" in message
    assert "rename the column in the file" in message
    assert "`tspace load csv FILE --mapping MAPPING --node-dir NODE`" in message
    assert "cdc_case_reports" not in message and "pass --mapping FILE" not in message
    with pytest.raises(InputError, match="does not name the columns of one canonical table"):
        ColumnMapping.identity(["name", "salary"], "x.csv")


def test_bulk_work_reports_items_done_in_order_and_decrypts_on_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trusted_space.bulk import parallel
    from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, generate_keypair

    monkeypatch.setenv("TSPACE_WORKERS", "2")
    public, private = generate_keypair(TEST_ONLY_PAILLIER_1024)
    values = list(range(600))
    seen: list[tuple[str, int, int]] = []
    with parallel.reporting(lambda *a: seen.append(a)):
        cts = parallel.encrypt_values(public, values)
        plain = parallel.decrypt_values(private.decrypt_below, cts, [64])
    assert plain == values  # in order, whatever order the parts finished in
    encrypt = [s for s in seen if s[0] == "encrypt"]
    assert encrypt[0] == ("encrypt", 0, 600) and encrypt[-1] == ("encrypt", 600, 600)
    assert len(encrypt) == 1 + 4 * 2  # a report per part done
    assert [d for _, d, _ in encrypt] == sorted(d for _, d, _ in encrypt)
    decrypt = [s for s in seen if s[0] == "decrypt"]
    assert decrypt[0] == ("decrypt", 0, 600) and decrypt[-1] == ("decrypt", 600, 600)
    seen.clear()
    assert parallel.encrypt_values(public, values[:10]) and not seen  # nothing reported outside


def test_progress_bars_show_items_rate_and_time_left() -> None:
    import io

    from rich.console import Console

    from trusted_space.core.progress import stage_progress

    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    with stage_progress(console, describe=lambda s: f"<{s}>") as update:
        update("encrypt", 0, 1000)
        update("encrypt", 1000, 1000)
        update("encrypt", 0, 500)  # a second provider: the bar starts again
        update("encrypt", 250, 500)
    text = out.getvalue()
    assert "<encrypt>" in text and "250/500" in text


def test_a_load_reports_its_rows_as_they_pass_the_checks(tmp_path: Path) -> None:
    """Issue 24 item 7: a load's bar counts rows (of the file's), not 0/1."""
    from connectors.base import LoadOptions, load_source
    from trusted_space.core.progress import reporting

    visits = tmp_path / "hospital_visits.csv"
    rows = ["person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost"]
    rows += [
        f"11010519491231002X,V{i},H1,2025-01-0{1 + i % 9},outpatient,,J06.9,10.00"
        for i in range(3000)
    ]
    visits.write_text("\n".join(rows) + "\n", encoding="utf-8")
    seen: list[tuple[str, int, int]] = []
    with reporting(lambda *a: seen.append(a)):
        report = load_source("csv", [visits], tmp_path / "node", LoadOptions())
    assert report.rows_loaded == 3000
    load = [s for s in seen if s[0] == "load"]
    assert load[0] == ("load", 0, 3000) and load[-1] == ("load", 3000, 3000)
    assert {total for _, _, total in load} == {3000}
    assert [d for _, d, _ in load] == sorted(d for _, d, _ in load)
    assert len({d for _, d, _ in load}) >= 5  # one figure per step at least
    seen.clear()
    load_source("csv", [visits], tmp_path / "again", LoadOptions())
    assert seen == []  # nothing reported when nobody watches


def test_blind_tokens_report_subjects_done(monkeypatch: pytest.MonkeyPatch) -> None:
    from trusted_space.bulk import blind
    from trusted_space.core.progress import reporting
    from trusted_space.hazmat.oprf import OprfKey

    monkeypatch.setenv("TSPACE_WORKERS", "2")
    monkeypatch.setattr(blind, "PARALLEL_ABOVE", 10)
    monkeypatch.setattr(blind, "PART_IDS", 40)
    key = OprfKey.generate()
    ids = [f"id{i}" for i in range(200)]
    seen: list[tuple[str, int, int]] = []
    with reporting(lambda *a: seen.append(a)):
        tokens = blind.population_tokens(key, ids)
    assert tokens == key.tokens(ids)
    assert seen[0] == ("blind_tokens", 0, 200) and seen[-1] == ("blind_tokens", 200, 200)
    assert len(seen) == 1 + 5  # a report per part of 40


def test_a_stage_only_started_and_finished_pulses_without_a_count() -> None:
    import io

    from rich.console import Console

    from trusted_space.core.progress import stage_progress

    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    with stage_progress(console) as update:
        update("load", 0, 1)
        update("load", 1, 1)
    assert "0/1" not in out.getvalue() and "1/1" not in out.getvalue()

"""HL7 v2 NNDSS case notifications -> cdc_case_reports, on the 8 real test
messages and on small made-up ones.

Expectations are computed here from the raw bytes with plain string splits,
not through the connector or the hl7 package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions, load_source
from connectors.identifiers import resident_id_check_char, resident_id_error
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError

LYME = [
    "Lyme_v1.0_TM_TC01.txt",
    "Lyme_v1.0_TM_TC02_UpdateTC01.txt",
    "Lyme_v1.0_TM_TC03_DeleteTC01.txt",
]
STATUS = {"410605003": "confirmed", "2931005": "probable", "415684004": "suspected"}


def segments(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\r").replace("\n", "\r")
    return [s.split("|") for s in text.split("\r") if s]


def raw_case(path: Path) -> dict[str, str]:
    """What one single-message fixture file says about its case."""
    segs = segments(path)
    pid = next(s for s in segs if s[0] == "PID")
    obr = next(s for s in segs if s[0] == "OBR")
    status = next(s for s in segs if s[0] == "OBX" and s[3].startswith("77990-0^"))
    state = next((s for s in segs if s[0] == "OBX" and s[3].startswith("77993-4^")), None)
    return {
        "state_case_id": state[5] if state else "",
        "patient": pid[3].split("^")[0],
        "birth": pid[7],
        "sex": pid[8],
        "report_id": obr[3].split("^")[0],
        "obr7": obr[7],
        "obr25": obr[25],
        "condition": obr[31].split("^")[0],
        "status": status[5].split("^")[0],
    }


def reports(node: Path) -> dict[str, dict[str, Any]]:
    with NodeStore(node, read_only=True) as store:
        cur = store.con.execute("SELECT * FROM cdc_case_reports")
        names = [d[0] for d in cur.description]
        return {r[1]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def assert_totals(report: QualityReport) -> None:
    assert report.rows_loaded + report.rows_rejected == report.rows_read


def load(paths: list[Path], node: Path, id_map: str = "pseudonymous") -> QualityReport:
    return load_source("hl7v2", paths, node, LoadOptions(id_map=id_map))


@pytest.fixture(scope="module")
def nndss(real_data: Path) -> Path:
    return real_data / "nndss"


@pytest.fixture(scope="module")
def loaded(nndss: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[QualityReport, Path]:
    node = tmp_path_factory.mktemp("nndss_node")
    return load([nndss], node), node


def expected_final(files: list[Path]) -> dict[str, dict[str, str]]:
    """Latest state per case in file order, a case being its state case id
    (OBX 77993-4) when it has one, else its local record id; 'Not a Case'
    removes it. Keyed by the report id of the case's last message."""
    state: dict[str, dict[str, str]] = {}
    for path in files:
        case = raw_case(path)
        key = case["state_case_id"] or case["report_id"]
        if case["status"] == "PHC178":
            state.pop(key, None)
        else:
            state[key] = case
    return {case["report_id"]: case for case in state.values()}


def test_all_eight_messages_are_read_and_the_final_states_loaded(
    nndss: Path, loaded: tuple[QualityReport, Path]
) -> None:
    report, node = loaded
    files = sorted(nndss.iterdir())
    assert len(files) == 8
    messages = sum(1 for f in files for s in segments(f) if s[0] == "MSH")
    assert messages == 8
    expected = expected_final(files)
    assert report.rows_read == messages
    assert report.rows_loaded == len(expected) == 4
    assert report.rows_rejected == messages - len(expected) == 4
    assert_totals(report)
    rows = reports(node)
    assert set(rows) == set(expected)
    icd10 = {"10190": "A37", "11080": "A69.2", "10440": "A20", "11550": "D59.3"}
    for report_id, case in expected.items():
        row = rows[report_id]
        obr7 = case["obr7"]
        assert str(row["report_date"]) == f"{obr7[:4]}-{obr7[4:6]}-{obr7[6:8]}"
        assert row["disease_icd10"] == icd10[case["condition"]]
        assert row["case_status"] == STATUS[case["status"]]
        assert resident_id_error(row["person_id"]) is None
        assert row["person_id"][6:14] == case["birth"]
        assert int(row["person_id"][16]) % 2 == (1 if case["sex"] == "M" else 0)
    assert rows["Pertussis_TC01"]["case_status"] == "probable"


def test_msh10_is_not_the_report_id(nndss: Path, loaded: tuple[QualityReport, Path]) -> None:
    control_ids = [segments(nndss / f)[0][9] for f in LYME]
    assert control_ids == ["MESSAGE CONTROL ID"] * 3
    tc04 = segments(nndss / "PERT_V1_TM_TC04.txt")[0][9]
    tc07 = segments(nndss / "PERT_V1_TM_TC07_UpdateTC04.txt")[0][9]
    assert tc04 == tc07 == "PERT_V1_TM_TC03"
    rows = reports(loaded[1])
    assert "Pertussis_TC07" in rows  # TC04 is the same case (state case id), superseded


def test_bom_zero_width_space_and_cr_only_segments_are_handled(
    nndss: Path, loaded: tuple[QualityReport, Path]
) -> None:
    report, node = loaded
    for name in ("PERT_V1_TM_TC04.txt", "PERT_V1_TM_TC07_UpdateTC04.txt"):
        data = (nndss / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbfMSH|")
        assert "\u200b" in data.decode("utf-8")
    for path in nndss.iterdir():
        data = path.read_bytes()
        assert b"\n" not in data and b"\r" in data
    rejected_files = {Path(r.file).name for r in report.rejections}
    assert rejected_files == {*LYME, "PERT_V1_TM_TC04.txt"}
    rows = reports(node)
    assert all(
        "\u200b" not in v and "\ufeff" not in v for r in rows.values() for v in map(str, r.values())
    )


def test_lyme_update_then_delete_leaves_no_report(
    nndss: Path, tmp_path: Path, loaded: tuple[QualityReport, Path]
) -> None:
    cases = [raw_case(nndss / f) for f in LYME]
    assert {c["report_id"] for c in cases} == {"TickborneLyme_TC01"}
    assert [c["obr25"] for c in cases] == ["F", "C", "C"]
    assert [c["status"] for c in cases] == ["410605003", "410605003", "PHC178"]

    first = load([nndss / LYME[0]], tmp_path / "one")
    assert first.rows_loaded == 1
    assert reports(tmp_path / "one")["TickborneLyme_TC01"]["case_status"] == "confirmed"

    updated = load([nndss / f for f in LYME[:2]], tmp_path / "two")
    assert (updated.rows_read, updated.rows_loaded, updated.rows_rejected) == (2, 1, 1)
    assert [(Path(r.file).name, r.row, r.field) for r in updated.rejections] == [
        (LYME[0], 1, "OBX 77993-4")
    ]
    assert "superseded" in updated.rejections[0].reason
    assert set(reports(tmp_path / "two")) == {"TickborneLyme_TC01"}

    deleted = load([nndss / f for f in LYME], tmp_path / "three")
    assert (deleted.rows_read, deleted.rows_loaded, deleted.rows_rejected) == (3, 0, 3)
    assert reports(tmp_path / "three") == {}
    removal = [w for w in deleted.warnings if "withdrawn" in w]
    assert len(removal) == 1 and LYME[2] in removal[0] and LYME[1] in removal[0]
    assert "TickborneLyme_TC01" not in reports(loaded[1])


def test_a_later_delete_does_not_silently_pass_an_earlier_load(nndss: Path, tmp_path: Path) -> None:
    node = tmp_path / "node"
    load([nndss / LYME[0]], node)
    update = load([nndss / LYME[1]], node)
    assert update.rows_loaded == 0
    assert [r.reason for r in update.rejections] == ["key (report_id) already loaded"]
    replaced = load_source(
        "hl7v2", [nndss / f for f in LYME], node, LoadOptions(id_map="pseudonymous", replace=True)
    )
    assert replaced.rows_loaded == 0 and reports(node) == {}


def test_pertussis_tc07_updates_tc04_through_the_state_case_id(
    nndss: Path, loaded: tuple[QualityReport, Path]
) -> None:
    """TC07 ("UpdateTC04") has another local record id but TC04's state case
    id: it is the same case, and replaces TC04 (issue 23, item 8)."""
    tc04 = raw_case(nndss / "PERT_V1_TM_TC04.txt")
    tc07 = raw_case(nndss / "PERT_V1_TM_TC07_UpdateTC04.txt")
    assert (tc04["report_id"], tc07["report_id"]) == ("Pertussis_TC04", "Pertussis_TC07")
    assert tc04["state_case_id"] == tc07["state_case_id"] == "2741"
    assert tc07["obr25"] == "C"
    report, node = loaded
    rows = reports(node)
    assert "Pertussis_TC04" not in rows and "Pertussis_TC07" in rows
    superseded = [r for r in report.rejections if Path(r.file).name == "PERT_V1_TM_TC04.txt"]
    assert [(r.field, "superseded" in r.reason) for r in superseded] == [("OBX 77993-4", True)]
    assert not any("correction (OBR-25 C) of a case not seen" in w for w in report.warnings)


def test_explicit_id_map_rejects_unmapped_patients(nndss: Path, tmp_path: Path) -> None:
    files = sorted(nndss.iterdir())
    patients = sorted({raw_case(f)["patient"] for f in files})
    left_out = "Pertussis_TC01"
    assert left_out in patients
    lines = []
    for i, source in enumerate(p for p in patients if p != left_out):
        body = f"44030519850101{2 * i + 1:03d}"
        lines.append(f"{source},{body + resident_id_check_char(body)}\n")
    id_map = tmp_path / "map.csv"
    id_map.write_text("source_id,person_id\n" + "".join(lines), encoding="utf-8")
    report = load(files, tmp_path / "node", str(id_map))
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (8, 3, 5)
    assert_totals(report)
    unmapped = [r for r in report.rejections if r.field == "PID-3"]
    assert [(Path(r.file).name, r.row, r.reason) for r in unmapped] == [
        ("PERT_V1_TM_TC01.txt", 1, "patient not in the id map")
    ]
    assert "Pertussis_TC01" not in reports(tmp_path / "node")


# -- small made-up messages ----------------------------------------------------------

MSH = "MSH|^~\\&|App|Fac|PHINCDS|PHIN|20200101120000-0500||ORU^R01^ORU_R01|{n}|P|2.5.1"
PID = "PID|1||{patient}^^^App||~^^^^^^S||19800101|F"
OBR = (
    "OBR|1||{report}^App|68991-9^Epidemiologic Information^LN|||{obr7}|||||||||||||||"
    "20200301|||{status}||||||{condition}"
)
OBX = "OBX|1|CWE|77990-0^Case Class Status Code^LN||{code}^x^SCT||||||F"


def message(
    n: int,
    patient: str = "P1",
    report: str = "R1",
    obr7: str = "20200215103000",
    status: str = "F",
    condition: str = "10190^Pertussis^NND",
    code: str = "410605003",
) -> list[str]:
    return [
        MSH.format(n=n),
        PID.format(patient=patient),
        OBR.format(report=report, obr7=obr7, status=status, condition=condition),
        OBX.format(code=code),
    ]


def test_made_up_file_with_several_messages_and_bad_ones(tmp_path: Path) -> None:
    msgs = [
        message(1),
        message(2, patient="", report="R2"),
        message(3, report="R3", code="UNK"),
        message(4, report="R4", condition="99999^Made up^NND"),
        message(5, report="R5", obr7="", code="2931005"),
        ["MSH|^~\\&|App|Fac|X|Y|20200101||ADT^A01|6|P|2.5.1", "PID|1||P9"],
        message(7, report="R7", code="415684004", condition="11080^Lyme Disease^NND"),
        message(8, report="R8", condition="10190^Whooping cough^NND"),
    ]
    path = tmp_path / "batch.hl7"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join("\r\n".join(m) for m in msgs).encode("utf-8"))
    report = load([path], tmp_path / "node")
    assert report.rows_read == 8
    assert_totals(report)
    bad = {(r.row, r.field) for r in report.rejections}
    assert bad == {(2, "PID-3"), (3, "OBX-5"), (4, "OBR-31"), (6, "MSH-9")}
    assert report.rows_loaded == 4
    rows = reports(tmp_path / "node")
    assert str(rows["R1"]["report_date"]) == "2020-02-15"
    assert str(rows["R5"]["report_date"]) == "2020-03-01"  # OBR-22 when OBR-7 is empty
    assert rows["R5"]["case_status"] == "probable"
    assert rows["R7"]["case_status"] == "suspected" and rows["R7"]["disease_icd10"] == "A69.2"
    assert any("99999 (1)" in w for w in report.warnings)
    assert any("differs from the code table: 10190 (1)" in w for w in report.warnings)


def test_the_epidemiologic_obr_is_used_even_when_a_lab_obr_comes_first(tmp_path: Path) -> None:
    lab = [
        "OBR|1|xyz|LAB-9^Lab|23826-1^B pert DNA XXX Ql PCR^LN|||20200110",
        "OBX|1|CWE|77990-0^Case Class Status Code^LN||2931005^x^SCT||||||F",
    ]
    msh, pid, obr, obx = message(1)
    path = tmp_path / "lab_first.hl7"
    path.write_text("\r".join([msh, pid, *lab, obr, obx]), encoding="utf-8")
    report = load([path], tmp_path / "node")
    assert report.rows_loaded == 1
    row = reports(tmp_path / "node")["R1"]
    assert (str(row["report_date"]), row["case_status"]) == ("2020-02-15", "confirmed")


def test_a_withdrawal_then_a_new_message_brings_the_case_back(tmp_path: Path) -> None:
    path = tmp_path / "story.hl7"
    msgs = [message(1), message(2, status="C", code="PHC178"), message(3, status="C")]
    path.write_text("\r".join("\r".join(m) for m in msgs), encoding="utf-8")
    report = load([path], tmp_path / "node")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 1, 2)
    assert reports(tmp_path / "node")["R1"]["case_status"] == "confirmed"


def test_a_file_without_any_message_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.hl7"
    path.write_text("PID|1||X\r", encoding="utf-8")
    with pytest.raises(InputError, match="no MSH segment"):
        load([path], tmp_path / "node")


# -- the second set of real files (issue 23) -----------------------------------------


def code_table() -> dict[str, tuple[str, str]]:
    """connectors/nndss_icd10.csv read with plain splits: code -> (icd10, name)."""
    path = Path(__file__).resolve().parents[2] / "connectors" / "nndss_icd10.csv"
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    import csv

    return {r["code"]: (r["icd10"], r["name"]) for r in csv.DictReader(lines)}


def test_the_code_table_is_cdcs_whole_list_with_its_source() -> None:
    path = Path(__file__).resolve().parents[2] / "connectors" / "nndss_icd10.csv"
    header = path.read_text(encoding="utf-8").split("\ncode,")[0]
    assert "CDCgov/data-exchange-hl7" in header
    assert "c1732e9eb475f3b74d0168d64fb01bb1f7817a63" in header
    assert "event_codes/nndss_events.csv" in header
    table = code_table()
    assert len(table) == 161
    mapped = {c for c, (icd, _) in table.items() if icd}
    assert len(mapped) > 100
    # the conditions the issue names as missing, and the 13 mapped before
    for code, icd in {
        "10110": "B15", "10100": "B16", "10180": "B26", "10130": "B54", "10250": "A77",
        "11065": "U07.1", "10190": "A37", "11080": "A69.2", "12010": "B60.0",
    }.items():  # fmt: skip
        assert table[code][0] == icd
    # codes without a single ICD-10 equivalent stay unmapped, with a reason
    lines = path.read_text(encoding="utf-8").splitlines()
    for code in ("50244", "10490", "10340", "50264"):
        assert table[code][0] == ""
        line = next(x for x in lines if x.startswith(code + ","))
        assert line.split(",", 3)[3].strip()


def test_real2_hepatitis_mumps_and_generic_v1_load(real2_files: Path, tmp_path: Path) -> None:
    folder = real2_files / "hl7v2" / "cdc-dex"
    names = [
        "Hepatitis_V1_0_1_TM_TC01_HEP_A_Acute.txt",
        "MUMPS_V1-0-1_TM_TC01.txt",
        "Genv1-Case-TestMessage1.HL7",
    ]
    report = load([folder / n for n in names], tmp_path / "node")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    rows = reports(tmp_path / "node")
    assert rows["HEP_A_TC01"]["disease_icd10"] == "B15"
    assert rows["Mumps_TC01"]["disease_icd10"] == "B26"
    # Generic v1: status in OBX INV163 after the NOTF OBR, not 77990-0
    genv1 = segments(folder / names[2])
    inv163 = next(s for s in genv1 if s[0] == "OBX" and s[3].startswith("INV163^"))
    assert inv163[5].split("^")[0] == "410605003"
    assert not any(s[0] == "OBX" and s[3].startswith("77990-0^") for s in genv1)
    assert rows["123451"]["disease_icd10"] == "A30"
    assert rows["123451"]["case_status"] == "confirmed"


def test_real2_a_message_without_any_case_status_is_still_rejected(tmp_path: Path) -> None:
    msh, pid, obr, _ = message(1)
    path = tmp_path / "no_status.hl7"
    path.write_text("\r".join([msh, pid, obr]), encoding="utf-8")
    report = load([path], tmp_path / "node")
    assert report.rows_loaded == 0
    assert [(r.field, r.reason) for r in report.rejections] == [
        ("OBX-5", "no case class status (OBX 77990-0 or INV163)")
    ]


def test_real2_cdc_create_update_delete_series_leaves_nothing(
    real2_files: Path, tmp_path: Path
) -> None:
    folder = real2_files / "hl7v2" / "cdc-dex"
    series = [
        folder / n
        for n in (
            "Lyme_V1.0.2_TM_TC01.txt",
            "Lyme_V1.0.2_TM_TC02_UpdateTC01.txt",
            "Lyme_V1.0.2_TM_TC03_DeleteTC01.txt",
        )
    ]
    cases = [raw_case(p) for p in series]
    assert len({c["report_id"] for c in cases}) == 3  # the local record id changes
    assert {c["state_case_id"] for c in cases} == {"340227"}  # the case does not
    report = load(series, tmp_path / "node")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 0, 3)
    assert reports(tmp_path / "node") == {}
    updated = load(series[:2], tmp_path / "two")
    assert updated.rows_loaded == 1
    assert set(reports(tmp_path / "two")) == {cases[1]["report_id"]}


def test_a_delete_or_update_matching_nothing_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "orphans.hl7"
    msgs = [message(1, report="R1", status="C", code="PHC178"), message(2, report="R2", status="C")]
    path.write_text("\r".join("\r".join(m) for m in msgs), encoding="utf-8")
    report = load([path], tmp_path / "node")
    assert report.rows_loaded == 1
    assert any(
        "withdrawal (Not a Case) of a case not seen" in w and "nothing was removed" in w
        for w in report.warnings
    )
    assert any("correction (OBR-25 C) of a case not seen" in w for w in report.warnings)


def test_a_listed_code_without_icd10_is_rejected_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "legionella.hl7"
    msgs = [message(1, condition="10490^Legionellosis^NND"), message(2, report="R2", condition="1")]
    path.write_text("\r".join("\r".join(m) for m in msgs), encoding="utf-8")
    report = load([path], tmp_path / "node")
    assert [(r.row, r.reason) for r in report.rejections] == [
        (1, "condition has no single ICD-10 equivalent (connectors/nndss_icd10.csv says why)"),
        (2, "condition code is not on CDC's NNDSS event code list"),
    ]


def test_real2_unreadable_files_beside_messages_are_file_rejections(
    real2_files: Path, tmp_path: Path
) -> None:
    report = load([real2_files / "hl7v2" / "cdc-dex"], tmp_path / "node")
    assert_totals(report)
    by_file = {Path(r.file).name: r for r in report.rejections if r.row is None}
    assert by_file["debatcher_empty.txt"].reason == "empty file (0 bytes)"
    assert by_file["CASE_message.txt"].reason.startswith("a JSON document, not HL7 v2")
    bad = next(r for r in report.rejections if Path(r.file).name == "Lyme_WithBadDelimiters.txt")
    assert bad.field == "MSH-2" and "'|&&&&'" in bad.reason
    # what loads: Hepatitis A, Mumps, Generic v1 (the Lyme series ends deleted)
    assert report.rows_loaded == 3


def test_real2_python_hl7_samples_say_what_they_are(real2_files: Path, tmp_path: Path) -> None:
    report = load([real2_files / "hl7v2" / "python-hl7"], tmp_path / "node")
    reasons = {(Path(r.file).name, r.row): r.reason for r in report.rejections}
    assert reasons[("sample_batch1.hl7", 1)] == (
        "an ADT^A04 message, not an ORU^R01 case notification"
    )
    assert reasons[("sample_hl7.hl7", 1)] == "no condition code: not an NNDSS case notification"


def test_only_unreadable_files_is_an_input_error_naming_each(tmp_path: Path) -> None:
    (tmp_path / "a.hl7").write_bytes(b"")
    (tmp_path / "b.txt").write_text("README: messages follow\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"none of the 2 files.*empty file.*no MSH segment"):
        load([tmp_path], tmp_path / "node")

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
    text = path.read_bytes().decode("utf-8-sig")
    return [s.split("|") for s in text.split("\r") if s]


def raw_case(path: Path) -> dict[str, str]:
    """What one single-message fixture file says about its case."""
    segs = segments(path)
    pid = next(s for s in segs if s[0] == "PID")
    obr = next(s for s in segs if s[0] == "OBR")
    status = next(s for s in segs if s[0] == "OBX" and s[3].startswith("77990-0^"))
    return {
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
    """Latest state per report id in file order; 'Not a Case' removes it."""
    state: dict[str, dict[str, str]] = {}
    for path in files:
        case = raw_case(path)
        if case["status"] == "PHC178":
            state.pop(case["report_id"], None)
        else:
            state[case["report_id"]] = case
    return state


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
    assert report.rows_loaded == len(expected) == 5
    assert report.rows_rejected == messages - len(expected) == 3
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
    assert {"Pertussis_TC04", "Pertussis_TC07"} <= set(rows)


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
    assert rejected_files == set(LYME)
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
        (LYME[0], 1, "OBR-3")
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


def test_pertussis_tc07_uses_another_local_id_than_tc04(
    nndss: Path, loaded: tuple[QualityReport, Path]
) -> None:
    tc04 = raw_case(nndss / "PERT_V1_TM_TC04.txt")
    tc07 = raw_case(nndss / "PERT_V1_TM_TC07_UpdateTC04.txt")
    assert (tc04["report_id"], tc07["report_id"]) == ("Pertussis_TC04", "Pertussis_TC07")
    assert tc07["obr25"] == "C"
    report, node = loaded
    rows = reports(node)
    assert rows["Pertussis_TC04"]["person_id"] != rows["Pertussis_TC07"]["person_id"]
    assert any("correction (OBR-25 C) of a case not seen" in w for w in report.warnings)
    assert any("share a state case id" in w for w in report.warnings)


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
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (8, 4, 4)
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

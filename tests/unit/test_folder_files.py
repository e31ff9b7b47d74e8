"""A folder given to `tspace load` is read with its subfolders
(connectors/files.py): a provider's download folder keeps one subfolder per
publisher or export, and reading only its top level dropped every file below
without a word (`tspace load ocds real2/ocds`: "no OCDS files")."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import LoadOptions, load_source
from connectors.files import folder_files
from connectors.node_store import NodeStore

HEADER = "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
VISIT = "11010519491231002X,v{n},H1,2025-01-02,inpatient,2025-01-05,E119,1234.50\n"


def test_every_level_sorted_hidden_names_skipped_folder_links_not_followed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "downloads"
    for rel in ("b.json", "a/z.json", "a/b/c.json", "a/readme.md", ".cache/x.json", "a/.x.json"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("{}", encoding="utf-8")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "linked.json").symlink_to(root / "b.json")
    got = folder_files(root, lambda p: p.suffix == ".json")
    assert [p.relative_to(root).as_posix() for p in got] == [
        "a/b/c.json",
        "a/z.json",
        "b.json",
        "linked.json",
    ]


def test_a_csv_folder_with_subfolders_loads_them_all(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    for n, rel in enumerate(("visits.csv", "2024/visits.csv", "2024/q4/visits.csv")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(HEADER + VISIT.format(n=n), encoding="utf-8")
    report = load_source("csv", [root], tmp_path / "node", LoadOptions())
    assert (report.rows_read, report.rows_loaded) == (3, 3)
    with NodeStore(tmp_path / "node", read_only=True) as store:
        ids = store.con.execute("SELECT visit_id FROM hospital_visits ORDER BY 1").fetchall()
    assert ids == [("v0",), ("v1",), ("v2",)]


MSG = (
    "MSH|^~\\&|App|Fac|PHINCDS|PHIN|20240101||ORU^R01^ORU_R01|m1|P|2.5.1\r"
    "PID|1||P1^^^App||~^^^^^^S||19800101|F\r"
)


@pytest.mark.parametrize(
    ("kind", "name", "body", "label"),
    [
        ("hl7v2", "case.hl7", MSG, "HL7 v2"),
        ("ocds", "r.json", '{"releases": []}', "OCDS"),
        ("fhir", "Encounter.ndjson", '{"resourceType": "Patient", "id": "p"}\n', "FHIR"),
    ],
)
def test_other_files_in_a_folder_are_named_not_dropped_silently(
    tmp_path: Path, kind: str, name: str, body: str, label: str
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / name).write_text(body, encoding="utf-8")
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    (folder / "sub" / "scan.pdf").write_bytes(b"%PDF")
    report = load_source(kind, [folder], tmp_path / "node", LoadOptions(id_map="pseudonymous"))
    assert report.files == [str(folder / "sub" / name)]
    note = next(w for w in report.warnings if "not read" in w)
    assert f"not {label} files, not read: 2 (e.g. " in note
    assert "README.md" in note and "scan.pdf" in note

"""The hostile input corpus (tests/corpus/, expected answers in
tests/corpus/expected.yaml): every case through the CLI into a node that
already holds good records. No case may print a traceback, hang, or lose a
record stored before it; each gets its expected clear error or its exact
rejections by row and field. Policy documents are also refused by a space."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from connectors.base import LoadOptions, load_source
from connectors.quality import EXIT_NOTHING_LOADED
from tests.stewards import add_steward
from trusted_space.cli import app
from trusted_space.core.errors import InputError
from trusted_space.space.space import Space

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)
HEADER = "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
GOOD = [
    "110108196008307947,K0000000001,H110108001,2021-08-31,outpatient,,J06.9,269.40\n",
    "110101196403216960,K0000000002,H110101001,2024-08-30,inpatient,2024-09-02,I10,1701.36\n",
    "110101196403216960,K0000000003,H110101001,2025-01-02,emergency,,S52.5,880.00\n",
]
LOADS = sorted(k for k in EXPECTED if not k.startswith("policy/"))
POLICIES = sorted(k for k in EXPECTED if k.startswith("policy/"))


def flat(text: str) -> str:
    """Console output without its line wrapping."""
    return " ".join(text.split())


def cli(*args: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run tspace in-process; a case that does not finish in ``timeout`` hangs."""
    done: dict[str, Any] = {}

    def run() -> None:
        done["result"] = CliRunner().invoke(app, ["--lang", "en", *args])

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"tspace {' '.join(args)} hung"
    result = done["result"]
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    assert "Traceback" not in result.output
    return int(result.exit_code), result.output


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "good.csv").write_text(HEADER + "".join(GOOD), encoding="utf-8")
    report = load_source("csv", [folder / "good.csv"], folder / "node", LoadOptions())
    assert report.rows_loaded == len(GOOD)
    return folder / "node"


def kept(node: Path) -> list[str]:
    con = duckdb.connect(str(node / "node.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT visit_id FROM hospital_visits WHERE visit_id LIKE 'K%' ORDER BY visit_id"
        ).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


def load_case(kind: str, path: Path, baseline: Path, tmp_path: Path) -> tuple[int, str, Path]:
    node = tmp_path / "node"
    shutil.copytree(baseline, node)
    report = tmp_path / "report.json"
    extra = ["--id-map", "pseudonymous"] if kind in ("fhir", "hl7v2") else []
    code, out = cli(
        "load", kind, str(path), "--node-dir", str(node), "--report", str(report), *extra
    )
    assert kept(node) == ["K0000000001", "K0000000002", "K0000000003"], "a stored record was lost"
    return code, out, report


@pytest.mark.parametrize("case", LOADS)
def test_a_hostile_source_gets_a_clear_answer(case: str, baseline: Path, tmp_path: Path) -> None:
    expected = EXPECTED[case]
    kind = case.split("/")[0]
    code, out, report = load_case(kind, CORPUS / case, baseline, tmp_path)
    if "error" in expected:
        assert code == 2, out
        assert flat(expected["error"]) in flat(out)
        assert flat(out).startswith("Error:") and str(CORPUS / case) in flat(out)
        assert not report.exists(), "a failed load writes no report"
        return
    data = json.loads(report.read_text(encoding="utf-8"))
    nothing = data["rows_loaded"] == 0 and data["rows_merged"] == 0
    assert code == (EXIT_NOTHING_LOADED if nothing else 0), out  # pipelines notice
    assert data["rows_loaded"] == expected["loaded"]
    assert data["rows_read"] == data["rows_loaded"] + data["rows_merged"] + data["rows_rejected"]
    got = [f"{r['row']} {r['field'] or '(record)'}: {r['reason']}" for r in data["rejections"]]
    want = expected.get("rejected", [])
    assert len(got) == len(want), got
    for line in want:
        assert any(g.startswith(line) for g in got), (line, got)
    if "warning" in expected:
        assert any(expected["warning"] in w for w in data["warnings"]), data["warnings"]


@pytest.mark.parametrize(
    ("name", "content", "answer"),
    [
        (
            "huge_field.csv",
            HEADER
            + GOOD[0].replace("269.40", "9" * (2 << 20)).replace("K0", "Z0")
            + GOOD[0].replace("K0", "Z1"),
            "1 (record): malformed record: field larger than field limit",
        ),
        (
            "huge_header.csv",
            "x" * (2 << 20) + "\n1\n",
            "unreadable header: field larger than field limit",
        ),
    ],
)
def test_huge_fields(name: str, content: str, answer: str, baseline: Path, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, report = load_case("csv", path, baseline, tmp_path)
    if code == 2:
        assert flat(answer) in flat(out)
        return
    data = json.loads(report.read_text(encoding="utf-8"))
    got = [f"{r['row']} {r['field'] or '(record)'}: {r['reason']}" for r in data["rejections"]]
    assert data["rows_loaded"] == 1 and len(got) == 1 and got[0].startswith(answer), got


@pytest.mark.parametrize("case", POLICIES)
def test_a_hostile_policy_is_refused_with_every_problem(case: str, tmp_path: Path) -> None:
    problems = EXPECTED[case]["invalid"]
    code, out = cli("policy", "validate", str(CORPUS / case))
    assert code == 1, out
    assert f"{len(problems)} errors" in flat(out)
    for line in problems:
        assert flat(line) in flat(out), (line, out)
    space = Space(tmp_path / "space")
    try:
        add_steward(space, "steward", ["hospital"])
        with pytest.raises(InputError):
            space.publish_policy("steward", (CORPUS / case).read_bytes())
        assert space.policy_records("steward") == []
    finally:
        space.close()


def test_every_corpus_file_has_an_expected_answer() -> None:
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    assert files - {"expected.yaml"} == set(EXPECTED)

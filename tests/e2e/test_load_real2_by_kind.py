"""`tspace load KIND ../shared/data/real2/KIND`: the whole of the second set
of real files, by kind, as a provider would first try it (issue 23, "Done
when"). Each load reads the subfolders, reports the unreadable files first,
then the rejected rows by reason, commonest first (the first ten rows hid
Taiwan's 25 "declare its default_scheme" rows below the cove-ocds edge
cases), then the warnings. In process (tests/cli_runner.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run_tspace_wide

# kind -> (exit code, what the summary must say, in order)
EXPECTED = {
    "ocds": (
        0,
        [
            "Read 125 rows, loaded 62, rejected 63",
            "3 file(s) could not be read and were skipped:",
            "paraguay/records/283826.json: empty file",
            "60 row(s) rejected, by reason (6, commonest first):",
            "  25 × no scheme, and the id is neither",
            "declares its default_scheme",
            "    first at ",
            "awards is not an array",
        ],
    ),
    "hl7v2": (
        0,
        [
            "Read 12 rows, loaded 3, rejected 9",
            "2 file(s) could not be read and were skipped:",
            "CASE_message.txt: a JSON document, not HL7 v2",
            "debatcher_empty.txt: empty file (0 bytes)",
            "7 row(s) rejected, by reason (6, commonest first):",
            "  2 × an ADT^A04 message, not an ORU^R01 case notification",
            "case withdrawn (Not a Case)",
        ],
    ),
    "fhir": (
        0,
        [
            "Read 407 rows, loaded 6, rejected 401",
            "401 row(s) rejected, by reason (",
            "  103 × Encounter.class 'EW EMER.'",
            "declare it under encounter_class in the FHIR settings (--mapping)",
            "more reason(s) in the report",
            "a transaction Bundle of 116 entries",
            "code systems not declared: 2: http://fhir.mimic.mit.edu/CodeSystem/diagnosis-icd9 "
            "(2107), http://fhir.mimic.mit.edu/CodeSystem/diagnosis-icd10 (2074); if one is an "
            "ICD-10 or ICD-9 edition, declare it under code_systems",
        ],
    ),
    "synthea": (
        0,
        ["Read 4402 rows, loaded 4402, rejected 0", "start after the patient's DEATHDATE"],
    ),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_the_whole_of_real2_by_kind_prints_what_a_provider_acts_on(
    real2_files: Path, tmp_path: Path, kind: str
) -> None:
    ids = [] if kind == "ocds" else ["--id-map", "pseudonymous"]
    result = run_tspace_wide(
        "load", kind, str(real2_files / kind), "--node-dir", str(tmp_path / "node"), *ids
    )
    code, said = EXPECTED[kind]
    assert result.returncode == code, result.stdout + result.stderr
    at = 0
    for text in said:
        found = result.stdout.find(text, at)
        assert found >= 0, (text, result.stdout)
        at = found
    assert "Traceback" not in result.stderr


def test_the_summary_speaks_chinese_under_zh_cn(real2_files: Path, tmp_path: Path) -> None:
    result = run_tspace_wide(
        "--lang", "zh-CN", "load", "hl7v2", str(real2_files / "hl7v2"),
        "--node-dir", str(tmp_path / "node"), "--id-map", "pseudonymous",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "拒收 7 行，按原因（6 种，多者在前）：" in result.stdout
    assert "首见于 " in result.stdout and "first at" not in result.stdout

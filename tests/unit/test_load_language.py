"""The FHIR, Synthea and OCDS loads say their rejection reasons and warnings
in the reader's language on the terminal, and keep them in English in the
report, for scripts (issue 24 item 9), as the CSV and HL7 v2 loads do
(tests/unit/test_language_leaks.py)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.unit.test_cli_language import CJK
from tests.unit.test_language_leaks import leaks
from trusted_space.cli import app
from trusted_space.core.error_text.formats import FORMATS
from trusted_space.core.i18n import (
    LANGUAGES,
    MESSAGES,
    Text,
    english,
    language,
    recognised,
    set_language,
)


def _sample(key: str) -> dict[str, str]:
    names = {n for _, n, _, _ in string.Formatter().parse(FORMATS[key]["en"]) if n}
    return {name: f"{i + 7}" for i, name in enumerate(sorted(names))}


@pytest.mark.parametrize("key", sorted(FORMATS))
def test_each_reason_and_warning_is_found_again_from_its_english(key: str) -> None:
    """What the report keeps (English) is said in Chinese on the terminal."""
    written = english(Text(key, **_sample(key)))
    found = recognised(written)
    # Another entry of the same English (policy_doc.utf8: "not UTF-8 text") may say it.
    assert isinstance(found, Text) and found.text("en") == written, (written, found)
    assert found.key == key or MESSAGES[found.key]["en"] == FORMATS[key]["en"], found
    said = found.text("zh-CN")
    assert CJK.search(said) and leaks("zh-CN", said) == [], said


def test_the_examples_of_a_counted_note_are_said_place_by_place() -> None:
    places = [Text("err.connectors.ocds.at", file="a.json", row=n) for n in (3, 9, 12)]
    examples = Text("err.connectors.ocds.e_g3", first=places[0], second=places[1], third=places[2])
    written = english(Text("err.connectors.ocds.note.no_buyer", n=3, examples=examples))
    assert written.endswith(": 3 (e.g. a.json row 3; a.json row 9; a.json row 12)"), written
    said = recognised(written)
    assert isinstance(said, Text)
    assert said.text("zh-CN").endswith("：3（如 a.json 第 3 项；a.json 第 9 项；a.json 第 12 项）")
    assert said.text("en") == written


def _load(kind: str, paths: list[Path], tmp: Path, *extra: str) -> dict[str, Any]:
    """The load's terminal lines that say reasons or warnings, by language,
    and its report."""
    shown: dict[str, list[str]] = {}
    report: dict[str, Any] = {}
    for lang in LANGUAGES:
        out = tmp / f"report-{lang}.json"
        args = ["load", kind, *map(str, paths), "--node-dir", str(tmp / lang), *extra]
        before = language()
        try:
            result = CliRunner().invoke(app, ["--lang", lang, *args, "--report", str(out)])
        finally:
            set_language(before)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        shown[lang] = [
            line.replace(str(tmp), " ") for line in lines if " × " in line or "  ! " in line
        ]
        report = json.loads(out.read_text(encoding="utf-8"))
    said = report["warnings"] + [r["reason"] for r in report["rejections"]]
    assert not CJK.search(" ".join(said)), said
    assert len(shown["zh-CN"]) == len(shown["en"]) >= 4, shown
    for line in shown["zh-CN"]:
        assert CJK.search(line) and leaks("zh-CN", line) == [], line
    for line in shown["en"]:
        assert not CJK.search(line), line
    return {"report": report, **shown}


def _encounter(ident: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2021-03-04"},
        **fields,
    }


def test_a_fhir_load_speaks_the_readers_language(tmp_path: Path) -> None:
    source = tmp_path / "Encounter.ndjson"
    lines = [
        json.dumps(_encounter("e1")),
        "{not json",
        json.dumps(_encounter("e2", status="entered-in-error")),
        json.dumps(_encounter("e3", subject={"display": "nobody"})),
        json.dumps(_encounter("e4", **{"class": {"system": "urn:local", "code": "XYZ"}})),
        json.dumps({"resourceType": "Observation", "id": "o1"}),
        json.dumps({"no": "type"}),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shown = _load("fhir", [source], tmp_path, "--id-map", "pseudonymous")
    reasons = {r["reason"] for r in shown["report"]["rejections"]}
    assert "status entered-in-error: not a visit" in reasons, reasons
    assert "no Patient reference" in reasons
    assert any("状态为 entered-in-error：不是一次就诊" in line for line in shown["zh-CN"])
    assert any("没有 Patient 引用" in line for line in shown["zh-CN"])
    assert any("未用于 hospital_visits 的资源：Observation (1)" in line for line in shown["zh-CN"])


def test_a_synthea_load_speaks_the_readers_language(tmp_path: Path) -> None:
    folder = tmp_path / "synthea"
    folder.mkdir()
    (folder / "encounters.csv").write_text(
        "Id,START,STOP,PATIENT,ORGANIZATION,ENCOUNTERCLASS,TOTAL_CLAIM_COST,REASONCODE\n"
        "e1,2021-03-04T10:00:00Z,,p1,o1,ambulatory,10.00,\n"
        "e2,2021-03-05T10:00:00Z,,p1,o1,teleport,10.00,\n"
        "e3,2021-03-06T10:00:00Z,,p1,o1,wellness,10.00,\n",
        encoding="utf-8",
    )
    (folder / "patients.csv").write_text(
        "Id,BIRTHDATE,GENDER,DEATHDATE\np1,1970-01-01,F,2021-03-05\np1,1970-01-01,F,\n"
        "p2,1970-01-01,F,,an extra field\n",
        encoding="utf-8",
    )
    (folder / "other.csv").write_text("a\n1\n", encoding="utf-8")
    shown = _load("synthea", [folder], tmp_path, "--id-map", "pseudonymous")
    warnings = shown["report"]["warnings"]
    assert any("unknown ENCOUNTERCLASS taken as outpatient: teleport (1)" in w for w in warnings)
    assert any("未知的 ENCOUNTERCLASS 按门诊" in line for line in shown["zh-CN"])
    assert any("没有 conditions.csv：icd10 只取自 REASONCODE" in line for line in shown["zh-CN"])
    # A broken record is found by its spreadsheet line (item 11), in both languages.
    assert any("patients.csv row 3 (line 4): " in w for w in warnings), warnings
    assert any("patients.csv 第 3 行（文件第 4 行）：" in line for line in shown["zh-CN"])


def test_an_ocds_load_speaks_the_readers_language(tmp_path: Path) -> None:
    def party(pid: str, ident: dict[str, Any] | None, roles: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": pid, "name": f"Company {pid}", "roles": roles}
        if ident is not None:
            out["identifier"] = ident
        return out

    good = {"scheme": "CN-USCC", "id": "91350100M000100Y43"}
    releases = [
        {
            "ocid": "ocds-t-1",
            "id": "1",
            "date": "2024-03-01T10:00:00Z",
            "tag": ["award"],
            "parties": [
                party("b", good, ["buyer"]),
                party("s1", {"scheme": "CN-USCC", "id": "91350100M000100Y44"}, ["supplier"]),
                party("s2", None, ["supplier"]),
            ],
            "buyer": {"id": "b"},
            "tender": {"tenderPeriod": {"startDate": "2024-02-01"}},
            "awards": [
                {"id": "a1", "date": "2024-03-01", "suppliers": [{"id": "s1"}, {"id": "s2"}]},
                {"date": "2024-03-01", "suppliers": [{"id": "b"}]},
                "not an award",
            ],
        },
        {"ocid": "ocds-t-2", "id": "1", "tag": ["tender"], "tender": {}},
    ]
    source = tmp_path / "releases.json"
    source.write_text(json.dumps({"version": "1.1", "releases": releases}), encoding="utf-8")
    shown = _load("ocds", [source], tmp_path)
    reasons = {r["reason"] for r in shown["report"]["rejections"]}
    assert "award has no id" in reasons, reasons
    assert "not an award object" in reasons
    assert any(r.startswith("supplier without a party key: ") for r in reasons), reasons
    assert any("中标没有编号" in line for line in shown["zh-CN"])
    assert any("供应商没有参与方键：" in line for line in shown["zh-CN"])
    assert any("（如 " in line and " 第 " in line for line in shown["zh-CN"]), shown["zh-CN"]


@pytest.mark.parametrize("more", [0, 3])
def test_a_listing_and_its_tail_side_by_side_are_told_apart(more: int) -> None:
    """``{listed}{tail}``: " and 3 more" after the codes is said in Chinese too
    (Synthea's and FHIR's unmapped codes on the real fixtures)."""
    tail = Text("err.connectors.codes.more", n=more) if more else ""
    written = english(
        Text(
            "err.connectors.codes.unmapped",
            n=28,
            system="SNOMED CT",
            consequence=Text("err.connectors.codes.icd10_null"),
            listed="314529007 (117), 68235000 (1)",
            tail=tail,
        )
    )
    said = recognised(written)
    assert isinstance(said, Text) and said.text("en") == written
    zh = said.text("zh-CN")
    assert zh.endswith("：314529007 (117), 68235000 (1)" + (" 等，另有 3 个" if more else "")), zh
    assert leaks("zh-CN", zh) == [], zh

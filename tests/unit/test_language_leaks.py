"""No user-facing text of one language under the other (issue 24 item 9).

Under zh-CN (the default) a command's errors, ``policy explain``'s reasons
(the console shows the same ones), and the service's problem documents say
nothing in English but identifiers, codes, file names and the words of
tests/unit/test_cli_language.py's allow-list; under ``--lang en`` they say
nothing in Chinese. Each path below is one a new user hit (issue 24)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from policies.engine import evaluate
from tests.unit.test_cli_language import CJK, _english_left
from tests.unit.test_policies import CDC, HOSPITAL, FakeUsage, job, policy
from trusted_space.cli import app
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import LANGUAGES, Text, language, set_language, speaking
from trusted_space.demo import default_model_path

ROOT = Path(__file__).resolve().parents[2]


def leaks(lang: str, text: str) -> list[str]:
    """What in ``text`` is in the other language ('' when nothing)."""
    if lang == "en":
        return CJK.findall(text)
    # File paths of the test's temporary folder are names, not words.
    return _english_left(text.replace(str(Path.cwd()), " "))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "bank": tmp_path / "bank.csv",
        "applicants": tmp_path / "applicants.csv",
        "duplicates": tmp_path / "dup.csv",
        "short": tmp_path / "short.csv",
        "model": tmp_path / "model.json",
        "weights": tmp_path / "weights.json",
        "empty": tmp_path / "empty.csv",
    }
    out["bank"].write_text("applicant_ref\nA1\n", encoding="utf-8")
    out["applicants"].write_text("applicant_ref,person_id\nA1,1\n", encoding="utf-8")
    out["duplicates"].write_text(
        "applicant_ref,person_id\nA1,11010519491231002X\nA1,110105194912310021\n",
        encoding="utf-8",
    )
    out["short"].write_text("applicant_ref,person_id\nA1\n", encoding="utf-8")
    out["model"].write_text('{"name": "m",', encoding="utf-8")
    document = json.loads(default_model_path().read_text(encoding="utf-8"))
    document["colour"] = "red"
    out["weights"].write_text(json.dumps(document), encoding="utf-8")
    out["empty"].write_text("", encoding="utf-8")
    return out


def _underwrite(applicants: Path, model: Path, tmp: Path) -> list[str]:
    return [
        "underwrite",
        *("--hospital", str(tmp / "applicants.csv")),
        *("--cdc-reports", str(tmp / "applicants.csv")),
        *("--cdc-registry", str(tmp / "applicants.csv")),
        *("--applicants", str(applicants)),
        *("--model", str(model)),
        *("--as-of", "2026-01-01"),
        *("--out", str(tmp / "out.csv")),
    ]


CASES = ["missing column", "duplicate ref", "short record", "bad json", "unknown key", "empty"]


def _args(case: str, files: dict[str, Path], tmp: Path) -> list[str]:
    model = default_model_path()
    if case == "missing column":
        return [
            "lend",
            *("--tenders", str(tmp)),
            *("--applicants", str(files["bank"])),
            *("--as-of", "2026-01-01"),
            *("--out", str(tmp / "f.csv")),
        ]
    if case == "duplicate ref":
        return _underwrite(files["duplicates"], model, tmp)
    if case == "short record":
        return _underwrite(files["short"], model, tmp)
    if case == "bad json":
        return _underwrite(files["applicants"], files["model"], tmp)
    if case == "unknown key":
        return _underwrite(files["applicants"], files["weights"], tmp)
    return _underwrite(files["empty"], model, tmp)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", CASES)
def test_a_command_error_is_in_one_language(
    case: str, lang: str, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = language()
    try:
        result = CliRunner().invoke(app, ["--lang", lang, *_args(case, files, tmp_path)])
    finally:
        set_language(before)
    shown = result.output
    assert result.exit_code == 2, shown
    assert shown.startswith("错误：" if lang == "zh-CN" else "Error: "), shown
    assert leaks(lang, shown) == [], shown


def test_an_invalid_id_on_the_terminal_is_in_the_readers_language(tmp_path: Path) -> None:
    from connectors.applicants import read_applicants

    batch = tmp_path / "applicants.csv"
    batch.write_text(
        "applicant_ref,person_id\nA1,110105194912310021\nA2,110105194902300020\nA3,12\nA4,\n",
        encoding="utf-8",
    )
    details = [a.detail for a in read_applicants(batch)]
    for lang in LANGUAGES:
        with speaking(lang):
            shown = [str(d.reason) for d in details if d is not None]
        assert len(shown) == 4
        assert all(leaks(lang, s) == [] for s in shown), shown
    # Output files keep English, like every file format.
    assert str(details[0]).startswith("row 1 (line 2), person_id: check character")


def _decisions() -> list[Any]:
    """Allowed and denied decisions touching every constraint a policy has."""
    from policies.model import parse_policy

    both = [parse_policy(p.read_text("utf-8")) for p in (HOSPITAL, CDC)]
    late = dt.datetime(2031, 1, 1, 12, tzinfo=dt.UTC)
    early = dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)
    return [
        evaluate(both, job(), FakeUsage()),
        evaluate(both, job(), None),
        evaluate(both, job(consumer="bank", purpose="marketing"), None),
        evaluate(both, job(batch_size=1), None),
        evaluate(both, job(batch_size=10**9), FakeUsage(jobs=10**6, subjects=10**9)),
        evaluate(both, job(when=late), None),
        evaluate(both, job(when=early), None),
        evaluate(both, job(model_sha256="0" * 64, engine="direct_lookup"), None),
        evaluate([both[0]], job(), None),  # the CDC's data is governed by no policy
        evaluate([policy(output__features=["visits_12m"])], job(), None),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_policy_reasons_are_in_one_language(lang: str) -> None:
    decisions = _decisions()
    assert {d.allowed for d in decisions} == {True, False}
    constraints = {r.constraint for d in decisions for r in d.reasons}
    assert {"validity", "consumer", "purpose", "batch_size", "model", "coverage"} <= constraints
    for decision in decisions:
        for reason in decision.reasons:
            text = reason.text(lang)
            assert leaks(lang, text) == [], (reason.constraint, text)


def _service() -> TestClient:
    from trusted_space.service.problems import install

    api = FastAPI()
    install(api)

    @api.get("/bad")
    def bad() -> None:
        raise InputError(Text("batch.duplicate_ref", first=1), Location("batch.csv", 2, "ref"))

    return TestClient(api, raise_server_exceptions=False)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_problem_document_is_in_the_language_asked(lang: str) -> None:
    client = _service()
    body = client.get("/bad", headers={"Accept-Language": lang}).json()
    assert body["status"] == 422
    for field in ("title", "detail"):
        assert leaks(lang, body[field]) == [], body
    # Without Accept-Language: the service's own language.
    before = language()
    set_language(lang)
    try:
        body = client.get("/bad").json()
    finally:
        set_language(before)
    assert leaks(lang, body["detail"]) == [] and bool(CJK.search(body["title"])) == (lang != "en")


POLICIES = {
    "schema": "id: x\nversion: 1\nproduct: underwriting_score\nowners: [hospital]\nfoo: 1\n",
    "product": "id: x\nversion: 1\nproduct: nothing\nowners: [hospital]\n",
    "yaml": "id: x\nproduct: (a): b: c\n",
    "list": "- a\n- b\n",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(POLICIES))
def test_policy_validate_speaks_one_language(case: str, lang: str, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICIES[case], encoding="utf-8")
    before = language()
    try:
        result = CliRunner().invoke(app, ["--lang", lang, "policy", "validate", str(path)])
    finally:
        set_language(before)
    assert result.exit_code == 1, result.output
    assert leaks(lang, result.output.replace(str(path), " ")) == [], result.output


USAGE_ERRORS = {
    "no such option": ["lend", "--bogus", "x"],
    "did you mean": ["lend", "--tendrs", "x"],
    "missing option": ["lend"],
    "option needs a value": ["lend", "--tenders"],
    "no such command": ["lnd"],
    "not an integer": ["synth", "--people", "many"],
    "extra arguments": ["ledger", "verify", "a", "b"],
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_a_usage_error_is_in_one_language(case: str, lang: str) -> None:
    """typer's own usage errors ("No such option", "Missing option", "Usage:",
    "Try ... for help") under zh-CN, as a new user mistypes an option."""
    before = language()
    try:
        result = CliRunner().invoke(app, ["--lang", lang, *USAGE_ERRORS[case]])
    finally:
        set_language(before)
    shown = result.output
    assert result.exit_code == 2, shown
    named = shown  # the command and the values the user typed are names
    for word in USAGE_ERRORS[case]:
        named = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", named)
    assert leaks(lang, named) == [], shown
    assert ("错误" in shown) == (lang == "zh-CN") and ("Error" in shown) == (lang == "en")
    # The option or command the user wrote stays as written.
    written = [a for a in USAGE_ERRORS[case] if a.startswith("--") or a == "lnd"]
    assert all(w in shown for w in written[-1:]), shown


def test_an_unknown_usage_error_form_is_left_as_typer_words_it() -> None:
    from trusted_space.cli.click_words import translate

    with speaking("zh-CN"):
        assert translate("Missing option '--out'.") == "缺少选项 '--out'。"
        assert translate("Invalid value for '--as-of': Value 'x' is not a valid int.") == (
            "'--as-of' 的值无效：'x' 不是有效的整数。"
        )
        assert translate("something new") == "something new"
    with speaking("en"):
        assert translate("Missing option '--out'.") == "Missing option '--out'."


OCDS_FILES = {
    "empty": "",
    "empty array": "[]\n",
    "array of numbers": "[1]\n",
    "not a release": '{"a": 1}\n',
    "only white space": "  \n",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(OCDS_FILES))
def test_a_source_files_error_is_in_one_language(case: str, lang: str, tmp_path: Path) -> None:
    """The first errors a trading centre meets loading its files (issue 24
    item 9: connectors' file errors were English under zh-CN)."""
    path = tmp_path / "centre.json"
    path.write_text(OCDS_FILES[case], encoding="utf-8")
    args = ["load", "ocds", str(path), "--node-dir", str(tmp_path / "node")]
    before = language()
    try:
        result = CliRunner().invoke(app, ["--lang", lang, *args])
    finally:
        set_language(before)
    shown = result.output
    assert result.exit_code == 2, shown
    assert shown.startswith("错误：" if lang == "zh-CN" else "Error: "), shown
    assert leaks(lang, shown.replace(str(path), " ").replace("centre.json", " ")) == [], shown


MAPPINGS = {
    "unknown table": "table: nope\n",
    "unknown key": "table: tender_bids\ncolour: red\n",
    "section not a mapping": "table: tender_bids\ncolumns: [a]\n",
    "not a mapping": "- a\n",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(MAPPINGS))
def test_a_mapping_files_error_is_in_one_language(case: str, lang: str, tmp_path: Path) -> None:
    """``tspace load csv FILE --mapping M``: the mapping's errors (issue 24 item 9)."""
    source = tmp_path / "bids.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPINGS[case], encoding="utf-8")
    args = ["load", "csv", str(source), "--mapping", str(mapping)]
    before = language()
    try:
        result = CliRunner().invoke(
            app, ["--lang", lang, *args, "--node-dir", str(tmp_path / "node")]
        )
    finally:
        set_language(before)
    shown = result.output
    assert result.exit_code == 2, shown
    named = shown.replace(str(mapping), " ").replace("mapping.yaml", " ")
    # Table, section and key names are identifiers.
    for word in ("tender_bids", "table", "columns", "colour", "nope"):
        named = named.replace(word, " ")
    assert leaks(lang, named) == [], shown


def _raised(call: Any) -> Exception:
    try:
        call()
    except Exception as exc:  # the refusal under test, whatever its class
        return exc
    raise AssertionError("nothing was raised")


def _floor_errors() -> dict[str, Exception]:
    """One refusal of each floor whose words are in trusted_space/core/error_text."""
    from connectors.id_map import require_id_map
    from connectors.node.task_checks import _altered
    from policies.examples import example_for
    from trusted_space.hazmat import psi
    from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024, require_production

    return {
        "base: a weak key": _raised(lambda: require_production(TEST_ONLY_PAILLIER_1024)),
        "base: a malformed PSI message": _raised(lambda: psi.response_size(b"\xff\xff\xff")),
        "nodes: an altered task": _altered(Text("err.nodes.field.batch_size"), "bank"),
        "connectors: no id map": _raised(lambda: require_id_map(None, "HL7 v2")),
        "products: no example policy": _raised(lambda: example_for("no_such_product")),
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_errors_of_each_floor_are_in_one_language(lang: str) -> None:
    """Errors of hazmat, nodes, connectors and policies (issue 24 item 9):
    Chinese under zh-CN, none under English; the same error object says both."""
    for case, error in _floor_errors().items():
        with speaking(lang):
            shown = str(error)
        assert shown, case
        if lang == "zh-CN":
            assert CJK.search(shown), (case, shown)
        assert leaks(lang, shown.replace("HL7 v2", " ")) == [], (case, shown)


def test_a_loads_rejection_reasons_are_said_in_the_readers_language(tmp_path: Path) -> None:
    """``tspace load``: the reasons made in SQL (a missing value, an
    impossible date, a value not allowed, a repeated key) and by the
    identifier checks are said in the reader's language on the terminal;
    the report keeps them in English, for scripts."""
    source = tmp_path / "visits.csv"
    header = "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost"
    source.write_text(
        f"{header}\n"
        "11010519491231002X,v1,h1,2024-01-02,outpatient,,,\n"
        "11010519491231002X,v1,h1,2024-01-03,outpatient,,,\n"
        "11010519491231002X,v2,h1,2024-13-45,outpatient,,,\n"
        "11010519491231002X,v3,h1,2024-01-02,home,,,\n"
        "12,v4,h1,2024-01-02,outpatient,,,\n"
        "11010519491231002X,v5,,2024-01-02,outpatient,,,\n",
        encoding="utf-8",
    )
    shown: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        report = tmp_path / f"report-{lang}.json"
        args = ["load", "csv", str(source), "--node-dir", str(tmp_path / lang)]
        before = language()
        try:
            result = CliRunner().invoke(app, ["--lang", lang, *args, "--report", str(report)])
        finally:
            set_language(before)
        assert result.exit_code == 0, result.output
        shown[lang] = [line for line in result.output.splitlines() if " × " in line]
        written = json.loads(report.read_text(encoding="utf-8"))
        reasons = {r["reason"] for r in written["rejections"]}
        assert "impossible date" in reasons and not CJK.search(" ".join(reasons)), reasons
    assert len(shown["zh-CN"]) == len(shown["en"]) == 5, shown
    for line in shown["zh-CN"]:
        assert CJK.search(line) and leaks("zh-CN", line.replace(str(source), " ")) == [], line
    for line in shown["en"]:
        assert not CJK.search(line), line
    assert any("impossible date" in line for line in shown["en"])
    assert any("日期不存在" in line for line in shown["zh-CN"])

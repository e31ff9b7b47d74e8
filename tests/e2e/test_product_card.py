"""`tspace product card`: a registration dossier from live metadata.

The card's datasets, usage and policies are those of the space at the time
it is generated: a new dataset version or a new job changes it. It holds no
identifier from the providers' data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connectors.node_store import NodeStore
from products.registry import get_product
from tests.cli_runner import run_tspace
from tests.policy_docs import dated_example, write_policy
from tests.stories import underwrite_synth
from trusted_space.synth import generate_health

PRODUCT = "underwriting_score"


def card(workdir: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """``tspace product card`` in this process (tests/cli_runner.py): the same
    command line, without a second of CPU spent importing per call."""
    return run_tspace(
        "--lang", lang, "product", "card", PRODUCT, "--workdir", str(workdir), *args, lang=lang
    )


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory, suite: str) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("data")
    generate_health(1500, 9, data, applicants=25, end_date=dt.date(2026, 10, 31))
    work = tmp_path_factory.mktemp("work")
    folder = tmp_path_factory.mktemp("policies")
    policies = [write_policy(folder, name, dated_example(name)) for name in ("hospital", "cdc")]
    for _ in range(2):
        underwrite_synth(data, work, policies=policies, purpose="underwriting", suite=suite)
    return work, data


def _json(workdir: Path) -> dict[str, Any]:
    result = card(workdir, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_card_shows_live_datasets_usage_and_policies(space: tuple[Path, Path]) -> None:
    work, data = space
    got = _json(work)
    product = get_product(PRODUCT)
    assert [f["name"] for f in got["features"]] == [f.name for f in product.features]
    for offer in got["datasets"]:
        with NodeStore(work / "nodes" / offer["provider"], read_only=True) as store:
            version, subjects = store.datasets()[offer["dataset"]]
        assert (offer["version"], offer["stats"]["subjects"]) == (version, subjects)
    assert {d["provider"] for d in got["datasets"]} == {"hospital", "cdc"}
    assert sum(u["jobs"] for u in got["usage"] if u["provider"] == "hospital") == 2
    assert {p["id"] for p in got["policies"]} and all(p["plain_zh"] for p in got["policies"])
    assert got["cost"]["jobs_released"] == 2
    assert got["generated_at"].endswith("+08:00")  # China time, its offset written
    # Every time of the card in one convention (issue 24 item 10): the offers' too.
    assert got["datasets"] and all(d["offered_at"].endswith("+08:00") for d in got["datasets"])
    applicant_ids = {
        line.split(",")[1] for line in (data / "applicants.csv").read_text().splitlines()[1:]
    }
    text = json.dumps(got, ensure_ascii=False)
    assert not [i for i in applicant_ids if i and i in text]


def test_the_card_shows_the_engine_the_policies_choose(space: tuple[Path, Path]) -> None:
    """Under the example policies the jobs ran blind: the card says which
    engine and why, and counts no matches (they stay in the space)."""
    work, _ = space
    got = _json(work)
    assert got["engines"] == ["direct_lookup", "blind_lookup"]
    chosen = got["engine_chosen"]
    assert chosen["engine"] == "blind_lookup"
    assert chosen["required_by"] == ["cdc-underwriting", "hospital-underwriting"]
    assert {u["engine"] for u in got["usage"]} == {"blind_lookup"}
    assert all(u["matched"] is None and u["subjects"] > 0 for u in got["usage"])
    en = card(work).stdout
    assert "- Engine: Blind lookup: OPRF tokens" in en and "(`blind_lookup`; " in en
    assert "| blind_lookup | hospital | 2 | 2 |" in en  # jobs, succeeded; matched shown as -
    row = next(line for line in en.splitlines() if "| blind_lookup | hospital |" in line)
    assert row.split("|")[8].strip() == "-"
    zh = card(work, lang="zh-CN").stdout
    assert "- 计算方式: 盲查" in zh and "要求盲查" in zh


def test_markdown_in_both_languages(space: tuple[Path, Path], tmp_path: Path) -> None:
    work, _ = space
    zh = card(work, lang="zh-CN")
    assert zh.returncode == 0 and "## 数据来源" in zh.stdout and "## 治理策略" in zh.stdout
    out = tmp_path / "card.md"
    en = card(work, "--out", str(out))
    assert en.returncode == 0
    text = out.read_text("utf-8")
    assert "## Source datasets" in text and "Only insurer" in text
    assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+08:00", text)
    offered = re.findall(r"\| (\S+ \S+ UTC\+08:00|[^|]*T[^|]*) \| #\d+ \|", text)
    assert offered and all(o.endswith(" UTC+08:00") for o in offered), offered


def test_a_new_job_and_a_new_version_change_the_card(
    space: tuple[Path, Path], tmp_path: Path, suite: str
) -> None:
    work, data = space
    before = _json(work)
    with (data / "hospital_visits.csv").open("a", encoding="utf-8") as fh:
        fh.write("11010519491231002X,NEW-VISIT-1,H310104001,2026-09-01,outpatient,,I10,88.00\n")
    folder = tmp_path / "p"
    folder.mkdir()
    policies = [write_policy(folder, n, dated_example(n)) for n in ("hospital", "cdc")]
    underwrite_synth(data, work, policies=policies, purpose="underwriting", suite=suite)
    after = _json(work)
    version = {d["provider"]: d["version"] for d in after["datasets"]}
    assert (
        version["hospital"] > {d["provider"]: d["version"] for d in before["datasets"]}["hospital"]
    )
    assert after["cost"]["jobs_released"] == before["cost"]["jobs_released"] + 1


def test_an_unknown_product_is_one_clear_line(space: tuple[Path, Path]) -> None:
    work, _ = space
    result = run_tspace("product", "card", "nope", "--workdir", str(work))
    assert result.returncode == 2 and "unknown product" in result.stderr

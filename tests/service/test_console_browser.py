"""The console in a real headless browser (Debian's chromium, driven by
Playwright) against a real space and provider nodes on 127.0.0.1: a steward
signs in, publishes a policy with its live explanation on screen, sees the
insurer's next job denied by it with the reason, and verifies the ledger.
Screenshots go to test-artifacts/console/ (or $TSPACE_TEST_ARTIFACTS)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.policy_docs import dated_example
from tests.service.procs import ServiceDeployment
from trusted_space.demo import default_model_path
from trusted_space.synth import generate_health

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 10, 31)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TSPACE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "console"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture()
def deployment(tmp_path: Path) -> Iterator[tuple[ServiceDeployment, Path]]:
    data = tmp_path / "data"
    generate_health(600, 5, data, applicants=20, end_date=AS_OF)
    dep = ServiceDeployment(
        tmp_path,
        {
            "hospital": [f"{data}/hospital_visits.csv"],
            "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
        },
        ["insurer"],
    )
    dep.steward("publish-model", str(default_model_path()))
    cdc = data / "cdc.yaml"
    cdc.write_text(yaml.safe_dump(dated_example("cdc")), encoding="utf-8")
    dep.steward("publish-policy", str(cdc))
    yield dep, data
    dep.stop()


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: .ci/run installs Debian's chromium for this test")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def test_a_steward_publishes_a_policy_and_sees_the_job_it_denies(
    deployment: tuple[ServiceDeployment, Path], page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    dep, data = deployment
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    # Sign in with the steward's key.
    page.goto(f"{dep.url}/console/")
    expect(page).to_have_url(f"{dep.url}/console/login?next=/console/")
    page.get_by_label("API 密钥").fill(dep.keys["steward"].read_text().strip())
    page.click("#sign-in")
    expect(page.locator("h1")).to_have_text("概览")
    page.screenshot(path=str(ARTIFACTS / "1-overview.png"), full_page=True)

    # Write the hospital's policy: underwriting is not among its purposes.
    policy = dated_example("hospital", purposes=["claims"])
    comment = "# 医院集团：仅用于理赔（steward's note, kept as written)"
    page.click("text=使用策略")
    page.click("#new-policy")
    page.fill("#document", comment + "\n" + yaml.safe_dump(policy, allow_unicode=True))
    page.locator("#document").press("End")  # an input event: the live check runs
    expect(page.locator("#check-ok")).to_be_visible()
    expect(page.locator("#live")).to_contain_text("仅限 insurer 用于 claims")
    page.screenshot(path=str(ARTIFACTS / "2-live-explanation.png"), full_page=True)
    page.click("#publish")
    expect(page.locator("#published")).to_be_visible()
    expect(page.locator("pre.doc")).to_contain_text(comment)  # the document as written
    page.screenshot(path=str(ARTIFACTS / "3-published.png"), full_page=True)

    # The insurer's job is denied by it.
    client = dep.client(
        "insurer",
        "underwrite",
        "--applicants",
        str(data / "applicants.csv"),
        "--purpose",
        "underwriting",
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(dep.root / "scores.csv"),
    )
    assert client.proc.wait(timeout=120) != 0
    assert not (dep.root / "scores.csv").exists()

    page.click("text=策略决定")
    denied = page.locator("#decisions tbody tr.denied").first
    expect(denied).to_contain_text("拒绝")
    expect(denied).to_contain_text("purpose")
    page.screenshot(path=str(ARTIFACTS / "4-denied.png"), full_page=True)
    denied.locator("a").click()
    expect(page.locator("#job-state")).to_have_text("denied")

    # The ledger verifies.
    page.click("text=审计账本")
    expect(page.locator("#ledger-status")).to_contain_text("账本验证通过")
    page.click("text=English")
    expect(page.locator("#ledger-status")).to_contain_text("Ledger verified")
    page.screenshot(path=str(ARTIFACTS / "5-ledger.png"), full_page=True)

    # Chinese glyphs render: drawn in the page's font, a Chinese word differs
    # from the same number of characters no font has (tofu boxes).
    page.click("text=中文")
    assert page.evaluate(GLYPHS_RENDER), "Chinese text renders as empty boxes: no CJK font"

    # Every page fits a phone-sized viewport: no page-wide horizontal scroll.
    page.set_viewport_size({"width": 420, "height": 900})
    for path in ("", "policies", "decisions", "ledger", "participants", "usage"):
        page.goto(f"{dep.url}/console/{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 420, f"/console/{path} is {width} px wide at 420"
    page.screenshot(path=str(ARTIFACTS / "6-narrow.png"), full_page=True)
    assert errors == []


GLYPHS_RENDER = """() => {
  const font = getComputedStyle(document.body).font;
  const draw = (text) => {
    const c = document.createElement("canvas");
    c.width = 200; c.height = 40;
    const g = c.getContext("2d");
    g.font = font; g.fillText(text, 4, 28);
    return c.toDataURL();
  };
  return draw("可信数据") !== draw("\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}");
}"""

"""The steward's console, in-process: sign-in and roles, CSRF, every page in
both languages, publishing and retiring a policy, decisions with reasons,
ledger verification (and its failure on a tampered entry), and no
identifier on any page."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.policy_docs import dated
from tests.service.world import AS_OF, World, direct_example
from trusted_space.hazmat import psi
from trusted_space.protocol.messages import JobSpec

PAGES = (
    "/console/",
    "/console/policies",
    "/console/policies/new",
    "/console/decisions",
    "/console/ledger",
    "/console/usage",
    "/console/settlement",
    "/console/participants",
    "/console/peers",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    w = World(tmp_path_factory.mktemp("console"), "default")
    # Over HTTPS, as behind a TLS proxy: the console's cookies are Secure.
    with TestClient(w.app, base_url="https://testserver") as client:
        yield w, client


def login_csrf(client: TestClient) -> str:
    """The sign-in form's pre-session token (its cookie is set with it)."""
    form = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in; return the session's CSRF token."""
    client.cookies.clear()
    page = client.post("/console/login", data={"api_key": key, "csrf": login_csrf(client)})
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_pages_need_a_steward_or_operator(world: tuple[World, TestClient]) -> None:
    w, client = world
    client.cookies.clear()
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    bad = {"api_key": w.keys["bad"], "csrf": login_csrf(client)}
    assert client.post("/console/login", data=bad).status_code == 401
    for role in ("provider", "consumer"):
        r = client.post(
            "/console/login?lang=en", data={"api_key": w.keys[role], "csrf": login_csrf(client)}
        )
        assert r.status_code == 403 and "The console is for stewards and operators" in r.text
        assert client.get("/console/", follow_redirects=False).status_code == 303
    for role in ("steward", "operator"):
        sign_in(client, w.keys[role])
        for path in PAGES:
            for lang in ("zh-CN", "en"):
                r = client.get(f"{path}?lang={lang}")
                assert r.status_code == 200, (path, r.text)
                assert f'<html lang="{lang}">' in r.text
                assert "default-src 'none'" in r.headers["content-security-policy"]


def test_the_sign_in_form_needs_its_own_token_and_cookies_are_secure(
    world: tuple[World, TestClient],
) -> None:
    """Issue 22, item 15: a page of another site cannot sign a browser in
    (login CSRF), and the session cookie is Secure by default."""
    w, client = world
    key = w.keys["steward"]
    client.cookies.clear()
    r = client.post("/console/login?lang=en", data={"api_key": key}, follow_redirects=False)
    assert r.status_code == 403 and "sign-in form expired" in r.text
    assert "tspace_console=" not in r.headers.get("set-cookie", "")
    token = login_csrf(client)
    client.cookies.clear()  # a token from the form, without its cookie
    r = client.post("/console/login", data={"api_key": key, "csrf": token}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        "/console/login",
        data={"api_key": key, "csrf": login_csrf(client) + "x"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post(
        "/console/login", data={"api_key": key, "csrf": login_csrf(client)}, follow_redirects=False
    )
    assert r.status_code == 303
    session = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tspace_console="))
    attrs = {a.strip().lower() for a in session.split(";")}
    assert {"secure", "httponly", "samesite=strict"} <= attrs, session
    form = client.get("/console/login")
    assert "secure" in form.headers["set-cookie"].lower()
    # For plain local use only, the flag drops Secure.
    settings = w.app.state.settings
    w.app.state.settings = settings.model_copy(update={"console_insecure_cookie": True})
    try:
        plain = client.get("/console/login")
        assert "secure" not in plain.headers["set-cookie"].lower()
    finally:
        w.app.state.settings = settings


def test_forms_need_the_sessions_csrf_token(world: tuple[World, TestClient]) -> None:
    w, client = world
    sign_in(client, w.keys["steward"])
    doc = yaml.safe_dump(direct_example("hospital", id="csrf-test"))
    r = client.post("/console/policies/publish", data={"document": doc}, follow_redirects=False)
    assert r.status_code == 303 and "/console/login" in r.headers["location"]
    r = client.post(
        "/console/policies/publish",
        data={"document": doc, "csrf": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "/console/login" in r.headers["location"]
    assert "csrf-test" not in client.get("/console/policies").text


def test_check_explains_or_lists_every_problem(world: tuple[World, TestClient]) -> None:
    w, client = world
    csrf = sign_in(client, w.keys["steward"])
    doc = yaml.safe_dump(direct_example("hospital"))
    r = client.post(
        "/console/policies/check?lang=en",
        data={"csrf": csrf, "document": doc},
        headers={"x-console-fragment": "1"},
    )
    assert 'id="check-ok"' in r.text and "Only insurer may use it" in r.text
    bad = direct_example("hospital", unknown_key=1)
    bad["limits"]["batch"]["min"] = "many"
    r = client.post(
        "/console/policies/check?lang=en",
        data={"csrf": csrf, "document": yaml.safe_dump(bad)},
        headers={"x-console-fragment": "1"},
    )
    assert 'id="check-error"' in r.text
    assert "unknown_key" in r.text and "limits.batch.min" in r.text
    client.cookies.clear()
    r = client.post(
        "/console/policies/check", data={"document": doc}, headers={"x-console-fragment": "1"}
    )
    assert r.status_code == 401


def test_a_steward_publishes_and_retires_an_operator_cannot(
    world: tuple[World, TestClient],
) -> None:
    w, client = world
    doc = yaml.safe_dump(direct_example("hospital", id="console-published", consumers=["bank"]))
    csrf = sign_in(client, w.keys["operator"])
    r = client.post("/console/policies/publish", data={"csrf": csrf, "document": doc})
    assert r.status_code == 403 and "console-published" not in client.get("/console/policies").text
    csrf = sign_in(client, w.keys["steward"])
    r = client.post("/console/policies/publish?lang=en", data={"csrf": csrf, "document": doc})
    assert r.status_code == 200 and 'id="published"' in r.text
    assert "仅限 bank 用于" in r.text  # zh-CN unless the person chose English
    records = {(p.policy.id, p.state) for p in w.space.policy_records("steward")}
    assert ("console-published", "published") in records
    r = client.post(
        "/console/policies/console-published/retire", data={"csrf": csrf, "version": "1"}
    )
    assert r.status_code == 200 and 'id="retired"' in r.text
    records = {(p.policy.id, p.state) for p in w.space.policy_records("steward")}
    assert ("console-published", "retired") in records
    kinds = [e.kind for e in w.space.ledger.entries()][-2:]
    assert kinds == ["policy_published", "policy_retired"]


def test_decisions_show_a_denial_with_its_reason(world: tuple[World, TestClient]) -> None:
    w, client = world
    w.space.publish_policy(
        "steward", yaml.safe_dump(direct_example("hospital", purposes=["claims"], version=2))
    )
    denied = w.signed(job_id="f" * 32)
    assert w.space.submit_job("insurer", denied).state == "denied"
    sign_in(client, w.keys["steward"])
    page = client.get("/console/decisions?lang=en").text
    row = page[page.index("/console/jobs/" + "f" * 32) :].split("</tr>")[0]
    assert "Denied" in row and "purpose" in row
    history = client.get(f"/console/jobs/{'f' * 32}").text
    assert 'id="job-state">denied' in history and "policy_decision" in history
    # Every time carries its zone, spelt out ("CST" names three zones).
    for text in (page, history):
        cells = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^<]*)</td>", text)
        assert cells and all(c.endswith(" UTC+08:00") for c in cells), cells
        assert "CST" not in text


def test_the_ledger_page_verifies_and_names_a_tampered_entry(
    world: tuple[World, TestClient], tmp_path: Path
) -> None:
    w, client = world
    sign_in(client, w.keys["steward"])
    page = client.get("/console/ledger?lang=en").text
    n = sum(1 for _ in w.space.ledger.entries())
    assert f"Ledger verified: chain, signatures and checkpoints of {n} entries" in page
    db = sqlite3.connect(w.space.store.path)
    text = db.execute("SELECT entry FROM ledger WHERE seq = 3").fetchone()[0]
    entry = json.loads(text)
    entry["actor"] = "someone-else"
    db.execute("UPDATE ledger SET entry = ? WHERE seq = 3", (json.dumps(entry),))
    db.commit()
    try:
        page = client.get("/console/ledger?lang=en").text
        assert "Ledger verification failed: ledger entry 3" in page
        # The reason in the page's language too (issue 24 item 9).
        page = client.get("/console/ledger?lang=zh-CN").text
        assert "账本验证失败：账本第 3 条记录：内容与其摘要不符" in page
    finally:
        db.execute("UPDATE ledger SET entry = ? WHERE seq = 3", (text,))
        db.commit()
        db.close()
    assert "Ledger verified" in client.get("/console/ledger?lang=en").text


def test_no_page_shows_an_identifier(world: tuple[World, TestClient]) -> None:
    w, client = world
    ids = ["11010519491231002X", "110101199003074514"]  # the applicants the world submitted
    sign_in(client, w.keys["steward"])
    job_pages = [f"/console/jobs/{w.done_job}", f"/console/jobs/{w.open_job}"]
    for path in (*PAGES, *job_pages):
        for lang in ("zh-CN", "en"):
            text = client.get(f"{path}?lang={lang}").text
            assert not [i for i in ids if i in text], path
            assert not [k for k in w.keys.values() if k in text], path


class _Structure(HTMLParser):
    """What an accessibility check needs from a page: labels, ids, headers."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[str] = []
        self.h1 = 0
        self.svg_titles = 0
        self.svgs = 0
        self.th_without_scope = 0
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "textarea", "select") and a.get("type") not in ("hidden", "submit"):
            self.inputs.append(str(a.get("id")))
        if tag == "h1":
            self.h1 += 1
        if tag == "svg":
            self.svgs += 1
        if tag == "title" and self.svgs > self.svg_titles:
            self.svg_titles += 1
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1


def test_pages_are_accessible_in_structure(world: tuple[World, TestClient]) -> None:
    """Each page: a language, one h1, unique ids, a label for every field,
    column headers with scope, a title on every chart."""
    w, client = world
    sign_in(client, w.keys["steward"])
    for path in (*PAGES, f"/console/jobs/{w.done_job}", "/console/login"):
        page = _Structure()
        page.feed(client.get(path).text)
        assert page.lang in ("zh-CN", "en"), path
        assert page.h1 == 1, path
        assert len(page.ids) == len(set(page.ids)), path
        assert all(i in page.labels for i in page.inputs), (path, page.inputs)
        assert page.th_without_scope == 0, path
        assert page.svg_titles == page.svgs, path


def test_an_allowed_decision_collapses_its_passed_checks(world: tuple[World, TestClient]) -> None:
    w, client = world
    # A version that allows the insurer's underwriting (another test narrows it).
    w.space.publish_policy("steward", yaml.safe_dump(direct_example("hospital", version=10)))
    state = w.space.submit_job("insurer", w.signed(job_id="a" * 32)).state
    assert state != "denied"
    sign_in(client, w.keys["steward"])
    page = client.get("/console/decisions?lang=en").text
    row = page[page.index("/console/jobs/" + "a" * 32) :].split("</tr>")[0]
    passed = re.search(r'<details class="passed"><summary>(\d+) checks passed</summary>', row)
    assert passed and int(passed[1]) == row.count("<li>") and int(passed[1]) > 5
    for denied in re.findall(r'<tr class="denied">.*?</tr>', page, re.S):
        assert "<details" not in denied  # a denial shows its reasons open


def test_the_editor_keeps_the_document_as_written(world: tuple[World, TestClient]) -> None:
    w, client = world
    doc = direct_example("hospital", id="commented", consumers=["insurer"])
    text = "# 医院集团的核保策略：保留此注释\n" + yaml.safe_dump(doc, sort_keys=True)
    csrf = sign_in(client, w.keys["steward"])
    r = client.post("/console/policies/publish", data={"csrf": csrf, "document": text})
    assert r.status_code == 200 and "保留此注释" in r.text
    again = client.get("/console/policies/new?from=commented/1").text
    assert "# 医院集团的核保策略：保留此注释" in again
    # sort_keys=True put consumers before id: the order as written survives too.
    assert again.index("consumers:") < again.index("id: commented")


def test_decisions_and_usage_show_the_engine(world: tuple[World, TestClient]) -> None:
    """A blind-requiring version of the hospital's policy: a direct job is
    denied (its reason in the page's language), a blind one allowed; the
    decisions name each job's engine, usage counts no blind matches."""
    w, client = world
    w.space.publish_policy(
        "steward", yaml.safe_dump(direct_example("hospital", version=20, lookup="blind"))
    )
    try:
        denied = w.signed(job_id="d" * 32)
        assert w.space.submit_job("insurer", denied).state == "denied"
        blind = w.insurer.submit_blind(
            "underwriting_score",
            ["11010519491231002X", "110101199003074514"],
            as_of=w.submission.spec.as_of,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=w.model,
        )
        for _ in range(10):
            w.space.run_pending_work()
            for node in (w.hospital, w.cdc, w.insurer):
                node.run_pending()
        assert w.space.job_status("insurer", blind).state == "succeeded"
        sign_in(client, w.keys["steward"])
        english = client.get("/console/decisions?lang=en").text
        row = english[english.index("/console/jobs/" + "d" * 32) :].split("</tr>")[0]
        assert "<code>direct_lookup</code>" in row and "Denied" in row
        assert "the policy requires the blind lookup; the job asks for direct_lookup" in row
        row = english[english.index("/console/jobs/" + blind) :].split("</tr>")[0]
        assert "<code>blind_lookup</code>" in row and "runs on blind_lookup" in row
        chinese = client.get("/console/decisions?lang=zh-CN").text
        row = chinese[chinese.index("/console/jobs/" + "d" * 32) :].split("</tr>")[0]
        assert "本策略要求盲查；该任务要求以 direct_lookup 运行" in row
        usage = client.get("/console/usage?lang=en").text
        table = usage[usage.index('id="usage-rows"') :].split("</table>")[0]
        rows = re.findall(r"<tr><td>.*?</tr>", table, re.S)
        blind_rows = [r for r in rows if "<code>blind_lookup</code>" in r]
        assert len(blind_rows) == 2  # the hospital's and the CDC's
        assert all("matches stay in the space" in r for r in blind_rows)
        assert any("<code>direct_lookup</code>" in r for r in rows)
    finally:  # later tests submit direct jobs
        w.space.publish_policy("steward", yaml.safe_dump(direct_example("hospital", version=21)))


def test_settlement_shows_the_months_statements_read_only(world: tuple[World, TestClient]) -> None:
    """Issue 26: the world's hospital policy is the priced example (2.00 a job,
    0.30 a subject queried, 10% to the operator): its finished job of two
    applicants costs the insurer 2.60, of which the hospital earns 2.34."""
    import datetime as dt

    from trusted_space.core.clock import CHINA
    from trusted_space.ledger.settlement import compute, format_yuan
    from trusted_space.service.console import reads

    w, client = world
    sign_in(client, w.keys["operator"])
    month = dt.datetime.now(CHINA).strftime("%Y-%m")
    before = w.space.ledger.last().seq
    with reads.connect(w.space.store.dir) as db:
        statements = compute(reads.ledger_entries(db), month, w.space.suite)
    insurer = statements[("consumer", "insurer")]
    done = [line for line in insurer["lines"] if line["job_id"] == w.done_job]
    assert [line["charge"] for line in done] == ["2.60"]
    for lang, words, owes in (("en", "Statements for", "owes"), ("zh-CN", "结算单", "应付")):
        page = client.get(f"/console/settlement?lang={lang}&month={month}").text
        assert words in page and owes in page
        totals = page[page.index('id="settlement-totals"') :].split("</table>")[0]
        row = next(r for r in totals.split("<tr>") if "<td>insurer</td>" in r)
        assert format_yuan(insurer["total"], lang) in row
        assert format_yuan("2.34", lang) in page and f"/console/jobs/{w.done_job}" in page
    assert "CNY 2.60" in client.get(f"/console/settlement?lang=en&month={month}").text
    assert "¥2.60" in client.get(f"/console/settlement?lang=zh-CN&month={month}").text
    empty = client.get("/console/settlement?lang=en&month=2020-01").text
    assert "Statements for 2020-01" in empty and "CNY 0.00" in empty
    assert f"/console/jobs/{w.done_job}" not in empty
    assert w.space.ledger.last().seq == before  # reading changed nothing


CLAIMS_OUTPUTS = ["visit_found", "billed_total", "within_bill", "dx_match"]


def test_a_claims_decision_shows_like_the_other_products(
    world: tuple[World, TestClient],
) -> None:
    """Issue 25: a fast-claims job's decision is in the decisions view as the
    other products' are (product, engine, batch, every reason: the consent
    evidence, the date tolerance the hospital will apply) in both languages;
    one without consent evidence is denied with its reason; no claimant, no
    claimed hospital, no amount on any page."""
    w, client = world
    w.space.publish_policy("steward", yaml.safe_dump(dated("claim_verification.hospital.yaml")))
    claimant, hospital_id, fen = "11010519491231002X", "HCONSOLE0001", 8765432
    allowed = w.insurer.submit_lookup(
        "claim_verification",
        [claimant],
        as_of=AS_OF,
        purpose="claims",
        providers={"hospital": ["hospital"]},
        features=CLAIMS_OUTPUTS,
        consent_refs=["EV-CONSOLE-1"],
        arguments=[
            {
                "hospital_id": hospital_id,
                "visit_date": "2026-08-01",
                "visit_type": None,
                "claimed_fen": fen,
                "icd10_category": "E11",
            }
        ],
    )
    for _ in range(10):
        w.space.run_pending_work()
        for node in (w.hospital, w.insurer):
            node.run_pending()
    assert w.space.job_status("insurer", allowed).state == "succeeded"
    spec = JobSpec(
        job_id="c" * 32,
        product="claim_verification",
        consumer="insurer",
        purpose="claims",
        as_of=AS_OF,
        batch_size=1,
        providers={"hospital": ["hospital"]},
        paillier_public_key=w.insurer.paillier_public.to_wire(),
        features=CLAIMS_OUTPUTS,
    )
    request = psi.PsiClient().create_request([claimant])
    assert w.space.submit_job("insurer", w.insurer.submission(spec, psi_request=request)).state == (
        "denied"
    )

    sign_in(client, w.keys["steward"])
    english = client.get("/console/decisions?lang=en").text
    row = english[english.index("/console/jobs/" + allowed) :].split("</tr>")[0]
    assert "<td>claim_verification</td>" in row and "<code>direct_lookup</code>" in row
    assert 'class="num">1</td>' in row and "Allowed" in row
    assert "hospital-claims v1: 1 consent evidence references attached" in row
    assert "hospital-claims v1: date_tolerance_days = 1, set by the policy" in row
    row = english[english.index("/console/jobs/" + "c" * 32) :].split("</tr>")[0]
    assert "<td>claim_verification</td>" in row and "Denied" in row
    assert "consent is required and the job carries no consent evidence" in row
    chinese = client.get("/console/decisions?lang=zh-CN").text
    row = chinese[chinese.index("/console/jobs/" + allowed) :].split("</tr>")[0]
    assert "hospital-claims 第 1 版：附有 1 个授权同意凭证编号" in row
    assert "date_tolerance_days = 1（就诊日期与申请日期允许相差的天数），由本策略设定" in row
    row = chinese[chinese.index("/console/jobs/" + "c" * 32) :].split("</tr>")[0]
    assert "本策略要求授权同意，而该任务未附授权同意凭证" in row

    history = client.get(f"/console/jobs/{allowed}?lang=en").text
    assert 'id="job-state">succeeded' in history and "policy_decision" in history
    usage = client.get("/console/usage?lang=en").text
    assert "claim_verification" in usage
    needles = [claimant, hospital_id, str(fen), "87654.32", "EV-CONSOLE-1"]
    for path in (*PAGES, f"/console/jobs/{allowed}", f"/console/jobs/{'c' * 32}"):
        for lang in ("zh-CN", "en"):
            text = client.get(f"{path}?lang={lang}").text
            assert not [n for n in needles if n in text], path

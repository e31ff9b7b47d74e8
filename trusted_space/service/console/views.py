"""The console's pages. Reads go to a read-only connection (``reads``);
the writes, publishing, approving and retiring a policy, go through the
space with the signed-in steward as the caller, exactly as the REST API
does."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from policies.model import Policy, PolicyError, parse_policy
from policies.plain import describe
from policies.semantics import semantic_errors
from trusted_space.core.clock import CHINA, china_time
from trusted_space.core.errors import Localised, TspaceError, Unauthenticated, status_of
from trusted_space.core.i18n import Text, speaking
from trusted_space.ledger import settlement as settling
from trusted_space.ledger.metering import usage as usage_report
from trusted_space.service.console import reads
from trusted_space.service.console.charts import bar_chart
from trusted_space.service.console.sessions import (
    COOKIE,
    LIFETIME_SECONDS,
    LOGIN_COOKIE,
    ROLES,
    Session,
    Sessions,
)
from trusted_space.service.console.text import LANGUAGES, words
from trusted_space.space.peers import read_peers
from trusted_space.space.policy_registry import read_policy_records, read_policy_source
from trusted_space.space.space import Space
from trusted_space.space.stewards import read_bindings

router = APIRouter(prefix="/console", include_in_schema=False)
STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "tspace_lang"
MAX_FORM_BYTES = 1 << 20
_env = Environment(
    loader=PackageLoader("trusted_space.service.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


_env.filters["china_time"] = china_time
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _space(request: Request) -> Space:
    space: Space = request.app.state.space
    return space


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.console_sessions
    return sessions


def _session(request: Request) -> Session | None:
    return _sessions(request).get(request.cookies.get(COOKIE))


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh-CN"
    return lang if lang in LANGUAGES else "zh-CN"


def _render(
    request: Request, template: str, session: Session | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    lang = _lang(request)
    other = "en" if lang == "zh-CN" else "zh-CN"
    with speaking(lang):  # a catalog message in the page (a ledger problem) in its language
        html = _env.get_template(template).render(
            w=words(lang),
            lang=lang,
            other_lang=other,
            session=session,
            path=request.url.path,
            **ctx,
        )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/console")
    return response


def _to_login(request: Request) -> Response:
    return RedirectResponse(f"/console/login?next={quote(request.url.path)}", status_code=303)


def _db(request: Request) -> Any:
    return reads.connect(_space(request).store.dir)


async def _form(request: Request, session: Session | None) -> dict[str, str] | None:
    """The posted form, or None when its CSRF token is not this session's."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if session is not None and not secrets.compare_digest(form.get("csrf", ""), session.csrf):
        return None
    return form


def _error(request: Request, exc: TspaceError) -> str:
    """A refusal in the console's language (each message of the catalog)."""
    if isinstance(exc, Localised):
        return exc.text(_lang(request))
    with speaking(_lang(request)):
        return str(exc)


def _document(policy: Policy) -> str:
    data = policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def check_policy(text: str, lang: str) -> dict[str, Any]:
    """Validate a draft and say in plain words what it allows."""
    try:
        policy = parse_policy(text, "policy")
        problems = semantic_errors(policy)
    except PolicyError as exc:
        problems = exc.errors
    if problems:
        with speaking(lang):  # each problem in the page's language
            said = [(path, str(message)) for path, message in problems]
        return {"ok": False, "problems": said}
    return {
        "ok": True,
        "id": policy.id,
        "version": policy.version,
        "product": policy.product,
        "sentences": describe(policy, lang),
    }


# -- signing in ---------------------------------------------------------------------------------
def _secure(request: Request) -> bool:
    """Cookies are Secure unless the space was started for plain local use."""
    return not request.app.state.settings.console_insecure_cookie


def _login_form(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The sign-in form with a fresh pre-session CSRF token, in the form and
    in a cookie (double submit): a page of another site cannot post it."""
    token = secrets.token_urlsafe(24)
    response = _render(request, "login.html", None, status, login_csrf=token, **ctx)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/console/login",
    )
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request, next=request.query_params.get("next", ""))


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request, None) or {}
    target = form.get("next", "")
    target = target if target.startswith("/console") and "//" not in target else "/console/"
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
        return _login_form(request, 403, error="login_expired", next=target)
    space = _space(request)
    try:
        name = await run_in_threadpool(space.authenticate, form.get("api_key", "").strip())
        role = (await run_in_threadpool(space.whoami, name))["role"]
    except Unauthenticated:
        return _login_form(request, 401, error="bad_key", next=target)
    if role not in ROLES:
        return _login_form(request, 403, error="wrong_role", next=target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        _sessions(request).open(name, role),
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/console",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = _session(request)
    if session is not None and await _form(request, session) is not None:
        _sessions(request).close(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


# -- pages --------------------------------------------------------------------------------------
@router.get("")
def root() -> Response:
    return RedirectResponse("/console/", status_code=307)


@router.get("/")
def overview(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        counts = reads.overview(db)
    space = _space(request)
    return _render(request, "overview.html", session, counts=counts, suite=space.suite.name)


@router.get("/policies")
def policies(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        records = read_policy_records(db)
    records.sort(key=lambda r: (r.policy.id, -r.policy.version))
    return _render(request, "policies.html", session, records=records)


@router.get("/policies/new")
def new_policy(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    text = ""
    source = request.query_params.get("from", "")
    if "/" in source:
        policy_id, _, version = source.rpartition("/")
        with _db(request) as db:
            for r in read_policy_records(db):
                if r.policy.id == policy_id and str(r.policy.version) == version:
                    # As the steward wrote it: comments and order survive a new version.
                    text = read_policy_source(db, r.policy.id, r.policy.version) or _document(
                        r.policy
                    )
    return _render(request, "policy_new.html", session, text=text, result=None)


@router.post("/policies/check")
async def check(request: Request) -> Response:
    # The session before the body: a post without one is not read.
    session = _session(request)
    fragment = request.headers.get("x-console-fragment") == "1"
    form = None if session is None else await _form(request, session)
    if session is None or form is None:
        return Response(status_code=401) if fragment else _to_login(request)
    text = form.get("document", "")
    result = check_policy(text, _lang(request))
    if fragment:
        return _render(request, "_check.html", session, result=result)
    return _render(request, "policy_new.html", session, text=text, result=result)


@router.post("/policies/publish")
async def publish(request: Request) -> Response:
    session = _session(request)
    form = None if session is None else await _form(request, session)
    if session is None or form is None:
        return _to_login(request)
    text = form.get("document", "")
    result = check_policy(text, _lang(request))
    if not result["ok"]:
        return _render(request, "policy_new.html", session, 422, text=text, result=result)
    try:
        record = await run_in_threadpool(_space(request).publish_policy, session.name, text)
    except TspaceError as exc:
        return _render(
            request,
            "policy_new.html",
            session,
            status_of(exc),
            text=text,
            result=result,
            error=_error(request, exc),
        )
    return RedirectResponse(
        f"/console/policies/{quote(record.policy.id)}/{record.policy.version}?published=1",
        status_code=303,
    )


@router.get("/policies/{policy_id}/{version}")
def policy(request: Request, policy_id: str, version: int) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        found = [
            r
            for r in read_policy_records(db)
            if r.policy.id == policy_id and r.policy.version == version
        ]
        source = read_policy_source(db, policy_id, version)
        governs = set(read_bindings(db).get(session.name, []))
    if not found:
        return _render(request, "message.html", session, 404, message=f"{policy_id} v{version}")
    record = found[0]
    can_approve = (
        session.role == "steward"
        and record.state == "pending"
        and bool(governs & set(record.awaiting))
    )
    return _render(
        request,
        "policy.html",
        session,
        record=record,
        document=source or _document(record.policy),
        sentences=describe(record.policy, _lang(request)),
        published="published" in request.query_params,
        retired="retired" in request.query_params,
        approved="approved" in request.query_params,
        can_approve=can_approve,
    )


@router.post("/policies/{policy_id}/{version}/approve")
async def approve(request: Request, policy_id: str, version: int) -> Response:
    session = _session(request)
    form = await _form(request, session)
    if session is None or form is None:
        return _to_login(request)
    if not 1 <= version <= 2**31:
        return _render(request, "message.html", session, 404, message=f"{policy_id} v{version}")
    try:
        await run_in_threadpool(_space(request).approve_policy, session.name, policy_id, version)
    except TspaceError as exc:
        return _render(request, "message.html", session, status_of(exc), error=_error(request, exc))
    return RedirectResponse(
        f"/console/policies/{quote(policy_id)}/{version}?approved=1", status_code=303
    )


@router.post("/policies/{policy_id}/retire")
async def retire(request: Request, policy_id: str) -> Response:
    session = _session(request)
    form = None if session is None else await _form(request, session)
    if session is None or form is None:
        return _to_login(request)
    try:
        await run_in_threadpool(_space(request).retire_policy, session.name, policy_id)
    except TspaceError as exc:
        return _render(request, "message.html", session, status_of(exc), error=_error(request, exc))
    return RedirectResponse(
        f"/console/policies/{quote(policy_id)}/{form.get('version', '1')}?retired=1",
        status_code=303,
    )


@router.get("/decisions")
def decisions(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        rows = reads.decisions(db)
    return _render(request, "decisions.html", session, rows=rows)


@router.get("/ledger")
def ledger(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    space = _space(request)
    with _db(request) as db:
        check = reads.verify(db, space.suite, space.key.public_bytes())
        entries = reads.recent_entries(db)
    return _render(request, "ledger.html", session, check=check, entries=entries)


@router.get("/jobs/{job_id}")
def job(request: Request, job_id: str) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        state = reads.job_state(db, job_id)
        entries = reads.job_history(db, job_id)
    if state is None:
        return _render(request, "message.html", session, 404, message=job_id)
    return _render(request, "job.html", session, job_id=job_id, state=state, entries=entries)


@router.get("/usage")
def usage(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    w = words(_lang(request))
    with _db(request) as db:
        entries = reads.ledger_entries(db)
    by_consumer = reads.usage_totals(entries, "consumer")
    by_product = reads.usage_totals(entries, "product")
    rows = usage_report(entries)

    def chart(title: str, totals: list[reads.Totals]) -> Any:
        return bar_chart(
            title, [(t.key, [(t.allowed, "allowed"), (t.denied, "denied")]) for t in totals]
        )

    return _render(
        request,
        "usage.html",
        session,
        by_consumer=by_consumer,
        by_product=by_product,
        consumer_chart=chart(w["jobs_per_consumer"], by_consumer),
        product_chart=chart(w["jobs_per_product"], by_product),
        rows=rows,
    )


@router.get("/settlement")
def settlement(request: Request) -> Response:
    """The month's statements, computed from the ledger as the page is read
    (read-only: the signed files are written by ``tspace settle``)."""
    session = _session(request)
    if session is None:
        return _to_login(request)
    month = request.query_params.get("month") or ""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        month = dt.datetime.now(CHINA).strftime("%Y-%m")
    lang = _lang(request)
    with _db(request) as db:
        entries = reads.ledger_entries(db)
    problem = ""
    try:
        statements = list(
            settling.compute(entries, month, _space(request).suite, partial=True).values()
        )
    except settling.StatementInvalid as exc:
        reason = exc.reason
        statements, problem = [], reason.text(lang) if isinstance(reason, Text) else reason
    # Jobs that ran in part at peers: their lines need the peers' ledgers.
    missing = sorted({p for s in statements for p in s.get("peers_missing", ())})
    for s in statements:
        s["shown_total"] = settling.format_yuan(s["total"], lang)
        for line in s["lines"]:
            line["shown_charge"] = settling.format_yuan(line["charge"], lang)
            line["shown_amount"] = settling.format_yuan(line["amount"], lang)
    return _render(
        request,
        "settlement.html",
        session,
        month=month,
        statements=statements,
        problem=problem,
        peers_missing=", ".join(missing),
        space=statements[0]["space"] if statements else "",
        rounding=settling.ROUNDING["en" if lang == "en" else "zh-CN"],
    )


@router.get("/participants")
def participants(request: Request) -> Response:
    session = _session(request)
    if session is None:
        return _to_login(request)
    space = _space(request)
    with _db(request) as db:
        rows = reads.participants(db, space.suite)
    return _render(request, "participants.html", session, rows=rows)


@router.get("/peers")
def peers(request: Request) -> Response:
    """Peers, their agreements, and the jobs that crossed spaces."""
    session = _session(request)
    if session is None:
        return _to_login(request)
    with _db(request) as db:
        rows = [p.to_dict() for p in read_peers(db)]
        jobs = reads.peer_jobs(db)
    return _render(request, "peers.html", session, peers=rows, jobs=jobs)

"""Errors as RFC 9457 problem details, with the status each failure class means.

401 no or unknown API key; 403 the caller's role may not do this; 404 absent
or not the caller's; 409 a replayed, duplicate or out-of-order message; 413 a
body or batch over the limits; 422 a payload that is malformed or refused.
Details name what is wrong, never a key, ciphertext or payload; the title
and the detail are in the language the request's ``Accept-Language`` asks
for (zh-CN or en; else the service's). A refusal
said in words (``Localised``: a steward outside its owners, a missing
appointment) also carries its ``code``, message ``key`` and ``params``.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from trusted_space.core.errors import Localised, TspaceError, status_of
from trusted_space.core.i18n import Text, accepted, logged, speaking, t

log = logging.getLogger("tspace.service")

PROBLEM = "application/problem+json"

TITLES = {
    400: "problem.400",
    401: "problem.401",
    403: "problem.403",
    404: "problem.404",
    409: "problem.409",
    413: "problem.413",
    422: "problem.422",
    500: "problem.500",
    503: "problem.503",
}


def problem(status: int, detail: str | Text, **extra: object) -> JSONResponse:
    """A problem document in the current language (``speaking``)."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": t(TITLES.get(status, "problem.other")),
        "status": status,
        "detail": str(detail),
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def asked(request: Request) -> str | None:
    """The language the request asks for (``Accept-Language``), of ours."""
    return accepted(request.headers.get("accept-language"))


def install(app: FastAPI) -> None:
    @app.exception_handler(TspaceError)
    async def _tspace(request: Request, exc: TspaceError) -> JSONResponse:
        with speaking(asked(request)):
            if isinstance(exc, Localised):
                # The key and its safe parameters too: a client says it in its own language.
                return problem(
                    status_of(exc), str(exc), code=exc.code, key=exc.key, params=exc.params
                )
            return problem(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        with speaking(asked(request)):
            return _schema_problem(exc)

    def _schema_problem(exc: RequestValidationError) -> JSONResponse:
        # Locations and messages only: pydantic's "input" would echo the payload.
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(422, Text("problem.schema"), errors=errors)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        with speaking(asked(request)):
            return problem(422, str(exc))

    @app.exception_handler(sqlite3.OperationalError)
    async def _storage(request: Request, exc: sqlite3.OperationalError) -> JSONResponse:
        # A full disk (SQLITE_FULL) or a busy database: the transaction was
        # rolled back, nothing was half-written; the caller may retry.
        text = str(exc)
        if "full" in text or "locked" in text or "busy" in text:
            said = logged(
                "log.space.storage", method=request.method, path=request.url.path, reason=text
            )
            log.error("%s", said)
            with speaking(asked(request)):
                return problem(503, Text("problem.storage", reason=text))
        _log_unexpected(request, exc)
        with speaking(asked(request)):
            return problem(500, Text("problem.unexpected"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log_unexpected(request, exc)
        with speaking(asked(request)):
            return problem(500, Text("problem.unexpected"))


def _log_unexpected(request: Request, exc: BaseException) -> None:
    said = logged(
        "log.space.unexpected",
        kind=type(exc).__name__,
        method=request.method,
        path=request.url.path,
    )
    log.error("%s", said)

"""Errors as RFC 9457 problem details, with the status each failure class means.

401 no or unknown API key; 403 the caller's role may not do this; 404 absent
or not the caller's; 409 a replayed, duplicate or out-of-order message; 413 a
body or batch over the limits; 422 a payload that is malformed or refused.
Details name what is wrong, never a key, ciphertext or payload. A refusal
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

log = logging.getLogger("tspace.service")

PROBLEM = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable payload",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(TspaceError)
    async def _tspace(request: Request, exc: TspaceError) -> JSONResponse:
        if isinstance(exc, Localised):
            # The key and its safe parameters too: a client says it in its own language.
            return problem(status_of(exc), str(exc), code=exc.code, key=exc.key, params=exc.params)
        return problem(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Locations and messages only: pydantic's "input" would echo the payload.
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(422, "the request does not match the schema", errors=errors)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        return problem(422, str(exc))

    @app.exception_handler(sqlite3.OperationalError)
    async def _storage(request: Request, exc: sqlite3.OperationalError) -> JSONResponse:
        # A full disk (SQLITE_FULL) or a busy database: the transaction was
        # rolled back, nothing was half-written; the caller may retry.
        text = str(exc)
        if "full" in text or "locked" in text or "busy" in text:
            log.error("storage unavailable on %s %s: %s", request.method, request.url.path, text)
            return problem(503, f"the space's storage is unavailable ({text}); retry later")
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem(500, "unexpected error; the space's log has the type")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem(500, "unexpected error; the space's log has the type")

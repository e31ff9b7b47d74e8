"""Why a task or a job failed, as typed codes with safe parameters only.

An exception's text may quote what it was working on: a feature value that
would not encode, a row DuckDB could not cast. Such text must stay on the
machine that raised it. What crosses to the space, into the ledger and on to
the consumer is a code from ``FAILURE_CODES`` and parameters that are party
names, message kinds or numbers (``failure_reason``); the space replaces
anything else a node sends with ``unspecified``.
"""

from __future__ import annotations

import re

from trusted_space.core import errors
from trusted_space.core.i18n import MESSAGES, Text, language, recognised

# The failure class an exception belongs to, most specific first.
_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.PolicyDenied, "policy_denied"),
    (errors.PeerRefused, "peer_refused"),
    (errors.PeerReplayed, "peer_replayed"),
    (errors.PeeringRefused, "peering_refused"),
    (errors.PeerUnavailable, "peer_unavailable"),
    (errors.InvalidIdentifier, "invalid_identifier"),
    (errors.InputError, "input_error"),
    (errors.PayloadTooLarge, "payload_too_large"),
    (errors.ParticipantExists, "participant_exists"),
    (errors.Conflict, "conflict"),
    (errors.TaskAltered, "task_altered"),
    (errors.ModelNotApproved, "model_not_approved"),
    (errors.ProtocolError, "protocol_error"),
    (errors.WeakKeyError, "weak_key"),
    (errors.KeyChanged, "key_changed"),
    (errors.UntrustedKey, "untrusted_key"),
    (errors.CryptoError, "crypto_error"),
    (errors.NotAuthorised, "not_authorised"),
    (errors.NotFound, "not_found"),
    (errors.TspaceError, "failed"),
)
INTERNAL = "internal_error"
UNSPECIFIED = "unspecified"
# The space refused to release a cohort that differs from an earlier one of
# the same consumer by fewer people than min_count (space/engines/join.py).
DIFFERENCING = "differencing_refused"
# A task whose leases ran out twice (its node died or hung on it each time)
# is not offered again (space/tasks.py).
TASK_ABANDONED = "task_abandoned"
FAILURE_CODES = frozenset(
    {code for _, code in _CODES} | {INTERNAL, UNSPECIFIED, DIFFERENCING, TASK_ABANDONED}
)

# Parameters are party names and message kinds (a letter first, the
# protocol's alphabet, at most four digits: no identifier or amount fits), or
# whole numbers (counts, attempts, seconds).
_SAFE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_MAX_DIGITS = 4


def failure_code(exc: BaseException) -> str:
    """The code of ``exc``'s failure class (``internal_error`` for anything
    tspace did not raise on purpose); never its text."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return INTERNAL


def known_code(text: str) -> str:
    """``text`` when it is a failure code, else ``unspecified``: what the space
    records of a node's failure report, whatever the node sent."""
    return text if text in FAILURE_CODES else UNSPECIFIED


def failure_reason(code: str, **params: str | int) -> str:
    """``code`` with its parameters, as the space records it: ``code
    (key=value, ...)``. A parameter that is not a name, a kind or a number is
    dropped, so no value can ride along."""
    if code not in FAILURE_CODES:
        raise ValueError(f"not a failure code: {code!r}")
    safe = [
        f"{key}={value}"
        for key, value in params.items()
        if isinstance(value, int)
        or (
            isinstance(value, str)
            and _SAFE.match(value)
            and sum(c.isdigit() for c in value) <= _MAX_DIGITS
        )
    ]
    return f"{code} ({', '.join(safe)})" if safe else code


# -- said to the consumer -------------------------------------------------------------------
_REASON = re.compile(r"^([a-z_]+)(?: \((.*)\))?$")
_PARAM = re.compile(r"([a-z_]+)=([a-z0-9_.-]+)")


class _Params:
    """A reason's parameters, named in the language current when shown."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __str__(self) -> str:
        zh = language() != "en"
        named = [
            (str(Text(f"err.base.failure.param.{k}")) if zh and _named(k) else k, v)
            for k, v in self.pairs
        ]
        listed = ("，" if zh else ", ").join(f"{k}={v}" for k, v in named)
        return str(Text("err.base.failure.params", listed=listed)) if self.pairs else ""


class _Described:
    """What a failure code means, in zh-CN; nothing in English, where the
    code is read as recorded."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        return "" if language() == "en" else str(Text(f"err.base.failure.{self.code}"))


class _Joined:
    """Several reasons, joined in the language current when shown."""

    def __init__(self, reasons: list[Text | str]) -> None:
        self.reasons = reasons

    def __str__(self) -> str:
        return ("; " if language() == "en" else "；").join(str(r) for r in self.reasons)


def _named(param: str) -> bool:
    return f"err.base.failure.param.{param}" in MESSAGES


def said_reason(reason: str) -> Text | str:
    """A failure reason the space recorded (``code (key=value, ...)``, or a
    sentence of the catalog), said in the reader's language; in English it
    reads exactly as recorded."""
    match = _REASON.match(reason)
    if match is None or match[1] not in FAILURE_CODES:
        return recognised(reason)
    pairs = _PARAM.findall(match[2] or "")
    if match[2] and ", ".join(f"{k}={v}" for k, v in pairs) != match[2]:
        return reason
    return Text(
        "err.base.failure.said",
        what=_Described(match[1]),
        code=match[1],
        params=_Params(pairs),
    )


def job_failed(reasons: list[str], job: str | None = None) -> object:
    """What ``JobFailed`` says: the recorded reasons in the reader's language."""
    if not reasons:
        return Text("err.base.failure.job_named", job=job) if job else Text("err.base.failure.job")
    said = [said_reason(r) for r in reasons]
    return said[0] if len(said) == 1 else _Joined(said)

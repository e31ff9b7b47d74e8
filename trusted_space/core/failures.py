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

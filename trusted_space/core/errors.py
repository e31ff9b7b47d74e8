"""One exception per failure class.

Callers catch ``TspaceError`` for anything the toolkit refuses; ``TypeError``
and ``ValueError`` are kept for programming mistakes by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from trusted_space.core.i18n import MESSAGES, Text, english, language, t, text_in


class TspaceError(Exception):
    """Base class of every error tspace raises on purpose."""


TABULAR_SUFFIXES = (".csv", ".tsv", ".txt")


def row_label(file: str, row: int) -> str:
    """'row N', and for a CSV file 'row N (line N+1)': rows count data
    records, and a spreadsheet user finds line N+1 (line 1 is the header).
    In the current language."""
    if str(file).lower().endswith(TABULAR_SUFFIXES):
        return t("where.row_line", row=row, line=row + 1)
    return t("where.row", row=row)


@dataclass(frozen=True)
class Location:
    """Where a bad value was found: file, 1-based record number and field."""

    file: str
    row: int | None
    field: str | None

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(row_label(self.file, self.row))
        if self.field is not None:
            parts.append(t("where.field", field=repr(self.field)))
        return ("，" if language() == "zh-CN" else ", ").join(parts)


Message = str | Text
"""What an error says: a catalog ``Text`` (said in the reader's language)
or, where no entry exists yet, a plain string."""


def _at(location: Location | None, message: Message) -> str:
    return t("error.at", where=location, message=message) if location else str(message)


class InvalidIdentifier(TspaceError):
    """An identifier fails its standard's checks (length, charset, date, check digit)."""

    def __init__(self, reason: Message, location: Location | None = None) -> None:
        self.reason = reason
        self.location = location
        super().__init__(reason, location)

    def __str__(self) -> str:
        return _at(self.location, self.reason)


class InputError(TspaceError):
    """A source file or argument cannot be used; the message names where.
    ``str()`` says it in the current language when the message is a ``Text``."""

    def __init__(self, message: Message, location: Location | None = None) -> None:
        self.location = location
        self.reason = message  # without the location, for a report that has its own columns
        super().__init__(message, location)

    def __str__(self) -> str:
        return _at(self.location, self.reason)


class ProtocolError(TspaceError):
    """A protocol message is malformed, out of order, replayed or oversized."""


class Conflict(ProtocolError):
    """A replayed, duplicate or out-of-order message."""


class PayloadTooLarge(ProtocolError):
    """A body or batch over the space's limits."""


class ParticipantExists(Conflict):
    """A participant of that name exists already: adding it again is refused
    (another API key is ``rotate-key``'s work, other keys ``keys rotate``'s)."""


class TaskAltered(ProtocolError):
    """A task is not what the consumer signed: the job's signature does not
    verify, or a field differs from the signed job spec."""


class ModelNotApproved(ProtocolError):
    """A score task's model is not the one the provider's owner approved."""


class CryptoError(TspaceError):
    """A key, ciphertext or signature is unacceptable (size, range, forgery)."""


class WeakKeyError(CryptoError):
    """A key below the production minimum was offered on a production path."""


class UntrustedKey(CryptoError):
    """A participant's announced keys are not signed by its signing key, or
    go back to an older announcement than one already seen. The text names
    the participant and fingerprints only."""


class KeyChanged(UntrustedKey):
    """A participant's signing key is not the one pinned, and no rotation
    signed by the pinned key leads to it."""


class NotAuthorised(TspaceError):
    """The caller may not perform this action or see this object."""


class Unauthenticated(NotAuthorised):
    """No API key, or one the space does not know."""


class Localised(TspaceError):
    """A refusal said in the reader's language: a message key of
    ``trusted_space.core.i18n`` and safe parameters (participant names,
    policy ids, versions), never a value. ``str()`` says it in the process's
    language; the service sends the key and parameters too (``code``,
    ``key``, ``params`` of the problem document), so a client says it in its
    own (``localised_error``)."""

    code: ClassVar[str] = "localised"

    def __init__(self, key: str, **params: str | int) -> None:
        if key not in MESSAGES:
            raise ValueError(f"no message {key!r}")
        self.key = key
        self.params = dict(params)
        super().__init__(key)

    def __str__(self) -> str:
        return t(self.key, **self.params)

    def text(self, lang: str) -> str:
        """The refusal in ``lang`` (zh-CN or en)."""
        return text_in(lang, self.key, **self.params)


class NotStewardOf(Localised, NotAuthorised):
    """A steward acted on a policy (published, superseded, retired or
    approved it) for owners that did not appoint it."""

    code = "not_steward_of"


class AppointmentRefused(Localised, NotAuthorised):
    """A steward was to be bound to an owner without that owner's valid
    signed appointment."""

    code = "appointment_refused"


class PeerRefused(Localised, Unauthenticated):
    """A request from another space is refused: unsigned, from no peer this
    space added, signed by another key, meant for another space, or outside
    the time window (trusted_space/protocol/peering.py)."""

    code = "peer_refused"


class PeerReplayed(Localised, Conflict):
    """A request from a peer repeats a nonce this space saw already."""

    code = "peer_replayed"


class PeeringRefused(Localised, ProtocolError):
    """A peering step is refused: an agreement that does not name this space
    or the peer's key, a steward it does not name, approvals still awaited,
    a product outside the agreement, a peer name in use."""

    code = "peering_refused"


class PeerUnavailable(Localised):
    """A peer did not answer (down, slow) or its answer is not signed by
    the key pinned for it."""

    code = "peer_unavailable"


LOCALISED: dict[str, type[Localised]] = {
    c.code: c
    for c in (
        NotStewardOf,
        AppointmentRefused,
        PeerRefused,
        PeerReplayed,
        PeeringRefused,
        PeerUnavailable,
    )
}


def localised_error(code: object, key: object, params: object) -> Localised | None:
    """Rebuild a refusal from a problem document's ``code``, ``key`` and
    ``params``; None when they are not one this version knows."""
    kind = LOCALISED.get(str(code))
    if kind is None or not isinstance(key, str) or key not in MESSAGES:
        return None
    if not isinstance(params, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str | int) for k, v in params.items()
    ):
        return None
    try:
        error = kind(key, **params)
        str(error)  # every parameter the message names is there
    except (KeyError, IndexError, ValueError):
        return None
    return error


class NotFound(TspaceError):
    """The object does not exist, or does not belong to the caller."""


class LedgerTampered(TspaceError):
    """The audit ledger fails verification; ``seq`` is the first bad entry."""

    def __init__(self, seq: int, reason: Message) -> None:
        self.seq = seq
        self.reason = english(reason)  # for logs and callers that match on it
        self.said = reason  # a Text: said in the reader's language
        super().__init__(seq, self.reason)

    def __str__(self) -> str:
        return t("ledger.entry", seq=self.seq, reason=self.said)


class PolicyDenied(TspaceError):
    """A job was refused by policy; ``reasons`` lists every failed constraint."""

    def __init__(self, reasons: Sequence[str], reasons_zh: Sequence[str] = ()) -> None:
        self.reasons = list(reasons)
        # The same reasons in zh-CN, when the space gave them.
        self.reasons_zh = list(reasons_zh)
        super().__init__("; ".join(self.reasons) or "denied by policy")

    def in_language(self, language: str) -> list[str]:
        """The reasons in ``language`` (zh-CN or en)."""
        if language == "zh-CN" and len(self.reasons_zh) == len(self.reasons):
            return self.reasons_zh
        return self.reasons


class JobFailed(TspaceError):
    """A job ended without a result; nothing was released."""


def status_of(exc: TspaceError) -> int:
    """The HTTP status a failure class means: for problem details, and for
    each result a node posts in one exchange."""
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, NotAuthorised):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, PayloadTooLarge):
        return 413
    return 422

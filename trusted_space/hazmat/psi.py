"""ECDH private set intersection (openmined-psi). The only module that imports it.

Guarantee (honest-but-curious): the client learns which of its items are in the
server's set (or only how many, in cardinality mode) and the size of the
server's set; the server learns the number of client items. Items are hashed
to the P-256 curve and blinded with each side's secret scalar; the server's set
travels as a Golomb-compressed set with a false-positive rate chosen at setup
for a maximum number of client items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn, TypeVar

import private_set_intersection.python as _psi
from google.protobuf.message import DecodeError, Message

from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import OnlyInEnglish, Text
from trusted_space.hazmat.ahead import Idleness, IdlePool, machine_idleness

# One false match in a billion queries of the declared batch size.
DEFAULT_FPR = 1e-9
# Below this many server items the setup is the raw list of blinded items:
# small enough anyway, and openmined-psi 2.0.6's Golomb-compressed set fails
# for a handful of items against a large client batch.
RAW_BELOW = 1024


class PsiServerKey:
    """A provider's PSI secret scalar; kept so cached setups stay valid."""

    def __init__(self, server: _psi.server, reveal_intersection: bool) -> None:
        self._server = server
        self.reveal_intersection = reveal_intersection

    @classmethod
    def generate(cls, reveal_intersection: bool = True) -> PsiServerKey:
        return cls(_psi.server.CreateWithNewKey(reveal_intersection), reveal_intersection)

    @classmethod
    def from_secret(cls, secret: bytes, reveal_intersection: bool = True) -> PsiServerKey:
        return cls(_psi.server.CreateFromKey(secret, reveal_intersection), reveal_intersection)

    def export_secret(self) -> bytes:
        return bytes(self._server.GetPrivateKeyBytes())

    def __reduce__(self) -> NoReturn:
        raise TypeError("PsiServerKey holds secret material and cannot be pickled")

    def create_setup(
        self, items: Sequence[str], max_client_items: int, fpr: float = DEFAULT_FPR
    ) -> bytes:
        """The setup message for ``items``; cache it per dataset version."""
        if max_client_items < 1:
            raise ValueError("max_client_items must be positive")
        structure = _psi.DataStructure.RAW if len(items) < RAW_BELOW else _psi.DataStructure.GCS
        setup = self._server.CreateSetupMessage(fpr, max_client_items, list(items), structure)
        return bytes(setup.SerializeToString())

    def process_request(self, request: bytes, max_items: int) -> bytes:
        """Answer a client request; refuse one larger than the declared batch."""
        parsed = _parse(_psi.Request, request, Text("err.base.psi.request"))
        count = len(parsed.encrypted_elements)
        if count > max_items:
            raise ProtocolError(Text("err.base.psi.too_many", count=count, max_items=max_items))
        if parsed.reveal_intersection != self.reveal_intersection:
            raise ProtocolError(Text("err.base.psi.mode"))
        try:
            response = self._server.ProcessRequest(parsed)
        except RuntimeError as exc:
            raise _rejected(Text("err.base.psi.request"), exc) from exc
        return bytes(response.SerializeToString())


class PsiClient:
    """One job's client: a fresh secret scalar, never reused across jobs."""

    def __init__(self, reveal_intersection: bool = True, secret: bytes | None = None) -> None:
        if secret is None:
            self._client = _psi.client.CreateWithNewKey(reveal_intersection)
        else:
            self._client = _psi.client.CreateFromKey(secret, reveal_intersection)
        self.reveal_intersection = reveal_intersection

    def export_secret(self) -> bytes:
        """For the consumer's own job file, so a restarted node can finish the job."""
        return bytes(self._client.GetPrivateKeyBytes())

    def __reduce__(self) -> NoReturn:
        raise TypeError("PsiClient holds secret material and cannot be pickled")

    def create_request(self, items: Sequence[str]) -> bytes:
        return bytes(self._client.CreateRequest(list(items)).SerializeToString())

    def intersection(self, setup: bytes, response: bytes) -> list[int]:
        """Indices (into the request's items) of the items the server holds."""
        if not self.reveal_intersection:
            raise ValueError("this client was created for cardinality only")
        s = _parse(_psi.ServerSetup, setup, Text("err.base.psi.setup"))
        r = _parse(_psi.Response, response, Text("err.base.psi.response"))
        try:
            return sorted(self._client.GetIntersection(s, r))
        except RuntimeError as exc:
            raise _rejected(Text("err.base.psi.response"), exc) from exc

    def intersection_size(self, setup: bytes, response: bytes) -> int:
        s = _parse(_psi.ServerSetup, setup, Text("err.base.psi.setup"))
        r = _parse(_psi.Response, response, Text("err.base.psi.response"))
        try:
            return int(self._client.GetIntersectionSize(s, r))
        except RuntimeError as exc:
            raise _rejected(Text("err.base.psi.response"), exc) from exc


# Enough clients for a burst of one consumer's jobs.
POOL_CLIENTS = 32


class PsiClientsAhead(IdlePool[bool, PsiClient]):
    """One consumer's fresh PSI clients (reveal-intersection mode), made in
    idle time: making one costs ~1.8 ms, most of it the curve's setup, with a
    new key or an old one alike. Each is handed out once. Off until
    ``start()``, and empty until the first ``take()``: a consumer that runs
    no lookup makes none."""

    thread_name = "psi-ahead"

    def __init__(self, size: int = POOL_CLIENTS, idleness: Idleness = machine_idleness) -> None:
        self.size = size
        self._ready: list[PsiClient] = []
        self._used = False
        super().__init__(idleness)

    def ready(self) -> int:
        with self._cv:
            return len(self._ready)

    def take(self) -> PsiClient | None:
        """A client made ahead, or None (then the caller makes one now)."""
        with self._cv:
            if not self._running:
                return None
            self._used = True
            self._cv.notify()
            return self._ready.pop() if self._ready else None

    def _wanted(self) -> bool | None:
        return True if self._used and len(self._ready) < self.size else None

    def _make(self, target: bool) -> PsiClient:
        return PsiClient()

    def _keep(self, target: bool, item: PsiClient) -> None:
        if len(self._ready) < self.size:
            self._ready.append(item)

    def _clear(self) -> None:
        self._ready = []
        self._used = False


def response_subset(response: bytes, indices: Sequence[int]) -> bytes:
    """The response restricted to some request items, in their order: lets a
    client check each item against the setup partition it belongs to."""
    parsed = _parse(_psi.Response, response, Text("err.base.psi.response"))
    out = _psi.Response()
    elements = parsed.encrypted_elements
    try:
        out.encrypted_elements.extend(elements[i] for i in indices)
    except IndexError:
        raise ProtocolError(Text("err.base.psi.short_response")) from None
    return bytes(out.SerializeToString())


def response_size(response: bytes) -> int:
    return len(_parse(_psi.Response, response, Text("err.base.psi.response")).encrypted_elements)


def request_size(request: bytes) -> int:
    return len(_parse(_psi.Request, request, Text("err.base.psi.request")).encrypted_elements)


_Message = TypeVar("_Message", bound=Message)


def _rejected(what: Text, exc: Exception) -> ProtocolError:
    """The PSI library refused a message; its own words are English only."""
    return ProtocolError(Text("err.base.psi.rejected", what=what, reason=OnlyInEnglish(str(exc))))


def _parse(kind: type[_Message], data: bytes, what: Text) -> _Message:
    message: _Message = kind()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise ProtocolError(Text("err.base.psi.malformed", what=what)) from exc
    return message

"""Console sign-in sessions: a random token in an HttpOnly cookie.

Only a hash of each token is held, in memory: a restart of the space signs
everyone out, which is the safe default. Each session carries its own
CSRF token, checked on every form post.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from trusted_space.crypto.suite import CryptoSuite

COOKIE = "tspace_console"
# The sign-in form's own CSRF token, before there is a session: a random
# value in this cookie and in the form, which must match (double submit).
LOGIN_COOKIE = "tspace_console_login"
LIFETIME_SECONDS = 8 * 3600  # one working day
ROLES = ("steward", "operator")


@dataclass(frozen=True)
class Session:
    name: str
    role: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self, suite: CryptoSuite) -> None:
        self._suite = suite
        self._by_hash: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _key(self, token: str) -> str:
        return self._suite.hex_hash(b"tspace console session\x00" + token.encode())

    def open(self, name: str, role: str) -> str:
        token = secrets.token_urlsafe(32)
        session = Session(name, role, secrets.token_urlsafe(24), time.time() + LIFETIME_SECONDS)
        with self._lock:
            now = time.time()
            self._by_hash = {k: s for k, s in self._by_hash.items() if s.expires > now}
            self._by_hash[self._key(token)] = session
        return token

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._by_hash.get(self._key(token))
        if session is None or session.expires <= time.time():
            return None
        return session

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._by_hash.pop(self._key(token), None)

"""Who takes part: names, roles, public keys and API keys.

The operator adds a participant with a role and hands over its API key once;
only a hash of the key is stored (through the space's crypto suite), so a
copy of the space's database does not let anyone call the API. The
participant then registers its own public keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import sqlite3

from trusted_space.core.errors import NotAuthorised, NotFound, ProtocolError, Unauthenticated
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import ParticipantKeys, Role

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
ROLES: tuple[Role, ...] = ("provider", "consumer", "steward", "operator")
KEY_PREFIX = "tsk_"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Participants:
    def __init__(self, db: sqlite3.Connection, suite: CryptoSuite, ledger: Ledger) -> None:
        self.db = db
        self.suite = suite
        self.ledger = ledger
        # A participant's role never changes (``add`` refuses another role and
        # nothing deletes one), so a role once read is kept; except for names
        # added here, whose adding transaction might still roll back.
        self._roles: dict[str, str] = {}
        self._added: set[str] = set()

    def _key_hash(self, api_key: str) -> str:
        return self.suite.hash(b"tspace api key\x00" + api_key.encode()).hex()

    def add(self, actor: str, name: str, role: str) -> str:
        """Create a participant (or a new key for an existing one of that role);
        return its API key. Call inside a transaction."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not NAME.fullmatch(name):
            raise ValueError("a name is 1-64 lower-case letters, digits, '.', '_' or '-'")
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is not None and row[0] != role:
            raise ProtocolError(f"{name!r} is already a {row[0]}")
        if row is None:
            self._added.add(name)
            self.db.execute(
                "INSERT INTO participants (name, role, registered_at) VALUES (?, ?, ?)",
                (name, role, _now()),
            )
        api_key = KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip(
            "="
        )
        self.db.execute(
            "INSERT INTO api_keys (key_hash, name, created_at) VALUES (?, ?, ?)",
            (self._key_hash(api_key), name, _now()),
        )
        self.ledger.append(
            actor,
            "participant_added" if row is None else "api_key_issued",
            {"name": name, "role": role},
        )
        return api_key

    def rotate_key(self, actor: str, name: str) -> str:
        """Revoke every API key of ``name`` and issue a new one; return it.
        Call inside a transaction."""
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no participant {name!r}")
        revoked = self.db.execute(
            "UPDATE api_keys SET revoked = 1 WHERE name = ? AND revoked = 0", (name,)
        ).rowcount
        self.ledger.append(actor, "api_keys_revoked", {"name": name, "keys": revoked})
        return self.add(actor, name, str(row[0]))

    def authenticate(self, api_key: str) -> str:
        """The participant an API key belongs to; ``NotAuthorised`` otherwise."""
        if not api_key.startswith(KEY_PREFIX) or len(api_key) > 128:
            raise Unauthenticated("missing or malformed API key")
        row = self.db.execute(
            "SELECT name FROM api_keys WHERE key_hash = ? AND revoked = 0",
            (self._key_hash(api_key),),
        ).fetchone()
        if row is None:
            raise Unauthenticated("unknown or revoked API key")
        return str(row[0])

    def register_keys(self, caller: str, keys: ParticipantKeys) -> None:
        """A participant records (or rotates) its own public keys. Call inside a transaction."""
        if keys.name != caller:
            raise NotAuthorised("a participant may only register its own keys")
        if keys.suite != self.suite.name:
            raise ProtocolError(
                f"participant uses suite {keys.suite!r}; this space uses {self.suite.name!r}"
            )
        row = self.db.execute(
            "SELECT role, signing_key, sealing_key FROM participants WHERE name = ?", (caller,)
        ).fetchone()
        if row is None:
            raise NotAuthorised(f"{caller!r} is not a participant")
        if row[0] != keys.role:
            raise NotAuthorised(f"{caller!r} is a {row[0]}, not a {keys.role}")
        if (row[1], row[2]) == (keys.signing_key, keys.sealing_key):
            return
        try:
            signing, sealing = bytes.fromhex(keys.signing_key), bytes.fromhex(keys.sealing_key)
        except ValueError:
            raise ProtocolError("public keys must be hex") from None
        self.db.execute(
            "UPDATE participants SET suite = ?, signing_key = ?, sealing_key = ? WHERE name = ?",
            (keys.suite, keys.signing_key, keys.sealing_key, caller),
        )
        self.ledger.append(
            caller,
            "keys_registered" if row[1] is None else "keys_rotated",
            {
                "name": caller,
                "signing_key": keys.signing_key,  # public: lets anyone check the node's steps
                "signing_key_fp": self.suite.fingerprint(signing),
                "sealing_key_fp": self.suite.fingerprint(sealing),
            },
        )

    def role(self, name: str) -> str:
        known = self._roles.get(name)
        if known is not None:
            return known
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotAuthorised(f"{name!r} is not a participant")
        role = str(row[0])
        if name not in self._added:
            self._roles[name] = role
        return role

    def require(self, name: str, *roles: str) -> None:
        role = self.role(name)
        if role not in roles:
            raise NotAuthorised(f"{name!r} is a {role}; this needs a {' or '.join(roles)}")

    def public_keys(self) -> list[ParticipantKeys]:
        """Everyone's registered public keys (what nodes need to seal and verify)."""
        rows = self.db.execute(
            "SELECT name, role, suite, signing_key, sealing_key FROM participants "
            "WHERE signing_key IS NOT NULL ORDER BY name"
        ).fetchall()
        return [
            ParticipantKeys(name=r[0], role=r[1], suite=r[2], signing_key=r[3], sealing_key=r[4])
            for r in rows
        ]

    def keys_of(self, name: str) -> ParticipantKeys:
        for keys in self.public_keys():
            if keys.name == name:
                return keys
        raise NotFound(f"{name!r} has registered no keys")

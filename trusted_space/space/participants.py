"""Who takes part: names, roles, public keys and API keys.

The operator adds a participant with a role once (adding a name again is
refused: ``ParticipantExists``) and hands over its API key once; only a hash
of the key is stored (through the space's crypto suite), so a copy of the
space's database does not let anyone call the API. The operator may bind the
participant's signing key when adding it (``--signing-key``); otherwise its
first registration binds it. The participant then registers its public keys
as a statement signed by that signing key; the space refuses a statement
signed by another key unless a rotation signed by the bound key leads to it,
and one older than the last it holds (``trusted_space/protocol/identity.py``).

Those checks keep an honest space consistent. They do not protect anyone
from the operator, who could rewrite this table: the nodes do that, by
checking every statement against the signing key they pinned
(trusted_space/nodes/pins.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import sqlite3

from trusted_space.core.errors import (
    KeyChanged,
    NotAuthorised,
    NotFound,
    ParticipantExists,
    ProtocolError,
    Unauthenticated,
    UntrustedKey,
)
from trusted_space.core.i18n import Text, english, t
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.identity import signing_chain
from trusted_space.protocol.messages import ParticipantKeys, Role

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
ROLES: tuple[Role, ...] = ("provider", "consumer", "steward", "operator")
KEY_PREFIX = "tsk_"
MAX_KEY_HEX = 1024


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Participants:
    def __init__(self, db: sqlite3.Connection, suite: CryptoSuite, ledger: Ledger) -> None:
        self.db = db
        self.suite = suite
        self.ledger = ledger
        # A participant's role never changes (nothing updates or deletes
        # one), so a role once read is kept; except for names added here,
        # whose adding transaction might still roll back.
        self._roles: dict[str, str] = {}
        self._added: set[str] = set()

    def _key_hash(self, api_key: str) -> str:
        return self.suite.hash(b"tspace api key\x00" + api_key.encode()).hex()

    def signing_key_bytes(self, signing_key: str) -> bytes:
        """A public signing key given in hex, as bytes; ``ValueError`` otherwise."""
        try:
            key = bytes.fromhex(signing_key)
        except ValueError:
            raise ValueError(english(Text("err.base.value.signing_hex"))) from None
        if not key or len(signing_key) > MAX_KEY_HEX:
            raise ValueError(english(Text("err.base.value.signing_hex")))
        return key

    def add(self, actor: str, name: str, role: str, signing_key: str | None = None) -> str:
        """Create a participant and return its API key; with ``signing_key``
        (hex), bind its signing key now. A name that exists is refused
        (``ParticipantExists``). Call inside a transaction."""
        if role not in ROLES:
            raise ValueError(english(Text("err.base.value.role", roles=", ".join(ROLES))))
        if not NAME.fullmatch(name):
            raise ValueError(english(Text("err.base.value.name")))
        bound = None if signing_key is None else self.signing_key_bytes(signing_key)
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is not None:
            raise ParticipantExists(t("participant.exists", name=name, role=row[0]))
        self._added.add(name)
        self.db.execute(
            "INSERT INTO participants (name, role, registered_at, signing_key) VALUES (?, ?, ?, ?)",
            (name, role, _now(), None if bound is None else bound.hex()),
        )
        api_key = self._issue(name)
        self.ledger.append(
            actor,
            "participant_added",
            {
                "name": name,
                "role": role,
                "signing_key_fp": None if bound is None else self.suite.identity_fingerprint(bound),
            },
        )
        return api_key

    def _issue(self, name: str) -> str:
        api_key = KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip(
            "="
        )
        self.db.execute(
            "INSERT INTO api_keys (key_hash, name, created_at) VALUES (?, ?, ?)",
            (self._key_hash(api_key), name, _now()),
        )
        return api_key

    def rotate_key(self, actor: str, name: str) -> str:
        """Revoke every API key of ``name`` and issue a new one; return it.
        Call inside a transaction."""
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(Text("err.space.participant.unknown", name=name))
        revoked = self.db.execute(
            "UPDATE api_keys SET revoked = 1 WHERE name = ? AND revoked = 0", (name,)
        ).rowcount
        self.ledger.append(actor, "api_keys_revoked", {"name": name, "keys": revoked})
        api_key = self._issue(name)
        self.ledger.append(actor, "api_key_issued", {"name": name, "role": str(row[0])})
        return api_key

    def rebind(self, actor: str, name: str, signing_key: str) -> None:
        """Bind ``name`` to another signing key, for a participant that lost
        its own: its registered keys are dropped until it registers under the
        new one, and the ledger says so. Every node that pinned the old key
        refuses the new one until a person there pins it (``tspace keys
        trust``). Call inside a transaction."""
        key = self.signing_key_bytes(signing_key)
        row = self.db.execute(
            "SELECT signing_key FROM participants WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise NotFound(Text("err.space.participant.unknown", name=name))
        self.db.execute(
            "UPDATE participants SET signing_key = ?, sealing_key = NULL, key_statement = NULL "
            "WHERE name = ?",
            (key.hex(), name),
        )
        self.ledger.append(
            actor,
            "signing_key_rebound",
            {
                "name": name,
                "previous_fp": None
                if row[0] is None
                else self.suite.identity_fingerprint(bytes.fromhex(row[0])),
                "signing_key_fp": self.suite.identity_fingerprint(key),
            },
        )

    def authenticate(self, api_key: str) -> str:
        """The participant an API key belongs to; ``NotAuthorised`` otherwise."""
        if not api_key.startswith(KEY_PREFIX) or len(api_key) > 128:
            raise Unauthenticated(Text("err.space.participant.api_key_missing"))
        row = self.db.execute(
            "SELECT name FROM api_keys WHERE key_hash = ? AND revoked = 0",
            (self._key_hash(api_key),),
        ).fetchone()
        if row is None:
            raise Unauthenticated(Text("err.space.participant.api_key_unknown"))
        return str(row[0])

    def register_keys(self, caller: str, keys: ParticipantKeys) -> None:
        """A participant records (or rotates) its own public keys, signed by
        its signing key. Call inside a transaction."""
        if keys.name != caller:
            raise NotAuthorised(Text("err.space.participant.own_keys"))
        if keys.suite != self.suite.name:
            raise ProtocolError(
                Text("err.space.participant.suite", suite=keys.suite, mine=self.suite.name)
            )
        row = self.db.execute(
            "SELECT role, signing_key, key_statement FROM participants WHERE name = ?", (caller,)
        ).fetchone()
        if row is None:
            raise NotAuthorised(Text("err.space.participant.not_participant", name=caller))
        if row[0] != keys.role:
            raise NotAuthorised(
                Text("err.space.participant.role", name=caller, role=row[0], asked=keys.role)
            )
        chain = signing_chain(self.suite, keys)
        bound: str | None = row[1]
        if bound is not None and bound not in chain:
            raise KeyChanged(
                t(
                    "keys.space_bound",
                    name=caller,
                    bound=self.suite.identity_fingerprint(bytes.fromhex(bound)),
                    offered=self.suite.identity_fingerprint(bytes.fromhex(keys.signing_key)),
                )
            )
        previous = None if row[2] is None else ParticipantKeys.model_validate_json(row[2])
        if previous is not None:
            same = (previous.signing_key, previous.sealing_key) == (
                keys.signing_key,
                keys.sealing_key,
            )
            if keys.serial == previous.serial and same:
                return  # announced again (a node's restart)
            if keys.serial <= previous.serial:
                raise UntrustedKey(
                    t("keys.rolled_back", name=caller, offered=keys.serial, serial=previous.serial)
                )
        self.db.execute(
            "UPDATE participants SET suite = ?, signing_key = ?, sealing_key = ?, "
            "key_statement = ? WHERE name = ?",
            (keys.suite, keys.signing_key, keys.sealing_key, keys.model_dump_json(), caller),
        )
        self.ledger.append(
            caller,
            "keys_registered" if previous is None else "keys_rotated",
            {
                "name": caller,
                "signing_key": keys.signing_key,  # public: lets anyone check the node's steps
                "signing_key_fp": self.suite.identity_fingerprint(bytes.fromhex(keys.signing_key)),
                "sealing_key_fp": self.suite.identity_fingerprint(bytes.fromhex(keys.sealing_key)),
                "serial": keys.serial,
                "signing_key_rotated": bound is not None and bound != keys.signing_key,
                # The whole signed statement: an auditor checks it (and a
                # rotation's signature by the previous key) without the space.
                "statement": keys.model_dump(mode="json"),
            },
        )

    def role(self, name: str) -> str:
        known = self._roles.get(name)
        if known is not None:
            return known
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotAuthorised(Text("err.space.participant.not_participant", name=name))
        role = str(row[0])
        if name not in self._added:
            self._roles[name] = role
        return role

    def require(self, name: str, *roles: str) -> None:
        role = self.role(name)
        if role not in roles:
            raise NotAuthorised(
                Text(
                    "err.space.participant.needs_role",
                    name=name,
                    role=role,
                    roles=" / ".join(roles),
                )
            )

    def public_keys(self) -> list[ParticipantKeys]:
        """Everyone's registered keys, as each signed them (what nodes check,
        then seal to and verify with)."""
        rows = self.db.execute(
            "SELECT key_statement FROM participants WHERE key_statement IS NOT NULL ORDER BY name"
        ).fetchall()
        return [ParticipantKeys.model_validate_json(r[0]) for r in rows]

    def keys_of(self, name: str) -> ParticipantKeys:
        row = self.db.execute(
            "SELECT key_statement FROM participants WHERE name = ?", (name,)
        ).fetchone()
        if row is None or row[0] is None:
            raise NotFound(Text("err.space.participant.no_keys", name=name))
        return ParticipantKeys.model_validate_json(row[0])

"""Which owners each steward governs, and the owners' consent to it.

A steward acts (publishes, supersedes, retires, approves policies) only for
the owners that appointed it. An appointment is a statement signed with the
owner's registered signing key (``StewardAppointment``): the operator passes
it on when it adds the steward, but cannot make one, so the operator alone
cannot create a steward for an owner. The space checks the signature
against the key the owner registered and records the binding with the
appointment in the ledger (``steward_appointed``), where ``ledger verify``
checks the signature again. The appointment names the space (its ledger
key's fingerprint), so one made for another space is refused.

The owner's key is the one it registered with the space; a forged key
registration is a separate threat (keys pinned at onboarding).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from trusted_space.core.errors import AppointmentRefused, CryptoError
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import StewardAppointment

SCHEMA = """
CREATE TABLE IF NOT EXISTS steward_owners (
    steward TEXT NOT NULL, owner TEXT NOT NULL, appointment TEXT NOT NULL,
    appointed_at TEXT NOT NULL, PRIMARY KEY (steward, owner));
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def read_bindings(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Each steward's owners, sorted; empty for a space from before bindings."""
    try:
        rows = db.execute("SELECT steward, owner FROM steward_owners ORDER BY steward, owner")
        out: dict[str, list[str]] = {}
        for steward, owner in rows:
            out.setdefault(str(steward), []).append(str(owner))
        return out
    except sqlite3.OperationalError:  # read-only, before the table existed
        return {}


class Stewards:
    def __init__(
        self, db: sqlite3.Connection, suite: CryptoSuite, ledger: Ledger, space_key: bytes
    ) -> None:
        self.db = db
        self.suite = suite
        self.ledger = ledger
        self.space = suite.fingerprint(space_key)  # what appointments must name
        db.executescript(SCHEMA)

    def appoint(self, actor: str, appointment: StewardAppointment, steward: str) -> bool:
        """Bind ``steward`` to the appointing owner once its signature checks
        out; True when the binding is new. Call inside a transaction, after
        the steward exists."""
        owner = appointment.owner
        if appointment.steward != steward:
            raise AppointmentRefused(
                "appointment.other_steward", owner=owner, named=appointment.steward, steward=steward
            )
        row = self.db.execute("SELECT role FROM participants WHERE name = ?", (steward,)).fetchone()
        if row is None or row[0] != "steward":
            role = "—" if row is None else str(row[0])
            raise AppointmentRefused("appointment.not_a_steward", name=steward, role=role)
        if appointment.space != self.space:
            raise AppointmentRefused(
                "appointment.other_space", owner=owner, steward=steward, space=appointment.space
            )
        key = self.db.execute(
            "SELECT signing_key FROM participants WHERE name = ? AND role = 'provider'", (owner,)
        ).fetchone()
        if key is None or key[0] is None:
            raise AppointmentRefused("appointment.unknown_owner", owner=owner)
        try:
            self.suite.verify(
                bytes.fromhex(key[0]),
                appointment.digest(self.suite),
                bytes.fromhex(appointment.signature),
            )
        except (CryptoError, ValueError):
            raise AppointmentRefused(
                "appointment.bad_signature", owner=owner, steward=steward
            ) from None
        known = self.db.execute(
            "SELECT 1 FROM steward_owners WHERE steward = ? AND owner = ?", (steward, owner)
        ).fetchone()
        if known is not None:
            return False
        self.db.execute(
            "INSERT INTO steward_owners VALUES (?, ?, ?, ?)",
            (steward, owner, appointment.model_dump_json(), _now()),
        )
        self.ledger.append(
            actor,
            "steward_appointed",
            {
                "steward": steward,
                "owner": owner,
                "space": appointment.space,
                "owner_signing_key_fp": self.suite.fingerprint(bytes.fromhex(key[0])),
                "signature": appointment.signature,  # the owner's: anyone can check it
            },
        )
        return True

    def owners_of(self, steward: str) -> frozenset[str]:
        rows = self.db.execute("SELECT owner FROM steward_owners WHERE steward = ?", (steward,))
        return frozenset(str(r[0]) for r in rows)

    def bindings(self) -> dict[str, list[str]]:
        return read_bindings(self.db)

"""What the console shows, read from the space's database on a read-only
connection (WAL lets it read beside the running space without its lock)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trusted_space.core.errors import LedgerTampered
from trusted_space.crypto.suite import CryptoSuite
from trusted_space.ledger.ledger import verify_entries
from trusted_space.space.stewards import read_bindings


def connect(space_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{space_dir / 'space.sqlite'}?mode=ro", uri=True)


def _entries(db: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [json.loads(text) for (text,) in db.execute(sql, args)]


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    problem: object = ""  # the LedgerTampered: said in the page's language


def verify(db: sqlite3.Connection, suite: CryptoSuite, public_key: bytes) -> Verification:
    rows = (json.loads(text) for (text,) in db.execute("SELECT entry FROM ledger ORDER BY seq"))
    try:
        return Verification(True, verify_entries(rows, suite, public_key))
    except LedgerTampered as exc:
        return Verification(False, exc.seq - 1, exc)


def recent_entries(db: sqlite3.Connection, limit: int = 200) -> list[dict[str, Any]]:
    return _entries(db, "SELECT entry FROM ledger ORDER BY seq DESC LIMIT ?", (limit,))


def job_history(db: sqlite3.Connection, job_id: str) -> list[dict[str, Any]]:
    return _entries(db, "SELECT entry FROM ledger WHERE job_id = ? ORDER BY seq", (job_id,))


def job_state(db: sqlite3.Connection, job_id: str) -> tuple[str, str] | None:
    row = db.execute("SELECT state, step FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def decisions(db: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The latest policy decisions, newest first, each with its reasons."""
    out = []
    for e in _entries(
        db,
        "SELECT entry FROM ledger WHERE kind = 'policy_decision' ORDER BY seq DESC LIMIT ?",
        (limit,),
    ):
        d = e["details"]
        out.append(
            {
                "seq": e["seq"],
                "time": e["time"],
                "job_id": e["job_id"],
                "consumer": d.get("consumer", ""),
                "product": d.get("product", ""),
                # the engine the job was judged to run on (absent before it was recorded)
                "engine": d.get("engine", ""),
                "allowed": d.get("decision") == "allow",
                "reasons": d.get("reasons", []),
                "policy_versions": d.get("policy_versions", []),
                "batch_size": d.get("batch_size"),
            }
        )
    return out


def participants(db: sqlite3.Connection, suite: CryptoSuite) -> list[dict[str, Any]]:
    """Every participant with its keys' fingerprints, and for a steward the
    owners that appointed it."""
    rows = db.execute(
        "SELECT name, role, suite, signing_key, sealing_key, registered_at FROM participants "
        "ORDER BY role, name"
    ).fetchall()
    governs = read_bindings(db)
    return [
        {
            "name": name,
            "role": role,
            "suite": key_suite or "",
            "signing": suite.identity_fingerprint(bytes.fromhex(signing)) if signing else "",
            "sealing": suite.identity_fingerprint(bytes.fromhex(sealing)) if sealing else "",
            "registered_at": registered_at,
            "governs": governs.get(name, []),
        }
        for name, role, key_suite, signing, sealing, registered_at in rows
    ]


def ledger_entries(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every ledger entry, in order: read once per page that needs them."""
    return _entries(db, "SELECT entry FROM ledger ORDER BY seq")


def overview(db: sqlite3.Connection) -> dict[str, Any]:
    def counts(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in db.execute(sql)}

    return {
        "roles": counts("SELECT role, count(*) FROM participants GROUP BY role ORDER BY role"),
        "policies": counts("SELECT state, count(*) FROM policies GROUP BY state ORDER BY state"),
        "jobs": counts("SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state"),
        "entries": int(db.execute("SELECT count(*) FROM ledger").fetchone()[0]),
    }


@dataclass
class Totals:
    key: str
    allowed: int = 0
    denied: int = 0
    subjects: int = 0  # submitted in allowed jobs


def usage_totals(entries: list[dict[str, Any]], by: str) -> list[Totals]:
    """Jobs allowed and denied, and subjects submitted, per consumer or product,
    from every policy decision among the ledger's entries."""
    totals: dict[str, Totals] = {}
    for e in entries:
        if e.get("kind") != "policy_decision":
            continue
        d = e["details"]
        key = str(d.get(by, ""))
        t = totals.setdefault(key, Totals(key))
        if d.get("decision") == "allow":
            t.allowed += 1
            t.subjects += int(d.get("batch_size") or 0)
        else:
            t.denied += 1
    return sorted(totals.values(), key=lambda t: (-(t.allowed + t.denied), t.key))


def peer_jobs(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Jobs across spaces, newest first: this space's consumers' jobs with a
    part at a peer (``peer_part_accepted``), and peers' consumers' jobs run
    for this space's providers (``job_submitted`` with its home)."""
    states = dict(db.execute("SELECT job_id, state FROM jobs").fetchall())
    out = []
    for entry in _entries(
        db,
        "SELECT entry FROM ledger WHERE kind IN ('peer_part_accepted', 'job_submitted') "
        "ORDER BY seq DESC",
    ):
        details = entry.get("details") or {}
        if entry["kind"] == "peer_part_accepted":
            out.append(
                {
                    "job_id": entry["job_id"],
                    "home": True,
                    "peer": details.get("peer"),
                    "state": states.get(entry["job_id"], ""),
                    "entry": details.get("peer_entry"),
                }
            )
        elif "home" in details:
            out.append(
                {
                    "job_id": entry["job_id"],
                    "home": False,
                    "peer": details["home"].get("peer"),
                    "state": states.get(entry["job_id"], ""),
                    "entry": details["home"].get("entry"),
                }
            )
        if len(out) >= 200:
            break
    return out

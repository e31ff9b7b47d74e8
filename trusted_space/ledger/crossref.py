"""Cross-references between peered spaces' ledgers, checked offline.

Given several ledgers (each already verified on its own with its space's
key, ``ledger.verify_entries``), ``check_cross_references`` checks what the
spaces say of each other (docs/federation.md):

- a ``peer_added`` naming a space whose ledger is given: that ledger's key is
  the one pinned, its own ``peer_added`` for this space carries the same
  agreement hash, and the agreement in the entry hashes to it;
- a ``peer_confirmed``: the countersignature verifies under the peer's key;
- a job across spaces: the peer's ``job_submitted`` names the home's
  ``job_submitted`` of the same job; the home's ``peer_part_accepted`` names
  the peer's; the home's ``peer_part_closed`` names the peer's
  ``peer_job_closed``, which names an entry of the home for the same job;
  in a blind lookup, the home's ``peer_partial_received`` holds the hash of
  the ciphertexts the peer's ``peer_partial_released`` of the same job
  records.

A reference to a space whose ledger is not given is counted, not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import CryptoError
from trusted_space.crypto import CryptoSuite


@dataclass
class Ledger:
    """One space's ledger (its entries as exported) and its verifying key."""

    name: str  # how the auditor names it (a folder or a file)
    entries: list[dict[str, Any]]
    suite: CryptoSuite
    key: bytes

    @property
    def fingerprint(self) -> str:
        return self.suite.fingerprint(self.key)


@dataclass
class CrossReport:
    checked: int = 0  # references checked against a given ledger
    unchecked: int = 0  # references to spaces whose ledger was not given
    problems: list[str] = field(default_factory=list)


def check_cross_references(ledgers: Sequence[Ledger]) -> CrossReport:
    report = CrossReport()
    by_fp = {ledger.fingerprint: ledger for ledger in ledgers}
    hashes = {ledger.fingerprint: {e["hash"]: e for e in ledger.entries} for ledger in ledgers}
    for ledger in ledgers:
        peers: dict[str, str] = {}  # the peer's name here -> its fingerprint
        for entry in ledger.entries:
            kind, details = entry.get("kind"), entry.get("details") or {}
            where = f"{ledger.name} entry {entry.get('seq')}"
            if kind == "peer_added":
                peers[str(details.get("peer"))] = str(details.get("fingerprint"))
                _agreement(ledger, by_fp, details, where, report)
            elif kind == "peer_confirmed":
                other = by_fp.get(peers.get(str(details.get("peer")), ""))
                if other is None:
                    report.unchecked += 1
                    continue
                report.checked += 1
                try:
                    other.suite.verify(
                        other.key,
                        bytes.fromhex(str(details.get("agreement"))),
                        bytes.fromhex(str(details.get("countersignature"))),
                    )
                except (CryptoError, ValueError):
                    report.problems.append(f"{where}: the countersignature is not the peer's")
            elif kind == "job_submitted" and "home" in details:
                home = details["home"]
                _refers(
                    report, hashes, peers.get(str(home.get("peer")), ""), str(home.get("entry")),
                    "job_submitted", entry.get("job_id"), where,
                )  # fmt: skip
            elif kind in ("peer_part_accepted", "peer_part_closed"):
                wanted = "job_submitted" if kind == "peer_part_accepted" else "peer_job_closed"
                _refers(
                    report, hashes, peers.get(str(details.get("peer")), ""),
                    str(details.get("peer_entry")), wanted, entry.get("job_id"), where,
                )  # fmt: skip
            elif kind == "peer_partial_received":
                _released(
                    report, by_fp.get(peers.get(str(details.get("peer")), "")),
                    str(details.get("partial_hash")), entry.get("job_id"), where,
                )  # fmt: skip
            elif kind == "peer_job_closed":
                _refers(
                    report, hashes, peers.get(str(entry.get("actor")), ""),
                    str(details.get("home_entry")), None, entry.get("job_id"), where,
                )  # fmt: skip
    return report


def _agreement(
    ledger: Ledger,
    by_fp: dict[str, Ledger],
    details: dict[str, Any],
    where: str,
    report: CrossReport,
) -> None:
    terms = details.get("terms")
    if isinstance(terms, dict):
        digest = ledger.suite.hash(canonical_json(terms)).hex()
        if digest != details.get("agreement"):
            report.problems.append(f"{where}: the agreement does not hash to its recorded hash")
    other = by_fp.get(str(details.get("fingerprint")))
    if other is None:
        report.unchecked += 1
        return
    report.checked += 1
    if other.key.hex() != details.get("signing_key"):
        report.problems.append(f"{where}: the pinned key is not {other.name}'s")
        return
    mine = [
        e
        for e in other.entries
        if e.get("kind") == "peer_added"
        and (e.get("details") or {}).get("fingerprint") == ledger.fingerprint
    ]
    if not any((e.get("details") or {}).get("agreement") == details.get("agreement") for e in mine):
        report.problems.append(f"{where}: {other.name} records no peering under the same agreement")


def _refers(
    report: CrossReport,
    hashes: dict[str, dict[str, dict[str, Any]]],
    fingerprint: str,
    entry_hash: str,
    kind: str | None,
    job_id: object,
    where: str,
) -> None:
    entries = hashes.get(fingerprint)
    if entries is None:
        report.unchecked += 1
        return
    report.checked += 1
    target = entries.get(entry_hash)
    if target is None:
        report.problems.append(f"{where}: the peer's ledger holds no entry {entry_hash[:16]}…")
    elif (kind is not None and target.get("kind") != kind) or target.get("job_id") != job_id:
        report.problems.append(
            f"{where}: the peer's entry {entry_hash[:16]}… is not the {kind or 'entry'} of this job"
        )


def _released(
    report: CrossReport, other: Ledger | None, digest: str, job_id: object, where: str
) -> None:
    """The peer's ledger records releasing the part of a blind lookup the home received."""
    if other is None:
        report.unchecked += 1
        return
    report.checked += 1
    if not any(
        e.get("kind") == "peer_partial_released"
        and e.get("job_id") == job_id
        and (e.get("details") or {}).get("partial_hash") == digest
        for e in other.entries
    ):
        report.problems.append(f"{where}: the peer's ledger released no such part of this job")

"""Settlement (数据收益分配) from the ledger alone: what each consumer owes
and what each provider and the operator earn in a month.

Pure functions of ledger entries (an export is enough): jobs are counted by
metering (``trusted_space.ledger.metering.job_usage``), and the price terms
are the ones the ``policy_decision`` entry recorded for each policy that
governed the job (``Policy.price_terms``). Only succeeded jobs (their result
released) are charged; denied and failed jobs are not. A job belongs to the
China-time month of its policy decision, as in metering.

For each succeeded job and each priced policy that governed it (its owners
that took part in the job):

- the charge is ``per_job + per_subject_queried x subjects +
  per_subject_matched x matched``, where ``matched`` adds up the subjects
  each of those owners matched (as metering counts them). Prices are in fen,
  counts are whole, so a charge is exact;
- the operator's share is ``charge x split.operator``, rounded to the fen,
  half up;
- the rest (the providers' total) is divided among those owners in
  proportion to their weights (matched subjects, queried subjects, or the
  policy's fixed weights renormalised over the owners that took part; all
  weights zero: equal shares) by the largest remainder: each gets the fen
  amount rounded down, then the fen left over go one each to the largest
  remainders, ties broken by provider name. The shares add up exactly to the
  providers' total, so on every line the consumer's charge equals the
  operator's share plus the providers'.

Across peered spaces (docs/settlement.md, "Jobs across spaces"): each
space prices its own providers' part of a job under its own stewards'
policies, from its own ledger. At the peer that ran a part, the part is
charged once the home's ``peer_job_closed`` says the consumer collected the
result; its providers and operator earn from it, and the home (role
``home``) owes it. At the home, given the peer's ledger export (checked
against the key the home's ledger pins for that peer, and the two ledgers'
cross-references), the consumer's statement carries the peer's lines too,
each naming the peer's fingerprint in ``space``, and the peer (role
``peer``) earns them from the home: the home passes its consumers' payment
on. A line is computed by exactly one ledger, so nothing is counted twice.

Every statement names the ledger head it was computed at and the hashes of
the entries it was computed from; ``verify`` recomputes it from an export.
Statements carry names, counts and amounts only, never an identifier.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import LedgerTampered, Message, TspaceError
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.ledger.crossref import Ledger as PeerLedger
from trusted_space.ledger.crossref import check_cross_references
from trusted_space.ledger.ledger import verify_entries
from trusted_space.ledger.metering import JobUsage, job_usage

FORMAT = "tspace-settlement/1"
CURRENCY = "CNY"
FEN = Decimal("0.01")
OPERATOR = "operator"  # the operator's party name in statements
# ``home``: a peer whose jobs ran in part here (it owes this space's lines);
# ``peer``: a peer that ran part of this space's jobs (it earns its lines).
ROLES = ("consumer", "provider", "operator", "home", "peer")
OWING = ("consumer", "home")
ROUNDING = {
    "en": (
        "Per job and policy: charge = per_job + per_subject_queried x subjects + "
        "per_subject_matched x matched, exact in fen. Operator's share = charge x "
        "split.operator, rounded to the fen half up. The rest is divided among the "
        "policy's owners in the job by their weights with the largest-remainder method: "
        "each gets its share rounded down to the fen, the fen left over go one each to the "
        "largest remainders, ties to the provider name first in order; all weights zero: "
        "equal shares. Only succeeded jobs are charged. A job across spaces: each space prices "
        "its own providers' part under its own policies and rounds it on its own line."
    ),
    "zh-CN": (
        "按任务和策略逐笔计算：应付 = per_job + per_subject_queried × 查询对象数 + "
        "per_subject_matched × 匹配对象数，以分计，无需舍入。运营方分成 = 应付 × "
        "split.operator，四舍五入到分。余额按权重在参与该任务的本策略提供方之间以最大余额法"
        "分配：各方先取向下舍入到分的份额，剩余的分依余数从大到小每方一分，余数相同按提供方"
        "名称排序；权重全为零时均分。只对成功的任务计费。跨空间任务：各空间按本空间的策略为本空间"
        "提供方的部分计价，并在各自的明细行中舍入。"
    ),
}
CSV_COLUMNS = (
    "space",
    "month",
    "party",
    "role",
    "job_id",
    "product",
    "policy",
    "consumer",
    "provider",
    "subjects",
    "matched",
    "charge",
    "amount",
)


class StatementInvalid(TspaceError):
    """A statement that does not match the ledger, or is not the space's."""

    def __init__(self, reason: Message) -> None:
        self.reason = reason
        super().__init__(reason)


class PeerLedgerMissing(StatementInvalid):
    """A charged job ran in part at a peer whose ledger was not given."""

    def __init__(self, peers: list[str]) -> None:
        self.peers = peers
        super().__init__(Text("err.base.settle.peers_missing", peers=", ".join(peers)))


@dataclass(frozen=True)
class Line:
    """One party's part of one job under one policy."""

    space: str  # the fingerprint of the space whose ledger priced this line
    job_id: str
    product: str
    policy: str  # id@version:content hash
    consumer: str
    provider: str | None  # the provider's line; None on the consumer's and operator's
    subjects: int
    matched: int | None  # None: not counted (a blind lookup, or not this line's)
    charge: Decimal  # what the consumer pays for the job under this policy
    amount: Decimal  # this party's part: the charge, the operator's or a provider's share

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space,
            "job_id": self.job_id,
            "product": self.product,
            "policy": self.policy,
            "consumer": self.consumer,
            "provider": self.provider,
            "subjects": self.subjects,
            "matched": self.matched,
            "charge": fen(self.charge),
            "amount": fen(self.amount),
        }


def fen(amount: Decimal) -> str:
    """An amount as the statements write it: yuan with exactly two decimals."""
    return str(amount.quantize(FEN))


def format_yuan(amount: Decimal | str, language: str) -> str:
    """¥1,234.50 in zh-CN, CNY 1,234.50 in English."""
    text = f"{Decimal(amount).quantize(FEN):,}"
    return f"¥{text}" if language == "zh-CN" else f"CNY {text}"


def largest_remainder(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """Divide ``total`` (whole fen) in proportion to ``weights``: each name
    gets its share rounded down to the fen; the fen left over go one each
    to the largest remainders, ties broken by name. Adds up to ``total``."""
    names = sorted(weights)
    if not names:
        return {}
    weight_sum = sum(weights.values(), Decimal(0))
    if weight_sum == 0:
        weights, weight_sum = {n: Decimal(1) for n in names}, Decimal(len(names))
    cents = int((total / FEN).to_integral_value())
    exact = {n: Decimal(cents) * weights[n] / weight_sum for n in names}
    floor = {n: int(exact[n].to_integral_value(rounding=ROUND_DOWN)) for n in names}
    left = cents - sum(floor.values())
    by_remainder = sorted(names, key=lambda n: (-(exact[n] - floor[n]), n))
    for n in by_remainder[:left]:
        floor[n] += 1
    return {n: Decimal(floor[n]) * FEN for n in names}


def space_id(entries: Sequence[dict[str, Any]], suite: CryptoSuite) -> str:
    """The space's fingerprint, from the signing key its first entry records."""
    if not entries or entries[0].get("kind") != "space_created":
        raise StatementInvalid(Text("err.base.settle.no_creation"))
    return suite.fingerprint(bytes.fromhex(str(entries[0]["details"]["signing_key"])))


def _job_lines(job: JobUsage, space: str) -> list[tuple[str, str, Line, list[str]]]:
    """(role, party, line, entry hashes) for one succeeded job."""
    out: list[tuple[str, str, Line, list[str]]] = []
    for terms in job.prices:
        owners = sorted(set(terms.get("owners") or ()) & set(job.local_providers))
        if not owners:
            continue
        price, policy = terms["price"], str(terms["policy"])
        split = price["split"]
        matched = {o: job.matched_at(o) for o in owners}
        counts_matches = "per_subject_matched" in price or split.get("by") == "matched"
        if counts_matches and any(m is None for m in matched.values()):
            raise StatementInvalid(
                Text(
                    "err.base.settle.matches_unrecorded",
                    job=job.job_id,
                    policy=policy,
                    engine=job.engine,
                )
            )
        total_matched = sum(m or 0 for m in matched.values())
        charge = (
            Decimal(price.get("per_job", "0"))
            + Decimal(price.get("per_subject_queried", "0")) * job.subjects
            + Decimal(price.get("per_subject_matched", "0")) * total_matched
        ).quantize(FEN)
        operator = (charge * Decimal(split["operator"])).quantize(FEN, rounding=ROUND_HALF_UP)
        if split.get("by") == "matched":
            weights = {o: Decimal(matched[o] or 0) for o in owners}
        elif split.get("by") == "queried":
            weights = {o: Decimal(job.subjects) for o in owners}
        else:
            fixed = split.get("weights") or {}
            weights = {o: Decimal(str(fixed.get(o, "0"))) for o in owners}
        shares = largest_remainder(charge - operator, weights)

        base = Line(
            space=space,
            job_id=job.job_id,
            product=job.product,
            policy=policy,
            consumer=job.consumer,
            provider=None,
            subjects=job.subjects,
            matched=None,
            charge=charge,
            amount=charge,
        )
        blind = any(m is None for m in matched.values())
        counted = None if blind else total_matched
        out.append(("consumer", job.consumer, replace(base, matched=counted), job.hashes))
        out.append(("operator", OPERATOR, replace(base, amount=operator), job.hashes))
        for o in owners:
            line = replace(base, provider=o, matched=matched[o], amount=shares[o])
            out.append(("provider", o, line, job.hashes))
    return out


def parties(entries: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, name) of every consumer and provider the ledger registered, and the operator."""
    found = {("operator", OPERATOR)}
    for e in entries:
        d = e.get("details") or {}
        if e.get("kind") == "participant_added" and d.get("role") in ("consumer", "provider"):
            found.add((str(d["role"]), str(d["name"])))
        elif e.get("kind") == "peer_added":
            found |= {("home", str(d["peer"])), ("peer", str(d["peer"]))}
    return sorted(found, key=lambda p: (ROLES.index(p[0]), p[1]))


def _pinned(entries: Sequence[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Peer name -> (fingerprint, signing key) as this ledger last pinned it."""
    out: dict[str, tuple[str, str]] = {}
    for e in entries:
        d = e.get("details") or {}
        if e.get("kind") == "peer_added":
            out[str(d.get("peer"))] = (str(d.get("fingerprint")), str(d.get("signing_key")))
    return out


def peer_ledgers(
    entries: Sequence[dict[str, Any]],
    suite: CryptoSuite,
    exports: Sequence[tuple[str, list[dict[str, Any]]]],
) -> dict[str, PeerLedger]:
    """Peers' ledger exports, by this space's name for each peer: each must
    be the ledger of a peer this ledger pins (the key in its first entry is
    the pinned one), verify under that key (an edited entry raises
    ``LedgerTampered``) and cross-reference this ledger without a problem."""
    pinned = {fp: (name, key) for name, (fp, key) in _pinned(entries).items()}
    out: dict[str, PeerLedger] = {}
    for label, peer_entries in exports:
        first = (peer_entries[0].get("details") or {}) if peer_entries else {}
        key_hex = str(first.get("signing_key", ""))
        try:
            fingerprint = suite.fingerprint(bytes.fromhex(key_hex))
        except ValueError:
            fingerprint = ""
        if peer_entries[:1] == [] or peer_entries[0].get("kind") != "space_created":
            raise StatementInvalid(Text("err.base.settle.not_export", label=label))
        if fingerprint not in pinned or pinned[fingerprint][1] != key_hex:
            raise StatementInvalid(Text("err.base.settle.not_pinned", label=label))
        key = bytes.fromhex(key_hex)
        try:
            verify_entries(iter(peer_entries), suite, key)
        except LedgerTampered as exc:
            raise StatementInvalid(
                Text("err.base.settle.peer_entry", label=label, seq=exc.seq, reason=exc.said)
            ) from None
        out[pinned[fingerprint][0]] = PeerLedger(label, list(peer_entries), suite, key)
    if out:
        home = PeerLedger("home", list(entries), suite, _space_key(entries))
        report = check_cross_references([home, *out.values()])
        if report.problems:
            raise StatementInvalid(report.problems[0])
    return out


def _space_key(entries: Sequence[dict[str, Any]]) -> bytes:
    return bytes.fromhex(str((entries[0].get("details") or {}).get("signing_key", "")))


def _peer_lines(
    job: JobUsage,
    month: str,
    peers: dict[str, PeerLedger],
    peer_jobs: dict[str, dict[str, JobUsage]],
    missing: set[str],
) -> list[tuple[str, str, Line, list[str]]]:
    """At a job's home: the consumer's lines for each peer's part of the job,
    from the peer's ledger (its ``job_submitted`` names this job's)."""
    out: list[tuple[str, str, Line, list[str]]] = []
    for peer in sorted(job.peer_parts):
        ledger = peers.get(peer)
        if ledger is None:
            missing.add(peer)
            continue
        if peer not in peer_jobs:
            peer_jobs[peer] = job_usage(ledger.entries)
        part = peer_jobs[peer].get(job.job_id)
        if part is None or part.home_entry != job.submitted:
            continue  # the peer's ledger holds no part of this job (yet)
        if not part.succeeded or part.month != month:
            continue  # the peer charges it in another month, or not at all
        for role, _, line, used in _job_lines(part, ledger.fingerprint):
            if role == "consumer":
                out.append(("consumer", job.consumer, line, used))
                out.append(("peer", peer, line, used))
    return out


def compute(
    entries: Sequence[dict[str, Any]],
    month: str,
    suite: CryptoSuite,
    peers: dict[str, PeerLedger] | None = None,
    *,
    partial: bool = False,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every party's statement (unsigned) for ``month`` (YYYY-MM, China time),
    from the ledger entries up to the last one given (the head), and the
    peers' ledgers (``peer_ledgers``, by this space's name for each) for the
    peers' parts of this space's jobs. A charged job with a part at a peer
    whose ledger is not given raises ``PeerLedgerMissing``, unless
    ``partial`` (the console: its statements then lack those lines)."""
    space = space_id(entries, suite)
    head = entries[-1]
    peers = peers or {}
    lines: dict[tuple[str, str], list[Line]] = {p: [] for p in parties(entries)}
    hashes: dict[tuple[str, str], dict[str, None]] = {p: {} for p in lines}  # ordered set
    peer_jobs: dict[str, dict[str, JobUsage]] = {}
    missing: set[str] = set()
    for job in job_usage(entries).values():
        if not job.succeeded or job.month != month:
            continue  # denied, failed, unfinished or another month: not charged
        found = []
        for role, party, line, used in _job_lines(job, space):
            if role == "consumer" and job.home is not None:
                role, party = "home", job.home  # the home owes this space its part
            found.append((role, party, line, used))
        if job.home is None:
            found += _peer_lines(job, month, peers, peer_jobs, missing)
        for role, party, line, used in found:
            lines.setdefault((role, party), []).append(line)
            hashes.setdefault((role, party), {}).update(dict.fromkeys(used))
    if missing and not partial:
        raise PeerLedgerMissing(sorted(missing))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    ordered = sorted(lines.items(), key=lambda kv: (ROLES.index(kv[0][0]), kv[0][1]))
    for (role, party), mine in ordered:
        total = sum((line.amount for line in mine), Decimal(0))
        out[(role, party)] = {
            "format": FORMAT,
            "space": space,
            "suite": suite.name,
            "month": month,
            "party": party,
            "role": role,
            "direction": "owes" if role in OWING else "earns",
            "currency": CURRENCY,
            "total": fen(total),
            "jobs": len({line.job_id for line in mine}),
            "lines": [line.to_dict() for line in mine],
            "rounding": dict(ROUNDING),
            "ledger_head": {"seq": int(head["seq"]), "hash": str(head["hash"])},
            "entries": list(hashes[(role, party)]),
        }
        if peers:
            out[(role, party)]["peers"] = [
                {
                    "peer": name,
                    "space": ledger.fingerprint,
                    "ledger_head": {
                        "seq": int(ledger.entries[-1]["seq"]),
                        "hash": str(ledger.entries[-1]["hash"]),
                    },
                }
                for name, ledger in sorted(peers.items())
            ]
        if missing:
            out[(role, party)]["peers_missing"] = sorted(missing)
    return out


def _digest(statement: dict[str, Any], suite: CryptoSuite) -> bytes:
    body = {k: v for k, v in statement.items() if k != "signature"}
    return suite.hash(canonical_json(body))


def sign(statement: dict[str, Any], suite: CryptoSuite, key: SigningKey) -> dict[str, Any]:
    """The statement with the space's signature over its canonical JSON."""
    return {**statement, "signature": key.sign(_digest(statement, suite)).hex()}


def to_csv(statement: dict[str, Any]) -> str:
    """The statement's lines as CSV, and a last line with the total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = [statement["space"], statement["month"], statement["party"], statement["role"]]
    for line in statement["lines"]:
        writer.writerow(
            [
                *head,
                line["job_id"],
                line["product"],
                line["policy"],
                line["consumer"],
                line["provider"] or "",
                line["subjects"],
                "" if line["matched"] is None else line["matched"],
                line["charge"],
                line["amount"],
            ]
        )
    writer.writerow([*head, "total", "", "", "", "", "", "", "", statement["total"]])
    return buffer.getvalue()


def _first_difference(path: str, claimed: Any, computed: Any) -> Text | None:
    if isinstance(claimed, dict) and isinstance(computed, dict):
        for key in sorted(set(claimed) | set(computed)):
            found = _first_difference(f"{path}.{key}", claimed.get(key), computed.get(key))
            if found:
                return found
        return None
    if isinstance(claimed, list) and isinstance(computed, list):
        if len(claimed) != len(computed):
            return Text(
                "err.base.settle.count_differs",
                path=path,
                claimed=len(claimed),
                computed=len(computed),
            )
        for i, (a, b) in enumerate(zip(claimed, computed, strict=True)):
            found = _first_difference(f"{path}[{i}]", a, b)
            if found:
                return found
        return None
    if claimed != computed:
        return Text(
            "err.base.settle.value_differs",
            path=path,
            claimed=repr(claimed),
            computed=repr(computed),
        )
    return None


def _cut_peers(statement: dict[str, Any], peers: dict[str, PeerLedger]) -> dict[str, PeerLedger]:
    """Each peer's ledger up to the head the statement names for it."""
    named = statement.get("peers") or []
    wanted = {str(p.get("peer")) for p in named if isinstance(p, dict)}
    if wanted - set(peers):
        raise PeerLedgerMissing(sorted(wanted - set(peers)))
    out: dict[str, PeerLedger] = {}
    for item in named:
        ledger = peers[str(item.get("peer"))]
        head = item.get("ledger_head") or {}
        seq = int(head.get("seq") or 0)
        if not 1 <= seq <= len(ledger.entries):
            raise StatementInvalid(Text("err.base.settle.peer_short", name=ledger.name, seq=seq))
        if ledger.entries[seq - 1].get("hash") != head.get("hash"):
            raise StatementInvalid(Text("err.base.settle.peer_head", name=ledger.name, seq=seq))
        out[str(item.get("peer"))] = replace(ledger, entries=ledger.entries[:seq])
    return out


def verify(
    statement: dict[str, Any],
    entries: Sequence[dict[str, Any]],
    suite: CryptoSuite,
    public_key: bytes,
    peer_exports: Sequence[tuple[str, list[dict[str, Any]]]] = (),
) -> None:
    """Check a statement offline against a ledger export: the export's chain
    and signatures (``LedgerTampered`` names the first bad entry), the
    peers' exports (``peer_ledgers``: under the keys this ledger pins, and
    their cross-references), then the statement recomputed from the entries
    up to its ledger head and each peer's up to the head it names, field by
    field, then the space's signature. Raise ``StatementInvalid`` naming the
    first thing that does not hold."""
    if statement.get("format") != FORMAT:
        raise StatementInvalid(Text("err.base.settle.not_statement", format=FORMAT))
    if not entries:
        raise LedgerTampered(1, Text("ledger.export_empty"))
    first = entries[0]
    if first.get("kind") != "space_created":
        raise LedgerTampered(1, Text("ledger.first_entry"))
    if (first.get("details") or {}).get("signing_key") != public_key.hex():
        raise LedgerTampered(1, Text("ledger.other_key"))
    verify_entries(iter(entries), suite, public_key)
    head = statement.get("ledger_head") or {}
    seq = int(head.get("seq") or 0)
    if not 1 <= seq <= len(entries):
        raise StatementInvalid(Text("err.base.settle.export_short", seq=seq))
    if entries[seq - 1].get("hash") != head.get("hash"):
        raise StatementInvalid(Text("err.base.settle.head", seq=seq))
    peers = _cut_peers(statement, peer_ledgers(entries, suite, peer_exports))
    role, party = str(statement.get("role")), str(statement.get("party"))
    computed = compute(entries[:seq], str(statement.get("month")), suite, peers).get((role, party))
    if computed is None:
        raise StatementInvalid(Text("err.base.settle.no_statement", role=role, party=repr(party)))
    claimed = {k: v for k, v in statement.items() if k != "signature"}
    difference = _first_difference("statement", claimed, computed)
    if difference:
        raise StatementInvalid(difference)
    try:
        suite.verify(public_key, _digest(statement, suite), bytes.fromhex(statement["signature"]))
    except (TspaceError, ValueError, KeyError) as exc:
        raise StatementInvalid(Text("err.base.settle.signature")) from exc

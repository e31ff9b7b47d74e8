"""Checkpoints published outside the space: what makes cutting or rewriting
the ledger's end detectable.

The ledger's own chain proves that no entry was changed, removed or
reordered *within* what is there; it cannot prove that nothing is missing
at the end, since a truncated ledger is a valid chain. A checkpoint entry
(the Merkle root of every entry before it, signed by the space) carried away
from the space fixes that: whoever holds one can later demand a ledger that
still contains it, with the same root over the same entries.

Published copies live where the operator cannot reach them:

- every node receives the space's latest checkpoint with each reply to its
  request for work and keeps it in its own folder (``NodeCheckpoints``:
  ``checkpoints/latest.json`` and the history ``checkpoints/seen.jsonl``);
- an auditor exports one with ``tspace ledger checkpoint --out FILE``.

``tspace ledger verify --checkpoint FILE`` checks a ledger against each
checkpoint in FILE (one JSON object, or one a line): signed by the space's
key, still present at its sequence number with the same hash, and the root
of the entries before it recomputed. A ledger cut before a checkpoint, or
rewritten and re-signed before it, fails naming the checkpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trusted_space.core.errors import LedgerTampered
from trusted_space.core.i18n import Text, logged
from trusted_space.core.outputs import write_text_atomic
from trusted_space.core.private import private_dir
from trusted_space.crypto import CryptoSuite
from trusted_space.ledger import merkle
from trusted_space.ledger.ledger import check_signed

log = logging.getLogger("tspace.checkpoints")


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    """The checkpoints in a file: one JSON object, or one a line."""
    text = Path(path).read_text("utf-8").strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return data if isinstance(data, list) else [data]


def verify_checkpoint(
    entries: Sequence[dict[str, Any]],
    checkpoint: dict[str, Any],
    suite: CryptoSuite,
    public_key: bytes,
) -> None:
    """Check that ``entries`` (a whole ledger, from entry 1) still hold the
    published ``checkpoint``; raise ``LedgerTampered`` naming it when not."""
    seq = int(checkpoint.get("seq") or 0)
    if checkpoint.get("kind") != "checkpoint":
        raise LedgerTampered(seq, Text("ledger.not_checkpoint"))
    check_signed(checkpoint, suite, public_key)  # the space's own signature
    if len(entries) < seq:
        raise LedgerTampered(
            seq,
            Text("ledger.cut_off", last=len(entries)),
        )
    held = entries[seq - 1]
    if held.get("hash") != checkpoint.get("hash"):
        raise LedgerTampered(seq, Text("ledger.checkpoint_gone"))
    size = int(checkpoint["details"]["size"])
    leaves = [merkle.leaf_hash(suite.hash, bytes.fromhex(str(e["hash"]))) for e in entries[:size]]
    if merkle.root(suite.hash, leaves).hex() != checkpoint["details"]["root"]:
        raise LedgerTampered(seq, Text("ledger.rewritten"))


class NodeCheckpoints:
    """A node's copies of the space's checkpoints, in its own folder.

    The latest is kept whole; each new one is appended to the history. A
    checkpoint older than the one held (the space's ledger went back) is
    kept in the history too and logged as a warning: it is evidence."""

    def __init__(self, node_dir: Path) -> None:
        self.dir = Path(node_dir) / "checkpoints"
        self.latest_path = self.dir / "latest.json"
        self.history_path = self.dir / "seen.jsonl"
        self._seq = 0
        self._hash = ""
        if self.latest_path.exists():
            latest = json.loads(self.latest_path.read_text("utf-8"))
            self._seq, self._hash = int(latest["seq"]), str(latest["hash"])

    def keep(self, checkpoint: dict[str, Any] | None) -> None:
        if checkpoint is None:
            return
        seq, digest = int(checkpoint.get("seq") or 0), str(checkpoint.get("hash"))
        if (seq, digest) == (self._seq, self._hash):
            return
        private_dir(self.dir)
        line = json.dumps(checkpoint, ensure_ascii=False, sort_keys=True)
        with self.history_path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        if seq <= self._seq:
            log.warning("%s", logged("log.node.checkpoint_back", old=self._seq, new=seq))
            return
        write_text_atomic(self.latest_path, line + "\n")
        self._seq, self._hash = seq, digest

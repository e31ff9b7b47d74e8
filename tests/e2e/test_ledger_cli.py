"""`tspace ledger` on a space that ran real jobs: verify, export, tamper, prove.

Each way of tampering with an export is caught and the exact first bad entry
is named; the space's own key cannot forge a provider's step; an inclusion
proof checks with the public key alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_tspace
from tests.stories import resign, underwrite_synth
from trusted_space.core.canonical_json import canonical_json
from trusted_space.crypto import get_suite
from trusted_space.crypto.keyfiles import load_or_create_signing_key
from trusted_space.ledger import merkle
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace("ledger", *args)


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    data = tmp_path_factory.mktemp("data")
    # The ledger's checks do not grow with the data: a small population.
    generate_health(400, 4, data, applicants=8, end_date=AS_OF)
    work = tmp_path_factory.mktemp("work")
    for _ in range(3):  # several jobs, each closed by a checkpoint
        underwrite_synth(data, work, suite=suite)
    return work


@pytest.fixture(scope="module")
def exported(space: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("export") / "ledger.jsonl"
    assert tspace("export", "--workdir", str(space), "--out", str(out)).returncode == 0
    key = tspace("public-key", "--workdir", str(space))
    assert key.returncode == 0
    return out, key.stdout.strip()


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _write(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def _resign(entries: list[dict[str, Any]], suite: str, key: Any, start: int) -> None:
    resign(entries, get_suite(suite), key, start)


def test_an_intact_ledger_verifies_from_the_workdir_and_from_an_export(
    space: Path, exported: tuple[Path, str]
) -> None:
    here = tspace("verify", "--workdir", str(space))
    assert here.returncode == 0, here.stderr
    assert "Ledger intact" in here.stdout and "checkpoints" in here.stdout
    path, key = exported
    there = tspace("verify", "--file", str(path), "--public-key", key)
    assert there.returncode == 0, there.stderr
    entries = _read(path)
    assert any(e["kind"] == "checkpoint" for e in entries)
    signed_steps = [e for e in entries if e["kind"] == "task_result"]
    assert {e["actor"] for e in signed_steps} >= {"hospital", "cdc", "insurer"}
    shown = tspace("show", "--workdir", str(space), "--job", signed_steps[0]["job_id"])
    assert shown.returncode == 0 and "task_result" in shown.stdout
    assert re.search(r"\d\d:\d\d:\d\d\s+(│\s+)?UTC\+08:00|UTC\+08:00", shown.stdout)
    assert "UTC)" not in shown.stdout


def _tampered(
    entries: list[dict[str, Any]], how: str, space: Path, suite: str
) -> tuple[list[Any], int]:
    """Tamper in one way; return the entries and the first bad entry's number."""
    step = next(e for e in entries if e["kind"] == "task_result")
    at = int(step["seq"])
    if how == "edited":
        entries[at - 1]["details"]["result_hash"] = "00" * 32
    elif how == "removed":
        del entries[at - 1]
    elif how == "reordered":
        entries[at - 1], entries[at] = entries[at], entries[at - 1]
    elif how == "resigned_other_key":
        _resign(entries, suite, get_suite(suite).new_signing_key(), at)
    elif how == "forged_step":  # the space's own key, a step the node never signed
        entries[at - 1]["details"]["result_hash"] = "00" * 32
        own = load_or_create_signing_key(get_suite(suite), space / "space" / "keys")
        _resign(entries, suite, own, at)
    return entries, at


@pytest.mark.parametrize(
    "how", ["edited", "removed", "reordered", "resigned_other_key", "forged_step"]
)
def test_tampering_is_caught_at_the_exact_entry(
    how: str, space: Path, exported: tuple[Path, str], tmp_path: Path, suite: str
) -> None:
    path, key = exported
    entries, at = _tampered(_read(path), how, space, suite)
    result = tspace(
        "verify", "--file", str(_write(tmp_path / "t.jsonl", entries)), "--public-key", key
    )
    assert result.returncode == 1
    assert f"failed at entry {at}:" in result.stderr, result.stderr


def test_an_export_signed_by_another_space_is_refused(
    exported: tuple[Path, str], tmp_path: Path, suite: str
) -> None:
    path, _ = exported
    other = get_suite(suite).new_signing_key()
    entries = _read(path)
    _resign(entries, suite, other, 1)
    key_file = tmp_path / "other.key"
    key_file.write_text(other.public_bytes().hex())
    result = tspace(
        "verify",
        "--file",
        str(_write(tmp_path / "t.jsonl", entries)),
        "--public-key",
        str(key_file),
    )
    assert result.returncode == 1 and "failed at entry 1:" in result.stderr


def test_an_inclusion_proof_checks_with_the_public_key_alone(
    space: Path, exported: tuple[Path, str], tmp_path: Path
) -> None:
    _, key = exported
    proof = tmp_path / "proof.json"
    made = tspace("prove", "--workdir", str(space), "--seq", "5", "--out", str(proof))
    assert made.returncode == 0, made.stderr
    ok = tspace("check-proof", "--file", str(proof), "--public-key", key)
    assert ok.returncode == 0 and "Proof holds: entry 5" in ok.stdout
    data = json.loads(proof.read_text())
    data["entry"]["details"]["extra"] = 1
    proof.write_text(json.dumps(data))
    bad = tspace("check-proof", "--file", str(proof), "--public-key", key)
    assert bad.returncode == 1 and "does not hold" in bad.stderr


# -- checkpoints published outside the space (issue 22, item 12) -----------------------


def _rewrite_as_operator(entries: list[dict[str, Any]], suite: str, key: Any, at: int) -> None:
    """What an operator holding the space's key can do: change entry ``at``
    and re-sign everything after it, recomputing every checkpoint's root, so
    the ledger alone verifies again."""
    s = get_suite(suite)
    frontier = merkle.Frontier(s.hash)
    for i, e in enumerate(entries):
        if i + 1 >= at:
            if e["kind"] == "checkpoint":
                e["details"] = {"size": frontier.size, "root": frontier.root().hex()}
            e["prev"] = entries[i - 1]["hash"]
            body = {k: e[k] for k in ("seq", "time", "actor", "kind", "job_id", "details", "prev")}
            digest = s.hash(canonical_json(body))
            e["hash"], e["signature"] = digest.hex(), key.sign(digest).hex()
        frontier.add(merkle.leaf_hash(s.hash, bytes.fromhex(e["hash"])))


def test_nodes_keep_the_spaces_checkpoints_and_an_intact_ledger_holds_them(
    space: Path, exported: tuple[Path, str], tmp_path: Path
) -> None:
    path, key = exported
    seen = space / "nodes" / "hospital" / "checkpoints" / "seen.jsonl"
    held = [json.loads(line) for line in seen.read_text("utf-8").splitlines()]
    assert len(held) >= 3 and all(c["kind"] == "checkpoint" for c in held)
    latest = json.loads((seen.parent / "latest.json").read_text("utf-8"))
    assert latest == max(held, key=lambda c: c["seq"])
    audit = tmp_path / "audit.json"
    assert tspace("checkpoint", "--workdir", str(space), "--out", str(audit)).returncode == 0
    ok = tspace(
        "verify", "--file", str(path), "--public-key", key,
        "--checkpoint", str(seen), "--checkpoint", str(audit),
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "still holds all" in ok.stdout


def test_cutting_entries_off_the_end_passes_alone_and_fails_against_a_node_checkpoint(
    space: Path, exported: tuple[Path, str], tmp_path: Path
) -> None:
    path, key = exported
    seen = space / "nodes" / "cdc" / "checkpoints" / "seen.jsonl"
    last_held = max(json.loads(line)["seq"] for line in seen.read_text("utf-8").splitlines())
    cut = _write(tmp_path / "cut.jsonl", _read(path)[: last_held - 1])
    alone = tspace("verify", "--file", str(cut), "--public-key", key)
    assert alone.returncode == 0, "a truncated chain verifies by itself: the attack"
    caught = tspace("verify", "--file", str(cut), "--public-key", key, "--checkpoint", str(seen))
    assert caught.returncode == 1
    assert f"failed at entry {last_held}:" in caught.stderr and "cut off" in caught.stderr


def test_a_ledger_rewritten_with_the_spaces_own_key_fails_against_an_exported_checkpoint(
    space: Path, exported: tuple[Path, str], tmp_path: Path, suite: str
) -> None:
    path, key = exported
    audit = tmp_path / "audit.json"
    assert tspace("checkpoint", "--workdir", str(space), "--out", str(audit)).returncode == 0
    entries = _read(path)
    at = next(e["seq"] for e in entries if e["kind"] == "policy_decision")
    entries[at - 1]["details"]["rewritten"] = True
    own = load_or_create_signing_key(get_suite(suite), space / "space" / "keys")
    _rewrite_as_operator(entries, suite, own, at)
    forged = _write(tmp_path / "forged.jsonl", entries)
    alone = tspace("verify", "--file", str(forged), "--public-key", key)
    assert alone.returncode == 0, alone.stderr  # the operator's rewrite verifies by itself
    caught = tspace(
        "verify", "--file", str(forged), "--public-key", key, "--checkpoint", str(audit)
    )
    assert caught.returncode == 1 and "rewritten" in caught.stderr, caught.stderr

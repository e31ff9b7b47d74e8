"""Join tokens: the same tokens on every core, and the DuckDB join equals a plain one."""

from __future__ import annotations

import hashlib
import hmac
import random

import pyarrow as pa
import pytest

from trusted_space.bulk import tokens
from trusted_space.core.errors import ProtocolError
from trusted_space.crypto import get_suite

KEY = bytes(range(32))


def _ids(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.getrandbits(60):018d}" for _ in range(count)]


def test_tokens_are_hmac_sha256_in_input_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _ids(random.Random(1), 3000)
    inline = tokens.tokenise(get_suite(), KEY, ids)
    expected = b"".join(hmac.new(KEY, i.encode(), hashlib.sha256).digest() for i in ids)
    assert inline == expected
    monkeypatch.setattr(tokens, "PARALLEL_ABOVE", 100)
    assert tokens.tokenise(get_suite(), KEY, ids) == expected  # on the worker pool
    assert tokens.tokenise(get_suite(), KEY, pa.array(ids)) == expected


def test_the_join_equals_a_plain_join() -> None:
    rng = random.Random(2)
    universe = _ids(rng, 5000)
    left_ids = rng.sample(universe, 3000)
    right_ids = rng.sample(universe, 2500)
    suite = get_suite()
    left, right = tokens.join(
        tokens.tokenise(suite, KEY, left_ids), tokens.tokenise(suite, KEY, right_ids)
    )
    where = {x: i for i, x in enumerate(right_ids)}
    expected = [(i, where[x]) for i, x in enumerate(left_ids) if x in where]
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert expected  # the samples overlap


def test_repeated_and_partial_tokens_are_seen() -> None:
    blob = tokens.tokenise(get_suite(), KEY, ["a", "b", "a"])
    assert tokens.count_distinct(blob) == 2
    with pytest.raises(ProtocolError, match="32 bytes each"):
        tokens.token_column(blob[:-1])

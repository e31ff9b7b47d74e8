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


@pytest.mark.parametrize("sorted_up_to", [0, 100_000])  # DuckDB, then numpy
def test_the_join_equals_a_plain_join(sorted_up_to: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "SORTED_JOIN_LEFT", sorted_up_to)
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


@pytest.mark.parametrize("sorted_up_to", [0, 100_000])
def test_the_join_checks_whole_tokens_and_keeps_every_pair(
    sorted_up_to: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens sharing their first 8 bytes (the numpy join's search key) are
    told apart; a token repeated on either side gives every pair, by left
    position then right; empty sides join to nothing."""
    monkeypatch.setattr(tokens, "SORTED_JOIN_LEFT", sorted_up_to)
    prefix = b"p" * 8
    a, b, c = prefix + b"a" * 24, prefix + b"b" * 24, b"q" * 32
    left = b"".join([b, c, a, a, b"z" * 32])
    right = b"".join([a, b"y" * 32, c, prefix + b"c" * 24, b, c])
    li, ri = tokens.join(left, right)
    assert list(zip(li.tolist(), ri.tolist(), strict=True)) == [
        (0, 4),
        (1, 2),
        (1, 5),
        (2, 0),
        (3, 0),
    ]
    for empty in ((b"", right), (left, b""), (b"", b"")):
        li, ri = tokens.join(*empty)
        assert li.tolist() == [] and ri.tolist() == []
    with pytest.raises(ProtocolError, match="32 bytes each"):
        tokens.join(left[:-1], right)

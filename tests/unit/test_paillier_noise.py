"""The fast noise source: correct, fresh on every draw, and used once a key is
busy; zeros computed ahead: correct, each handed out once, never shared with
a forked child."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import time
from collections.abc import Iterator

import gmpy2
import pytest

from tests.idleness import Switch
from trusted_space.bulk import parallel
from trusted_space.hazmat import ahead as ahead_module
from trusted_space.hazmat import paillier_noise
from trusted_space.hazmat.paillier import (
    TEST_ONLY_PAILLIER_1024,
    PaillierPublicKey,
    generate_keypair,
)
from trusted_space.hazmat.paillier_noise import (
    TABLE_AFTER_USES,
    FixedBaseNoise,
    StandardNoise,
    ZeroPools,
    noise_for,
)


def test_fixed_base_noise_encrypts_zero_and_never_repeats() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    draws = [noise.draw() for _ in range(50)]
    assert len(set(draws)) == 50
    for r in draws[:5]:
        assert sk.decrypt(r) == 0
        assert gmpy2.gcd(r, pk.n) == 1
    c = (1 + 41 * pk.n) * draws[7] % pk.nsquare
    assert sk.decrypt(c) == 41


def test_the_table_matches_plain_exponentiation() -> None:
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    base = noise.table[0][1]
    exponent = bytes([3, 0, 255] + [0] * (noise.digits - 3))
    acc = gmpy2.mpz(1)
    for row, digit in zip(noise.table, exponent, strict=True):
        if digit:
            acc = acc * row[digit] % pk.nsquare
    assert acc == gmpy2.powmod(base, 3 + 255 * 256**2, pk.nsquare)


def test_a_busy_key_moves_to_the_table_without_a_draw_waiting() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert isinstance(noise_for(pk), StandardNoise)
    for _ in range(TABLE_AFTER_USES - 1):
        noise_for(pk)
    # The use that crosses the threshold starts the build and still gets a
    # textbook source; draws go on while the table is built.
    assert isinstance(noise_for(pk), StandardNoise)
    assert sk.decrypt(pk.encrypt(7)) == 7
    deadline = time.monotonic() + 60
    while not isinstance(noise_for(pk), FixedBaseNoise):
        assert time.monotonic() < deadline, "the table was never built"
        time.sleep(0.05)
    assert sk.decrypt(pk.encrypt(-12345)) == -12345


def test_bulk_draws_build_the_table_first() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert isinstance(noise_for(pk, TABLE_AFTER_USES), FixedBaseNoise)
    values = list(range(-50, 50))
    assert [sk.decrypt(c) for c in pk.encrypt_many(values)] == values
    cts = pk.encrypt_many([5] * 20)
    fresh = pk.rerandomise_many(cts)
    assert len({int(c) for c in cts + fresh}) == 40
    assert {sk.decrypt(c) for c in fresh} == {5}


def test_the_exponent_is_twice_the_modulus_plus_statistical_margin() -> None:
    # A shorter exponent would need the short-exponent assumption (see the
    # FixedBaseNoise docstring); this guards the length the proof relies on.
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    noise = FixedBaseNoise(pk)
    assert noise.digits * 8 >= 2 * pk.bits + 128
    assert len(noise.table) == noise.digits


def test_precomputed_zeros_encrypt_and_are_each_used_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "INLINE_BELOW", 4)
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    zeros = parallel.zeros(pk, 40)  # on the worker pool
    assert len({int(z) for z in zeros}) == 40
    values = list(range(-20, 20))
    cts = parallel.combine(pk, values, zeros)
    assert [sk.decrypt(c) for c in cts] == values
    with pytest.raises(ValueError, match="one precomputed zero"):
        parallel.combine(pk, values, zeros[:-1])


@pytest.fixture
def switch() -> Switch:
    """The machine's idleness as the test says (idle unless it says busy)."""
    return Switch(idle=True)


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch, switch: Switch) -> Iterator[ZeroPools]:
    pools = ZeroPools(zeros=8, keys=2, idleness=switch)
    monkeypatch.setattr(paillier_noise, "AHEAD", pools)
    pools.start()
    yield pools
    pools.stop()


def _wait_ready(pools: ZeroPools, pk: PaillierPublicKey, count: int) -> None:
    deadline = time.monotonic() + 60
    while pools.ready(pk) < count:
        assert time.monotonic() < deadline, f"only {pools.ready(pk)} zeros were computed ahead"
        time.sleep(0.01)


def test_zeros_computed_ahead_encrypt_and_are_handed_out_once(ahead: ZeroPools) -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert ahead.take(pk, 3) == []  # a key's first use finds nothing ready and starts its pool
    _wait_ready(ahead, pk, 8)
    first = pk.zeros(12)  # the 8 ready, then 4 drawn on the spot
    assert len({int(z) for z in first}) == 12
    assert {sk.decrypt(z) for z in first} == {0}
    _wait_ready(ahead, pk, 8)  # refilled, with new zeros only
    second = ahead.take(pk, 8)
    assert not {int(z) for z in second} & {int(z) for z in first}
    assert sk.decrypt(pk.encrypt(-77)) == -77


def test_only_the_most_recently_used_keys_keep_a_pool(ahead: ZeroPools) -> None:
    keys = [generate_keypair(TEST_ONLY_PAILLIER_1024)[0] for _ in range(3)]
    for pk in keys:
        ahead.take(pk, 1)
    _wait_ready(ahead, keys[1], 8)
    _wait_ready(ahead, keys[2], 8)
    assert ahead.ready(keys[0]) == 0


def test_nothing_is_computed_while_the_machine_is_busy(ahead: ZeroPools, switch: Switch) -> None:
    """Busy: the filler asks again and again and computes nothing; once the
    machine is idle, it fills."""
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    switch.set(idle=False)
    ahead.take(pk, 1)  # the key's pool starts
    switch.wait_asked(3)  # the filler wants a zero and was told, three times, to wait
    assert ahead.ready(pk) == 0
    switch.set(idle=True)
    _wait_ready(ahead, pk, 8)


def test_the_machines_clock_tells_idle_from_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production judgement on made-up readings of /proc/stat: while
    this process is idle, only the machine's busy time tells (other work on
    a quarter of its cores or more is busy)."""
    busy = [1000.0]
    monkeypatch.setattr(ahead_module, "_machine_busy", lambda: busy[0])
    since = ahead_module.Usage()
    since.wall -= 10  # judged over ten seconds, in which this process did next to nothing
    cores = 10 * ahead_module._CPUS  # the machine's CPU seconds in those ten seconds
    assert since.quiet()
    busy[0] += 0.2 * cores
    assert since.quiet()
    busy[0] = 1000.0 + ahead_module.QUIET_SHARE * cores + 1  # a quarter, and a second more
    assert not since.quiet()
    busy[0] = 1000.0 + cores
    assert not since.quiet()
    monkeypatch.setattr(ahead_module, "_machine_busy", lambda: None)
    assert since.quiet()  # no /proc/stat: the process's own clocks alone


def test_nothing_is_computed_ahead_until_started() -> None:
    pools = ZeroPools()
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert pools.take(pk, 5) == []
    time.sleep(0.05)
    assert pools.ready(pk) == 0


def _ready_in_child(n: int, out: multiprocessing.queues.Queue[int]) -> None:
    out.put(paillier_noise.AHEAD.ready(PaillierPublicKey(n)))


def test_a_forked_child_never_holds_its_parents_zeros(ahead: ZeroPools) -> None:
    pk, _ = generate_keypair(TEST_ONLY_PAILLIER_1024)
    ahead.take(pk, 1)
    _wait_ready(ahead, pk, 8)
    context = multiprocessing.get_context("fork")
    out: multiprocessing.queues.Queue[int] = context.Queue()
    child = context.Process(target=_ready_in_child, args=(int(pk.n), out))
    child.start()
    assert out.get(timeout=30) == 0
    child.join(timeout=30)
    assert ahead.ready(pk) == 8  # the parent keeps its own


def test_warming_a_key_builds_its_table_and_leaves_encryption_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``parallel.warm_noise`` (issue 24 item 6): each worker builds the key's
    table ahead (here the worker's task, run in this process), and work
    sent to the pool afterwards still encrypts exactly."""
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    assert not isinstance(paillier_noise._noise.get(int(pk.n)), FixedBaseNoise)
    parallel._warm_table(pk.to_wire())
    assert isinstance(paillier_noise._noise.get(int(pk.n)), FixedBaseNoise)

    other, other_sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    parallel.warm_noise(other)  # returns at once; the workers build beside
    values = list(range(300))
    cts = parallel.encrypt_values(other, values)
    assert [other_sk.decrypt(c) for c in cts] == values
    monkeypatch.setenv("TSPACE_WORKERS", "1")
    parallel.warm_noise(pk)  # one worker: nothing to build ahead of it
    assert [sk.decrypt(c) for c in parallel.encrypt_values(pk, [7] * 3)] == [7] * 3


# -- the owner's draw (Chinese remainder theorem) ---------------------------------------


def _nth_residues(n: int) -> set[int]:
    """Every n-th residue modulo n^2, the textbook way: r^n for r in Z*_n."""
    return {pow(r, n, n * n) for r in range(1, n) if gmpy2.gcd(r, n) == 1}


def test_the_owners_draw_is_uniform_over_the_nth_residues() -> None:
    """On a toy key (p = 11, q = 13) every n-th residue is reachable, nothing
    else is, and each comes up about equally often (a draw of the wrong
    subgroup, e.g. y^q modulo p^2, would hit non-residues; a draw of a
    smaller subgroup would miss residues or skew the counts)."""
    p, q = 11, 13
    n = p * q
    residues = _nth_residues(n)
    assert len(residues) == (p - 1) * (q - 1)  # r -> r^n is a bijection from Z*_n
    noise = paillier_noise.OwnerNoise(gmpy2.mpz(n), gmpy2.mpz(p), gmpy2.mpz(q))
    per_residue = 60
    counts: dict[int, int] = {}
    for _ in range(per_residue * len(residues)):
        z = int(noise.draw())
        counts[z] = counts.get(z, 0) + 1
    assert set(counts) == residues
    # Pearson's chi-square with 119 degrees of freedom: mean 119, sd about
    # 15.4; 220 is more than six standard deviations above the mean.
    chi2 = sum((c - per_residue) ** 2 / per_residue for c in counts.values())
    assert chi2 < 220, chi2


def test_the_owner_refuses_factors_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="factors"):
        paillier_noise.OwnerNoise(gmpy2.mpz(11 * 13), gmpy2.mpz(11), gmpy2.mpz(17))
    # q = 11 divides p - 1 = 22: y -> y^q is not a permutation modulo p^2
    with pytest.raises(ValueError, match="factors"):
        paillier_noise.OwnerNoise(gmpy2.mpz(23 * 11), gmpy2.mpz(23), gmpy2.mpz(11))


def test_the_owners_encryptions_decrypt_and_are_fresh() -> None:
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    lam = gmpy2.lcm(sk._phe.p - 1, sk._phe.q - 1)
    zeros = sk.zeros(20)
    assert len({int(z) for z in zeros}) == 20
    for z in zeros:
        assert (
            gmpy2.powmod(z, lam, pk.nsquare) == 1
        )  # an n-th residue: Carmichael's lambda(n^2) = n*lambda
        assert sk.decrypt(z) == 0
    values = [-(2**40), -1, 0, 1, 5, 2**60]
    assert [sk.decrypt(c) for c in sk.encrypt_many(values)] == values


def test_the_owners_bulk_encryption_on_threads_decrypts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSPACE_WORKERS", "2")
    _, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    values = [(-1) ** i * i * 1_000_003 for i in range(600)]
    cts = parallel.encrypt_values_owned(sk, values)
    assert len({int(c) for c in cts}) == len(values)
    assert [sk.decrypt(c) for c in cts] == values


def test_an_owners_pool_fills_with_its_draws_up_to_its_largest_call(
    ahead: ZeroPools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's key: its pool is filled by the owner's draw, and grows to
    the largest call (a batch's encryptions), bounded by POOL_MOST."""
    monkeypatch.setattr(paillier_noise, "POOL_MOST", 20)
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    drawn: list[int] = []
    real = paillier_noise.OwnerNoise.draw

    def counted(self: paillier_noise.OwnerNoise) -> gmpy2.mpz:
        z = real(self)
        drawn.append(int(z))
        return z

    monkeypatch.setattr(paillier_noise.OwnerNoise, "draw", counted)
    first = {int(z) for z in sk.zeros(12)}  # more than the pool's 8: its size is now 12
    _wait_ready(ahead, pk, 12)
    assert len(drawn) >= 24  # the 12 on the spot, then the 12 ahead by the owner's draw
    ready = sk.zeros(12)
    assert {int(z) for z in ready} <= set(drawn) - first
    assert {sk.decrypt(z) for z in ready} == {0}
    sk.zeros(500)  # bounded: the pool keeps at most POOL_MOST
    _wait_ready(ahead, pk, 20)
    time.sleep(0.2)
    assert ahead.ready(pk) == 20


def test_bulk_encryption_and_rerandomisation_take_the_zeros_computed_ahead_first(
    ahead: ZeroPools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service's bulk work (a batch's re-randomisation at the space, a
    provider's encryptions) uses what its idle time made before the pool."""
    monkeypatch.setattr(parallel, "INLINE_BELOW", 4)
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    ahead.take(pk, 0)  # the key in use: its pool fills
    _wait_ready(ahead, pk, 8)
    ready = {int(z) for z in ahead._pools[int(pk.n)][1]}
    values = list(range(-10, 10))
    cts = parallel.encrypt_values(pk, values)
    assert [sk.decrypt(c) for c in cts] == values
    noise = [
        c * gmpy2.invert(1 + (v % pk.n) * pk.n, pk.nsquare) % pk.nsquare
        for c, v in zip(cts, values, strict=True)
    ]
    assert {int(z) for z in noise[:8]} == ready
    assert not {int(z) for z in noise[8:]} & ready
    _wait_ready(ahead, pk, 8)
    ready = {int(z) for z in ahead._pools[int(pk.n)][1]}
    fresh = parallel.rerandomise_values(pk, cts)
    assert [sk.decrypt(c) for c in fresh] == values
    used = {
        int(f * gmpy2.invert(c, pk.nsquare) % pk.nsquare) for f, c in zip(fresh, cts, strict=True)
    }
    assert ready <= used


def test_the_owners_bulk_encryption_takes_a_whole_batch_from_the_pool(
    ahead: ZeroPools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch asks its pool once (not per thread's part), so the pool
    grows to the batch and the next batch finds all its zeros ready."""
    monkeypatch.setenv("TSPACE_WORKERS", "2")
    pk, sk = generate_keypair(TEST_ONLY_PAILLIER_1024)
    values = [3 * i - 500 for i in range(300)]
    assert [sk.decrypt(c) for c in parallel.encrypt_values_owned(sk, values)] == values
    _wait_ready(ahead, pk, 300)
    ready = {int(z) for z in ahead._pools[int(pk.n)][1]}
    cts = parallel.encrypt_values_owned(sk, values)
    assert [sk.decrypt(c) for c in cts] == values
    noise = {
        int(c * gmpy2.invert(1 + (v % pk.n) * pk.n, pk.nsquare) % pk.nsquare)
        for c, v in zip(cts, values, strict=True)
    }
    assert noise == ready

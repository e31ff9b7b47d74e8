"""The national suite: standard known answers, cross-checks, and behaviour.

Every SM2 test runs on both backends (trusted_space/crypto/sm2.py): Tongsuo,
the one the suite takes wherever tongsuopy installs (as here), and gmssl,
the fallback, forced by building the suite on it."""

from __future__ import annotations

import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm3 as gmssl_sm3
from gmssl import sm4 as gmssl_sm4
from gmssl.sm2 import default_ecc_table
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto.asymciphers import ec as ts_ec
from tongsuopy.crypto.asymciphers.utils import encode_dss_signature
from tongsuopy.crypto.ciphers.aead import SM4GCM as TsSM4GCM

from trusted_space.core.errors import CryptoError
from trusted_space.crypto import get_suite, gm, sm2
from trusted_space.crypto.gm import GmSuite, kdf
from trusted_space.crypto.sm2 import GmsslSm2, TongsuoSm2

GM = get_suite("gm")
ON = {"tongsuo": GmSuite(TongsuoSm2()), "gmssl": GmSuite(GmsslSm2())}
BACKENDS = pytest.mark.parametrize("backend", sorted(ON))

# GB/T 32905-2016, appendix A.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_64 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
# GB/T 32907-2016, appendix A.1.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_CT = "681edf34d206965e86b3e94f536e4246"
# GB/T 32918.2-2016 / GM/T 0003.5-2012 example on the recommended curve.
SM2_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
SM2_PUB = (
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
SM2_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
SM2_SIG = (
    "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
    "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
)


def test_sm3_known_answers_and_a_second_implementation() -> None:
    assert GM.hash(b"abc").hex() == SM3_ABC
    assert GM.hash(b"abcd" * 16).hex() == SM3_64
    for message in (b"", b"abc", bytes(range(256)) * 3):
        assert GM.hash(message).hex() == gmssl_sm3.sm3_hash(list(message))


def test_sm4_known_answer_and_a_second_implementation() -> None:
    ours = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert (ours.update(SM4_KEY) + ours.finalize()).hex() == SM4_CT
    other = gmssl_sm4.CryptSM4()
    other.set_key(SM4_KEY, gmssl_sm4.SM4_ENCRYPT)
    assert other.crypt_ecb(SM4_KEY)[:16].hex() == SM4_CT


def test_the_suite_takes_tongsuo_where_it_installs_and_gmssl_where_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(GM, GmSuite) and GM.backend == "tongsuo"
    assert sm2.default_backend().name == "tongsuo"
    for name in [m for m in sys.modules if m == "tongsuopy" or m.startswith("tongsuopy.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it had no wheel here
    monkeypatch.setitem(sys.modules, "tongsuopy", None)
    assert sm2.default_backend().name == "gmssl"
    fallback = GmSuite()
    assert fallback.backend == "gmssl"
    key = fallback.load_signing_key(SM2_D.to_bytes(32, "big"))
    assert key._sign_with_nonce(b"message digest", SM2_K).hex() == SM2_SIG  # type: ignore[attr-defined]


def test_the_curve_is_the_standard_one() -> None:
    table = {k: int(v, 16) for k, v in default_ecc_table.items() if k != "g"}
    assert table == {"n": sm2.N, "p": sm2.P, "a": sm2.A, "b": sm2.B}
    assert default_ecc_table["g"] == format(sm2.GX, "064x") + format(sm2.GY, "064x")
    sm2.check_point(sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(32, "big"))


@BACKENDS
def test_sm2_signature_of_the_standard_example(backend: str) -> None:
    suite = ON[backend]
    key = suite.load_signing_key(SM2_D.to_bytes(32, "big"))
    assert key.public_bytes().hex() == SM2_PUB
    assert key._sign_with_nonce(b"message digest", SM2_K).hex() == SM2_SIG  # type: ignore[attr-defined]
    suite.verify(bytes.fromhex(SM2_PUB), b"message digest", bytes.fromhex(SM2_SIG))
    with pytest.raises(CryptoError):
        suite.verify(bytes.fromhex(SM2_PUB), b"message digesT", bytes.fromhex(SM2_SIG))


@BACKENDS
def test_fresh_signatures_verify_and_never_repeat(backend: str) -> None:
    GM = ON[backend]
    key = GM.new_signing_key()
    a, b = key.sign(b"entry"), key.sign(b"entry")
    assert a != b  # a fresh nonce each time
    GM.verify(key.public_bytes(), b"entry", a)
    GM.verify(key.public_bytes(), b"entry", b)
    with pytest.raises(CryptoError):
        GM.verify(GM.new_signing_key().public_bytes(), b"entry", a)
    with pytest.raises(CryptoError, match="curve"):
        GM.verify(b"\x01" * 64, b"entry", a)


@BACKENDS
def test_sealing_opens_only_for_the_recipient_and_detects_changes(backend: str) -> None:
    GM = ON[backend]
    alice, bob = GM.new_sealing_key(), GM.new_sealing_key()
    message = "同意书 EV-1".encode() * 50
    sealed = GM.seal(alice.public_bytes(), message)
    assert alice.open(sealed) == message
    with pytest.raises(CryptoError):
        bob.open(sealed)
    tampered = bytearray(sealed)
    tampered[-20] ^= 1
    with pytest.raises(CryptoError):
        alice.open(bytes(tampered))
    assert GM.seal(alice.public_bytes(), message) != sealed  # randomised


def test_kdf_and_hmac_shapes() -> None:
    assert kdf(b"z", 16) == kdf(b"z", 40)[:16] and len(kdf(b"z", 40)) == 40
    assert len(GM.hmac(b"k" * 32, b"id")) == 32
    assert GM.hmac(b"k" * 32, b"id") != GM.hmac(b"j" * 32, b"id")


# Cross-checks against Tongsuo (tongsuopy), an independent C implementation
# of SM2/SM3/SM4 (the OpenSSL fork maintained by the Tongsuo project), whose
# SM2 signatures use the same standard user id by default.
def _ts_point(scalar: int) -> bytes:
    numbers = ts_ec.derive_private_key(scalar, ts_ec.SM2()).public_key().public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


@BACKENDS
def test_sm2_signatures_cross_check_with_tongsuo(backend: str) -> None:
    GM = ON[backend]
    theirs = ts_ec.derive_private_key(SM2_D, ts_ec.SM2())
    ours = GM.load_signing_key(SM2_D.to_bytes(32, "big"))
    assert _ts_point(SM2_D) == ours.public_bytes()
    for message in (b"", b"message digest", "账本条目".encode() * 300):
        r, s = decode_dss_signature(theirs.sign(message, ts_ec.ECDSA(ts_hashes.SM3())))
        GM.verify(ours.public_bytes(), message, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        with pytest.raises(CryptoError):
            GM.verify(
                ours.public_bytes(), message + b"!", r.to_bytes(32, "big") + s.to_bytes(32, "big")
            )
        sig = ours.sign(message)
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        theirs.public_key().verify(der, message, ts_ec.ECDSA(ts_hashes.SM3()))


@BACKENDS
def test_sealed_messages_open_with_tongsuo(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Open our sealing with Tongsuo's public API alone (its k·G, SM3 and
    SM4-GCM): the ephemeral scalar is pinned so the shared point can be
    computed as (k * d) G independently."""
    GM = ON[backend]
    d = gm._scalar()
    k = gm._scalar()
    monkeypatch.setattr(gm, "_scalar", lambda: k)
    recipient = GM.load_sealing_key(d.to_bytes(32, "big"))
    message = "密封的任务密钥".encode() * 10
    sealed = GM.seal(recipient.public_bytes(), message)
    assert recipient.public_bytes() == _ts_point(d)
    c1 = sealed[1:65]
    assert c1 == _ts_point(k)
    shared = _ts_point(k * d % gm.N)
    h = ts_hashes.Hash(ts_hashes.SM3())  # the KDF's first block is all 16 key bytes need
    h.update(shared + (1).to_bytes(4, "big"))
    key = h.finalize()[:16]
    nonce, body = sealed[65:77], sealed[77:]
    assert TsSM4GCM(key).decrypt(nonce, body, gm.SEAL_VERSION + c1) == message


# Keys whose public x coordinate starts with "04" (1 in 256 keys): gmssl's
# constructor strips leading '0'/'4' characters from such a key, which once
# crashed verification (a 500 in a service test) and changed the Z value.
SEALED_BEFORE = (
    "01765a5e13933f22ea4f4d8eededfe9b8c85e523d1a4ef0774c423425c1e6051acfd0fc62905bcd3bb25c2c0"
    "e2b190331103824e0c4111b6147fdefefc88b48f5154cc7760834aef5fe6f0d7415d359c85c15e12bec4a5b7"
    "bd97540f58f47b8d5b2e5e692bf060508316326e097598ed00dde91f6d9fedba2d8d74"
)
KEYS_STARTING_04 = [
    0xCAD60A2432BCC1943B9576AD27D3A06411E502025453349954D6B368FAAC417F,
    0x35459726A6BE3B1E2473ABE7130EF9363565A6D03805E60A50055A12F7B93E7E,
]


@BACKENDS
@pytest.mark.parametrize("d", KEYS_STARTING_04)
def test_keys_whose_hex_starts_with_04_sign_and_verify_both_ways(backend: str, d: int) -> None:
    GM = ON[backend]
    ours = GM.load_signing_key(d.to_bytes(32, "big"))
    assert ours.public_bytes().hex().startswith("04")
    assert _ts_point(d) == ours.public_bytes()
    theirs = ts_ec.derive_private_key(d, ts_ec.SM2())
    signature = ours.sign(b"step")
    GM.verify(ours.public_bytes(), b"step", signature)
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    theirs.public_key().verify(der, b"step", ts_ec.ECDSA(ts_hashes.SM3()))
    r, s = decode_dss_signature(theirs.sign(b"step", ts_ec.ECDSA(ts_hashes.SM3())))
    GM.verify(ours.public_bytes(), b"step", r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    sealing = GM.load_sealing_key(d.to_bytes(32, "big"))
    assert sealing.open(GM.seal(sealing.public_bytes(), b"job key")) == b"job key"


# The two backends against each other: the same points, signatures and
# sealed messages, so keys, ledgers and sealings made before Tongsuo (or on
# a machine without it) stay valid, and the other way round.
def _pair(backend: str) -> tuple[GmSuite, GmSuite]:
    return ON[backend], ON["gmssl" if backend == "tongsuo" else "tongsuo"]


def test_both_backends_multiply_alike() -> None:
    tongsuo, gmssl = TongsuoSm2(), GmsslSm2()
    for _ in range(5):
        k, d = gm._scalar(), gm._scalar()
        point = tongsuo.multiply(d)
        assert point == gmssl.multiply(d) == _ts_point(d)
        assert tongsuo.multiply(k, point) == gmssl.multiply(k, point) == _ts_point(k * d % sm2.N)
    assert tongsuo.multiply(sm2.N - 2) == _ts_point(sm2.N - 2)


def test_tongsuo_refuses_a_point_off_the_curve() -> None:
    off = sm2.GX.to_bytes(32, "big") + (sm2.GY + 1).to_bytes(32, "big")
    with pytest.raises(CryptoError, match="curve"):
        TongsuoSm2().multiply(5, off)
    assert TongsuoSm2().multiply(5) == _ts_point(5)  # the error queue was left clean


@BACKENDS
def test_signatures_verify_across_backends(backend: str) -> None:
    ours, other = _pair(backend)
    key = ours.new_signing_key()
    same = other.load_signing_key(key.export_secret())
    assert same.public_bytes() == key.public_bytes()
    for message in (b"", b"ledger entry", "账本".encode() * 500):
        other.verify(key.public_bytes(), message, key.sign(message))
        ours.verify(key.public_bytes(), message, same.sign(message))
        with pytest.raises(CryptoError):
            other.verify(key.public_bytes(), message + b"!", key.sign(message))


@BACKENDS
def test_sealed_messages_open_across_backends(backend: str) -> None:
    ours, other = _pair(backend)
    recipient = ours.new_sealing_key()
    same = other.load_sealing_key(recipient.export_secret())
    assert same.public_bytes() == recipient.public_bytes()
    message = "匹配的主体".encode() * 20
    assert same.open(ours.seal(recipient.public_bytes(), message)) == message
    assert recipient.open(other.seal(recipient.public_bytes(), message)) == message
    tampered = bytearray(ours.seal(recipient.public_bytes(), message))
    tampered[5] ^= 1  # C1 moved (off the curve, or another point)
    with pytest.raises(CryptoError):
        same.open(bytes(tampered))


def test_a_sealing_made_before_tongsuo_still_opens() -> None:
    """Fixed bytes sealed by the gmssl-only code (main before issue 22 item
    16) to the standard's example key: the Tongsuo backend opens them."""
    recipient = ON["tongsuo"].load_sealing_key(SM2_D.to_bytes(32, "big"))
    assert recipient.open(bytes.fromhex(SEALED_BEFORE)) == b"sealed before issue 22 item 16"


def test_exactly_one_sm2_backend_is_installed_on_every_platform() -> None:
    """pyproject.toml's markers: tongsuopy where it has a wheel, gmssl
    everywhere else, never both and never neither."""
    import tomllib

    from packaging.requirements import Requirement

    from tests.conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    sm2 = [r for r in requirements if r.name in ("tongsuopy", "gmssl")]
    assert sorted(r.name for r in sm2) == ["gmssl", "tongsuopy"]
    expected = {
        ("linux", "x86_64"): "tongsuopy",
        ("linux", "aarch64"): "gmssl",
        ("linux", "ppc64le"): "gmssl",
        ("darwin", "arm64"): "tongsuopy",
        ("darwin", "x86_64"): "tongsuopy",
        ("win32", "AMD64"): "tongsuopy",
        ("win32", "x86"): "tongsuopy",
        ("win32", "ARM64"): "gmssl",
        ("freebsd14", "amd64"): "gmssl",
    }
    for (platform, machine), name in expected.items():
        env = {"sys_platform": platform, "platform_machine": machine}
        assert [r.name for r in sm2 if r.marker is not None and r.marker.evaluate(env)] == [name]


@BACKENDS
def test_the_suite_pickles_and_works_in_the_process_that_loads_it(backend: str) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(ON[backend]))
    assert isinstance(copy, GmSuite) and copy.backend == backend
    key = ON[backend].load_signing_key(SM2_D.to_bytes(32, "big"))
    copy.verify(key.public_bytes(), b"entry", key.sign(b"entry"))

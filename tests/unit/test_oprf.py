"""The blind lookup's OPRF: RFC 9496 known answers, and the protocol's algebra."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from trusted_space.core.errors import ProtocolError
from trusted_space.hazmat import oprf

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "ristretto255.json").read_text())


def test_generator_multiples_match_rfc_9496_a1() -> None:
    encodings = VECTORS["generator_multiples"]["encodings"]
    for k, expected in enumerate(encodings[1:], start=1):
        assert oprf.base_multiple(k).hex() == expected, k


def test_hash_to_group_matches_rfc_9496_a3() -> None:
    for label, _sha512, expected in VECTORS["hash_to_group"]["cases"]:
        assert oprf.hash_to_group(label.encode()).hex() == expected, label


def test_blinded_evaluation_gives_the_key_holders_tokens() -> None:
    key = oprf.OprfKey.generate()
    ids = ["110101199003074258", "440301198512120011", "310101200001010033"]
    request = oprf.OprfRequest(ids)
    blinded = request.blinded()
    # The key holder never sees H1(x): each blinded point differs from a fresh blinding.
    assert blinded != oprf.OprfRequest(ids).blinded()
    assert request.finalize(key.evaluate(blinded)) == key.tokens(ids)
    other = oprf.OprfKey.generate()
    assert request.finalize(other.evaluate(blinded)) != key.tokens(ids)
    again = oprf.OprfRequest.import_secret(ids, request.export_secret())
    assert again.finalize(key.evaluate(blinded)) == key.tokens(ids)


def test_invalid_points_and_counts_are_refused() -> None:
    key = oprf.OprfKey.generate()
    with pytest.raises(ProtocolError, match="valid ristretto255"):
        key.evaluate(bytes(32))  # the identity
    with pytest.raises(ProtocolError, match="valid ristretto255"):
        key.evaluate(b"\xff" * 32)  # a non-canonical encoding
    with pytest.raises(ProtocolError, match="32 bytes each"):
        key.evaluate(b"\x01" * 31)
    request = oprf.OprfRequest(["a", "b"])
    with pytest.raises(ProtocolError, match="every blinded item"):
        request.finalize(key.evaluate(request.blinded())[:32])


def test_secrets_refuse_pickling() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(oprf.OprfKey.generate())
    with pytest.raises(TypeError):
        pickle.dumps(oprf.OprfRequest(["a"]))


def test_importing_the_oprf_leaves_no_library_copy_in_the_temp_folder(tmp_path: Path) -> None:
    """rbcl copies libsodium to a new temporary file at each import and never
    removes it; every node and worker process would leave 2.7 MB behind."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = "import trusted_space.hazmat.oprf as o; o.OprfKey.generate()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    assert list(tmp_path.iterdir()) == []
    # The check can fail: importing rbcl alone leaves its copy.
    subprocess.run([sys.executable, "-c", "import rbcl"], env=env, check=True, cwd=ROOT)
    assert [p.suffix for p in tmp_path.iterdir()] == [".so"]

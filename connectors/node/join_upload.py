"""A provider's step of a space-aided join.

The provider opens the one-job key the requester sealed to it, computes its
people and their values from its own tables (the product's definition says
how), and uploads, per person, an HMAC token of the resident id under that
key and packed encrypted vectors of its values in the person's cells. The
space can join tokens from both providers but cannot test an identifier
against them (it never holds the key); the vectors are encrypted under the
requester's key. Rows are uploaded in token order, so nothing about the
identifiers' order leaks.
"""

from __future__ import annotations

import json

import duckdb

from products.base import JoinQuery, JoinSpec
from products.registry import get_product
from trusted_space.bulk.parallel import encrypt_values
from trusted_space.bulk.tokens import TOKEN_BYTES, tokenise
from trusted_space.core.errors import InputError, ProtocolError
from trusted_space.core.i18n import Text, recognised
from trusted_space.crypto import CryptoSuite, SealingKey
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import JoinUploadResult, JoinUploadTask


def open_job_key(sealing_key: SealingKey, job_id: str, sealed: bytes) -> bytes:
    try:
        data = json.loads(sealing_key.open(sealed))
        key = bytes.fromhex(data["key"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError(Text("err.nodes.provider.job_key_form")) from exc
    if data.get("job_id") != job_id:
        raise ProtocolError(Text("err.nodes.provider.job_key_replay"))
    if len(key) != 32:
        raise ProtocolError(Text("err.nodes.provider.job_key_size"))
    return key


def join_spec(product_name: str) -> JoinSpec[JoinQuery]:
    try:
        product = get_product(product_name)
    except ValueError as exc:
        raise ProtocolError(recognised(str(exc))) from None
    if product.join is None:
        raise ProtocolError(Text("err.nodes.provider.not_join", product=product.name))
    return product.join


def join_upload(
    con: duckdb.DuckDBPyConnection,
    suite: CryptoSuite,
    sealing_key: SealingKey,
    job_id: str,
    t: JoinUploadTask,
    min_paillier_bits: int,
) -> JoinUploadResult:
    key = open_job_key(sealing_key, job_id, t.sealed_key)
    join = join_spec(t.product)
    try:
        query = join.parse_query(t.query)
    except InputError as exc:
        raise ProtocolError(Text("err.nodes.provider.query_refused", reason=exc)) from None
    pk = PaillierPublicKey.from_wire(t.paillier_public_key, min_bits=min_paillier_bits)
    share = join.vectors(con, t.role, query, pk.bits, t.clip)
    plaintexts = share.layout.n_plaintexts if query.sends_vectors(t.role) else 0
    persons = list(share.slots)
    blob = tokenise(suite, key, persons)
    rows = sorted(
        (blob[i * TOKEN_BYTES : (i + 1) * TOKEN_BYTES], person) for i, person in enumerate(persons)
    )
    packed: list[int] = []
    if plaintexts:
        for _, person in rows:
            packed.extend(share.layout.pack(share.slots[person]))
    ciphertexts = encrypt_values(pk, packed) if packed else []
    return JoinUploadResult(
        tokens=b"".join(token for token, _ in rows),
        ciphertexts=pk.pack(ciphertexts),
        plaintexts=plaintexts,
        domains=share.domains,
    )

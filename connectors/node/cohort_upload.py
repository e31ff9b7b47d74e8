"""A provider's step of a space-aided join (cohort statistics).

The provider opens the one-job key the requester sealed to it, computes its
cohort from its own tables, and uploads, per person, an HMAC token of the
resident id under that key and packed encrypted vectors of its values in the
person's cells. The space can join tokens from both providers but cannot test
an identifier against them (it never holds the key); the vectors are
encrypted under the requester's key. Rows are uploaded in token order, so
nothing about the identifiers' order leaks.
"""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb

from products.cohort.compute import cdc_rows, hospital_rows
from products.cohort.layout import age_band_of, build_layout, sex_of
from products.cohort.query import CohortQuery, parse_query
from trusted_space.bulk.parallel import encrypt_values
from trusted_space.bulk.tokens import TOKEN_BYTES, tokenise
from trusted_space.core.errors import InputError, ProtocolError
from trusted_space.crypto import CryptoSuite, SealingKey
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import CohortUploadResult, CohortUploadTask
from trusted_space.space.engines.join import CLIP, cdc_sends_vectors


def open_job_key(sealing_key: SealingKey, job_id: str, sealed: bytes) -> bytes:
    try:
        data = json.loads(sealing_key.open(sealed))
        key = bytes.fromhex(data["key"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError("the sealed job key is not in the expected form") from exc
    if data.get("job_id") != job_id:
        raise ProtocolError("the sealed job key belongs to another job (replay)")
    if len(key) != 32:
        raise ProtocolError("a job key is 32 bytes")
    return key


def cohort_upload(
    con: duckdb.DuckDBPyConnection,
    suite: CryptoSuite,
    sealing_key: SealingKey,
    job_id: str,
    t: CohortUploadTask,
    min_paillier_bits: int,
) -> CohortUploadResult:
    key = open_job_key(sealing_key, job_id, t.sealed_key)
    try:
        query: CohortQuery = parse_query(t.query)
    except InputError as exc:
        raise ProtocolError(f"query refused: {exc}") from None
    pk = PaillierPublicKey.from_wire(t.paillier_public_key, min_bits=min_paillier_bits)
    vectors: dict[str, dict[int, int]] = defaultdict(dict)
    hospital_ids: list[str] = []
    if t.role == "hospital":
        table = hospital_rows(con, query).to_pylist()
        if "hospital_id" in query.group_by:
            hospital_ids = sorted({r["hospital_id"] for r in table})
        layout = build_layout(query, hospital_ids, pk.bits)
        values = [v for v in layout.values if v != "count_reports"]
        for r in table:
            person = r["person_id"]
            attrs = {
                "sex": sex_of(person),
                "age_band": age_band_of(person, query.hospital.end),
                "hospital_id": r["hospital_id"],
                "month": r["month"],
            }
            cell = layout.cell_index([attrs[d] for d in layout.dims])
            slots = vectors[person]
            for name in values:
                v = int(r[name])
                if t.clip:
                    v = min(v, CLIP[name])
                slots[layout.slot(cell, name)] = slots.get(layout.slot(cell, name), 0) + v
        plaintexts = layout.n_plaintexts
    elif t.role == "cdc":
        table = cdc_rows(con, query).to_pylist()
        layout = build_layout(query, ["-"], pk.bits)
        send = cdc_sends_vectors(query)
        for r in table:
            person = r["person_id"]
            slots = vectors[person]
            if send:
                attrs = {"sex": sex_of(person), "age_band": age_band_of(person, query.hospital.end)}
                cell = layout.cell_index([attrs[d] for d in layout.dims])
                v = int(r["count_reports"])
                slots[layout.slot(cell, "count_reports")] = (
                    min(v, CLIP["count_reports"]) if t.clip else v
                )
        plaintexts = layout.n_plaintexts if send else 0
    else:
        raise ProtocolError(f"a cohort job has no role {t.role!r}")
    persons = list(vectors)
    blob = tokenise(suite, key, persons)
    rows = sorted(
        (blob[i * TOKEN_BYTES : (i + 1) * TOKEN_BYTES], person) for i, person in enumerate(persons)
    )
    packed: list[int] = []
    if plaintexts:
        for _, person in rows:
            packed.extend(layout.pack(vectors[person]))
    ciphertexts = encrypt_values(pk, packed) if packed else []
    return CohortUploadResult(
        tokens=b"".join(token for token, _ in rows),
        ciphertexts=pk.pack(ciphertexts),
        plaintexts=plaintexts,
        hospital_ids=hospital_ids,
    )

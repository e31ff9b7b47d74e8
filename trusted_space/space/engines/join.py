"""Engine 2 at the space: the space-aided join for cohort statistics.

    submit            requester's query, its Paillier key, the one-job token key
                      sealed to each provider -> one cohort_upload task each
    cohort_upload     each provider: HMAC tokens of its cohort under the job
                      key and, per token, packed encrypted vectors
    joining (bg)      the space joins tokens (DuckDB), adds the hospital's and
                      the CDC's vectors over the intersection, masks every slot
                      -> cohort_unpack for the requester
    cohort_unpacked   the requester re-encrypts each masked slot; the space
                      removes the masks, adds discrete-Laplace noise (DP) and,
                      with min_count > 0, sends blinded comparisons
    cohort_threshold  the requester says which cells reach min_count; the
                      space releases those cells only, re-randomised

What the space learns: each cohort's size, the intersection's size, the
tokens (pseudonyms under a key it never holds), which cells pass min_count.
It never sees an identifier, a cell's count or a value. The requester sees
masked slots (hiding values within 2^-64), comparison results whose
magnitude is blinded, and the released cells.

Products whose engine is ``space_join`` run here; the engine reaches the
space through its port (``trusted_space.space.port.JobContext``).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

import gmpy2

from policies.obligations import Obligations
from products.base import Product
from products.cohort import query_features
from products.cohort.layout import MASK_BITS, CellLayout, build_layout
from products.cohort.query import PERSON_DIMENSIONS, CohortQuery, parse_query
from products.registry import get_product
from trusted_space.bulk.parallel import rerandomise_values
from trusted_space.bulk.tokens import count_distinct, token_column
from trusted_space.bulk.tokens import join as join_tokens
from trusted_space.core.errors import InputError, NotFound, ProtocolError
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import (
    AckResult,
    CellLayoutSpec,
    CohortThresholdResult,
    CohortThresholdTask,
    CohortUnpackResult,
    CohortUnpackTask,
    CohortUploadResult,
    CohortUploadTask,
    JobResult,
    JobSpec,
    JobSubmission,
    ResultReadyTask,
    TaskResultPayload,
)
from trusted_space.space.dp import sample_discrete_laplace, split_epsilon
from trusted_space.space.port import JobContext

SPACE = "space"
# Bounds on one person's contribution to one cell, in encoded units, so that
# differential privacy's sensitivity is true: 100,000 yuan (in fen), a year of
# inpatient days, 20 reports. Applied by the providers when the query asks for DP.
CLIP = {"count": 1, "sum_cost": 10_000_000, "sum_inpatient_days": 366, "count_reports": 20}
# Blinding of the min_count comparison: r is log-uniform below 2^BLIND_BITS.
BLIND_BITS = 1200


def layout_spec(layout: CellLayout) -> CellLayoutSpec:
    return CellLayoutSpec(
        dims=list(layout.dims),
        domains={d: list(v) for d, v in layout.domains.items()},
        values=list(layout.values),
        slots_per_plaintext=layout.slots_per_plaintext,
    )


def layout_of(spec: CellLayoutSpec) -> CellLayout:
    return CellLayout(
        tuple(spec.dims),
        {d: tuple(v) for d, v in spec.domains.items()},
        tuple(spec.values),
        spec.slots_per_plaintext,
    )


def cells_per_person(query: CohortQuery, layout: CellLayout) -> int:
    """How many cells one person can touch: the visit-level dimensions' sizes."""
    n = 1
    for dim in layout.dims:
        if dim not in PERSON_DIMENSIONS:
            n *= len(layout.domains[dim])
    return n


def noise_scale(query: CohortQuery, layout: CellLayout) -> dict[str, tuple[float, int]]:
    """Per value: (epsilon, L1 sensitivity) of its discrete Laplace noise. The
    query's epsilon is split equally over the values (basic composition); a
    value's sensitivity is its per-person clip times the cells one person can
    touch."""
    eps = split_epsilon(query.dp.epsilon, len(layout.values)) if query.dp else []
    spread = cells_per_person(query, layout)
    return {name: (e, CLIP[name] * spread) for name, e in zip(layout.values, eps, strict=True)}


def add_noise(
    pk: PaillierPublicKey,
    values: list[gmpy2.mpz],
    layout: CellLayout,
    query: CohortQuery,
    rng: random.Random,
) -> list[gmpy2.mpz]:
    """Each slot plus fresh integer noise, under encryption: the space never
    sees the value, the requester never sees the noise."""
    scale = noise_scale(query, layout)
    out = []
    for slot, c in enumerate(values):
        epsilon, sensitivity = scale[layout.values[slot % len(layout.values)]]
        out.append(
            pk.add(c, pk.encrypt_trivial(sample_discrete_laplace(epsilon, sensitivity, rng)))
        )
    return out


def cdc_sends_vectors(query: CohortQuery) -> bool:
    return "count_reports" in query.measures


class JoinProtocol:
    background_step = "joining"
    result_kinds: ClassVar[Mapping[str, str]] = {
        "cohort_upload": "cohort_upload",
        "cohort_unpack": "cohort_unpacked",
        "cohort_threshold": "cohort_threshold",
        "result_ready": "ack",
    }

    def __init__(self, space: JobContext) -> None:
        self.space = space
        self.store = space.store
        self.ledger = space.ledger
        self.suite = space.suite

    def public_key(self, spec: JobSpec) -> PaillierPublicKey:
        return PaillierPublicKey.from_wire(
            spec.paillier_public_key, min_bits=self.space.config.min_paillier_bits
        )

    def query(self, spec: JobSpec) -> CohortQuery:
        try:
            return parse_query(spec.query)
        except InputError as exc:
            raise ProtocolError(f"query refused: {exc}") from None

    # -- submission ---------------------------------------------------------------------
    def check(
        self, spec: JobSpec, submission: JobSubmission
    ) -> tuple[Product, list[str], dict[str, int]]:
        product = get_product(spec.product)
        if product.engine != "space_join":
            raise ProtocolError(f"{product.name} is not a space-aided join")
        self.public_key(spec)
        query = self.query(spec)
        expected_eps = query.dp.epsilon if query.dp else None
        if spec.epsilon != expected_eps:
            raise ProtocolError("the job's epsilon must be the query's dp.epsilon")
        if spec.batch_size != 1:
            raise ProtocolError("a cohort job is one query (batch_size 1)")
        if sorted(spec.providers) != ["cdc", "hospital"] or any(
            len(names) != 1 for names in spec.providers.values()
        ):
            raise ProtocolError("a cohort job needs exactly one hospital and one cdc provider")
        names = [n for names in spec.providers.values() for n in names]
        if spec.sealed_keys is None or set(spec.sealed_keys) != set(names):
            raise ProtocolError("the job key must be sealed to each provider")
        for name in names:
            if self.space.participants.role(name) != "provider":
                raise ProtocolError(f"{name!r} is not a provider")
        features = query_features(
            query.hospital.cohort, query.cdc.cohort, list(query.values), list(query.group_by)
        )
        return product, features, {}

    def start(
        self,
        spec: JobSpec,
        obligations: Obligations,
        submission: JobSubmission,
        checked: tuple[Product, list[str], dict[str, int]],
    ) -> None:
        query = self.query(spec)
        min_count = max(query.min_count, obligations.min_count)
        plan = {"obligations": obligations.to_dict(), "min_count": min_count}
        self.store.put_data(spec.job_id, "plan", json.dumps(plan).encode())
        assert spec.sealed_keys is not None and spec.query is not None
        for role, names in spec.providers.items():
            for name in names:
                self.space.add_task(
                    spec.job_id,
                    name,
                    CohortUploadTask(
                        role=role,
                        query=spec.query,
                        paillier_public_key=spec.paillier_public_key,
                        sealed_key=spec.sealed_keys[name],
                        clip=query.dp is not None,
                    ),
                )

    def plan(self, job_id: str) -> dict[str, Any]:
        data = self.store.get_data(job_id, "plan")
        if data is None:
            raise ProtocolError(f"job {job_id} has no plan")
        plan: dict[str, Any] = json.loads(data)
        return plan

    # -- transitions ----------------------------------------------------------------------------
    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        if isinstance(payload, CohortUploadResult):
            self._accept_upload(spec, node, payload)
        elif isinstance(payload, CohortUnpackResult):
            self._accept_unpacked(spec, payload)
        elif isinstance(payload, CohortThresholdResult):
            self._accept_threshold(spec, payload)
        elif isinstance(payload, AckResult):
            self.ledger.append(node, "result_collected", {}, job_id=spec.job_id)
            self.store.drop_data(spec.job_id, keep=("result",))
        else:
            raise ProtocolError(f"a cohort job takes no {payload.kind}")

    def _layout(self, spec: JobSpec, hospital_ids: list[str]) -> CellLayout:
        return build_layout(self.query(spec), hospital_ids, self.public_key(spec).bits)

    def _accept_upload(self, spec: JobSpec, node: str, r: CohortUploadResult) -> None:
        role = next(role for role, names in spec.providers.items() if node in names)
        query = self.query(spec)
        n_tokens = len(token_column(r.tokens))  # refuses a blob of partial tokens
        if count_distinct(r.tokens) != n_tokens:
            raise ProtocolError("repeated tokens: one per person")
        if role == "hospital":
            expected = self._layout(spec, r.hospital_ids).n_plaintexts
        else:
            if r.hospital_ids:
                raise ProtocolError("only the hospital declares hospital ids")
            expected = self._layout(spec, ["-"]).n_plaintexts if cdc_sends_vectors(query) else 0
        if r.plaintexts != expected:
            raise ProtocolError(f"{role} vectors must be {expected} ciphertexts each")
        cts = self.public_key(spec).unpack(r.ciphertexts)  # refuses anything outside Z*_{n^2}
        if len(cts) != n_tokens * expected:
            raise ProtocolError("ciphertext count does not match tokens x vector length")
        self.store.put_data(spec.job_id, f"upload/{role}", r.model_dump_json().encode())
        self.space.set_step(spec.job_id, "running", "upload")
        self.ledger.append(
            node,
            "cohort_uploaded",
            {
                "role": role,
                "cohort_size": n_tokens,
                "ciphertext_hash": self.suite.hex_hash(r.ciphertexts),
            },
            job_id=spec.job_id,
        )
        if len(self.store.data_keys(spec.job_id, "upload/")) == 2:
            self.space.set_step(spec.job_id, "running", "joining")
            self.space.work_added()

    # -- the join (runs outside the space's lock) -------------------------------------------------
    def work_inputs(self, spec: JobSpec) -> dict[str, Any]:
        return {
            role: self.store.get_data(spec.job_id, f"upload/{role}") or b""
            for role in ("hospital", "cdc")
        }

    def work(self, spec: JobSpec, inputs: dict[str, Any]) -> dict[str, Any]:
        """Join tokens, add the vectors over the intersection, mask every slot."""
        pk = self.public_key(spec)
        hospital = CohortUploadResult.model_validate_json(inputs["hospital"])
        cdc = CohortUploadResult.model_validate_json(inputs["cdc"])
        layout = self._layout(spec, hospital.hospital_ids)
        k = layout.n_plaintexts
        pairs = list(
            zip(*(a.tolist() for a in join_tokens(hospital.tokens, cdc.tokens)), strict=True)
        )
        h_cts = pk.unpack(hospital.ciphertexts)
        c_cts = pk.unpack(cdc.ciphertexts) if cdc.plaintexts else []
        totals = [gmpy2.mpz(1)] * k
        for hi, ci in pairs:
            for j in range(k):
                totals[j] = totals[j] * h_cts[hi * k + j] % pk.nsquare
                if c_cts:
                    totals[j] = totals[j] * c_cts[ci * k + j] % pk.nsquare
        masks = [secrets.randbits(MASK_BITS) for _ in range(layout.n_slots)]
        masked = [
            pk.add(total, pk.encrypt_trivial(packed))
            for total, packed in zip(
                totals, layout.pack(dict(enumerate(masks)), limit=1 << MASK_BITS), strict=True
            )
        ]
        return {
            "layout": layout_spec(layout).model_dump_json(),
            "masked": pk.pack(rerandomise_values(pk, masked)),
            "masks": masks,
            "intersection": len(pairs),
        }

    def finish_work(self, spec: JobSpec, out: dict[str, Any]) -> None:
        """Store the masks (the space's own secret) and ask the requester to unpack."""
        self.store.put_data(spec.job_id, "masks", json.dumps(out["masks"]).encode())
        self.store.put_data(spec.job_id, "layout", out["layout"].encode())
        layout = CellLayoutSpec.model_validate_json(out["layout"])
        self.space.add_task(
            spec.job_id, spec.consumer, CohortUnpackTask(layout=layout, masked=out["masked"])
        )
        self.space.set_step(spec.job_id, "running", "unpacking")
        self.ledger.append(
            SPACE, "cohort_joined", {"intersection": out["intersection"]}, job_id=spec.job_id
        )

    # -- after the requester's steps ------------------------------------------------------
    def _layout_stored(self, job_id: str) -> CellLayout:
        data = self.store.get_data(job_id, "layout")
        if data is None:
            raise ProtocolError(f"job {job_id} is not at the step that needs its layout")
        return layout_of(CellLayoutSpec.model_validate_json(data))

    def _accept_unpacked(self, spec: JobSpec, r: CohortUnpackResult) -> None:
        pk = self.public_key(spec)
        query = self.query(spec)
        layout = self._layout_stored(spec.job_id)
        masks = json.loads(self.store.get_data(spec.job_id, "masks") or b"[]")
        cts = pk.unpack(r.ciphertexts)
        if len(cts) != layout.n_slots or len(masks) != layout.n_slots:
            raise ProtocolError(f"one ciphertext per slot ({layout.n_slots}) is needed")
        values = [pk.add(c, pk.encrypt_trivial(-m)) for c, m in zip(cts, masks, strict=True)]
        if query.dp is not None:
            values = add_noise(pk, values, layout, query, self.space.dp_rng)
        self.store.put_data(spec.job_id, "values", pk.pack(values))
        min_count = int(self.plan(spec.job_id)["min_count"])
        self.ledger.append(
            spec.consumer,
            "cohort_unpacked",
            {"slots": layout.n_slots, "dp": query.dp is not None},
            job_id=spec.job_id,
        )
        if min_count == 0:
            self._release(spec, [True] * len(layout.cells))
            return
        blinded = []
        for cell in range(len(layout.cells)):
            count = values[layout.slot(cell, "count")]
            # Leave room below n/3 for 2c (< 2^57) times the blind.
            bits = secrets.randbelow(min(BLIND_BITS, pk.bits - 200)) + 1
            blind = secrets.randbits(bits) | (1 << (bits - 1))  # log-uniform, at least 1
            shift = secrets.randbelow(blind)
            # Enc(b(2c - 2k + 1) + s): positive exactly when c >= k, as |b(2c-2k+1)| >= b > s.
            scaled = pk.mul_plain(count, 2 * blind)
            blinded.append(pk.add(scaled, pk.encrypt_trivial(blind * (1 - 2 * min_count) + shift)))
        self.space.add_task(
            spec.job_id,
            spec.consumer,
            CohortThresholdTask(
                blinded=pk.pack(rerandomise_values(pk, blinded)),
            ),
        )
        self.space.set_step(spec.job_id, "running", "thresholding")

    def _accept_threshold(self, spec: JobSpec, r: CohortThresholdResult) -> None:
        layout = self._layout_stored(spec.job_id)
        if len(r.passed) != len(layout.cells):
            raise ProtocolError("one answer per cell is needed")
        self._release(spec, r.passed)

    def _release(self, spec: JobSpec, passed: list[bool]) -> None:
        pk = self.public_key(spec)
        layout = self._layout_stored(spec.job_id)
        values = pk.unpack(self.store.get_data(spec.job_id, "values") or b"")
        width = len(layout.values)
        kept = [
            c
            for cell, ok in enumerate(passed)
            if ok
            for c in values[cell * width : (cell + 1) * width]
        ]
        obligations = Obligations.from_dict(self.plan(spec.job_id)["obligations"])
        duties = obligations.duties()
        result = JobResult(
            job_id=spec.job_id,
            output_mode="aggregate",
            features=list(layout.values),
            handles=b"",
            ciphertexts=pk.pack(rerandomise_values(pk, kept)),
            duties=duties,
            layout=layout_spec(layout),
            status=["ok" if ok else "suppressed" for ok in passed],
            privacy=self.space.privacy_report(spec, obligations),
        )
        self.store.drop_data(spec.job_id)
        self.store.put_data(spec.job_id, "result", result.model_dump_json().encode())
        self.space.set_step(spec.job_id, "succeeded", "released")
        self.space.add_task(spec.job_id, spec.consumer, ResultReadyTask())
        self.ledger.append(
            SPACE,
            "result_released",
            {
                "cells": len(passed),
                "suppressed": passed.count(False),
                "result_hash": self.suite.hex_hash(result.ciphertexts),
            },
            job_id=spec.job_id,
        )

    def result(self, job_id: str) -> JobResult:
        data = self.store.get_data(job_id, "result")
        if data is None:
            raise NotFound(f"job {job_id}'s result was already removed")
        return JobResult.model_validate_json(data)

"""Engine 2 at the space: the space-aided join (e.g. cohort statistics).

    submit            requester's query, its Paillier key, the one-job token key
                      sealed to each provider -> one join_upload task each
    join_upload       each provider: HMAC tokens of its people under the job
                      key and, per token, packed encrypted vectors
    joining (bg)      the space joins tokens (DuckDB), adds both providers'
                      vectors over the intersection, masks every slot
                      -> join_unpack for the requester
    join_unpacked     the requester re-encrypts each masked slot; the space
                      removes the masks, adds discrete-Laplace noise (DP) and,
                      with min_count > 0, sends blinded comparisons
    join_threshold    the requester says which cells reach min_count; the
                      space releases those cells only, re-randomised

Everything product-specific (roles, query, cells, clip bounds, what each
provider computes) comes from the product's ``JoinSpec`` (products/base.py).

What the space learns: each provider's set size, the intersection's size, the
tokens (pseudonyms under a key it never holds), which cells pass min_count.
It never sees an identifier, a cell's count or a value. The requester sees
masked slots (hiding values within 2^-64), comparison results whose
magnitude is blinded, and the released cells.

Products whose engine is ``space_join`` run here; the engine reaches the
space through its port (``trusted_space.space.port.JobContext``).
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

import gmpy2

from policies.obligations import Obligations
from products.base import JoinLayout, JoinQuery, JoinSpec, Product
from trusted_space.bulk.parallel import rerandomise_values
from trusted_space.bulk.tokens import count_distinct, token_column
from trusted_space.bulk.tokens import join as join_tokens
from trusted_space.core.errors import InputError, PeeringRefused, ProtocolError
from trusted_space.core.failures import DIFFERENCING, failure_reason
from trusted_space.core.i18n import Text
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import (
    AckResult,
    CellLayoutSpec,
    JobResult,
    JobSpec,
    JobSubmission,
    JoinThresholdResult,
    JoinThresholdTask,
    JoinUnpackResult,
    JoinUnpackTask,
    JoinUploadResult,
    JoinUploadTask,
    ResultReadyTask,
    TaskResultPayload,
)
from trusted_space.space.dp import (
    discrete_laplace_variance,
    sample_discrete_laplace,
    split_epsilon,
)
from trusted_space.space.engines.base import EngineBase

SPACE = "space"
# Blinding of the min_count comparison (``draw_blind``): the blind's bit
# length is uniform in [MIN_BLIND_BITS, BLIND_BITS] (BLIND_BITS capped by the
# key: room below n/3). MIN_BLIND_BITS keeps both blind and shift at least
# 127 bits wide, so no draw lets the requester read 2c - 2k + 1 off the
# decryption (a blind of 1 with a shift of 0, once in 1,200 draws before);
# the wide range of lengths hides its magnitude (see ``draw_blind``).
BLIND_BITS = 1200
MIN_BLIND_BITS = 128


def noise_scale(query: JoinQuery, layout: JoinLayout) -> dict[str, tuple[float, int]]:
    """Per value: (epsilon, L1 sensitivity) of its discrete Laplace noise. The
    query's epsilon is split equally over the values (basic composition); a
    value's sensitivity is the product's (its per-person clip times the cells
    one person can touch)."""
    eps = split_epsilon(query.epsilon, len(layout.values)) if query.epsilon else []
    sensitivity = query.sensitivity(layout)
    return {name: (e, sensitivity[name]) for name, e in zip(layout.values, eps, strict=True)}


def noise_sd(query: JoinQuery, layout: JoinLayout) -> dict[str, float]:
    """Per value: the standard deviation of its noise, in the value's own
    integer unit (public: it follows from epsilon and the layout alone)."""
    return {
        name: math.sqrt(discrete_laplace_variance(epsilon, sensitivity))
        for name, (epsilon, sensitivity) in noise_scale(query, layout).items()
    }


def add_noise(
    pk: PaillierPublicKey,
    values: list[gmpy2.mpz],
    layout: JoinLayout,
    query: JoinQuery,
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


def draw_blind(max_bits: int) -> tuple[int, int]:
    """A blind b and a shift s in [0, b) for one min_count comparison
    Enc(b(2c - 2k + 1) + s), whose sign alone the requester is to learn.

    b's bit length is uniform in [MIN_BLIND_BITS, max_bits], so b is never
    under 2^127 and s is uniform over at least 2^127 values: the decryption
    never gives 2c - 2k + 1 away. Its magnitude is hidden in the length of
    the decryption, log2 b + log2 |2c - 2k + 1|: the two cells' lengths differ
    in distribution by at most log2 |2c - 2k + 1| / (max_bits - MIN_BLIND_BITS)
    in statistical distance (about 2 % for a count of 2^20 under a 2048-bit
    key), the part of the magnitude the requester can still guess at."""
    if max_bits <= MIN_BLIND_BITS:
        raise ValueError(f"a blind needs more than {MIN_BLIND_BITS} bits of room")
    bits = MIN_BLIND_BITS + secrets.randbelow(max_bits - MIN_BLIND_BITS + 1)
    blind = secrets.randbits(bits) | (1 << (bits - 1))
    return blind, secrets.randbelow(blind)


class JoinProtocol(EngineBase):
    name = "space_join"
    federates = False  # one space applies min_count, noise and budget (docs/federation.md)
    background_step = "joining"
    result_kinds: ClassVar[Mapping[str, str]] = {
        "join_upload": "join_upload",
        "join_unpack": "join_unpacked",
        "join_threshold": "join_threshold",
        "result_ready": "ack",
    }

    def product(self, spec: JobSpec) -> tuple[Product, JoinSpec[JoinQuery]]:
        product = self.product_of(spec)
        if product.join is None:
            raise ProtocolError(Text("err.space.join.not_join", product=product.name))
        if len(product.roles) != 2:
            raise ProtocolError(Text("err.space.join.two_roles", product=product.name))
        return product, product.join

    def roles(self, spec: JobSpec) -> list[str]:
        """The two provider roles, in join order."""
        return [r.role for r in self.product(spec)[0].roles]

    def query(self, spec: JobSpec) -> JoinQuery:
        _, join = self.product(spec)
        try:
            query: JoinQuery = join.parse_query(spec.query)
        except InputError as exc:
            raise ProtocolError(Text("err.space.join.query_refused", reason=exc)) from None
        return query

    # -- submission ---------------------------------------------------------------------
    def check(
        self, spec: JobSpec, submission: JobSubmission, *, for_peer: bool = False
    ) -> tuple[Product, list[str], dict[str, int]]:
        product, _ = self.product(spec)
        for role, names in spec.providers.items():
            for name in names:
                if not self.space.is_local_provider(name) and (
                    self.space.remote_dataset(name, product.name, role) is not None
                ):
                    raise PeeringRefused(
                        "peering.engine_not_federated",
                        product=product.name,
                        engine="space_join",
                        provider=name,
                    )
        self.public_key(spec)
        query = self.query(spec)
        if spec.epsilon != query.epsilon:
            raise ProtocolError(Text("err.space.join.epsilon"))
        if spec.batch_size != 1:
            raise ProtocolError(Text("err.space.join.one_query", product=product.name))
        self.one_provider_per_role(spec, product)
        names = [n for names in spec.providers.values() for n in names]
        if spec.sealed_keys is None or set(spec.sealed_keys) != set(names):
            raise ProtocolError(Text("err.space.join.job_key"))
        for name in names:
            if self.space.participants.role(name) != "provider":
                raise ProtocolError(Text("err.space.provider.not_provider", name=name))
        return product, query.features(), {}

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
        signed = self.space.signed_job(spec)
        for role, names in spec.providers.items():
            for name in names:
                self.space.add_task(
                    spec.job_id,
                    name,
                    JoinUploadTask(
                        product=spec.product,
                        role=role,
                        query=spec.query,
                        paillier_public_key=spec.paillier_public_key,
                        sealed_key=spec.sealed_keys[name],
                        clip=query.epsilon is not None,
                        job=signed,
                    ),
                )

    # -- transitions ----------------------------------------------------------------------------
    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        if isinstance(payload, JoinUploadResult):
            self._accept_upload(spec, node, payload)
        elif isinstance(payload, JoinUnpackResult):
            self._accept_unpacked(spec, payload)
        elif isinstance(payload, JoinThresholdResult):
            self._accept_threshold(spec, payload)
        elif isinstance(payload, AckResult):
            self.ledger.append(node, "result_collected", {}, job_id=spec.job_id)
            self.store.drop_data(spec.job_id, keep=("result",))
        else:
            raise ProtocolError(
                Text("err.space.job.takes_no", product=spec.product, kind=payload.kind)
            )

    def _layout(self, spec: JobSpec, domains: dict[str, list[str]]) -> JoinLayout:
        _, join = self.product(spec)
        try:  # the product bounds its layout's shape with the declared domains too
            return join.layout(self.query(spec), domains, self.public_key(spec).bits)
        except InputError as exc:
            raise ProtocolError(Text("err.space.join.layout_refused", reason=exc)) from None

    def _declared(self, spec: JobSpec, role: str, r: JoinUploadResult) -> dict[str, list[str]]:
        """The domains a provider of ``role`` may declare, from its upload."""
        allowed = self.product(spec)[1].declares.get(role, ())
        return {dim: values for dim, values in r.domains.items() if dim in allowed}

    def _accept_upload(self, spec: JobSpec, node: str, r: JoinUploadResult) -> None:
        role = next(role for role, names in spec.providers.items() if node in names)
        query = self.query(spec)
        n_tokens = len(token_column(r.tokens))  # refuses a blob of partial tokens
        if count_distinct(r.tokens) != n_tokens:
            raise ProtocolError(Text("err.space.join.tokens_repeated"))
        declared = self._declared(spec, role, r)
        undeclarable = sorted(d for d, values in r.domains.items() if values and d not in declared)
        if undeclarable:
            raise ProtocolError(
                Text("err.space.join.undeclarable", role=role, dimensions=", ".join(undeclarable))
            )
        expected = self._layout(spec, declared).n_plaintexts if query.sends_vectors(role) else 0
        if r.plaintexts != expected:
            raise ProtocolError(Text("err.space.join.vector_length", role=role, expected=expected))
        cts = self.public_key(spec).unpack(r.ciphertexts)  # refuses anything outside Z*_{n^2}
        if len(cts) != n_tokens * expected:
            raise ProtocolError(Text("err.space.join.ciphertext_count"))
        self.store.put_data(spec.job_id, f"upload/{role}", r.model_dump_json().encode())
        self.space.set_step(spec.job_id, "running", "upload")
        self.ledger.append(
            node,
            "join_uploaded",
            {
                "role": role,
                "set_size": n_tokens,
                "ciphertext_hash": self.suite.hex_hash(r.ciphertexts),
            },
            job_id=spec.job_id,
        )
        if len(self.store.data_keys(spec.job_id, "upload/")) == len(self.roles(spec)):
            self.space.set_step(spec.job_id, "running", "joining")
            self.space.work_added()

    # -- the join (runs outside the space's lock) -------------------------------------------------
    def work_inputs(self, spec: JobSpec) -> dict[str, Any]:
        return {
            role: self.store.get_data(spec.job_id, f"upload/{role}") or b""
            for role in self.roles(spec)
        }

    def work(self, spec: JobSpec, inputs: dict[str, Any]) -> dict[str, Any]:
        """Join tokens, add the vectors over the intersection, mask every slot."""
        pk = self.public_key(spec)
        _, join = self.product(spec)
        left_role, right_role = self.roles(spec)
        left = JoinUploadResult.model_validate_json(inputs[left_role])
        right = JoinUploadResult.model_validate_json(inputs[right_role])
        layout = self._layout(
            spec,
            {
                **self._declared(spec, left_role, left),
                **self._declared(spec, right_role, right),
            },
        )
        k = layout.n_plaintexts
        pairs = list(
            zip(*(a.tolist() for a in join_tokens(left.tokens, right.tokens)), strict=True)
        )
        l_cts = pk.unpack(left.ciphertexts) if left.plaintexts else []
        r_cts = pk.unpack(right.ciphertexts) if right.plaintexts else []
        totals = [gmpy2.mpz(1)] * k
        for li, ri in pairs:
            for j in range(k):
                if l_cts:
                    totals[j] = totals[j] * l_cts[li * k + j] % pk.nsquare
                if r_cts:
                    totals[j] = totals[j] * r_cts[ri * k + j] % pk.nsquare
        mask_bits = join.mask_bits
        masks = [secrets.randbits(mask_bits) for _ in range(layout.n_slots)]
        masked = [
            pk.add(total, pk.encrypt_trivial(packed))
            for total, packed in zip(
                totals, layout.pack(dict(enumerate(masks)), limit=1 << mask_bits), strict=True
            )
        ]
        return {
            "layout": layout.to_wire().model_dump_json(),
            "masked": pk.pack(rerandomise_values(pk, masked)),
            "masks": masks,
            "intersection": len(pairs),
        }

    def finish_work(self, spec: JobSpec, out: dict[str, Any]) -> None:
        """Store the masks (the space's own secret) and ask the requester to
        unpack, unless releasing this cohort would difference an earlier one
        (``_differences``): then the job fails before the requester sees a slot."""
        earlier = self._differences(spec, int(out["intersection"]))
        if earlier is not None:
            self.ledger.append(
                SPACE, "tokens_joined", {"intersection": out["intersection"]}, job_id=spec.job_id
            )
            self.space.fail_job(
                spec.job_id, failure_reason(DIFFERENCING, step="joining", earlier_jobs=earlier)
            )
            return
        self.store.put_data(spec.job_id, "masks", json.dumps(out["masks"]).encode())
        self.store.put_data(spec.job_id, "layout", out["layout"].encode())
        layout = CellLayoutSpec.model_validate_json(out["layout"])
        self.space.add_task(
            spec.job_id, spec.consumer, JoinUnpackTask(layout=layout, masked=out["masked"])
        )
        self.space.set_step(spec.job_id, "running", "unpacking")
        self.ledger.append(
            SPACE, "tokens_joined", {"intersection": out["intersection"]}, job_id=spec.job_id
        )

    def _differences(self, spec: JobSpec, size: int) -> int | None:
        """Without differential privacy, two released cohorts of one consumer
        whose sizes differ by fewer than min_count people isolate those
        people (a query a week later, say, less the first). From the ledger:
        the number of the consumer's released jobs of this product whose
        joined size is within min_count of ``size`` and whose query or date
        differ (the same query on the same day tells nothing new); None when
        there is none, or the job is noised or has no min_count."""
        query = self.query(spec)
        min_count = int(self.stored_plan(spec.job_id)["min_count"])
        if query.epsilon is not None or min_count == 0:
            return None
        close = 0
        for job_id, spec_json in self.store.db.execute(
            "SELECT job_id, spec FROM jobs WHERE consumer = ? AND product = ? "
            "AND state = 'succeeded' AND job_id <> ?",
            (spec.consumer, spec.product, spec.job_id),
        ).fetchall():
            other = JobSpec.model_validate_json(spec_json)
            if other.query == spec.query and other.as_of == spec.as_of:
                continue
            joined = [
                int(e.details["intersection"])
                for e in self.ledger.entries(job_id)
                if e.kind == "tokens_joined"
            ]
            if joined and abs(joined[-1] - size) < min_count:
                close += 1
        return close or None

    # -- after the requester's steps ------------------------------------------------------
    def _layout_stored(self, spec: JobSpec) -> JoinLayout:
        data = self.store.get_data(spec.job_id, "layout")
        if data is None:
            raise ProtocolError(Text("err.space.job.wrong_step_layout", job=spec.job_id))
        return self.product(spec)[1].layout_of(CellLayoutSpec.model_validate_json(data))

    def _accept_unpacked(self, spec: JobSpec, r: JoinUnpackResult) -> None:
        pk = self.public_key(spec)
        query = self.query(spec)
        layout = self._layout_stored(spec)
        masks = json.loads(self.store.get_data(spec.job_id, "masks") or b"[]")
        cts = pk.unpack(r.ciphertexts)
        if len(cts) != layout.n_slots or len(masks) != layout.n_slots:
            raise ProtocolError(Text("err.space.join.slots", slots=layout.n_slots))
        values = [pk.add(c, pk.encrypt_trivial(-m)) for c, m in zip(cts, masks, strict=True)]
        if query.epsilon is not None:
            values = add_noise(pk, values, layout, query, self.space.dp_rng)
        self.store.put_data(spec.job_id, "values", pk.pack(values))
        min_count = int(self.stored_plan(spec.job_id)["min_count"])
        self.ledger.append(
            spec.consumer,
            "join_unpacked",
            {"slots": layout.n_slots, "dp": query.epsilon is not None},
            job_id=spec.job_id,
        )
        if min_count == 0:
            self._release(spec, [True] * len(layout.cells))
            return
        count_value = self.product(spec)[1].count_value
        blinded = []
        for cell in range(len(layout.cells)):
            count = values[layout.slot(cell, count_value)]
            # Leave room below n/3 for 2c (< 2^57) times the blind.
            blind, shift = draw_blind(min(BLIND_BITS, pk.bits - 200))
            # Enc(b(2c - 2k + 1) + s): positive exactly when c >= k, as |b(2c-2k+1)| >= b > s.
            scaled = pk.mul_plain(count, 2 * blind)
            blinded.append(pk.add(scaled, pk.encrypt_trivial(blind * (1 - 2 * min_count) + shift)))
        self.space.add_task(
            spec.job_id,
            spec.consumer,
            JoinThresholdTask(
                blinded=pk.pack(rerandomise_values(pk, blinded)),
            ),
        )
        self.space.set_step(spec.job_id, "running", "thresholding")

    def _accept_threshold(self, spec: JobSpec, r: JoinThresholdResult) -> None:
        layout = self._layout_stored(spec)
        if len(r.passed) != len(layout.cells):
            raise ProtocolError(Text("err.space.join.cells"))
        self._release(spec, r.passed)

    def _privacy(
        self, spec: JobSpec, obligations: Obligations, layout: JoinLayout
    ) -> dict[str, Any]:
        """The space's privacy report, with each value's noise standard
        deviation when the query is differentially private: a requester
        reading small cells needs to know how far from the truth they may be."""
        report = self.space.privacy_report(spec, obligations)
        query = self.query(spec)
        if query.epsilon is not None:
            report["noise_sd"] = {k: round(v, 3) for k, v in noise_sd(query, layout).items()}
        return report

    def _release(self, spec: JobSpec, passed: list[bool]) -> None:
        pk = self.public_key(spec)
        layout = self._layout_stored(spec)
        values = pk.unpack(self.store.get_data(spec.job_id, "values") or b"")
        width = len(layout.values)
        kept = [
            c
            for cell, ok in enumerate(passed)
            if ok
            for c in values[cell * width : (cell + 1) * width]
        ]
        obligations = Obligations.from_dict(self.stored_plan(spec.job_id)["obligations"])
        duties = obligations.duties()
        result = JobResult(
            job_id=spec.job_id,
            output_mode="aggregate",
            features=list(layout.values),
            handles=b"",
            ciphertexts=pk.pack(rerandomise_values(pk, kept)),
            duties=duties,
            layout=layout.to_wire(),
            status=["ok" if ok else "suppressed" for ok in passed],
            privacy=self._privacy(spec, obligations, layout),
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

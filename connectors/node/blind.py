"""The provider's side of a blind lookup (engine 4).

Per epoch (a calendar month, China time) the provider holds an OPRF key.
For the space it makes, once per dataset version and epoch, the tokens
F(k, id) of its whole population (cached here like the PSI setup); per
consumer, product, model, as_of and day it uploads masked contributions
m_j = s_j + r_j for every subject it holds, with r_j from a key K_pc kept
here per consumer and sealed, with the upload's binding, to the consumer
alone. A subject without live consent (or opted out) contributes s_j = 0,
which the consumer cannot tell from a subject not held.

What it sees of a job: the blinded points (the batch size), the consumer
and what the upload is for; never which subjects were asked about.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors.node.snapshots import Snapshots
from connectors.node.task_checks import offered_product
from connectors.node_store import NodeStore
from products.base import Product
from products.score_model import SCORE_BITS
from trusted_space.bulk.blind import (
    MASK_SCHEME,
    mask_bytes,
    masked_values,
    masks,
    pack_values,
    population_tokens,
)
from trusted_space.bulk.fixed_columns import encode_column, weighted_sum
from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.clock import CHINA
from trusted_space.core.encoding import FixedPoint
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import OnlyInEnglish, Text, logged
from trusted_space.crypto import CryptoSuite
from trusted_space.crypto.keyfiles import write_secret
from trusted_space.hazmat.oprf import OprfKey
from trusted_space.protocol.messages import (
    BlindEvaluateResult,
    BlindEvaluateTask,
    BlindUpload,
    BlindUploadRequest,
)

log = logging.getLogger("tspace.provider")

SEEN_KEPT = 16

Row = Callable[
    [Product, BlindUploadRequest, dict[str, list[object]], int], dict[str, Decimal | None]
]


def current_epoch() -> str:
    """The OPRF key's epoch: the month in China."""
    return dt.datetime.now(CHINA).strftime("%Y-%m")


class BlindProvider:
    def __init__(
        self,
        name: str,
        node_dir: Path,
        keys_dir: Path,
        store: NodeStore,
        snapshots: Snapshots,
        suite: CryptoSuite,
        row: Row,
    ) -> None:
        self.name = name
        self.dir = node_dir / "blind"
        self.keys_dir = keys_dir / "blind"
        self.store = store
        self.snapshots = snapshots
        self.suite = suite
        self._row = row
        # The last blind tasks the provider was asked (tests read them): the
        # task's fields, never more than the provider received; bounded, as a
        # node runs for months.
        self.seen: deque[dict[str, object]] = deque(maxlen=SEEN_KEPT)

    def _secret(self, path: Path, make: Callable[[], bytes]) -> bytes:
        if path.exists():
            return path.read_bytes()
        value = make()
        write_secret(path, value)
        return value

    def oprf_key(self, epoch: str) -> OprfKey:
        secret = self._secret(
            self.keys_dir / f"oprf.{epoch}.key", lambda: OprfKey.generate().export_secret()
        )
        return OprfKey(secret)

    def consumer_key(self, consumer: str) -> bytes:
        """K_pc, kept per consumer: the masks' key, sealed to that consumer only."""
        return self._secret(self.keys_dir / f"mask.{consumer}.key", lambda: secrets.token_bytes(32))

    def _population(self, dataset: str, version: int, epoch: str) -> tuple[list[str], bytes]:
        """The dataset's subjects and their tokens, made once per version and epoch."""
        base = f"{dataset}.v{version}.{epoch}"
        ids_path, tokens_path = self.dir / f"{base}.ids", self.dir / f"{base}.tokens"
        if ids_path.exists() and tokens_path.exists():
            return json.loads(ids_path.read_bytes()), tokens_path.read_bytes()
        ids = sorted(self.store.subject_ids(dataset))
        tokens = population_tokens(self.oprf_key(epoch), ids)
        write_secret(ids_path, json.dumps(ids).encode())
        write_secret(tokens_path, tokens)
        said = logged("log.node.blind_tokens", dataset=dataset, version=version, n=len(ids))
        log.info("%s", said)
        return ids, tokens

    def evaluate(self, job_id: str, t: BlindEvaluateTask) -> BlindEvaluateResult:
        self.seen.append(t.model_dump(mode="json") | {"job_id": job_id})
        current = self.store.datasets().get(t.dataset)
        if current is None or current[0] != t.version:
            raise ProtocolError(
                Text("err.nodes.provider.stale_dataset", dataset=t.dataset, version=t.version)
            )
        epoch = current_epoch()
        evaluated = self.oprf_key(epoch).evaluate(t.blinded)
        need_tokens = epoch not in t.tokens_held
        need_upload = epoch not in t.uploads_held
        tokens = b""
        upload = None
        if need_tokens or need_upload:
            ids, population = self._population(t.dataset, t.version, epoch)
            if need_tokens:
                tokens = population
            if need_upload:
                upload = self._upload(t, epoch, ids, population)
        return BlindEvaluateResult(epoch=epoch, evaluated=evaluated, tokens=tokens, upload=upload)

    def _upload(
        self, t: BlindEvaluateTask, epoch: str, ids: list[str], tokens: bytes
    ) -> BlindUpload:
        """m_j = s_j + r_j for every subject held, in token order; fresh masks."""
        r = t.upload
        product = offered_product(r.product, r.role, r.features)
        if set(r.weights) != set(r.features):
            raise ProtocolError(
                Text(
                    "err.nodes.provider.features_offered",
                    role=r.role,
                    offered=sorted(f.name for f in product.features_for(r.role)),
                    product=product.name,
                )
            )
        if product.role(r.role).dataset != t.dataset:
            raise ProtocolError(
                Text(
                    "err.nodes.provider.answers_from",
                    role=r.role,
                    dataset=product.role(r.role).dataset,
                )
            )
        parts = self._score_parts(product, r, ids)
        upload_id = secrets.token_bytes(16)
        key = self.consumer_key(r.consumer)
        if isinstance(parts, np.ndarray):
            values = masked_values(parts, mask_bytes(self.suite, key, upload_id, tokens))
        else:
            r_j = masks(self.suite, key, upload_id, tokens)
            values = pack_values([s + m for s, m in zip(parts, r_j, strict=True)])
        binding = {
            "key": key.hex(),
            "upload_id": upload_id.hex(),
            "masks": MASK_SCHEME,
            "provider": self.name,
            "consumer": r.consumer,
            "product": r.product,
            "model_hash": r.model_hash,
            "as_of": r.as_of.isoformat(),
            "day": r.day.isoformat(),
            "epoch": epoch,
        }
        sealed = self.suite.seal(bytes.fromhex(r.consumer_sealing_key), canonical_json(binding))
        log.info("%s", logged("log.node.masked_upload", n=len(ids), dataset=t.dataset))
        return BlindUpload(
            upload_id=upload_id.hex(),
            epoch=epoch,
            version=t.version,
            request_hash=r.digest(self.suite, t.dataset, t.version),
            tokens_hash=self.suite.hex_hash(tokens),
            values=values,
            sealed_key=sealed,
        )

    def _score_parts(
        self, product: Product, r: BlindUploadRequest, ids: list[str]
    ) -> np.ndarray | list[int]:
        """This provider's part of the score for each subject; zero for a
        subject withheld (no live consent, or opted out). Integer and decimal
        feature columns are encoded and summed in numpy (int64, exact:
        trusted_space/bulk/fixed_columns.py); any other column, or parts
        that could pass 2^62, take the per-row path (``_score_parts_rows``)."""
        table = self.snapshots.feature_rows(product, r.role, r.as_of, ids, ids)
        if table.num_rows != len(ids):
            raise ProtocolError(Text("err.nodes.provider.one_row"))
        today = dt.datetime.now(CHINA).date()
        if abs((r.day - today).days) > 1:
            raise ProtocolError(Text("err.nodes.provider.not_today"))
        features = [product.feature(name) for name in r.features]
        positions = pc.index_in(pa.array(ids, pa.string()), value_set=table.column("handle"))
        if positions.null_count:
            raise ProtocolError(Text("err.nodes.provider.one_row"))
        columns = []
        for f in features:
            column = table.column(f.name).take(positions)
            encoded = encode_column(column, f.decimals, r.transforms.get(f.name))
            if encoded is None:
                return self._score_parts_rows(product, r, ids, table)
            columns.append(encoded)
        parts = weighted_sum(columns, [r.weights[f.name] for f in features])
        if parts is None:
            return self._score_parts_rows(product, r, ids, table)
        refused = self.snapshots.withheld(ids, r.consent_for, r.product, r.purpose, r.day)
        if refused:
            parts[np.fromiter((p in refused for p in ids), dtype=bool, count=len(ids))] = 0
        return parts

    def _score_parts_rows(
        self, product: Product, r: BlindUploadRequest, ids: list[str], table: pa.Table
    ) -> list[int]:
        """As ``_score_parts``, one subject at a time in Python."""
        order = {h: i for i, h in enumerate(table.column("handle").to_pylist())}
        features = [product.feature(name) for name in r.features]
        needed = {f.name for f in features}
        columns = {name: table.column(name).to_pylist() for name in sorted(needed)}
        refused = self.snapshots.withheld(ids, r.consent_for, r.product, r.purpose, r.day)
        scales = {f.name: FixedPoint(f.decimals) for f in features}
        bound = 1 << SCORE_BITS
        out = []
        for person in ids:
            if person in refused:
                out.append(0)
                continue
            row = self._row(product, r, columns, order[person])
            try:
                part = sum(
                    r.weights[f.name] * scales[f.name].encode(row[f.name] or 0) for f in features
                )
            except ValueError as exc:
                raise ProtocolError(
                    Text("err.nodes.provider.encode", reason=OnlyInEnglish(f": {exc}"))
                ) from exc
            if abs(part) >= bound:
                raise ProtocolError(Text("err.nodes.provider.score_part"))
            out.append(part)
        return out

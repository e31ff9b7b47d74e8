"""The provider node: runs beside the provider's data and answers the space.

It offers a cached PSI setup per dataset version, answers PSI requests, and
for the subjects a consumer sealed to it computes the product's features in
its local DuckDB and returns them encrypted under the consumer's key. Raw
rows never leave this process; what leaves is a PSI setup and response,
ciphertexts and the handles the consumer chose.

Every task is first checked against the job its consumer signed, and the
consumer's key against the one this node pinned (connectors/node/task_checks.py):
a task the space altered is refused before a sealed subject is opened.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import LoadOptions, get_connector
from connectors.identifiers import company_key_error, resident_id_error
from connectors.node.blind import BlindProvider
from connectors.node.join_upload import join_upload
from connectors.node.overlap import OverlapSides
from connectors.node.snapshots import Snapshots, query_features
from connectors.node.task_checks import ApprovedModels, check_task, offered_product
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from products.base import Product
from products.features_layout import encode_subject, layout
from products.registry import get_product
from products.transforms import apply_transform
from trusted_space.bulk import psi_partitions
from trusted_space.bulk.parallel import encrypt_values
from trusted_space.core.clock import CHINA
from trusted_space.core.encoding import FixedPoint, to_decimal
from trusted_space.core.errors import ProtocolError, TspaceError
from trusted_space.core.i18n import OnlyInEnglish, Text, logged
from trusted_space.crypto import CryptoSuite
from trusted_space.crypto.keyfiles import (
    write_secret,
)
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import MIN_PRODUCTION_BITS, PaillierPublicKey
from trusted_space.nodes.base import Node
from trusted_space.protocol.api import SpaceAPI
from trusted_space.protocol.messages import (
    HANDLE_BYTES,
    BlindEvaluateResult,
    BlindEvaluateTask,
    BlindUploadRequest,
    ComputeFeaturesTask,
    DatasetOffer,
    EncryptedFeaturesResult,
    JoinUploadResult,
    JoinUploadTask,
    OverlapCountResult,
    OverlapFinishTask,
    OverlapRequestResult,
    OverlapRequestTask,
    OverlapRespondTask,
    OverlapResponseResult,
    PsiRespondTask,
    PsiResponseResult,
    Task,
)

log = logging.getLogger("tspace.provider")

# The largest batch a cached setup admits; a bigger job needs a new setup.
DEFAULT_MAX_CLIENT_ITEMS = 10_000
# The longest text argument a consumer may send with a subject.
MAX_ARGUMENT_TEXT = 256

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Subjects:
    """A compute_features task's opened subjects: (handle, id) kept, handles
    withheld, and per kept handle the arguments the consumer sent with it
    (a product with ``arguments`` only)."""

    kept: list[tuple[str, str]]
    withheld: list[str]
    arguments: dict[str, dict[str, object]] = field(default_factory=dict)
    # Kept handles another provider answers (a routed product's subject at a
    # value this one does not hold): answered with zeros, a neutral addend.
    elsewhere: frozenset[str] = frozenset()


class ProviderNode(Node):
    role = "provider"

    def __init__(
        self,
        name: str,
        node_dir: Path,
        transport: SpaceAPI,
        suite: CryptoSuite,
        *,
        max_client_items: int = DEFAULT_MAX_CLIENT_ITEMS,
        min_paillier_bits: int = MIN_PRODUCTION_BITS,
    ) -> None:
        super().__init__(name, node_dir, transport, suite)
        self.max_client_items = max_client_items
        self.min_paillier_bits = min_paillier_bits
        psi_path = self.keys_dir / "psi.key"
        if psi_path.exists():
            self.psi_key = psi.PsiServerKey.from_secret(psi_path.read_bytes())
        else:
            self.psi_key = psi.PsiServerKey.generate()
            write_secret(psi_path, self.psi_key.export_secret())
        self.store = NodeStore(self.dir)
        self.snapshots = Snapshots(self.store)
        self._prefetched: dict[str, tuple[Subjects, pa.Table]] = {}
        self.blind = BlindProvider(
            name, self.dir, self.keys_dir, self.store, self.snapshots, suite, self._row
        )
        self.overlap = OverlapSides(self.dir, self.store, min_paillier_bits)
        # The models this provider's owner approved, when it keeps a list.
        self.approved_models = ApprovedModels(self.dir)
        self._checked: set[str] = set()  # tasks of this round already checked

    def approve_model(self, document: bytes) -> str:
        """Record that this provider's owner approved a model file; from then
        on a score task's model must be one so approved. Its SHA-256."""
        return self.approved_models.approve(document)

    def _check(self, task: Task) -> None:
        """Refuse a task that is not as its consumer signed it (once a round)."""
        if task.task_id not in self._checked:
            check_task(self.suite, self.pins, self.approved_models, self.name, task)
            self._checked.add(task.task_id)

    def close(self) -> None:
        self.snapshots.wait()
        self.store.close()

    def load(
        self, kind: str, paths: Sequence[Path], options: LoadOptions | None = None
    ) -> QualityReport:
        """Load a source into this node's canonical tables (see ``connectors``)."""
        return get_connector(kind).load(list(paths), self.store, options or LoadOptions())

    # -- datasets ------------------------------------------------------------
    def offer_datasets(self) -> list[DatasetOffer]:
        """Offer every non-empty dataset's current version, building its PSI
        setup only when this version has none cached."""
        offers = []
        for dataset, (version, _subjects) in sorted(self.store.datasets().items()):
            setup = self._cached_setup(dataset, version)
            offer = DatasetOffer(
                provider=self.name,
                dataset=dataset,
                version=version,
                max_client_items=self.max_client_items,
                fpr=psi.DEFAULT_FPR,
                psi_setup=setup,
                stats=self.store.dataset_stats(dataset),
            )
            self.transport.offer_dataset(offer)
            offers.append(offer)
        return offers

    def _cached_setup(self, dataset: str, version: int) -> bytes:
        path = self.dir / "psi" / f"{dataset}.v{version}.m{self.max_client_items}.setups"
        if path.exists():
            return path.read_bytes()
        ids = self.store.subject_ids(dataset)
        setup = psi_partitions.build_setup(self.psi_key, ids, self.max_client_items)
        write_secret(path, setup)
        said = logged("log.node.psi_setup", dataset=dataset, version=version, n=len(ids))
        log.info("%s", said)
        return setup

    # -- tasks -------------------------------------------------------------------
    def handle(
        self, task: Task
    ) -> (
        PsiResponseResult
        | EncryptedFeaturesResult
        | JoinUploadResult
        | BlindEvaluateResult
        | OverlapRequestResult
        | OverlapResponseResult
        | OverlapCountResult
    ):
        payload = task.payload
        self._check(task)
        if isinstance(payload, OverlapRequestTask):
            return self.overlap.request(task.job_id, payload)
        if isinstance(payload, OverlapRespondTask):
            return self.overlap.respond(payload)
        if isinstance(payload, OverlapFinishTask):
            return self.overlap.finish(task.job_id, payload)
        if isinstance(payload, BlindEvaluateTask):
            return self.blind.evaluate(task.job_id, payload)
        if isinstance(payload, PsiRespondTask):
            return self._psi_respond(payload)
        if isinstance(payload, ComputeFeaturesTask):
            return self._compute_features(task.task_id, task.job_id, payload)
        if isinstance(payload, JoinUploadTask):
            return join_upload(
                self.store.con,
                self.suite,
                self.sealing_key,
                task.job_id,
                payload,
                self.min_paillier_bits,
            )
        raise ProtocolError(
            Text("err.nodes.task.kind", party=Text("err.nodes.party.provider"), kind=payload.kind)
        )

    def _psi_respond(self, t: PsiRespondTask) -> PsiResponseResult:
        current = self.store.datasets().get(t.dataset)
        if current is None or current[0] != t.version:
            raise ProtocolError(
                Text("err.nodes.provider.stale_dataset", dataset=t.dataset, version=t.version)
            )
        response = self.psi_key.process_request(t.psi_request, t.max_items)
        return PsiResponseResult(psi_response=response)

    def before_tasks(self, tasks: Sequence[Task]) -> None:
        """Run the feature SQL of every compute_features task pulled together
        in one query per product role and date: under load, one DuckDB
        query's fixed cost (~5 ms) serves several jobs. A task whose subjects
        cannot be opened is left to ``handle``, which reports its error."""
        self._prefetched = {}
        groups: dict[tuple[str, str, dt.date], list[tuple[Task, Subjects]]] = {}
        for task in tasks:
            t = task.payload
            if not isinstance(t, ComputeFeaturesTask):
                continue
            try:
                self._check(task)
                product = self._feature_product(t)
                if product.arguments or product.parameters:
                    continue  # its rows depend on the task's own arguments and settings
                subjects = self._feature_subjects(task.job_id, t)
            except TspaceError:
                continue
            groups.setdefault((t.product, t.role, t.as_of), []).append((task, subjects))
        for (product_name, role, as_of), members in groups.items():
            if len(members) < 2:
                continue
            # Handles are per job; prefixing each with its task's place keeps
            # two jobs' handles apart in the one query.
            handles = [f"{k}:{h}" for k, (_, s) in enumerate(members) for h, _ in s.kept]
            ids = [p for _, s in members for _, p in s.kept]
            table = self._feature_table(get_product(product_name), role, as_of, handles, ids)
            column = table.column("handle")
            for k, (task, subjects) in enumerate(members):
                prefix = f"{k}:"
                mine = table.filter(pc.starts_with(column, prefix))
                mine = mine.set_column(
                    0, "handle", pc.utf8_slice_codeunits(mine.column("handle"), len(prefix))
                )
                self._prefetched[task.task_id] = (subjects, mine)

    def after_tasks(self) -> None:
        self._prefetched = {}
        self._checked = set()

    def _feature_subjects(self, job_id: str, t: ComputeFeaturesTask) -> Subjects:
        """The sealed subjects, split into those kept and those withheld."""
        subjects, arguments = self._open_subjects(job_id, t)
        today = dt.datetime.now(CHINA).date()
        refused = self.snapshots.withheld(
            [p for _, p in subjects], t.consent_for, t.product, t.purpose, today
        )
        # A routed product's subject at a value this provider does not hold
        # (a claim at another group's hospital) is another provider's: it is
        # answered with the feature SQL's zeros, never withheld, so this
        # provider's consent records cannot touch it.
        mine = self._routed_here(get_product(t.product), arguments)
        out = {h for h, p in subjects if p in refused and mine(h)}
        kept = [(h, p) for h, p in subjects if h not in out]
        return Subjects(
            kept=kept,
            withheld=[h for h, _ in subjects if h in out],
            arguments={h: arguments[h] for h, _ in kept if h in arguments},
            elsewhere=frozenset(h for h, _ in kept if not mine(h)),
        )

    def _routed_here(
        self, product: Product, arguments: Mapping[str, Mapping[str, object]]
    ) -> Callable[[str], bool]:
        """Whether a handle's subject is this provider's to answer: always,
        unless the product routes by an argument whose value (a hospital_id)
        this provider's data does not hold."""
        routing = product.routing
        if routing is None:
            return lambda handle: True
        held = self.store.distinct_values(routing.table, routing.column)
        return lambda handle: arguments.get(handle, {}).get(routing.argument) in held

    def _feature_table(
        self,
        product: Product,
        role: str,
        as_of: dt.date,
        handles: list[str],
        ids: list[str],
        found: Subjects | None = None,
        parameters: Mapping[str, int] | None = None,
    ) -> pa.Table:
        if not (product.arguments or product.parameters):
            return self.snapshots.feature_rows(product, role, as_of, handles, ids)
        # Rows that depend on each subject's arguments and the job's settings
        # answer this task alone: no snapshot holds them.
        given = found.arguments if found is not None else {}
        columns = {
            a.name: pa.array([given[h][a.name] for h in handles], _ARROW_TYPES[a.kind])
            for a in product.arguments
        }
        return query_features(
            self.store.con,
            product,
            role,
            as_of,
            handles,
            ids,
            arguments=columns,
            parameters=product.parameter_values(parameters or {}),
        )

    @staticmethod
    def _feature_product(t: ComputeFeaturesTask) -> Product:
        """The task's product, once its role and features are ones it has."""
        product = offered_product(t.product, t.role, t.features)
        known = {p.name: p for p in product.parameters}
        for name, value in t.parameters.items():
            if name not in known or known[name].check(value) is not None:
                raise ProtocolError(
                    Text(
                        "err.nodes.provider.no_setting",
                        product=product.name,
                        setting=f"{name}={value}",
                    )
                )
        return product

    def _compute_features(
        self, task_id: str, job_id: str, t: ComputeFeaturesTask
    ) -> EncryptedFeaturesResult:
        product = self._feature_product(t)
        features = [product.feature(name) for name in t.features]
        public_key = PaillierPublicKey.from_wire(  # the consumer's: checked against its job
            t.paillier_public_key, min_bits=self.min_paillier_bits
        )
        prefetched = self._prefetched.pop(task_id, None)
        if prefetched is None:
            found = self._feature_subjects(job_id, t)
            table = self._feature_table(
                product,
                t.role,
                t.as_of,
                [h for h, _ in found.kept],
                [p for _, p in found.kept],
                found,
                t.parameters,
            )
        else:
            found, table = prefetched
        subjects, withheld = found.kept, found.withheld
        if table.num_rows != len(subjects):
            raise ProtocolError(Text("err.nodes.provider.one_row"))
        order = {h: i for i, h in enumerate(table.column("handle").to_pylist())}
        weights = t.weights
        if weights is not None and set(weights) != set(t.features):
            raise ProtocolError(Text("err.nodes.provider.weights"))
        blocks = layout(product, t.features, key_bits=public_key.bits) if weights is None else []
        needed = {f.name for f in features if f.combine != "ratio"}
        needed |= {part for f in features if f.ratio_of for part in f.ratio_of}
        columns = {name: table.column(name).to_pylist() for name in sorted(needed)}
        values: list[int] = []
        for handle, _ in subjects:
            row = (
                dict.fromkeys(columns, Decimal(0))
                if handle in found.elsewhere
                else self._row(product, t, columns, order[handle])
            )
            try:
                if weights is None:
                    values.extend(encode_subject(product, blocks, row))
                else:
                    # This provider's part of the linear score, at the model's scale.
                    values.append(
                        sum(
                            weights[f.name] * FixedPoint(f.decimals).encode(row[f.name] or 0)
                            for f in features
                        )
                    )
            except ValueError as exc:
                raise ProtocolError(
                    Text("err.nodes.provider.encode", reason=OnlyInEnglish(f": {exc}"))
                ) from exc
        ciphertexts = encrypt_values(public_key, values)
        log.info("%s", logged("log.node.features", n=len(features), subjects=len(subjects)))
        return EncryptedFeaturesResult(
            features=[f.name for f in features],
            weighted=weights is not None,
            handles=b"".join(bytes.fromhex(h) for h, _ in subjects),
            ciphertexts=public_key.pack(ciphertexts),
            withheld=b"".join(bytes.fromhex(h) for h in withheld),
        )

    @staticmethod
    def _row(
        product: Product,
        t: ComputeFeaturesTask | BlindUploadRequest,
        columns: dict[str, list[object]],
        row: int,
    ) -> dict[str, Decimal | None]:
        """One subject's values, after the policy's release transforms."""
        out: dict[str, Decimal | None] = {}
        for name, column in columns.items():
            value = column[row]
            if value is None:
                out[name] = None
                continue
            decimal = to_decimal(value)  # type: ignore[arg-type]
            if name in t.features:
                decimal = apply_transform(decimal, t.transforms.get(name))
            out[name] = decimal
        return out

    def _open_subjects(
        self, job_id: str, t: ComputeFeaturesTask
    ) -> tuple[list[tuple[str, str]], dict[str, dict[str, object]]]:
        """(handle, id) per sealed subject, and per handle the arguments sent with it."""
        product = get_product(t.product)
        try:
            data = json.loads(self.sealing_key.open(t.sealed_subjects))
            subjects = [(str(h), str(p)) for h, p in data["subjects"]]
            sealed_for = data["job_id"]
            raw_arguments = data.get("arguments") if product.arguments else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ProtocolError(Text("err.nodes.provider.sealed_form")) from exc
        if sealed_for != job_id:
            raise ProtocolError(Text("err.nodes.provider.sealed_replay"))
        if len(subjects) != t.subject_count:
            raise ProtocolError(Text("err.nodes.provider.sealed_count"))
        arguments: dict[str, dict[str, object]] = {}
        if product.arguments:
            if not isinstance(raw_arguments, list) or len(raw_arguments) != len(subjects):
                raise ProtocolError(Text("err.nodes.provider.sealed_arguments"))
            for (handle, _), given in zip(subjects, raw_arguments, strict=True):
                arguments[handle] = _checked_arguments(product, given)
        seen: set[str] = set()
        for handle, person_id in subjects:
            try:
                well_formed = len(bytes.fromhex(handle)) == HANDLE_BYTES
            except ValueError:
                well_formed = False
            if not well_formed or handle in seen:
                raise ProtocolError(Text("err.nodes.provider.handle"))
            seen.add(handle)
            error = (
                resident_id_error(person_id)
                if get_product(t.product).subject == "resident_id"
                else company_key_error(person_id)
            )
            if error is not None:
                raise ProtocolError(Text("err.nodes.provider.sealed_identifier"))
        return subjects, arguments


_ARROW_TYPES = {"date": pa.date32(), "text": pa.string(), "integer": pa.int64()}


def _fits(kind: str, value: object) -> bool:
    if kind == "text":
        return isinstance(value, str) and len(value) <= MAX_ARGUMENT_TEXT
    return kind == "integer" and isinstance(value, int) and not isinstance(value, bool)


def _checked_arguments(product: Product, given: object) -> dict[str, object]:
    """One subject's arguments as the product declares them, typed; a
    ProtocolError (naming no value) for anything else."""
    names = [a.name for a in product.arguments]
    if not isinstance(given, dict) or sorted(given) != sorted(names):
        raise ProtocolError(Text("err.nodes.provider.arguments", names=names))
    out: dict[str, object] = {}
    for a in product.arguments:
        value = given[a.name]
        if value is None:
            if a.required:
                raise ProtocolError(Text("err.nodes.provider.argument_required", name=a.name))
            out[a.name] = None
        elif a.kind == "date" and isinstance(value, str):
            try:
                out[a.name] = dt.date.fromisoformat(value)
            except ValueError:
                raise ProtocolError(Text("err.nodes.provider.argument_date", name=a.name)) from None
        elif _fits(a.kind, value):
            out[a.name] = value
        else:
            raise ProtocolError(Text("err.nodes.provider.argument_kind", name=a.name, kind=a.kind))
    return out

"""What a provider node answers repeated lookups from: feature snapshots and
consent views, built ahead from its own store.

A product's feature SQL computes each subject's row from that subject's own
rows (trusted_space/bulk/feature_partitions.py), so the rows of every subject of a
dataset, computed once for a product, role and date, answer any later job
for that date by lookup. A one-subject job's query costs ~5 ms, almost all of
it DuckDB's fixed cost; the lookup costs microseconds. Who is withheld
(opt-outs, and the live consents for a consumer, product, purpose and day)
is kept the same way instead of a query per job.

Both are built in a background thread, from a cursor of their own, once a
key has been asked for ``AFTER_USES`` times (a one-off job never pays for a
whole-table query), and answer only while the store is at the generation
they were read at: any write (a load, an opt-out, a consent recorded or
revoked) makes every snapshot stale, and the next job queries again. Until a
snapshot is ready, and for a subject it lacks, the node runs its query as
before; the answer is the same either way (tests/unit/test_snapshots.py).

Everything here stays in the provider's process memory, beside its store.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import duckdb
import pyarrow as pa

from connectors.canonical import DATASETS
from connectors.node_store import NodeStore, subjects_sql
from products.base import Product
from products.registry import get_product
from trusted_space.bulk.feature_partitions import feature_rows
from trusted_space.core.i18n import logged

log = logging.getLogger("tspace.provider")

AFTER_USES = 8
KEEP = 4  # snapshots per kind, least recently used dropped
# A dataset with more subjects gets no feature snapshot: its index would hold
# every identifier in memory (~100 bytes each).
MAX_SUBJECTS = 1_000_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BuiltAhead(Generic[K, V]):
    """Values built in the background for keys asked for often, each valid
    at the store generation it was read at."""

    def __init__(
        self,
        store: NodeStore,
        build: Callable[[duckdb.DuckDBPyConnection, K], V | None],
        name: str,
    ) -> None:
        self.store = store
        self._build = build
        self._name = name
        self._lock = threading.Lock()
        self._values: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self._uses: OrderedDict[K, tuple[int, int]] = OrderedDict()  # key -> (generation, uses)
        self._threads: list[threading.Thread] = []

    def get(self, key: K) -> V | None:
        """The key's value at the store's current generation, or None; a
        miss counts a use and starts a build at ``AFTER_USES``."""
        generation = self.store.generation
        with self._lock:
            held = self._values.get(key)
            if held is not None and held[0] == generation:
                self._values.move_to_end(key)
                return held[1]
            if held is not None:
                del self._values[key]
            seen, uses = self._uses.get(key, (generation, 0))
            uses = uses + 1 if seen == generation else 1
            self._uses[key] = (generation, uses)
            self._uses.move_to_end(key)
            while len(self._uses) > 64:
                self._uses.popitem(last=False)
            if uses != AFTER_USES:
                return None
            self._threads = [t for t in self._threads if t.is_alive()]
            # The cursor is made here, in the store's thread; DuckDB lets the
            # builder use it on its own while this connection goes on.
            cursor = self.store.con.cursor()
            thread = threading.Thread(
                target=self._run, args=(cursor, key, generation), name=self._name, daemon=True
            )
            self._threads.append(thread)
        thread.start()
        return None

    def _run(self, cursor: duckdb.DuckDBPyConnection, key: K, generation: int) -> None:
        try:
            value = self._build(cursor, key)
        except duckdb.Error:
            said = logged("log.node.ahead_failed", name=self._name)
            log.warning("%s", said, exc_info=True)
            return
        finally:
            cursor.close()
        if value is None:
            return
        with self._lock:
            self._values[key] = (generation, value)
            while len(self._values) > KEEP:
                self._values.popitem(last=False)

    def wait(self) -> None:
        """Until every build started so far has finished (closing, tests)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()


@dataclass(frozen=True)
class FeatureSnapshot:
    """A role's feature rows for every subject of its dataset on one date."""

    table: pa.Table  # the feature SQL's output, with each subject as its own handle
    index: dict[str, int]  # subject -> row

    def rows(self, handles: list[str], ids: list[str]) -> pa.Table | None:
        """The rows of ``ids`` under ``handles``, as the feature SQL returns
        them; None when a subject is not in the snapshot."""
        try:
            positions = [self.index[p] for p in ids]
        except KeyError:
            return None
        table = self.table.take(pa.array(positions, pa.int64()))
        column = table.column_names.index("handle")
        return table.set_column(column, "handle", pa.array(handles, pa.string()))


@dataclass(frozen=True)
class ConsentView:
    """Who is withheld from a consumer's jobs for one product, purpose and day."""

    opted_out: frozenset[str]
    consented: frozenset[str] | None  # None: the job needs no consent

    def withheld(self, subjects: list[str]) -> set[str]:
        return {
            s
            for s in subjects
            if s in self.opted_out or (self.consented is not None and s not in self.consented)
        }


FeatureKey = tuple[str, str, dt.date]  # product, role, as_of
ConsentKey = tuple[str | None, str, str, dt.date]  # consumer, product, purpose, day


class Snapshots:
    """A provider node's snapshots: ask them first, query when they have nothing."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store
        self._features: BuiltAhead[FeatureKey, FeatureSnapshot] = BuiltAhead(
            store, self._build_features, "feature-snapshot"
        )
        self._consents: BuiltAhead[ConsentKey, ConsentView] = BuiltAhead(
            store, _build_consents, "consent-view"
        )

    def feature_rows(
        self, product: Product, role: str, as_of: dt.date, handles: list[str], ids: list[str]
    ) -> pa.Table:
        """The feature SQL's rows for ``ids`` under ``handles``."""
        snapshot = self._features.get((product.name, role, as_of))
        rows = snapshot.rows(handles, ids) if snapshot is not None else None
        if rows is not None:
            return rows
        return query_features(self.store.con, product, role, as_of, handles, ids)

    def withheld(
        self, subjects: list[str], consumer: str | None, product: str, purpose: str, on: dt.date
    ) -> set[str]:
        """As ``NodeStore.withheld``."""
        view = self._consents.get((consumer, product, purpose, on))
        if view is not None:
            return view.withheld(subjects)
        return self.store.withheld(subjects, consumer, product, purpose, on)

    def wait(self) -> None:
        self._features.wait()
        self._consents.wait()

    def _build_features(
        self, con: duckdb.DuckDBPyConnection, key: FeatureKey
    ) -> FeatureSnapshot | None:
        product_name, role, as_of = key
        product = get_product(product_name)
        subjects = con.sql(subjects_sql(product.role(role).dataset)).fetchall()
        if len(subjects) > MAX_SUBJECTS:
            return None
        ids = [str(s) for (s,) in subjects]
        table = query_features(con, product, role, as_of, ids, ids)
        handles = table.column("handle").to_pylist()
        said = logged("log.node.snapshot", product=product_name, role=role, as_of=as_of, n=len(ids))
        log.info("%s", said)
        return FeatureSnapshot(table=table, index={h: i for i, h in enumerate(handles)})


def query_features(
    con: duckdb.DuckDBPyConnection,
    product: Product,
    role: str,
    as_of: dt.date,
    handles: list[str],
    ids: list[str],
    *,
    arguments: Mapping[str, pa.Array] | None = None,
    parameters: Mapping[str, int] | None = None,
) -> pa.Table:
    """Run a role's feature SQL for ``ids`` (under ``handles``) in ``con``;
    ``arguments`` are more columns of its ``subjects`` table (one value per
    subject), ``parameters`` more named parameters beside ``$as_of``."""
    spec = product.role(role)
    columns = {"handle": pa.array(handles, pa.string()), "subject": pa.array(ids, pa.string())}
    return feature_rows(
        con,
        product.feature_sql(role),
        pa.table({**columns, **(arguments or {})}),
        keyed=DATASETS[spec.dataset],
        reference=spec.reference_tables,
        params={"as_of": as_of, **(parameters or {})},
    )


def _build_consents(con: duckdb.DuckDBPyConnection, key: ConsentKey) -> ConsentView:
    consumer, product, purpose, on = key
    opted = frozenset(str(s) for (s,) in con.execute("SELECT subject FROM opt_outs").fetchall())
    if consumer is None:
        return ConsentView(opted_out=opted, consented=None)
    live = con.execute(
        "SELECT subject FROM consents WHERE consumer = ? AND product = ? AND purpose = ? "
        "AND revoked_at IS NULL AND expires >= ?",
        [consumer, product, purpose, on],
    ).fetchall()
    return ConsentView(opted_out=opted, consented=frozenset(str(s) for (s,) in live))

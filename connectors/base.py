"""The connector plugin interface and the factory by name.

A connector reads one kind of source and hands the node store string columns
named as a canonical table; the store validates and inserts them. Adding a
source is one module with one ``Connector`` subclass registered here.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text


@dataclass(frozen=True)
class LoadOptions:
    mapping: Path | None = None
    id_map: str | None = None  # a CSV path, or "pseudonymous"
    replace: bool = False


class Connector(ABC):
    """Loads one kind of source into a node's canonical tables."""

    kind: str
    description: str

    @abstractmethod
    def load(self, paths: Sequence[Path], store: NodeStore, options: LoadOptions) -> QualityReport:
        """Load every path; return the quality report. Must not raise for bad rows:
        those are rejections. Raise ``InputError`` for a file that cannot be read
        at all, after which nothing has been written."""


# kind -> "module:Class"; imported on demand so a missing optional library only
# affects its own source kind.
_REGISTRY: dict[str, str] = {
    "csv": "connectors.tabular:CsvConnector",
    "parquet": "connectors.tabular:ParquetConnector",
    "duckdb": "connectors.tabular:DuckdbConnector",
    "synthea": "connectors.synthea:SyntheaConnector",
    "fhir": "connectors.fhir:FhirConnector",
    "hl7v2": "connectors.hl7v2:Hl7v2Connector",
    "ocds": "connectors.ocds:OcdsConnector",
}


def connector_kinds() -> list[str]:
    """The source kinds ``load_source`` accepts."""
    return list(_REGISTRY)


def get_connector(kind: str) -> Connector:
    try:
        target = _REGISTRY[kind]
    except KeyError:
        raise InputError(
            Text("load.unknown_kind", kind=repr(kind), kinds=", ".join(_REGISTRY))
        ) from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = cls()
    return connector


def load_source(
    kind: str, paths: Sequence[Path], node_dir: Path, options: LoadOptions | None = None
) -> QualityReport:
    """Load ``paths`` of ``kind`` into the node at ``node_dir``."""
    options = options or LoadOptions()
    for path in paths:
        if not Path(path).exists():
            raise InputError(Text("file.missing", path=path))
    connector = get_connector(kind)
    with NodeStore(node_dir) as store:
        return connector.load(paths, store, options)

"""PSI cardinality: how many identifiers two parties share, and nothing else.

The second file plays the server (its blinded, compressed set is the setup),
the first the client; the client learns only the size of the intersection,
the server only the size of the client's set (DESIGN.md, "PSI cardinality").
Here both run in one process, as `tspace overlap-local` does: a **local
mode**. Whoever runs it holds both files, so it protects nothing between two
parties; it shows what the protocol outputs. Between two providers' nodes
over the space: the product ``subject_overlap`` (products/overlap/, engine
``psi_cardinality``), which `tspace overlap` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.csv_reader import read_csv
from connectors.identifiers import normalise_resident_id, resident_id_error
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text
from trusted_space.hazmat import psi


@dataclass(frozen=True)
class IdFile:
    ids: list[str]
    invalid: list[int]  # rows whose identifier is not valid


def read_ids(path: Path, column: str) -> IdFile:
    result = read_csv(Path(path))
    if column not in result.table.column_names:
        raise InputError(
            Text("err.base.overlap.missing_column", column=repr(column)),
            Location(str(path), None, None),
        )
    ids: set[str] = set()
    invalid: list[int] = []
    for row, raw in zip(
        result.table.column("_row").to_pylist(),
        result.table.column(column).to_pylist(),
        strict=True,
    ):
        if column == "person_id":
            value = normalise_resident_id(raw or "")
            if not value or resident_id_error(value):
                invalid.append(row)
                continue
        else:
            value = (raw or "").strip()
            if not value:
                invalid.append(row)
                continue
        ids.add(value)
    return IdFile(sorted(ids), invalid)


def overlap(a: list[str], b: list[str]) -> int:
    """|A ∩ B| by ECDH-PSI in cardinality mode."""
    if not a or not b:
        return 0
    server = psi.PsiServerKey.generate(reveal_intersection=False)
    setup = server.create_setup(b, max_client_items=len(a))
    client = psi.PsiClient(reveal_intersection=False)
    response = server.process_request(client.create_request(a), max_items=len(a))
    return client.intersection_size(setup, response)

"""The plaintext reference for subject_overlap: the number of valid,
normalised resident ids found both in the hospital's visits and in the CDC's
case reports or chronic registry, by a plain DuckDB query over the CSV
files (no PSI, none of the nodes' code). Without noise the private count
must equal it exactly. Sees every raw row: generated data and tests only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

# GB 11643: full-width digits and x mapped to ASCII, x upper-cased, blanks
# dropped; an id counts only when its 18th character is the check character
# of the first 17 digits.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
FROM = "０１２３４５６７８９ｘＸx \t\r\n\u3000"
TO = "0123456789XXX"


def _ids(files: str) -> str:
    """Distinct valid ids of the CSV files in the parameter ``$files``."""
    norm = "translate(person_id, $from_chars, $to_chars)"
    total = " + ".join(
        f"{w} * TRY_CAST(substr(id, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(WEIGHTS)
    )
    return (
        f"SELECT DISTINCT id FROM (SELECT {norm} AS id FROM read_csv(${files}, header = true, "
        "all_varchar = true, union_by_name = true)) "
        "WHERE length(id) = 18 AND regexp_full_match(substr(id, 1, 17), '[0-9]{17}') "
        f"AND substr($check, (({total}) % 11) + 1, 1) = substr(id, 18, 1)"
    )


def reference_overlap(hospital: Sequence[Path], cdc: Sequence[Path]) -> int:
    """|hospital ids ∩ CDC ids|, each side's valid ids counted once."""
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT count(*) FROM ({_ids('hospital')}) JOIN ({_ids('cdc')}) USING (id)",
            {
                "hospital": [str(p) for p in hospital],
                "cdc": [str(p) for p in cdc],
                "from_chars": FROM,
                "to_chars": TO,
                "check": CHECK,
            },
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0

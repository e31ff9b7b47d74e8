"""``tspace usage``: metering from the ledger, for billing and subsidy claims."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import SPACE, console, errors
from trusted_space.core.i18n import Text, t

app = typer.Typer(
    help="计量: usage per consumer, product, provider and month, from the ledger.",
    no_args_is_help=True,
)


@app.command()
@errors
def report(
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (China Standard Time); default all.")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """用量报告: jobs, subjects, matches, cells released and epsilon, each row
    with the ledger entries it was counted from."""
    from rich.table import Table

    from trusted_space.core.errors import InputError
    from trusted_space.ledger.metering import COLUMNS, usage
    from trusted_space.space.readonly import ledger_entries

    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(Text("usage.month", month=repr(month)))
    rows = usage(ledger_entries(workdir), month)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(COLUMNS)
        writer.writerows(r.cells() for r in rows)
        return
    shown = COLUMNS[:-1]  # the entries behind each row are in --csv
    table = Table(*(t(f"usage.col.{c}") for c in shown))
    for r in rows:
        table.add_row(*(str(c) for c in r.cells()[: len(shown)]))
    console.print(table)
    console.print(t("usage.rows", count=len(rows)), highlight=False)

"""``tspace settle``: monthly settlement statements from the ledger, and their check.

``tspace settle --month YYYY-MM --workdir SPACE --out FOLDER`` writes, per
party, a CSV statement and a JSON statement signed with the space's ledger
key; ``tspace settle verify STATEMENT --ledger EXPORT`` checks one offline
(docs/settlement.md). Jobs that ran in part at peered spaces take those
peers' ledger exports (``--peer-ledger``, each checked against the key this
space's ledger pins for the peer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from trusted_space.cli.common import INPUT, OUTPUT, SPACE, console, err_console, errors
from trusted_space.core.i18n import Text, language, t

app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


def _month(value: str) -> str:
    from trusted_space.core.errors import InputError

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise InputError(t("settle.month", value=value))
    return value


PEER_LEDGER_HELP = (
    "A peer's ledger export (`tspace ledger export` at the peer), for the jobs that ran in "
    "part there (repeatable); checked against the key this ledger pins for the peer."
)


def _peer_exports(paths: list[Path] | None) -> list[tuple[str, list[dict[str, Any]]]]:
    from trusted_space.cli.ledger import _read_export

    return [(str(path), _read_export(path)) for path in paths or ()]


def file_name(role: str, party: str) -> str:
    """A statement's file name (without suffix): the role keeps a consumer
    and a provider of the same name apart."""
    return role if role == "operator" else f"{role}-{party}"


@app.callback()
@errors
def settle(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (China Standard Time).")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="The space's folder."), SPACE
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The folder to write the statements to (CSV and signed JSON)."),
        OUTPUT,
    ] = None,
    peer_ledger: Annotated[
        list[Path] | None, typer.Option("--peer-ledger", help=PEER_LEDGER_HELP), INPUT
    ] = None,
) -> None:
    """结算: what each consumer owes and each provider and the operator earn in
    a month, from the ledger alone: per party, a CSV statement and a JSON
    statement signed with the space's ledger key. Only succeeded jobs decided
    in the month are charged. A job that ran in part at a peer needs the
    peer's ledger export: each space prices its own providers' part."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from trusted_space.core.errors import InputError
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.ledger import settlement
    from trusted_space.space.readonly import ledger_entries, space_signing_key

    if month is None or workdir is None or out is None:
        raise InputError(t("settle.needs"))
    month = _month(month)
    suite, key = space_signing_key(workdir)
    entries = ledger_entries(workdir)
    try:
        peers = settlement.peer_ledgers(entries, suite, _peer_exports(peer_ledger))
        statements = settlement.compute(entries, month, suite, peers)
    except settlement.PeerLedgerMissing as exc:
        raise InputError(t("settle.peer_missing", peers=", ".join(exc.peers))) from None
    except settlement.StatementInvalid as exc:
        raise InputError(t("settle.peer_bad", reason=exc.reason)) from None
    signed = {p: settlement.sign(s, suite, key) for p, s in statements.items()}
    out.mkdir(parents=True, exist_ok=True)
    table = Table(
        t("settle.col.party"), t("settle.col.role"), t("settle.col.jobs"), t("settle.col.total")
    )
    for (role, party), statement in signed.items():
        name = file_name(role, party)
        write_text_atomic(
            out / f"{name}.json", json.dumps(statement, ensure_ascii=False, indent=1) + "\n"
        )
        write_text_atomic(out / f"{name}.csv", settlement.to_csv(statement))
        table.add_row(
            party,
            t(f"settle.role.{role}"),
            str(statement["jobs"]),
            settlement.format_yuan(statement["total"], language()),
        )
    console.print(table)
    console.print(
        t("settle.written", month=month, count=len(signed), path=out, seq=entries[-1]["seq"]),
        highlight=False,
    )


@app.command()
@errors
def verify(
    statement: Annotated[
        Path, typer.Argument(help="A JSON statement written by `tspace settle`."), INPUT
    ],
    ledger: Annotated[
        Path, typer.Option("--ledger", help="The ledger export (`tspace ledger export`)."), INPUT
    ],
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The space's verifying key: hex, or a file holding it (from `ledger public-key`).",
        ),
    ] = None,
    peer_ledger: Annotated[
        list[Path] | None, typer.Option("--peer-ledger", help=PEER_LEDGER_HELP), INPUT
    ] = None,
) -> None:
    """核验结算单: recompute the statement from a ledger export and check the
    space's signature; exit 1 naming the first thing that does not hold."""
    from trusted_space.cli.ledger import _public_key, _read_export
    from trusted_space.core.errors import InputError, LedgerTampered
    from trusted_space.crypto import get_suite
    from trusted_space.ledger import settlement

    try:
        document: Any = json.loads(statement.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Text("settle.not_json_because", path=statement, reason=exc)) from None
    if not isinstance(document, dict):
        raise InputError(Text("settle.not_json", path=statement))
    entries = _read_export(ledger)
    first = (entries[0].get("details") or {}) if entries else {}
    suite = get_suite(str(first.get("suite", "default")))
    if public_key is None:
        key = bytes.fromhex(str(first.get("signing_key", "")))
        err_console.print(t("settle.key_from_export"), highlight=False)
    else:
        key = _public_key(public_key)
    try:
        settlement.verify(document, entries, suite, key, _peer_exports(peer_ledger))
    except LedgerTampered as exc:
        err_console.print(t("settle.bad_ledger", seq=exc.seq, reason=exc.said), highlight=False)
        raise typer.Exit(1) from None
    except settlement.PeerLedgerMissing as exc:
        err_console.print(
            t("settle.peer_missing", peers=", ".join(exc.peers)), markup=False, highlight=False
        )
        raise typer.Exit(1) from None
    except settlement.StatementInvalid as exc:
        err_console.print(t("settle.bad", reason=exc.reason), markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(
        t(
            "settle.ok",
            party=document["party"],
            role=t(f"settle.role.{document['role']}"),
            month=document["month"],
            total=settlement.format_yuan(document["total"], language()),
            seq=document["ledger_head"]["seq"],
            space=document["space"],
        ),
        highlight=False,
    )

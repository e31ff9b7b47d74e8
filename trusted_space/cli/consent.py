"""``tspace consent``: consent records and opt-outs, kept at a provider node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import INPUT, SPACE, console, err_console, errors
from trusted_space.core.i18n import OnlyInEnglish, Text, recognised, t

app = typer.Typer(
    help="授权同意: a provider's consent records and its subjects' opt-outs.",
    no_args_is_help=True,
)

NodeDir = Annotated[
    Path,
    typer.Option("--workdir", help="The provider node's folder (nodes/NAME when embedded)."),
    SPACE,
]


def _said(exc: Exception) -> object:
    """Why a subject id was refused: the Text ``subject_key`` gives, else
    the library's words (in English only)."""
    if exc.args and isinstance(exc.args[0], Text):
        return exc.args[0]
    return OnlyInEnglish(str(exc))


def _store(workdir: Path):  # type: ignore[no-untyped-def]
    import duckdb

    from connectors.node_store import NodeStore
    from trusted_space.core.errors import InputError, NotFound

    if not (workdir / "node.duckdb").exists():
        raise NotFound(Text("err.base.cli.no_node", path=workdir))
    try:
        return NodeStore(workdir)
    except duckdb.IOException as exc:
        raise InputError(
            Text(
                "err.base.cli.node_in_use",
                path=workdir / "node.duckdb",
                reason=OnlyInEnglish(f": {exc}"),
            )
        ) from None


@app.command("import")
@errors
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: "
            + ", ".join(("subject_id", "consumer", "product", "purpose", "expires", "evidence_ref"))
        ),
        INPUT,
    ],
    workdir: NodeDir,
) -> None:
    """导入: store consent records; invalid rows are listed with row and field."""
    from connectors.consent import read_consent_file
    from products.registry import PRODUCTS

    parsed = read_consent_file(file, {name: p.subject for name, p in PRODUCTS.items()})
    with _store(workdir) as store:
        stored = store.record_consents(parsed.rows)
    console.print(
        t("consent.imported", stored=stored, rejected=len(parsed.rejections)), highlight=False
    )
    for r in parsed.rejections:
        err_console.print(
            f"  {r.file}:{r.row} {r.field or '-'}: {recognised(r.reason)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
@errors
def revoke(
    workdir: NodeDir,
    subject: Annotated[str, typer.Option("--subject", help="The subject's id.")],
    product: Annotated[str, typer.Option("--product", help="Product the id belongs to.")],
    consumer: Annotated[
        str | None, typer.Option("--consumer", help="Only this consumer's consent.")
    ] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Only this purpose.")] = None,
    opt_out: Annotated[
        bool,
        typer.Option(
            "--opt-out",
            help="Withdraw altogether: revoke every consent and leave every dataset "
            "(at its next version) and every cohort.",
        ),
    ] = False,
    evidence: Annotated[
        str, typer.Option("--evidence", help="Reference of the withdrawal's evidence.")
    ] = "",
) -> None:
    """撤回: revoke consents, or opt the subject out entirely."""
    from connectors.consent import subject_key
    from products.registry import PRODUCTS
    from trusted_space.core.errors import InputError

    try:
        key = subject_key(subject, PRODUCTS[product].subject)
    except (KeyError, ValueError) as exc:
        raise InputError(Text("err.base.cli.subject", reason=_said(exc))) from None
    with _store(workdir) as store:
        if opt_out:
            if not evidence:
                raise InputError(Text("consent.needs_evidence"))
            store.opt_out(key, evidence)
            console.print(t("consent.opted_out"), highlight=False)
            return
        count = store.revoke_consents(key, consumer, product, purpose)
    console.print(t("consent.revoked", count=count), highlight=False)


@app.command()
@errors
def status(workdir: NodeDir) -> None:
    """状态: how many consents are live or revoked, and how many opted out."""
    with _store(workdir) as store:
        counts = store.consent_counts()
    console.print(t("consent.status", **counts), highlight=False)

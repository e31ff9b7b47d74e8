"""The ``tspace`` command line.

Every command has ``--help``. Errors tspace raises on purpose print clear
lines (naming file, row and field where there is one) and exit with status 2;
a demo whose private result differs from the plaintext reference exits 1.
Heavy modules are imported inside commands so ``tspace --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from trusted_space import __version__
from trusted_space.cli import consent, data, ledger, policy, product, products, service, usage
from trusted_space.cli.common import console
from trusted_space.core.i18n import LANGUAGES, set_language

app = typer.Typer(
    name="tspace",
    help="tspace: a privacy-preserving trusted data space (可信数据空间). "
    "Providers keep their rows; the space joins them with PSI and Paillier "
    "encryption; consumers receive only product outputs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"tspace {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=f"Console language: {' or '.join(LANGUAGES)} (default zh-CN, or TSPACE_LANG).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    try:
        set_language(lang)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


app.command()(products.demo)
app.command()(products.underwrite)
app.command()(products.lend)
app.command()(products.cohort)
app.command()(products.overlap)
app.command()(data.load)
app.command()(data.synth)
app.add_typer(policy.app, name="policy")
app.add_typer(ledger.app, name="ledger")
app.add_typer(usage.app, name="usage")
app.add_typer(product.app, name="product")
app.add_typer(consent.app, name="consent")
app.command()(service.serve)
app.command()(service.node)
app.add_typer(service.admin, name="admin")
app.add_typer(service.client, name="client")


def main() -> None:
    app(prog_name="tspace")


if __name__ == "__main__":
    main()

"""The ``tspace`` command line.

Every command has ``--help``. Errors tspace raises on purpose print clear
lines (naming file, row and field where there is one) and exit with status 2;
a demo whose private result differs from the plaintext reference exits 1.
Heavy modules are imported inside commands so ``tspace --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trusted_space import __version__
from trusted_space.cli import (
    click_words,
    consent,
    data,
    keys,
    ledger,
    peering,
    policy,
    product,
    products,
    service,
    settle,
    usage,
)
from trusted_space.cli.common import console
from trusted_space.core.i18n import (
    HELP_OPTION,
    LANGUAGES,
    TYPER_WORDS,
    help_text,
    language,
    recognised,
    set_language,
)

click_words.install()  # click's usage errors and "Usage:" in the console's language

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


def _set_lang(ctx: typer.Context, value: str | None) -> str | None:
    """Eager, so that ``tspace --lang en --help`` already speaks English."""
    try:
        set_language(value)
    except ValueError as exc:
        raise typer.BadParameter(str(recognised(str(exc)))) from None
    localize(ctx.find_root().command)
    return value


def localize(command: Any) -> None:
    """Put every help text of the command tree in the current language
    (trusted_space/core/help_text.py), and typer's own words too."""
    import typer.rich_utils as rich_utils

    for name, words in TYPER_WORDS.items():
        setattr(rich_utils, name, words[language()])
    _localize(command)


def _localize(command: Any) -> None:
    for holder, attr in ((command, "help"), (command, "short_help")):
        _swap(holder, attr)
    for param in command.params:
        if getattr(param, "help", None) is not None:
            _swap(param, "help")
    # click's own --help, made (and cached) on first use: made here to word it.
    help_option = command.get_help_option(command.context_class(command))
    if help_option is not None:
        help_option.help = HELP_OPTION[language()]
    for sub in getattr(command, "commands", {}).values():
        _localize(sub)


def _swap(holder: Any, attr: str) -> None:
    source = getattr(holder, f"_tspace_{attr}", None)
    if source is None:
        source = getattr(holder, attr, None)
        if not source:
            return
        setattr(holder, f"_tspace_{attr}", source)
    setattr(holder, attr, help_text(source))


@app.callback()
def _main(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=f"Console language: {' or '.join(LANGUAGES)} (default zh-CN, or TSPACE_LANG).",
            is_eager=True,
            callback=_set_lang,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    # The language is set by the eager --lang callback, before any help.
    pass


app.command()(products.demo)
app.command()(products.underwrite)
app.command()(products.lend)
app.command()(products.claims)
app.command()(products.cohort)
app.command()(products.overlap)
app.command("overlap-local")(products.overlap_local)
app.command()(data.load)
app.command()(data.synth)
app.add_typer(policy.app, name="policy")
app.add_typer(ledger.app, name="ledger")
app.add_typer(usage.app, name="usage")
app.add_typer(settle.app, name="settle")
app.add_typer(product.app, name="product")
app.add_typer(consent.app, name="consent")
app.command()(service.serve)
app.command()(service.node)
service.admin.command("draft-agreement")(peering.draft_agreement)
service.admin.command("add-peer")(peering.add_peer)
service.admin.command("peers")(peering.list_peers)
service.admin.command("remove-peer")(peering.remove_peer)
service.admin.command("check-peer")(peering.check_peer)
service.client.command("approve-agreement")(peering.approve_agreement)
app.add_typer(service.admin, name="admin")
app.add_typer(keys.app, name="keys")
app.add_typer(service.client, name="client")


def command() -> Any:
    """The click command tree, its help in the language of TSPACE_LANG or zh-CN;
    ``--lang`` switches it before any help is printed."""
    tree = typer.main.get_command(app)
    localize(tree)
    return tree


def main() -> None:
    command()(prog_name="tspace")


if __name__ == "__main__":
    main()

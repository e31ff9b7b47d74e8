"""``tspace product``: data products as registered assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import OUTPUT, SPACE, errors
from trusted_space.core.i18n import Text, recognised

app = typer.Typer(help="数据产品: registration dossiers of data products.", no_args_is_help=True)


@app.command()
@errors
def card(
    product: Annotated[str, typer.Argument(help="Product name, e.g. underwriting_score.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    format_: Annotated[
        str, typer.Option("--format", help="md (in the console language) or json.")
    ] = "md",
    out: Annotated[Path | None, typer.Option("--out", help="Write the card here."), OUTPUT] = None,
) -> None:
    """产品登记卡: purpose, source datasets, features, policies in plain words,
    quality, lineage, usage and cost — from the space's live metadata."""
    from trusted_space.core.errors import InputError
    from trusted_space.core.i18n import language
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.product_card import build_card, render_markdown

    if format_ not in ("md", "json"):
        raise InputError(Text("product.format", value=repr(format_)))
    try:
        data = build_card(workdir, product)
    except ValueError as exc:  # an unknown product
        raise InputError(recognised(str(exc))) from None
    text = (
        json.dumps(data, ensure_ascii=False, indent=1)
        if format_ == "json"
        else render_markdown(data, language())
    )
    if out is None:
        print(text)
    else:
        write_text_atomic(out, text + "\n")

"""Peering between spaces: the operator's ``tspace admin`` commands
(draft-agreement, add-peer, peers, remove-peer, check-peer) and a steward's
``tspace client approve-agreement``.

Two operators peer their spaces: one drafts the agreement (both spaces'
ledger keys, the products that may cross, the stewards of each side who
approve it) and sends the file to the other; the stewards each file names
approve it at their own space; then each operator adds the other as a peer
with the same file, pinning the other space's ledger key. Both ledgers
record the same agreement hash (docs/federation.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trusted_space.cli.common import (
    INPUT,
    OUTPUT,
    SPACE,
    ApiKeyFile,
    Patience,
    SpaceUrl,
    client_transport,
    console,
    errors,
)
from trusted_space.core.i18n import Text, recognised, t

if TYPE_CHECKING:
    from trusted_space.protocol.peering import PeeringTerms
    from trusted_space.space.space import Space

SpaceDir = Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE]
AgreementFile = Annotated[
    Path,
    typer.Option("--agreement", help="The peering agreement (from tspace admin draft-agreement)."),
    INPUT,
]


def read_terms(path: Path) -> PeeringTerms:
    """A peering agreement file; a clear error naming the file and field."""
    from pydantic import ValidationError

    from trusted_space.core.errors import InputError, Location
    from trusted_space.protocol.peering import PeeringTerms

    try:
        return PeeringTerms.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or None
        raise InputError(
            Text("err.base.cli.not_agreement"),
            Location(str(path), None, where),
        ) from None


def _open(workdir: Path) -> Space:
    from trusted_space.space.readonly import space_signing_key
    from trusted_space.space.space import Space, SpaceConfig

    suite, _ = space_signing_key(workdir)
    return Space(workdir / "space", SpaceConfig(suite=suite.name))


def _out_of_form(exc: ValueError) -> Text | str:
    """Which value of the agreement is out of form, in the reader's language
    (pydantic's first line, "1 validation error for PeerSpace", says neither)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ()))
        return Text("err.base.value.agreement", field=field, value=repr(first.get("input")))
    return recognised(str(exc))


def _hex_key(value: str, option: str) -> bytes:
    from trusted_space.core.errors import InputError

    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise InputError(Text("peering.not_hex", option=option)) from None


@errors
def draft_agreement(
    workdir: SpaceDir,
    peer_key: Annotated[
        str,
        typer.Option(
            "--peer-key",
            help="The peer space's ledger key in hex (its `tspace ledger public-key`).",
        ),
    ],
    product: Annotated[
        list[str],
        typer.Option("--product", help="A product whose jobs may cross (repeatable)."),
    ],
    steward: Annotated[
        list[str],
        typer.Option("--steward", help="A steward of this space who approves it (repeatable)."),
    ],
    peer_steward: Annotated[
        list[str],
        typer.Option(
            "--peer-steward", help="A steward of the peer space who approves it (repeatable)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the agreement (JSON)."), OUTPUT
    ],
) -> None:
    """对等协议: draft a peering agreement with another space.

    Both sides' stewards it names approve it; both operators add the peer with it."""
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.protocol.peering import agreement_hash, draft_terms
    from trusted_space.space.readonly import space_signing_key

    suite, key = space_signing_key(workdir)
    try:
        terms = draft_terms(
            suite,
            mine=key.public_bytes(),
            my_stewards=steward,
            theirs=_hex_key(peer_key, "--peer-key"),
            their_stewards=peer_steward,
            products=product,
            made=dt.date.today().isoformat(),
        )
    except ValueError as exc:  # pydantic's: a name or key out of form
        raise typer.BadParameter(str(_out_of_form(exc))) from None
    write_text_atomic(out, terms.model_dump_json(indent=2) + "\n")
    console.print(
        t("peering.drafted", path=out, agreement=agreement_hash(suite, terms)), highlight=False
    )


@errors
def add_peer(
    name: Annotated[str, typer.Argument(help="The peer's name here, e.g. city-b.")],
    url: Annotated[str, typer.Option("--url", help="The peer space's base URL.")],
    signing_key: Annotated[
        str,
        typer.Option(
            "--signing-key",
            help="The peer space's ledger key in hex, pinned: its requests must verify under it.",
        ),
    ],
    agreement: AgreementFile,
    workdir: SpaceDir,
) -> None:
    """添加对等空间: pin another space's URL and ledger key under an agreement.

    Every steward of this space that the agreement names must have approved it."""
    terms = read_terms(agreement)
    space = _open(workdir)
    try:
        _hex_key(signing_key, "--signing-key")
        try:
            peer = space.add_peer(None, name, url, signing_key.strip().lower(), terms)
        except ValueError as exc:
            raise typer.BadParameter(str(recognised(str(exc)))) from None
    finally:
        space.close()
    console.print(
        t(
            "peering.added",
            peer=peer.name,
            url=peer.url,
            fingerprint=peer.fingerprint,
            agreement=peer.agreement,
            products=", ".join(peer.products),
        ),
        highlight=False,
    )


@errors
def list_peers(workdir: SpaceDir) -> None:
    """对等空间: list this space's peers, their agreements and products."""
    from rich.table import Table

    space = _open(workdir)
    try:
        records = space.peer_records(None)
    finally:
        space.close()
    if not records:
        console.print(t("peering.none"), highlight=False)
        return
    table = Table(
        t("peering.col.name"),
        t("peering.col.url"),
        t("peering.col.fingerprint"),
        t("peering.col.agreement"),
        t("peering.col.products"),
        t("peering.col.state"),
        t("peering.col.confirmed"),
    )
    for peer in records:
        table.add_row(
            peer.name,
            peer.url,
            peer.fingerprint,
            peer.agreement[:16] + "…",
            ", ".join(peer.products),
            t(f"peering.state.{peer.state}"),
            t("peering.yes" if peer.countersignature else "peering.no"),
        )
    console.print(table)


@errors
def remove_peer(
    name: Annotated[str, typer.Argument(help="The peer to stop peering with.")],
    workdir: SpaceDir,
) -> None:
    """移除对等空间: stop peering with a space; its requests are refused from now on."""
    space = _open(workdir)
    try:
        space.remove_peer(None, name)
    finally:
        space.close()
    console.print(t("peering.removed", peer=name), highlight=False)


@errors
def check_peer(
    name: Annotated[str, typer.Argument(help="The peer to call.")],
    workdir: SpaceDir,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the peer.")
    ] = 10.0,
) -> None:
    """核对对等空间: call a peer with a signed request.

    Its signed answer's countersignature of the agreement goes in the ledger."""
    space = _open(workdir)
    try:
        reply = space.check_peer(name, timeout=timeout)
    finally:
        space.close()
    console.print(t("peering.confirmed", peer=name, agreement=reply.agreement), highlight=False)


@errors
def approve_agreement(
    file: Annotated[
        Path,
        typer.Argument(help="The peering agreement (from tspace admin draft-agreement)."),
        INPUT,
    ],
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    patience: Patience = 60.0,
) -> None:
    """Steward: approve a peering agreement that names you, before the operator adds the peer."""
    read_terms(file)  # a clear error before anything is sent
    transport = client_transport(space, api_key_file, patience)
    try:
        agreement, approved = transport.approve_agreement(file.read_bytes())
    finally:
        transport.close()
    console.print(
        t("peering.approved", agreement=agreement, stewards=", ".join(approved)), highlight=False
    )

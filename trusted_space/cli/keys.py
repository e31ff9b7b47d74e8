"""``tspace keys``: a node's own signing key, the keys it pinned, rotation.

A participant shows its signing key's fingerprint (``keys show``) to the
operator, who binds it when adding the participant and prints it for the
other parties; each of them pins it (``keys trust``) or pins it on first
use. A participant replaces its keys with ``keys rotate``: the old signing
key signs the new one, and the other parties follow. A person re-pins a
changed key only after checking it with its owner: ``keys trust`` says so,
loudly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from trusted_space.cli.common import (
    OUTPUT,
    SPACE,
    ApiKeyFile,
    SpaceUrl,
    console,
    err_console,
    errors,
)
from trusted_space.core.i18n import Text, recognised, t

if TYPE_CHECKING:
    from trusted_space.protocol.messages import Role

app = typer.Typer(
    help="密钥: this node's signing key, the other parties' keys it pinned, rotation.",
    no_args_is_help=True,
)

Suite = Annotated[str, typer.Option("--suite", help="The space's crypto suite (default or gm).")]


@app.command("show")
@errors
def show(
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="The node's folder (its keys are made there if new)."),
        OUTPUT,
    ],
    suite: Suite = "default",
) -> None:
    """查看密钥: print this node's signing key and fingerprint, and every key it pinned."""
    from trusted_space.crypto import get_suite
    from trusted_space.nodes.identity import NodeIdentity
    from trusted_space.nodes.pins import Pins

    chosen = get_suite(suite)
    identity = NodeIdentity(chosen, workdir / "keys")
    console.print(
        t(
            "keys.show",
            public=identity.signing_key.public_bytes().hex(),
            fingerprint=identity.fingerprint(),
        ),
        highlight=False,
    )
    console.print(
        t(
            "keys.suite",
            suite=chosen.name,
            implementation=t(f"crypto.impl.{chosen.implementation}"),
        ),
        highlight=False,
    )
    pins = Pins(workdir, chosen).pinned()
    if not pins:
        console.print(t("keys.no_pins"), highlight=False)
        return
    console.print(t("keys.pins_title"), highlight=False)
    for name, pin in pins.items():
        console.print(
            "  "
            + t(
                "keys.pin_row",
                name=name,
                fingerprint=pin["fingerprint"],
                how=t(f"keys.pinned_how.{pin['how']}"),
                serial=pin["serial"],
            ),
            markup=False,
            highlight=False,
        )


@app.command("trust")
@errors
def trust(
    name: Annotated[str, typer.Argument(help="The participant whose signing key to pin.")],
    fingerprint: Annotated[
        str, typer.Argument(help="Its fingerprint, as its owner or the operator gave it.")
    ],
    workdir: Annotated[Path, typer.Option("--workdir", help="This node's folder."), SPACE],
    suite: Suite = "default",
) -> None:
    """固定密钥: pin a participant's signing key by its fingerprint (a change is said loudly)."""
    from trusted_space.crypto import get_suite, normalise_fingerprint
    from trusted_space.nodes.pins import Pins

    try:
        fp = normalise_fingerprint(fingerprint)
    except ValueError as exc:
        raise typer.BadParameter(str(recognised(str(exc))), param_hint="FINGERPRINT") from None
    old = Pins(workdir, get_suite(suite)).trust(name, fp)
    if old is not None and old != fp:
        err_console.print(t("keys.repinned", name=name, old=old, new=fp), highlight=False)
    console.print(t("keys.trusted", name=name, fingerprint=fp), highlight=False)


@app.command("rotate")
@errors
def rotate(
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    workdir: Annotated[Path, typer.Option("--workdir", help="This node's folder."), SPACE],
    signing: Annotated[
        bool,
        typer.Option("--signing", help="Replace the signing key too (the old one signs the new)."),
    ] = False,
) -> None:
    """轮换公钥: new keys, signed by the old signing key, registered with the space.

    Stop the node first and start it again after: it reads its keys when it starts."""
    from trusted_space.core.errors import InputError
    from trusted_space.crypto import get_suite
    from trusted_space.nodes.identity import NodeIdentity
    from trusted_space.transport.http import HttpTransport, read_api_key

    transport = HttpTransport(space, read_api_key(api_key_file))
    try:
        me = transport.connect()
        chosen = get_suite(me["suite"])
        identity = NodeIdentity(chosen, workdir / "keys")
        role = me["role"]
        if role not in ("provider", "consumer", "steward", "operator"):
            raise InputError(Text("keys.unknown_role", name=repr(me["name"]), role=repr(role)))
        keys = identity.rotate(me["name"], cast("Role", role), signing=signing)
        transport.register_keys(keys)
    finally:
        transport.close()
    console.print(
        t(
            "keys.rotated_own",
            serial=keys.serial,
            signing=identity.fingerprint(),
            sealing=chosen.identity_fingerprint(bytes.fromhex(keys.sealing_key)),
        ),
        highlight=False,
    )

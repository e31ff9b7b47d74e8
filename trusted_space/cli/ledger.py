"""``tspace ledger``: verify, export and read the space's audit ledger.

Anyone can verify: an export and the space's published verifying key are
enough (``verify --file EXPORT --public-key K``). Reading a workdir opens the
space's database read-only, beside a running space.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from trusted_space.cli.common import INPUT, OUTPUT, SPACE, console, err_console, errors
from trusted_space.core.i18n import OnlyInEnglish, Text, t

app = typer.Typer(
    help="账本: verify, export and read the space's signed, hash-chained audit ledger.",
    no_args_is_help=True,
)

SpaceDir = Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE]
PublicKey = Annotated[
    str | None,
    typer.Option(
        "--public-key",
        help="The space's verifying key: hex, or a file holding it (from `ledger public-key`).",
    ),
]


def _public_key(value: str) -> bytes:
    from trusted_space.core.errors import InputError

    text = Path(value).read_text("utf-8").strip() if Path(value).is_file() else value.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InputError(Text("ledger.key_not_hex", value=repr(value))) from None


def _read_export(path: Path) -> list[dict[str, Any]]:
    from trusted_space.core.errors import InputError, Location

    entries = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(
                    Text("err.base.ledger.not_json", problem=OnlyInEnglish(f": {exc.msg}")),
                    Location(str(path), line_no, None),
                ) from None
    return entries


@app.command()
@errors
def verify(
    workdir: Annotated[
        list[Path] | None,
        typer.Option(
            "--workdir", help="Verify this space's ledger (repeatable: peered spaces' ledgers)."
        ),
        SPACE,
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", help="Verify an export (JSON Lines) instead (repeatable, with --public-key)."
        ),
        INPUT,
    ] = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="The space's verifying key: hex, or a file holding it (from `ledger "
            "public-key`); one per --file, in order.",
        ),
    ] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint published outside the space (a node's checkpoints/seen.jsonl "
            "or `ledger checkpoint --out`): the ledger must still hold it. Repeatable.",
        ),
        INPUT,
    ] = None,
) -> None:
    """校验: check every entry's chain, hash and signature, every checkpoint and
    every node's signature; with --checkpoint, that no entry a published
    checkpoint covers was cut off or rewritten; with several ledgers (peered
    spaces), also what each says of the others (agreements,
    countersignatures, jobs across spaces); exit 1 naming the first entry
    that fails."""
    from trusted_space.core.errors import InputError, LedgerTampered
    from trusted_space.crypto import get_suite
    from trusted_space.ledger.checkpoints import read_checkpoints, verify_checkpoint
    from trusted_space.ledger.crossref import Ledger, check_cross_references
    from trusted_space.ledger.ledger import verify_entries
    from trusted_space.space.readonly import ledger_entries, space_public_key

    workdirs, files, keys = workdir or [], file or [], public_key or []
    if bool(workdirs) == bool(files):
        raise InputError(Text("ledger.workdir_or_file"))
    sources: list[tuple[str, list[dict[str, Any]], bytes]] = []
    if files:
        if len(keys) != len(files):
            raise InputError(Text("ledger.key_per_file"))
        sources = [
            (str(path), _read_export(path), _public_key(key))
            for path, key in zip(files, keys, strict=True)
        ]
    else:
        if keys and len(keys) != len(workdirs):
            raise InputError(Text("ledger.key_per_workdir"))
        for i, folder in enumerate(workdirs):
            key = _public_key(keys[i]) if keys else space_public_key(folder)
            sources.append((str(folder), ledger_entries(folder), key))
    ledgers = []
    for name, entries, key in sources:
        suite_name = (
            str((entries[0].get("details") or {}).get("suite", "default")) if entries else ""
        )
        try:
            if not entries:
                raise LedgerTampered(1, Text("ledger.empty"))
            first = entries[0]
            if first.get("kind") != "space_created":
                raise LedgerTampered(1, Text("ledger.first_entry"))
            if first["details"].get("signing_key") != key.hex():
                raise LedgerTampered(1, Text("ledger.other_key"))
            count = verify_entries(iter(entries), get_suite(suite_name), key)
            published = [c for path in checkpoint or [] for c in read_checkpoints(path)]
            if len(sources) == 1:
                for held in published:
                    verify_checkpoint(entries, held, get_suite(suite_name), key)
        except LedgerTampered as exc:
            if len(sources) > 1:
                err_console.print(f"{name}:", highlight=False)
            err_console.print(t("ledger.bad", seq=exc.seq, reason=exc.said), highlight=False)
            raise typer.Exit(1) from None
        checkpoints = sum(e.get("kind") == "checkpoint" for e in entries)
        if len(sources) > 1:
            console.print(f"{name}:", highlight=False)
        console.print(
            t("ledger.ok", count=count, checkpoints=checkpoints, suite=suite_name), highlight=False
        )
        if checkpoint and len(sources) == 1:
            console.print(t("ledger.published_ok", count=len(published)), highlight=False)
        ledgers.append(Ledger(name, entries, get_suite(suite_name), key))
    if len(ledgers) > 1:
        report = check_cross_references(ledgers)
        for problem in report.problems:
            err_console.print(t("ledger.cross_bad", problem=problem), highlight=False)
        if report.problems:
            raise typer.Exit(1)
        console.print(
            t("ledger.cross_ok", checked=report.checked, unchecked=report.unchecked),
            highlight=False,
        )


@app.command("checkpoint")
@errors
def checkpoint_(
    workdir: SpaceDir,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the checkpoint (JSON)."), OUTPUT
    ],
) -> None:
    """检查点: export the latest signed checkpoint, for an auditor to keep
    outside the space and check later ledgers against (`verify --checkpoint`)."""
    from trusted_space.core.errors import NotFound
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.space.readonly import ledger_entries

    held = [e for e in ledger_entries(workdir) if e.get("kind") == "checkpoint"]
    if not held:
        raise NotFound(Text("err.base.ledger.no_checkpoint"))
    write_text_atomic(out, json.dumps(held[-1], ensure_ascii=False, sort_keys=True) + "\n")
    console.print(t("ledger.checkpoint_written", seq=held[-1]["seq"], path=out), highlight=False)


@app.command()
@errors
def export(
    workdir: SpaceDir,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the JSON Lines export."), OUTPUT
    ],
) -> None:
    """导出: write every entry, one JSON object a line, in order."""
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.space.readonly import ledger_entries

    entries = ledger_entries(workdir)
    write_text_atomic(
        out, "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
    )
    console.print(t("ledger.exported", count=len(entries), path=out), highlight=False)


@app.command("public-key")
@errors
def public_key_(workdir: SpaceDir) -> None:
    """公钥: print the space's verifying key (hex), to publish beside exports."""
    from trusted_space.space.readonly import space_public_key

    print(space_public_key(workdir).hex())


@app.command()
@errors
def show(
    workdir: SpaceDir,
    job: Annotated[str | None, typer.Option("--job", help="Only this job's entries.")] = None,
) -> None:
    """查看: a readable history, or one job's."""
    from rich.table import Table

    from trusted_space.core.clock import china_time
    from trusted_space.space.readonly import ledger_entries

    table = Table(
        t("ledger.col.seq"),
        t("ledger.col.time"),
        t("ledger.col.actor"),
        t("ledger.col.kind"),
        t("ledger.col.details"),
    )
    shown = 0
    for e in ledger_entries(workdir):
        if job is not None and e.get("job_id") != job:
            continue
        details = {k: v for k, v in (e.get("details") or {}).items() if k != "node_signature"}
        table.add_row(
            str(e["seq"]),
            china_time(str(e["time"])),
            str(e["actor"]),
            str(e["kind"]),
            json.dumps(details, ensure_ascii=False, sort_keys=True)[:120],
        )
        shown += 1
    console.print(table)
    console.print(t("ledger.shown", count=shown), highlight=False)


@app.command()
@errors
def prove(
    workdir: SpaceDir,
    seq: Annotated[int, typer.Option("--seq", min=1, help="The entry to prove.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the proof here."), OUTPUT] = None,
) -> None:
    """证明: the Merkle inclusion proof of one entry in the checkpoint covering it."""
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.space.readonly import ledger_proof

    text = json.dumps(ledger_proof(workdir, seq), ensure_ascii=False, indent=1)
    if out is None:
        print(text)
    else:
        write_text_atomic(out, text + "\n")


@app.command("check-proof")
@errors
def check_proof(
    file: Annotated[Path, typer.Option("--file", help="A proof from `ledger prove`."), INPUT],
    public_key: Annotated[
        str, typer.Option("--public-key", help="The space's verifying key: hex or a file.")
    ],
) -> None:
    """核验证明: check an inclusion proof with the space's public key alone."""
    from trusted_space.core.errors import LedgerTampered
    from trusted_space.crypto import get_suite
    from trusted_space.ledger.ledger import verify_proof

    proof = json.loads(file.read_text("utf-8"))
    try:
        verify_proof(proof, get_suite(proof.get("suite", "default")), _public_key(public_key))
    except (LedgerTampered, KeyError, TypeError, ValueError) as exc:
        reason = (
            exc.said
            if isinstance(exc, LedgerTampered)
            else Text("ledger.malformed_proof", reason=exc)
        )
        err_console.print(t("ledger.proof_bad", reason=reason), highlight=False)
        raise typer.Exit(1) from None
    console.print(
        t("ledger.proof_ok", seq=proof["entry"]["seq"], checkpoint=proof["checkpoint"]["seq"]),
        highlight=False,
    )

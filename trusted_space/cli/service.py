"""Commands of the networked deployment: the space, nodes, clients, the operator."""

from __future__ import annotations

import logging
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from trusted_space.cli.common import (
    INPUT,
    OUTPUT,
    SPACE,
    AllowFuture,
    ApiKeyFile,
    Applicants,
    AsOf,
    ClaimOutputs,
    ClaimsConsentRefs,
    ClaimsFile,
    Companies,
    ConsentRefs,
    Features,
    FeaturesOut,
    LookupEngine,
    PathRole,
    Patience,
    Purpose,
    Ray,
    ScoresOut,
    SpaceUrl,
    client_transport,
    console,
    err_console,
    errors,
    feature_list,
    parse_as_of,
    report_claims,
    report_features,
    report_scores,
    today,
    use_backend,
)
from trusted_space.core.i18n import Text, recognised, t

admin = typer.Typer(
    help="运维: the operator's commands, run on the space's machine.", no_args_is_help=True
)
client = typer.Typer(
    help="客户端: a consumer's or steward's calls to a space over HTTP.", no_args_is_help=True
)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # httpx logs every request line at INFO; the node's own log says what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


@errors
def serve(
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="The space's folder (state survives restarts)."),
        OUTPUT,
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    suite: Annotated[
        str, typer.Option("--suite", help="Crypto suite, fixed when the space is created.")
    ] = "default",
    lease_seconds: Annotated[
        float,
        typer.Option(
            "--lease-seconds", help="How long a node holds a task before it is offered again."
        ),
    ] = 120.0,
    ray: Ray = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Log at DEBUG level, with a line per request.")
    ] = False,
    console_insecure_cookie: Annotated[
        bool,
        typer.Option(
            "--console-insecure-cookie",
            help="Console cookies without Secure: only for plain HTTP on this machine.",
        ),
    ] = False,
) -> None:
    """服务: run the space as an HTTP service (uvicorn)."""
    use_backend(ray)
    import uvicorn

    from trusted_space.hazmat.paillier_noise import compute_zeros_ahead
    from trusted_space.service import server_words
    from trusted_space.service.app import create_app
    from trusted_space.service.settings import ServiceSettings

    _logging(verbose)
    compute_zeros_ahead()  # re-randomisation zeros, ready before a burst of jobs
    settings = ServiceSettings(
        workdir=workdir,
        suite=suite,
        lease_seconds=lease_seconds,
        console_insecure_cookie=console_insecure_cookie,
    )
    app = create_app(settings)
    # One line per request costs about a tenth of a millisecond of the space's
    # CPU; the ledger records every job step, so access lines are for --verbose.
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=verbose)
    server_words.install()  # after the config set up uvicorn's logging
    server = uvicorn.Server(config)
    handle_exit = server.handle_exit

    def exit_now(sig: int, frame: FrameType | None) -> None:
        app.state.space.stop_waiting()  # long polls answer, so shutdown is prompt
        handle_exit(sig, frame)

    server.handle_exit = exit_now  # type: ignore[method-assign]
    server.run()


def read_appointments(paths: list[Path]) -> list[Any]:
    """The owners' signed appointments in these files (``tspace client appoint-steward``)."""
    from pydantic import ValidationError

    from trusted_space.core.errors import InputError, Location
    from trusted_space.protocol.messages import StewardAppointment

    out = []
    for path in paths:
        try:
            out.append(StewardAppointment.model_validate_json(path.read_bytes()))
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or None
            raise InputError(
                Text("err.base.cli.not_appointment"),
                Location(str(path), None, where),
            ) from None
    return out


Appointment = Annotated[
    list[Path] | None,
    typer.Option(
        "--appointment",
        help="An owner's signed appointment of this steward, from tspace client "
        "appoint-steward (repeatable: one per owner it governs).",
    ),
    INPUT,
]


SigningKeyHex = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="The participant's public signing key in hex, from its `tspace keys show`.",
    ),
]


@admin.command("add-participant")
@errors
def add_participant(
    name: Annotated[str, typer.Argument(help="Participant id, e.g. hospital-a.")],
    role: Annotated[str, typer.Option("--role", help="provider, consumer, steward or operator.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), OUTPUT],
    suite: Annotated[str, typer.Option("--suite", help="The space's crypto suite.")] = "default",
    appointment: Appointment = None,
    signing_key: SigningKeyHex = None,
) -> None:
    """添加参与方: add a participant once and print its new API key once (only its hash is kept).

    With --signing-key its signing key is bound now and its fingerprint printed,
    for the other parties to pin. A name that exists is refused. A steward
    needs --appointment from each owner it is to govern."""
    from trusted_space.space.space import Space, SpaceConfig

    appointments = read_appointments(appointment or [])
    space = Space(workdir / "space", SpaceConfig(suite=suite))
    try:
        key = space.add_participant(None, name, role, appointments, signing_key)
        fingerprint = (
            None
            if signing_key is None
            else space.suite.identity_fingerprint(bytes.fromhex(signing_key))
        )
    except ValueError as exc:
        raise typer.BadParameter(str(recognised(str(exc)))) from None
    finally:
        space.close()
    print(key)
    if fingerprint is None:
        err_console.print(t("participant.no_fingerprint", name=name), highlight=False)
    else:
        err_console.print(
            t("participant.fingerprint", name=name, fingerprint=fingerprint), highlight=False
        )


@admin.command("rebind-key")
@errors
def rebind_key(
    name: Annotated[str, typer.Argument(help="The participant that lost its signing key.")],
    signing_key: Annotated[
        str,
        typer.Option(
            "--signing-key",
            help="The participant's public signing key in hex, from its `tspace keys show`.",
        ),
    ],
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    suite: Annotated[str, typer.Option("--suite", help="The space's crypto suite.")] = "default",
) -> None:
    """重新绑定签名密钥: bind a participant that lost its signing key to a new one, loudly.

    The ledger records it; every node that pinned the old key refuses the new
    one until a person there checks it and runs `tspace keys trust`."""
    from trusted_space.space.space import Space, SpaceConfig

    space = Space(workdir / "space", SpaceConfig(suite=suite))
    try:
        space.rebind_signing_key(None, name, signing_key)
        fingerprint = space.suite.identity_fingerprint(bytes.fromhex(signing_key))
    except ValueError as exc:
        raise typer.BadParameter(str(recognised(str(exc)))) from None
    finally:
        space.close()
    err_console.print(t("participant.rebound", name=name, fingerprint=fingerprint), highlight=False)


@admin.command("appoint-steward")
@errors
def admin_appoint_steward(
    steward: Annotated[str, typer.Argument(help="The steward to bind to more owners.")],
    appointment: Annotated[
        list[Path],
        typer.Option(
            "--appointment",
            help="An owner's signed appointment of this steward, from tspace client "
            "appoint-steward (repeatable: one per owner it governs).",
        ),
        INPUT,
    ],
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    suite: Annotated[str, typer.Option("--suite", help="The space's crypto suite.")] = "default",
) -> None:
    """任命管理员: bind an existing steward to more owners, by their signed appointments."""
    from trusted_space.space.space import Space, SpaceConfig

    appointments = read_appointments(appointment)
    space = Space(workdir / "space", SpaceConfig(suite=suite))
    try:
        owners = space.appoint_steward(None, steward, appointments)
    finally:
        space.close()
    console.print(t("steward.bound", steward=steward, owners=", ".join(owners)), highlight=False)


@admin.command("rotate-key")
@errors
def rotate_key(
    name: Annotated[str, typer.Argument(help="The participant whose keys to replace.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    suite: Annotated[str, typer.Option("--suite", help="The space's crypto suite.")] = "default",
) -> None:
    """轮换密钥: revoke every API key of a participant and print a new one once."""
    from trusted_space.space.space import Space, SpaceConfig

    space = Space(workdir / "space", SpaceConfig(suite=suite))
    try:
        print(space.rotate_key(None, name))
    finally:
        space.close()


@admin.command("backup")
@errors
def backup(
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
    out: Annotated[Path, typer.Option("--out", help="The archive to write (.tar.gz)."), OUTPUT],
) -> None:
    """备份: back up the running space to one archive, written atomically.

    The archive holds a consistent snapshot of the space's database, its keys
    and a manifest of every file's hash."""
    from trusted_space.space.backup import backup as take

    manifest = take(workdir, out)
    console.print(
        t("backup.done", path=out, n=manifest["ledger_entries"], hash=manifest["ledger_last_hash"]),
        highlight=False,
    )


@admin.command("restore")
@errors
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive from tspace admin backup."), INPUT],
    workdir: Annotated[
        Path, typer.Option("--workdir", help="An empty folder for the space."), OUTPUT
    ],
) -> None:
    """恢复: restore a backup into an empty folder, checking every file's hash.

    Then verify it with `tspace ledger verify --workdir` and serve it."""
    from trusted_space.space.backup import restore as put_back

    manifest = put_back(archive, workdir)
    console.print(
        t("restore.done", path=workdir, n=manifest["ledger_entries"], created=manifest["created"]),
        highlight=False,
    )


def data_path(item: str) -> str:
    """The path of a ``--data KIND:PATH`` value (kind csv if omitted)."""
    return item.rpartition(":")[2] if ":" in item else item


@errors
def node(
    space: SpaceUrl,
    name: Annotated[str, typer.Option("--name", help="This node's participant id.")],
    api_key_file: ApiKeyFile,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="This node's folder (keys, data, job files)."), OUTPUT
    ],
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", help="KIND:PATH to load before serving (kind csv if omitted); repeatable."
        ),
        PathRole("input", path_of=data_path),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log at DEBUG level.")] = False,
    ray: Ray = None,
    approve_model: Annotated[
        list[Path] | None,
        typer.Option(
            "--approve-model",
            help="A model file this provider's owner approves (repeatable): score tasks "
            "must then use one of the approved models.",
        ),
        INPUT,
    ] = None,
) -> None:
    """节点: run a provider or consumer node; it only makes outbound requests."""
    use_backend(ray)
    from connectors.base import LoadOptions
    from connectors.node.provider import ProviderNode
    from trusted_space.core.errors import InputError
    from trusted_space.crypto import get_suite
    from trusted_space.hazmat.paillier import process_preset
    from trusted_space.nodes.base import Node
    from trusted_space.nodes.consumer import ConsumerNode
    from trusted_space.nodes.runner import serve_node
    from trusted_space.transport.http import HttpTransport, read_api_key

    _logging(verbose)
    transport = HttpTransport(space, read_api_key(api_key_file))
    me = transport.connect()
    if me["name"] != name:
        raise InputError(Text("service.key_of", owner=repr(me["name"]), name=repr(name)))
    try:
        suite = get_suite(me["suite"])
    except ValueError:
        raise InputError(Text("err.base.cli.suite", space=space, suite=repr(me["suite"]))) from None
    the_node: Node
    if approve_model and me["role"] != "provider":
        raise InputError(Text("service.approves", name=repr(name), role=me["role"]))
    if me["role"] == "provider":
        provider = ProviderNode(
            name, workdir, transport, suite, min_paillier_bits=process_preset().bits
        )
        for model in approve_model or []:
            digest = provider.approve_model(model.read_bytes())
            console.print(t("node.model_approved", path=model, hash=digest[:12]), highlight=False)
        groups: dict[str, list[Path]] = {}
        for item in data or []:
            kind = item.rpartition(":")[0] if ":" in item else "csv"
            path = data_path(item)
            groups.setdefault(kind or "csv", []).append(Path(path))
        for kind, paths in groups.items():
            report = provider.load(kind, paths, LoadOptions(replace=True))
            report.write(workdir / "quality" / f"{kind}.json")
            console.print(
                t(
                    "load.done",
                    read=report.rows_read,
                    loaded=report.rows_loaded,
                    rejected=report.rows_rejected,
                    report=workdir / "quality",
                ),
                highlight=False,
            )
        the_node = provider
    elif me["role"] == "consumer":
        the_node = ConsumerNode(name, workdir, transport, suite, paillier_preset=process_preset())
    else:
        raise InputError(Text("service.runs_nodes", name=repr(name), role=me["role"]))
    try:
        serve_node(the_node)
    except KeyboardInterrupt:
        pass
    finally:
        transport.close()


@client.command("underwrite")
@errors
def client_underwrite(
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    applicants: Applicants,
    as_of: AsOf,
    out: ScoresOut,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Model file (default: the one the policies approve)."),
        INPUT,
    ] = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="The insurer's node folder (keys, job files)."), OUTPUT
    ] = Path(".tspace-client"),
    purpose: Purpose = "underwriting",
    consent_ref: ConsentRefs = None,
    allow_future: AllowFuture = False,
    patience: Patience = 60.0,
    engine: LookupEngine = None,
) -> None:
    """核保评分 over HTTP: the insurer's side; writes the same scores.csv as `tspace underwrite`."""
    day = parse_as_of(as_of, allow_future)
    from products.underwriting.client import client_underwrite as run

    transport = client_transport(space, api_key_file, patience)
    try:
        rows, duties, ran_on = run(
            transport,
            workdir=workdir,
            applicants=applicants,
            purpose=purpose,
            as_of=day,
            out=out,
            model=model,
            consent_refs=consent_ref or [],
            engine=engine,
        )
    finally:
        transport.close()
    report_scores(rows, duties, out, ran_on)


@client.command("lend")
@errors
def client_lend(
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    applicants: Companies,
    as_of: AsOf,
    out: FeaturesOut,
    purpose: Purpose = "credit",
    features: Features = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="The bank's node folder (keys, job files)."), OUTPUT
    ] = Path(".tspace-client"),
    allow_future: AllowFuture = False,
    patience: Patience = 60.0,
) -> None:
    """信贷特征 over HTTP: the bank's side; writes the same features.csv as `tspace lend`."""
    day = parse_as_of(as_of, allow_future)
    from products.lending.client import client_lend as run

    transport = client_transport(space, api_key_file, patience)
    try:
        wanted = feature_list(features)
        rows, duties = run(
            transport,
            workdir=workdir,
            applicants=applicants,
            purpose=purpose,
            as_of=day,
            out=out,
            features=wanted,
        )
    finally:
        transport.close()
    report_features(rows, duties, out)


@client.command("claims")
@errors
def client_claims(
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    claims_file: Annotated[Path, ClaimsFile, INPUT],
    out: Annotated[Path, typer.Option("--out", help="Where to write result.csv."), OUTPUT],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluation date, YYYY-MM-DD (default today, China time)."),
    ] = None,
    purpose: Purpose = "claims",
    consent_ref: ClaimsConsentRefs = None,
    outputs: ClaimOutputs = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="The insurer's node folder (keys, job files)."), OUTPUT
    ] = Path(".tspace-client"),
    allow_future: AllowFuture = False,
    patience: Patience = 60.0,
) -> None:
    """快速理赔 over HTTP: the insurer's side; writes the same result.csv as `tspace claims`."""
    day = parse_as_of(as_of, allow_future) if as_of else today()
    from products.claims.client import client_claims as run

    transport = client_transport(space, api_key_file, patience)
    try:
        rows, duties = run(
            transport,
            workdir=workdir,
            claims=claims_file,
            purpose=purpose,
            as_of=day,
            out=out,
            outputs=feature_list(outputs),
            consent_refs=consent_ref or [],
        )
    finally:
        transport.close()
    report_claims(rows, duties, out)


@client.command("cohort")
@errors
def client_cohort(
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    query: Annotated[Path, typer.Option("--query", help="The cohort query (YAML)."), INPUT],
    out: Annotated[Path, typer.Option("--out", help="Where to write result.csv."), OUTPUT],
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of use.")] = "research",
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="The requester's node folder (keys, job files)."),
        OUTPUT,
    ] = Path(".tspace-client"),
    patience: Patience = 60.0,
) -> None:
    """人群统计 over HTTP: the requester's side; writes result.csv like `tspace cohort`."""
    from products.cohort.client import client_cohort as run

    transport = client_transport(space, api_key_file, patience)
    try:
        rows, privacy = run(transport, workdir=workdir, query=query, purpose=purpose, out=out)
    finally:
        transport.close()
    suppressed = sum(r["status"] == "suppressed" for r in rows)
    console.print(
        t("cohort.done", path=out, cells=len(rows), suppressed=suppressed), highlight=False
    )
    from products.cohort.noise import noise_lines

    for line in noise_lines(rows, privacy):
        console.print(line, markup=False, highlight=False)


def report_policy(status: Any, file: Path | None = None) -> None:
    """One line per published or approved version: in force, or what it awaits."""
    if file is not None:
        console.print(
            t("policy.published", file=file, hash=status.content_hash[:12]), highlight=False
        )
    if status.state == "pending":
        console.print(
            t(
                "policy.pending",
                id=status.id,
                version=status.version,
                awaiting=", ".join(status.awaiting),
            ),
            highlight=False,
        )
    elif file is None and status.state == "published":
        console.print(t("policy.in_force", id=status.id, version=status.version), highlight=False)


@client.command("publish-policy")
@errors
def publish_policy(
    files: Annotated[list[Path], typer.Argument(help="Policy files."), INPUT],
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    patience: Patience = 60.0,
) -> None:
    """Steward: publish policies to a space."""

    transport = client_transport(space, api_key_file, patience)
    try:
        for f in files:
            report_policy(transport.publish_policy(f.read_bytes()), f)
    finally:
        transport.close()


@client.command("approve-policy")
@errors
def approve_policy(
    policy_id: Annotated[str, typer.Argument(help="The policy id to approve.")],
    version: Annotated[int, typer.Option("--version", min=1, help="The version to approve.")],
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    patience: Patience = 60.0,
) -> None:
    """Steward: approve a pending policy version for the owners that appointed you."""

    transport = client_transport(space, api_key_file, patience)
    try:
        status = transport.approve_policy(policy_id, version)
    finally:
        transport.close()
    console.print(
        t(
            "policy.approved",
            id=policy_id,
            version=version,
            owners=", ".join(sorted(o for o, s in status.approvals.items() if s is not None)),
        ),
        highlight=False,
    )
    report_policy(status)


@client.command("appoint-steward")
@errors
def appoint_steward(
    steward: Annotated[str, typer.Argument(help="The steward to appoint for your data.")],
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="Your provider node's folder (its signing key)."),
        SPACE,
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the signed appointment (JSON)."), OUTPUT
    ],
    patience: Patience = 60.0,
) -> None:
    """Owner: sign your appointment of a steward, for the operator to add it with."""
    from trusted_space.core.errors import InputError
    from trusted_space.core.outputs import write_text_atomic
    from trusted_space.crypto import get_suite
    from trusted_space.crypto.keyfiles import load_or_create_signing_key
    from trusted_space.nodes.base import appoint_steward as sign

    transport = client_transport(space, api_key_file, patience)
    try:
        me = transport.connect()
        registered = {k.name: k.signing_key for k in transport.participants()}
    finally:
        transport.close()
    if me["role"] != "provider":
        raise InputError(Text("service.appoints", name=repr(me["name"]), role=me["role"]))
    suite = get_suite(me["suite"])
    keys = workdir / "keys"
    if not (keys / f"signing.{suite.name}.key").exists():
        raise InputError(t("appointment.not_owner_node", path=workdir, owner=me["name"]))
    key = load_or_create_signing_key(suite, keys)
    if registered.get(me["name"]) != key.public_bytes().hex():
        raise InputError(t("appointment.not_owner_node", path=workdir, owner=me["name"]))
    appointment = sign(suite, key, me["name"], steward, me["space"])
    write_text_atomic(out, appointment.model_dump_json(indent=2) + "\n")
    console.print(
        t("steward.appointed", owner=me["name"], steward=steward, path=out), highlight=False
    )


@client.command("publish-model")
@errors
def publish_model(
    file: Annotated[Path, typer.Argument(help="Model file (JSON)."), INPUT],
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    patience: Patience = 60.0,
) -> None:
    """Steward: publish a model file; policies pin it by SHA-256."""

    transport = client_transport(space, api_key_file, patience)
    try:
        print(transport.publish_model(file.read_bytes()))
    finally:
        transport.close()

"""``tspace policy``: for data stewards. Validate, explain, export, publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import (
    INPUT,
    OUTPUT,
    SPACE,
    LookupEngine,
    console,
    err_console,
    errors,
    parse_date,
)
from trusted_space.core.i18n import Text, language, t

app = typer.Typer(
    help="策略: write, check and publish data stewards' usage policies.",
    no_args_is_help=True,
)


@app.command()
@errors
def validate(
    files: Annotated[list[Path], typer.Argument(help="Policy files (YAML or JSON)."), INPUT],
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="A space's folder: warn about owners and consumers it does not know."
        ),
        SPACE,
    ] = None,
) -> None:
    """Check policies against the schema and their product; exit 1 listing every error."""
    from policies.model import PolicyError, load_document, load_policy
    from policies.semantics import product_errors, semantic_errors, unknown_participants

    known: set[str] | None = None
    if workdir is not None:
        from trusted_space.space.readonly import participant_names

        known = participant_names(workdir)
    bad = 0
    for f in files:
        warnings: list[tuple[str, str | Text]] = []
        try:
            policy = load_policy(f)
            problems = semantic_errors(policy)
            if known is not None:
                warnings = unknown_participants(policy, known)
        except PolicyError as exc:
            # The schema failed: still report what the product would refuse.
            document = load_document(f)
            extra = product_errors(document) if document is not None else []
            problems = exc.errors + [p for p in extra if p not in exc.errors]
            if known is not None and isinstance(document, dict):
                warnings = unknown_participants(document, known)
        for path, message in warnings:
            err_console.print(
                t("policy.warning", file=f, path=path, message=message),
                markup=False,
                highlight=False,
            )
        if problems:
            bad += 1
            err_console.print(t("policy.invalid", file=f, n=len(problems)), highlight=False)
            for path, message in problems:
                err_console.print(f"  {path}: {message}", markup=False, highlight=False)
        else:
            console.print(
                t("policy.valid", file=f, id=policy.id, version=policy.version), highlight=False
            )
    if bad:
        raise typer.Exit(1)


@app.command()
@errors
def explain(
    policy: Annotated[
        list[Path], typer.Option("--policy", help="Policy file (repeatable)."), INPUT
    ],
    consumer: Annotated[str, typer.Option("--consumer", help="The consumer's participant id.")],
    product: Annotated[str, typer.Option("--product", help="Product name.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of use.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Subjects in the batch.")],
    model: Annotated[
        Path | None, typer.Option("--model", help="The model file a score job would use."), INPUT
    ] = None,
    features: Annotated[
        str | None, typer.Option("--features", help="Comma-separated features the job uses.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Decide as on this date (default today).")
    ] = None,
    epsilon: Annotated[
        float | None, typer.Option("--epsilon", help="Differential privacy epsilon of the query.")
    ] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            help="ROLE=NAME[,NAME...] of a role's providers (default: each role's own name).",
        ),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir",
            help="Count quotas from this space's ledger; leave out versions it holds but "
            "has not put in force.",
        ),
        SPACE,
    ] = None,
    consent_ref: Annotated[
        list[str] | None,
        typer.Option("--consent-ref", help="A consent evidence reference the job carries."),
    ] = None,
    engine: LookupEngine = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The decision for a job, with every reason, without running anything."""
    from policies.explain import explain_engine, explain_job
    from policies.model import PolicyError, load_policy
    from trusted_space.core.errors import InputError

    try:
        loaded = [load_policy(p) for p in policy]
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    providers: dict[str, list[str]] = {}
    for item in provider or []:
        role, _, name = item.partition("=")
        names = [n.strip() for n in name.split(",")]
        if not role or not all(names):
            raise InputError(Text("policy.provider_form", item=repr(item)))
        providers[role] = names
    usage = None
    if workdir is not None:
        from trusted_space.space.readonly import open_usage, policy_records

        usage = open_usage(workdir)
        # As the gate does: a version the space holds but has not put in force
        # (pending other owners' approval, superseded, retired) decides nothing.
        states = {(r.policy.id, r.policy.version): r.state for r in policy_records(workdir)}
        kept = []
        for path, p in zip(policy, loaded, strict=True):
            state = states.get((p.id, p.version), "published")
            if state == "published":
                kept.append(p)
            else:
                err_console.print(
                    t("policy.not_in_force", file=path, id=p.id, version=p.version, state=state),
                    markup=False,
                    highlight=False,
                )
        loaded = kept
    decision = explain_job(
        loaded,
        consumer=consumer,
        product=product,
        purpose=purpose,
        batch_size=batch_size,
        model=model,
        features=chosen,
        as_of=parse_date(as_of) if as_of else None,
        epsilon=epsilon,
        providers=providers,
        usage=usage,
        consent_refs=consent_ref or [],
        engine=engine,
    )
    choice = explain_engine(loaded, product=product, providers=providers)
    if as_json:
        document = decision.to_dict() | {"engine_choice": choice.to_dict()}
        print(json.dumps(document, ensure_ascii=False))
    else:
        head = t("policy.allow") if decision.allowed else t("policy.deny")
        console.print(head, style="green" if decision.allowed else "red", highlight=False)
        if decision.engine is not None:
            why = (
                choice.why(language())
                if decision.engine == choice.engine
                else t("policy.engine_asked")
            )
            console.print(
                t("policy.engine", engine=decision.engine, why=why), markup=False, highlight=False
            )
        for reason in decision.reasons:
            console.print(
                f"  [{reason.constraint}] {reason.text(language())}", markup=False, highlight=False
            )
    if not decision.allowed:
        raise typer.Exit(1)


@app.command("export-odrl")
@errors
def export_odrl(file: Annotated[Path, typer.Argument(help="Policy file."), INPUT]) -> None:
    """Print the policy as ODRL 2.2 JSON-LD."""
    from policies.model import PolicyError, load_policy
    from policies.odrl import to_odrl
    from trusted_space.core.errors import InputError

    try:
        doc = to_odrl(load_policy(file))
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    print(json.dumps(doc, ensure_ascii=False, indent=2))


@app.command()
@errors
def init(
    product: Annotated[str, typer.Argument(help="Product name, e.g. underwriting_score.")],
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="The provider whose data the policy governs (its id)."),
    ] = None,
) -> None:
    """Print a commented starting policy for a product."""
    from policies.examples import example_for

    print(example_for(product, owner=owner), end="")


@app.command()
def schema() -> None:
    """Print the policy document's JSON Schema."""
    from policies.model import schema_text

    print(schema_text(), end="")


@app.command()
@errors
def publish(
    files: Annotated[list[Path], typer.Argument(help="Policy files to publish."), INPUT],
    workdir: Annotated[
        Path, typer.Option("--workdir", help="The embedded space's folder."), OUTPUT
    ],
    steward: Annotated[
        str, typer.Option("--steward", help="The steward's participant id.")
    ] = "steward",
) -> None:
    """Publish policies to an embedded space (a new version supersedes the old).

    Every party is in this process, so each owner the files name appoints
    the steward first, as an owner's signed appointment does in a service."""
    from trusted_space.cli.service import report_policy
    from trusted_space.embedded import EmbeddedDeployment, policy_owners

    owners = policy_owners(files)
    with EmbeddedDeployment(workdir) as deployment:
        node = deployment.steward(steward, governs=owners)
        for f in files:
            report_policy(node.publish(f), f)


@app.command()
@errors
def approve(
    policy_id: Annotated[str, typer.Argument(help="The policy id to approve.")],
    version: Annotated[int, typer.Option("--version", min=1, help="The version to approve.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="The embedded space's folder."), SPACE],
    steward: Annotated[
        str, typer.Option("--steward", help="The steward's participant id.")
    ] = "steward",
) -> None:
    """Approve a pending policy version for the owners that appointed the steward."""
    from trusted_space.cli.service import report_policy
    from trusted_space.embedded import EmbeddedDeployment

    with EmbeddedDeployment(workdir) as deployment:
        status = deployment.steward(steward).approve(policy_id, version)
    mine = sorted(o for o, s in status.approvals.items() if s == steward)
    console.print(
        t("policy.approved", id=policy_id, version=version, owners=", ".join(mine)),
        highlight=False,
    )
    report_policy(status)


@app.command()
@errors
def retire(
    policy_id: Annotated[str, typer.Argument(help="The policy id to retire.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="The embedded space's folder."), SPACE],
    steward: Annotated[
        str, typer.Option("--steward", help="The steward's participant id.")
    ] = "steward",
) -> None:
    """Retire a policy: it governs no new job; past decisions keep their versions."""
    from trusted_space.embedded import EmbeddedDeployment

    with EmbeddedDeployment(workdir) as deployment:
        deployment.steward(steward).retire(policy_id)
    console.print(t("policy.retired", id=policy_id), highlight=False)


@app.command("list")
@errors
def list_(
    workdir: Annotated[Path, typer.Option("--workdir", help="The space's folder."), SPACE],
) -> None:
    """List every policy version a space holds, with its state."""
    from trusted_space.space.readonly import policy_records

    # Plain columns, never truncated: stewards paste these into tickets.
    for r in policy_records(workdir):
        console.print(
            f"{r.policy.id}\tv{r.policy.version}\t{r.policy.product}\t{r.state}\t"
            f"{r.published_at[:19]}\t{r.content_hash[:12]}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

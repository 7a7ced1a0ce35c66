"""`arrears hold`: place and release holds on an account."""

from typing import Annotated

import typer

from arrears.audit.evidence_store import missing_for
from arrears.cli.context import console, run_async, session_factory, temporal_client
from arrears.cli.errors import BAD_INPUT, CliError, fail
from arrears.client.operations import Rejected, place_hold, release_hold
from arrears.contracts.collection import HoldInput, ReleaseHoldInput
from arrears.domain.evidence_ids import is_evidence_id

app = typer.Typer(no_args_is_help=True, help="Holds on an account: dispute, cease contact, hardship, bankruptcy, ...")


@app.command("place")
def hold_place(
    account: Annotated[str, typer.Argument(help="Account id")],
    hold_id: Annotated[str, typer.Option(help="The hold's unique id (a repeat with the same content is ignored)")],
    type_: Annotated[
        str,
        typer.Option(
            "--type",
            help="dispute, cease_contact, hardship, bankruptcy, deceased, complaint, fraud_claim, attorney_represented",
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why (kept on record)")],
    by: Annotated[str, typer.Option("--by", help="Who places it")],
    evidence: Annotated[
        str,
        typer.Option(
            help="An evidence id (arrears evidence add) or an outside reference (a case number); never a path"
        ),
    ] = "",
    channel: Annotated[str | None, typer.Option(help="complaint: the channel complained about")] = None,
    days: Annotated[int | None, typer.Option(help="hardship: days escalation pauses (default: the strategy's)")] = None,
) -> None:
    """Place a hold: what it stops depends on its type (see README, Holds)."""
    try:
        # pydantic turns the operator's string into a HoldType, or says why not
        request = HoldInput.model_validate(
            dict(
                hold_id=hold_id,
                hold_type=type_,
                reason=reason,
                evidence_ref=evidence,
                placed_by=by,
                channel=channel,
                days=days,
            )
        )
    except ValueError as exc:
        fail(exc, BAD_INPUT)
    if is_evidence_id(request.evidence_ref):
        with session_factory()() as session:
            if missing_for(session, account, [request.evidence_ref]):
                fail(
                    f"--evidence: {request.evidence_ref} is not in the evidence store for {account} "
                    "(add it with `arrears evidence add`)",
                    BAD_INPUT,
                )

    async def go():
        try:
            return await place_hold(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"hold refused: {exc}") from None

    result = run_async(go())
    note = " (repeat: nothing changed)" if result.duplicate else ""
    tail = f" until {result.expires_at:%Y-%m-%d %H:%M} UTC" if result.expires_at else ""
    task = f"; task {result.task_id} opened" if result.task_id else ""
    console.print(
        f"hold {result.hold_id} ({result.hold_type.value}) {result.status}{tail}{note}{task}; "
        f"active holds: {', '.join(t.value for t in result.active_holds) or 'none'}"
    )


@app.command("release")
def hold_release(
    account: Annotated[str, typer.Argument(help="Account id")],
    hold_id: Annotated[str, typer.Option(help="The hold to release")],
    by: Annotated[str, typer.Option("--by", help="Who releases it")],
    resolution: Annotated[
        str | None, typer.Option(help="dispute: verified, withdrawn or upheld; others optional")
    ] = None,
) -> None:
    """Release a hold; the last one pausing escalation resumes the ladder at today's DPD."""
    try:
        request = ReleaseHoldInput(hold_id=hold_id, released_by=by, resolution=resolution)
    except ValueError as exc:
        fail(exc, BAD_INPUT)

    async def go():
        try:
            return await release_hold(await temporal_client(), account, request)
        except Rejected as exc:
            raise CliError(f"release refused: {exc}") from None

    result = run_async(go())
    ended = f"; episode ended: {result.outcome.value}" if result.outcome else ""
    console.print(
        f"hold {result.hold_id} ({result.hold_type.value}) {result.status}; "
        f"active holds: {', '.join(t.value for t in result.active_holds) or 'none'}{ended}"
    )

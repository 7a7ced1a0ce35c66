"""`arrears consent` and `arrears compliance`: the contact policy's inputs and its audit."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.audit.record_check import audit
from arrears.channels.adapter import OutboxAdapter
from arrears.channels.render import Renderer
from arrears.cli.context import (
    collection_now,
    configured_policy,
    console,
    current_settings,
    parse_moment,
    run_async,
    session_factory,
)
from arrears.cli.errors import BAD_INPUT, fail
from arrears.compliance.consent_record import ConsentError, record_consent
from arrears.compliance.notices import confirm_opt_out
from arrears.config.strategies import load_strategy
from arrears.domain.strategy import StrategyError

app = typer.Typer(no_args_is_help=True, help="Contact policy: audit the record against a preset.")
consent_app = typer.Typer()  # mounted without a name: `arrears consent`


@consent_app.command()
def consent(
    account: Annotated[str, typer.Argument(help="Account id")],
    channel: Annotated[str, typer.Option(help="sms, email, im, call, letter or visit")],
    status: Annotated[
        str,
        typer.Option(
            help="opted_out, opted_in, invalid (a bounce, a dead number), or consented "
            "(prior consent to calls, 12 CFR 1006.14(b)(3)(i))"
        ),
    ],
    source: Annotated[str, typer.Option(help="Where it came from, e.g. 'sms reply STOP', 'call', 'bounce'")],
    address: Annotated[str | None, typer.Option(help="The address meant (default: the account's current one)")] = None,
    all_addresses: Annotated[
        bool,
        typer.Option("--all-addresses", help="The whole medium, every address present and future ('stop calling me')"),
    ] = False,
    valid_from: Annotated[str | None, typer.Option(help="consented: from (ISO with offset); default now")] = None,
    valid_until: Annotated[str | None, typer.Option(help="consented: until (ISO with offset); default 7 days")] = None,
    confirm: Annotated[bool, typer.Option(help="Send the one confirmation an electronic opt-out may get")] = True,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an opt-out, opt-in, invalid address or consent to calls, stamped with the episode's clock;
    the contact gate honours it from then on."""
    moment = run_async(collection_now(account))
    try:
        with session_factory().begin() as session:
            row = record_consent(
                session,
                account,
                channel,
                status,
                source,
                moment,
                address=address,
                note=note,
                medium=all_addresses,
                valid_from=parse_moment(valid_from) if valid_from else None,
                valid_until=parse_moment(valid_until) if valid_until else None,
            )
            where = "every address" if row.scope == "medium" else row.address
            confirmed = None
            if confirm and status == "opted_out":
                confirmed = confirm_opt_out(
                    session,
                    Renderer(current_settings().templates_dir),
                    OutboxAdapter(),
                    row,
                    moment,
                    configured_policy(),
                )
    except ConsentError as exc:
        fail(exc)
    console.print(f"{account}: {channel} at {where} recorded {status} ({source}) at {moment:%Y-%m-%d %H:%M} UTC")
    if confirmed is not None and confirmed.rule != "not_confirmable":
        console.print(f"opt-out confirmation: {confirmed.kind} ({confirmed.detail})")


@app.command("check")
def compliance_check(
    strategy: Annotated[
        Path | None, typer.Option(help="Strategy whose compliance policy applies [ARREARS_STRATEGY]")
    ] = None,
    limit: Annotated[int, typer.Option(help="Violations to print")] = 20,
) -> None:
    """Recompute every rule from the record; print each violation and a summary per rule; exit 1 if any."""
    try:
        chosen = load_strategy(strategy or current_settings().strategy)
    except StrategyError as exc:
        fail(exc, BAD_INPUT)
    with session_factory()() as session:
        report = audit(session, chosen.compliance, chosen.bureau)
    preset = chosen.compliance.preset if chosen.compliance else "baseline"
    for v in report.violations[:limit]:
        console.print(str(v))
    if len(report.violations) > limit:
        console.print(f"... and {len(report.violations) - limit} more")
    table = Table("rule", "source", "judged", "violations", title=f"{preset}: {report.contacts} contact(s) on record")
    for rule, source, judged, broken in report.summary(chosen.compliance):
        table.add_row(rule, source, str(judged), f"[red]{broken}[/red]" if broken else "0")
    console.print(table)
    if report.flagged_at_entry:
        console.print(f"{report.flagged_at_entry} call(s) entered after the fact were flagged when recorded")
    if report.violations:
        fail(f"{len(report.violations)} violation(s) of the {preset} policy")
    console.print(f"no violation of the {preset} policy in {current_settings().database_url_masked}")

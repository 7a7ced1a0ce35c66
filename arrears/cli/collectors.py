"""`arrears collectors`: the roster, absence, API tokens."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from arrears.cli.context import console, current_settings, err, session_factory, utcnow
from arrears.cli.errors import BAD_INPUT, fail
from arrears.db.models import Collector
from arrears.desk.assign import DeskError, open_loads, place_waiting, set_absent, set_active, sweep
from arrears.desk.roster import RosterFileError, import_roster
from arrears.desk.tokens import issue_token, list_tokens, parse_lifetime, revoke_tokens, token_state

app = typer.Typer(no_args_is_help=True, help="The collections team: roster, absence, API tokens.")


@app.command("import")
def collectors_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Roster CSV")],
    drop_missing: Annotated[
        bool, typer.Option("--drop-missing", help="The file is the whole team: make anyone not in it inactive")
    ] = False,
) -> None:
    """Load or update the roster; waiting tasks then go to whoever has room."""
    sessions = session_factory()
    try:
        summary = import_roster(sessions, file, utcnow(), drop_missing=drop_missing)
    except RosterFileError as exc:
        fail(exc)
    console.print(
        f"roster: {len(summary.added)} added, {len(summary.updated)} updated, {len(summary.rejected)} rejected"
    )
    if summary.dropped:
        console.print(
            f"made inactive (not in the file; their tokens stop now): {', '.join(summary.dropped)}; "
            f"{sweep(sessions, utcnow())}"
        )
    for reject in summary.rejected:
        err.print(f"  line {reject.line} ({reject.collector_id or '?'}): {reject.reason}")
    placed = place_waiting(sessions, utcnow())
    if placed.assigned or placed.waiting:
        console.print(f"waiting tasks: {placed.assigned} assigned, {placed.waiting} still waiting")


@app.command("list")
def collectors_list() -> None:
    """The roster with each collector's open load."""
    with session_factory()() as session:
        loads = open_loads(session)
        rows = session.scalars(select(Collector).order_by(Collector.team, Collector.collector_id)).all()
        table = Table("id", "name", "team", "role", "languages", "regions", "open / capacity", "status")
        for c in rows:
            status = "inactive" if not c.active else ("absent" if c.absent else "at work")
            table.add_row(
                c.collector_id,
                c.name,
                c.team,
                c.role,
                ";".join(c.languages),
                ";".join(c.regions) or "-",
                f"{loads.get(c.collector_id, 0)} / {c.daily_capacity}",
                status,
            )
    console.print(table)


def _set_absent(collector: str, absent: bool) -> None:
    try:
        summary = set_absent(session_factory(), collector, absent, utcnow())
    except DeskError as exc:
        fail(exc)
    console.print(f"{collector} marked {'absent' if absent else 'back at work'}: {summary}")


@app.command("absent")
def collectors_absent(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Mark a collector absent: no new work, and their open tasks go to others now."""
    _set_absent(collector, True)


@app.command("back")
def collectors_back(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Mark a collector back at work: waiting tasks may go to them."""
    _set_absent(collector, False)


@app.command("token")
def collectors_token(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    name: Annotated[
        str, typer.Option(help="Which token (a device, a system); issuing a name again replaces it")
    ] = "default",
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 30d, 12h, 2w [ARREARS_TOKEN_DAYS days]")] = None,
) -> None:
    """Issue a desk API token (shown once; the collector's earlier token of the same name stops working)."""
    try:
        lifetime = parse_lifetime(expires) if expires else timedelta(days=current_settings().token_days)
        now = utcnow()
        token = issue_token(session_factory(), collector, now, name=name, lifetime=lifetime)
    except DeskError as exc:
        fail(str(exc), BAD_INPUT)
    console.print(token, soft_wrap=True, markup=False, highlight=False)
    err.print(
        f"store it now: only its hash is kept; token {name!r} of {collector} expires {now + lifetime:%Y-%m-%d %H:%M} UTC",
        markup=False,
        highlight=False,
    )


@app.command("tokens")
def collectors_tokens(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """The collector's tokens: name, issued, expires, last used (and from where), state."""
    now = utcnow()
    with session_factory()() as session:
        rows = list_tokens(session, collector)
    table = Table("name", "id", "issued (UTC)", "expires (UTC)", "last used (UTC)", "from", "state")
    for t in rows:
        table.add_row(
            t.name,
            t.token_id,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.expires_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            t.last_used_from or "-",
            token_state(t, now),
        )
    console.print(table)


@app.command("revoke")
def collectors_revoke(
    collector: Annotated[str, typer.Argument(help="Collector id")],
    name: Annotated[str | None, typer.Option(help="Only this token (default: all of the collector's tokens)")] = None,
) -> None:
    """Revoke the collector's desk API tokens now."""
    try:
        count = revoke_tokens(session_factory(), collector, utcnow(), name=name)
    except DeskError as exc:
        fail(str(exc), BAD_INPUT)
    console.print(f"{collector}: {count} live token(s) revoked")


@app.command("deactivate")
def collectors_deactivate(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """A collector leaves: refused by the API at once, tokens revoked, open tasks moved to others."""
    sessions = session_factory()
    try:
        summary = set_active(sessions, collector, False, utcnow())
        count = revoke_tokens(sessions, collector, utcnow(), by="deactivated")
    except DeskError as exc:
        fail(str(exc), BAD_INPUT)
    console.print(f"{collector} inactive, {count} token(s) revoked: {summary}")


@app.command("activate")
def collectors_activate(collector: Annotated[str, typer.Argument(help="Collector id")]) -> None:
    """Make an inactive collector active again (issue a new token: the old ones stay revoked)."""
    try:
        summary = set_active(session_factory(), collector, True, utcnow())
    except DeskError as exc:
        fail(str(exc), BAD_INPUT)
    console.print(f"{collector} active: {summary}")

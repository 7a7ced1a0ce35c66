"""`arrears evidence`: the evidence store."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.audit.evidence_store import EvidenceRefused, EvidenceStore, add_local_file, for_account
from arrears.cli.context import console, current_settings, err, session_factory, utcnow
from arrears.cli.errors import BAD_INPUT, fail

app = typer.Typer(no_args_is_help=True, help="The evidence store: visit photos, letters, court documents.")


@app.command("add")
def evidence_add(
    account: Annotated[str, typer.Argument(help="Account id")],
    file: Annotated[Path, typer.Argument(help="A PDF or photo on this machine")],
    by: Annotated[str, typer.Option(help="Who adds it (kept on record)")],
) -> None:
    """Store a file for the account; prints the evidence id that outcomes, holds and legal events cite."""
    if not by.strip():
        fail("--by: say who adds the evidence", BAD_INPUT)
    try:
        stored = add_local_file(
            session_factory(),
            EvidenceStore.from_settings(current_settings()),
            account,
            file,
            uploaded_by=by.strip(),
            now=utcnow(),
        )
    except EvidenceRefused as exc:
        fail(str(exc), BAD_INPUT)
    print(stored.evidence_id)
    err.print(
        f"{stored.media_type}, {stored.size_bytes} bytes{' (already stored for this account)' if stored.duplicate else ''}",
        markup=False,
        highlight=False,
    )


@app.command("list")
def evidence_list(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """The account's evidence files: id, type, size, name, who uploaded it and when."""
    with session_factory()() as session:
        rows = for_account(session, account)
    table = Table("evidence id", "type", "bytes", "name", "by", "via", "uploaded (UTC)")
    for r in rows:
        table.add_row(
            r.evidence_id,
            r.media_type,
            str(r.size_bytes),
            r.filename,
            r.uploaded_by,
            r.source,
            f"{r.uploaded_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    console.print(f"{len(rows)} file(s)")

"""`arrears audit`: auditors' tools; they only read."""

import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from arrears.api.journal import LogQuery, api_log
from arrears.audit.archive import archived as archived_histories
from arrears.audit.bundle import export, verify
from arrears.audit.evidence_chain import verify_chain
from arrears.audit.evidence_store import EvidenceStore
from arrears.audit.history_source import for_account, for_workflow
from arrears.audit.replay import from_files, from_list, from_server, replay
from arrears.audit.timeline import from_history, from_record, ordered, render, with_code
from arrears.cli.context import (
    console,
    current_settings,
    err,
    parse_moment,
    run_async,
    session_factory,
    temporal_client,
    utcnow,
)
from arrears.cli.errors import BAD_INPUT, CliError, fail
from arrears.cli.tables import Column, print_table
from arrears.intake.csvfile import safe_writer
from arrears.runtime.codec import CodecError, decrypt_history
from arrears.runtime.connect import converter

app = typer.Typer(no_args_is_help=True, help="Auditors' tools; they only read.")


def _story(account: str, with_history: bool = True):
    """The account's timeline entries, in order, and the workflow histories behind them."""
    sessions = session_factory()
    with sessions() as session:
        entries = from_record(session, account)
    histories = []

    async def fetch():
        try:
            client = await temporal_client()
        except CliError as exc:
            err.print(f"({exc}; using the record and the archived histories only)")
            client = None
        return await for_account(client, sessions, account)

    if with_history:
        codec = converter(current_settings()).payload_codec
        try:  # the timeline and a bundle read what the workflow decided: opened with the configured keys
            histories = [decrypt_history(h, codec) for h in run_async(fetch())]
        except CodecError as exc:
            fail(f"{exc}; set ARREARS_CODEC_KEYS with every key the account's histories were written with")
        for found in histories:
            entries += from_history(found)
        entries = with_code(entries, histories)
        if not histories:
            err.print("(no workflow history on the server or in the archive; the record only)")
    return ordered(entries), histories


@app.command("export")
def audit_export(
    account: Annotated[str, typer.Argument(help="Account id")],
    out: Annotated[Path, typer.Option("--out", help="A new (or empty) directory for the bundle")],
) -> None:
    """Write an evidence bundle: timeline, histories, messages, evidence files and a SHA-256 manifest."""
    entries, histories = _story(account)
    with session_factory()() as session:
        try:
            report = export(
                session,
                account,
                entries,
                histories,
                out,
                utcnow(),
                store=EvidenceStore.from_settings(current_settings()),
            )
        except FileExistsError as exc:
            fail(str(exc), BAD_INPUT)
    for item in report.missing_evidence:
        err.print(f"(evidence not copied, listed in evidence/index.json: {item})", markup=False, highlight=False)
    for problem in report.chain_problems:
        err.print(f"contact chain: {problem}", markup=False, highlight=False)
    console.print(
        f"{out}: {report.files} files, {len(histories)} workflow run(s), {len(entries)} timeline rows; "
        f"check it with: arrears audit verify {out}",
        markup=False,
        highlight=False,
    )


@app.command("verify")
def audit_verify(
    directory: Annotated[Path, typer.Argument(help="A bundle written by audit export", file_okay=False)],
) -> None:
    """Check a bundle against its manifest; exit 1 naming each file changed, missing or added."""
    report = verify(directory)
    for problem in report.problems:
        console.print(problem, markup=False, highlight=False)
    if not report.ok:
        fail(f"{directory}: {len(report.problems)} problem(s); {report.checked} file(s) checked")
    console.print(f"{directory}: {report.checked} file(s) match the manifest", markup=False, highlight=False)


@app.command("timeline")
def audit_timeline(
    account: Annotated[str, typer.Argument(help="Account id")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    history: Annotated[
        bool, typer.Option(help="Add the workflow history's updates and timers (needs Temporal)")
    ] = True,
) -> None:
    """The account's story in order: records and workflow history, each line with its cause."""
    if fmt not in ("table", "csv", "json"):
        fail(f"unknown format {fmt!r}; use table, csv or json", BAD_INPUT)
    entries, _ = _story(account, history)
    if fmt != "table":
        print(render(entries, fmt))
        return
    print_table(
        console,
        [
            Column("at (UTC)", whole=True),
            Column("source", priority=3),
            Column("kind", priority=1),
            Column("DPD", priority=2, justify="right"),
            Column("segment", priority=4),
            Column("what", wrap=True),
            Column("cause", wrap=True, priority=2),
            Column("code", priority=5),
        ],
        [
            [
                f"{e.at:%Y-%m-%d %H:%M}",
                e.source,
                e.kind,
                "" if e.dpd is None else str(e.dpd),
                e.segment,
                e.what,
                e.cause,
                e.code,
            ]
            for e in entries
        ],
        shown_by="--format csv or json",
    )


@app.command("verify-chain")
def audit_verify_chain(account: Annotated[str, typer.Argument(help="Account id")]) -> None:
    """Check the account's contact records against their hash chain; exit 1 if one was edited or deleted."""
    with session_factory()() as session:
        report = verify_chain(session, account)
    for problem in report.problems:
        console.print(problem, markup=False, highlight=False)
    tail = f" ({report.unchained} written before the chain existed)" if report.unchained else ""
    if not report.ok:
        fail(f"{account}: {len(report.problems)} problem(s) in {report.checked} chained contact record(s){tail}")
    console.print(f"{account}: {report.checked} contact record(s) intact{tail}")


@app.command("api-log")
def audit_api_log(
    collector: Annotated[str | None, typer.Option(help="Only this collector's requests")] = None,
    account: Annotated[str | None, typer.Option(help="Only requests on this account")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (ISO with offset)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first", min=1, max=100_000)] = 200,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Every write through the desk API: who, what, when, from which address, and the answer."""
    if fmt not in ("table", "csv", "json"):
        fail(f"unknown format {fmt!r}; use table, csv or json", BAD_INPUT)
    query = LogQuery(
        collector_id=collector, account_id=account, since=parse_moment(since) if since else None, limit=limit
    )
    with session_factory()() as session:
        rows = api_log(session, query)
    records = [
        {
            "at": r.at.isoformat(),
            "collector_id": r.collector_id or "",
            "token_id": r.token_id or "",
            "method": r.method,
            "path": r.path,
            "account_id": r.account_id or "",
            "from": r.remote_addr,
            "status": r.status,
            "result": r.result,
            "ms": r.duration_ms,
        }
        for r in rows
    ]
    if fmt == "json":
        print(json.dumps(records, ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = safe_writer(buffer)
        writer.writerow(list(records[0]) if records else ["at"])
        for record in records:
            writer.writerow(list(record.values()))
        print(buffer.getvalue(), end="")
        return
    table = Table("at (UTC)", "who", "request", "from", "status", "result")
    for r in rows:
        table.add_row(
            f"{r.at:%Y-%m-%d %H:%M:%S}",
            r.collector_id or "-",
            f"{r.method} {r.path}",
            r.remote_addr,
            str(r.status),
            r.result,
        )
    console.print(table)
    console.print(f"{len(rows)} request(s)")


@app.command("replay")
def audit_replay(
    workflow_id: Annotated[
        str | None, typer.Option("--workflow-id", help="One workflow: its archived runs and its run on the server")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="Every workflow a list query matches, e.g. 'CollectionStage=\"late\"'")
    ] = None,
    file: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False, help="History JSON file(s)")] = None,
    archived: Annotated[
        bool, typer.Option("--archived", help="Every history in the system of record's archive")
    ] = False,
) -> None:
    """Replay histories against today's workflow code; exit 1 if any would now run differently."""
    if not (workflow_id or query or file or archived):
        fail("say what to replay: --workflow-id, --query, --file or --archived", BAD_INPUT)

    async def go():
        keys = converter(current_settings())  # encrypted histories replay with the configured keys
        lines = []
        if file:
            lines += await replay(from_files(file), data_converter=keys)
        if archived:
            with session_factory()() as session:
                lines += await replay(from_list(archived_histories(session)), data_converter=keys)
        if workflow_id:
            try:
                client = await temporal_client()
            except CliError as exc:
                err.print(f"({exc}; replaying the archive only)")
                client = None
            lines += await replay(
                from_list(await for_workflow(client, session_factory(), workflow_id)), data_converter=keys
            )
        if query:
            lines += await replay(from_server(await temporal_client(), query=query), data_converter=keys)
        return lines

    lines = run_async(go())
    for line in lines:
        console.print(str(line), soft_wrap=True, markup=False, highlight=False)
    failed = sum(1 for line in lines if not line.ok)
    console.print(f"{len(lines)} replayed, {failed} nondeterministic")
    if not lines:
        fail("nothing matched", BAD_INPUT)
    if failed:
        raise typer.Exit(1)

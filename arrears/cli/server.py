"""Running the system: the Temporal dev server, a worker, the desk API."""

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from arrears.api.app import create_app
from arrears.cli.context import console, current_settings, run_async, uses_temporal
from arrears.cli.errors import CliError
from arrears.runtime.connect import connect
from arrears.runtime.devserver import server_command
from arrears.runtime.metrics import runtime_for
from arrears.runtime.worker import run_worker

app = typer.Typer()  # mounted without a name: its commands are top-level


@app.command()
def server(
    port: Annotated[int, typer.Option(help="Frontend gRPC port")] = 7233,
    ui_port: Annotated[int | None, typer.Option(help="Web UI port [ARREARS_SERVER_UI_PORT]")] = None,
    db_file: Annotated[Path | None, typer.Option(help="Persistence file [ARREARS_SERVER_DB]")] = None,
) -> None:
    """Run the embedded Temporal dev server (persistent, our search attributes registered)."""
    s = current_settings()
    cmd = server_command(db_file or s.server_db_file, port, ui_port or s.server_ui_port)
    console.print(f"Temporal dev server on 127.0.0.1:{port}, Web UI http://127.0.0.1:{ui_port or s.server_ui_port}")
    console.print(f"persistence: {db_file or s.server_db_file}")
    os.execv(cmd[0], cmd)


@app.command()
def worker() -> None:
    """Run a worker: the AccountCollection workflow and its activities."""
    settings = current_settings()

    async def go():
        runtime = runtime_for(settings.metrics_port)
        try:
            client = await connect(settings, runtime)
        except RuntimeError as exc:
            raise CliError(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None
        if settings.metrics_port:
            print(f"metrics on http://0.0.0.0:{settings.metrics_port}/metrics", flush=True)
        await run_worker(client, settings)

    run_async(go())


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
) -> None:
    """Serve the desk's JSON HTTP API (OpenAPI document at /docs)."""
    uses_temporal()
    uvicorn.run(create_app(current_settings()), host=host, port=port)

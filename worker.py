"""Entry point: `python worker.py` runs an Arrears worker (same as `arrears worker`).

Settings come from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
ARREARS_TASK_QUEUE, ARREARS_DATABASE_URL (see README). It starts the worker
from the runtime modules, not through the command line, and keeps the CLI's
exit codes (arrears.cli.errors): 1 when Temporal cannot be reached or the
worker fails, 2 for settings that do not validate or an argument.
"""

import asyncio
import os
import sys
from datetime import timedelta

from pydantic import ValidationError

from arrears.client.operations import UPDATE_WAIT
from arrears.config.settings import Settings, load_settings
from arrears.intake.csvfile import validation_reason
from arrears.runtime.connect import connect
from arrears.runtime.metrics import runtime_for
from arrears.runtime.worker import run_worker

BAD_INPUT, FAILED = 2, 1


async def serve(settings: Settings) -> None:
    runtime = runtime_for(settings.metrics_port)
    try:
        client = await connect(settings, runtime)
    except RuntimeError as exc:
        raise SystemExit(f"error: cannot reach Temporal at {settings.temporal_address}: {exc}") from None
    if settings.metrics_port:
        print(f"metrics on http://0.0.0.0:{settings.metrics_port}/metrics", flush=True)
    await run_worker(client, settings)


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv:
        print(f"error: worker.py takes no arguments, got {' '.join(argv)} (settings come from the environment)",
              file=sys.stderr)
        return BAD_INPUT
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(f"error: settings: {validation_reason(exc)}", file=sys.stderr)
        return BAD_INPUT
    UPDATE_WAIT.set(timedelta(seconds=settings.update_wait_seconds))
    try:
        asyncio.run(serve(settings))
    except SystemExit as exc:
        print(exc.code, file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print("error: aborted", file=sys.stderr)
        return FAILED
    except Exception as exc:  # noqa: BLE001 - one line, as the CLI says it
        if os.environ.get("ARREARS_DEBUG") == "1":
            raise
        print(f"error: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
              file=sys.stderr)
        return FAILED
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without tearing down the Temporal SDK's threads, which can crash the interpreter
    # (temporalio/sdk-python#300); the CLI's `run` does the same.
    os._exit(code)

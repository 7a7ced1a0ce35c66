"""`arrears codec-server` and `arrears codec-key`: payload encryption for the Web UI and the keys."""

from typing import Annotated

import typer
import uvicorn

from arrears.cli.context import current_settings, err
from arrears.cli.errors import BAD_INPUT, fail
from arrears.runtime.codec import CodecKeyError, EncryptionCodec, new_key_line
from arrears.runtime.codec_server import create_codec_app

app = typer.Typer()  # mounted without a name: its commands are top-level


@app.command("codec-server")
def codec_server(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8081,
) -> None:
    """Serve /encode and /decode for the Temporal Web UI and CLI (needs the keys and ARREARS_CODEC_SERVER_TOKENS)."""
    s = current_settings()
    keys = s.codec()
    if keys is None:
        fail("no keys: set ARREARS_CODEC_KEYS or ARREARS_CODEC_KEYS_FILE", BAD_INPUT)
    if not s.codec_tokens():
        fail("no bearer token: set ARREARS_CODEC_SERVER_TOKENS (whoever can call it can read every payload)", BAD_INPUT)
    origins = [o.strip() for o in s.codec_cors_origins.split(",") if o.strip()]
    err.print(f"codec server on http://{host}:{port} (keys {', '.join(keys.ids())}; origins {', '.join(origins)})")
    uvicorn.run(create_codec_app(EncryptionCodec(keys), s.codec_tokens(), origins), host=host, port=port)


@app.command("codec-key")
def codec_key(key_id: Annotated[str, typer.Option("--id", help="Key id, e.g. the month it starts: 2026-12")]) -> None:
    """Print a new id=key entry for ARREARS_CODEC_KEYS (put it first to encrypt with it; keep the old ones)."""
    try:
        print(new_key_line(key_id))
    except CodecKeyError as exc:
        fail(str(exc), BAD_INPUT)

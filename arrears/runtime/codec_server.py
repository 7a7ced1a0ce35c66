"""`arrears codec-server`: the codec's /encode and /decode over HTTP, for the Temporal Web UI and CLI.

The Web UI and ``temporal workflow show --codec-endpoint`` send payloads here
to show them in clear text; only a caller with one of the configured bearer
tokens gets an answer (it can read every payload). Browsers reach it from the
UI's origin, so CORS allows exactly the configured origins. The body is the
protobuf JSON of ``temporal.api.common.v1.Payloads``, as Temporal's codec
server protocol has it.
"""

import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from arrears.api.limits import BodySizeLimit
from arrears.runtime.codec import CodecError, EncryptionCodec

# One gRPC message holds at most 4 MB: a payload list the UI sends is never larger.
MAX_BODY = 4 * 1024 * 1024

_bearer = HTTPBearer(auto_error=False)


def create_codec_app(codec: EncryptionCodec, tokens: list[str], origins: list[str]) -> FastAPI:
    if not tokens:
        raise ValueError("the codec server needs at least one bearer token (ARREARS_CODEC_SERVER_TOKENS)")
    expected = [t.encode() for t in tokens]

    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        given = (credentials.credentials if credentials else "").encode()
        # Every token compared, in constant time each: how long it takes says nothing about which was close.
        matched = False
        for token in expected:
            matched |= hmac.compare_digest(given, token)
        if not matched:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(title="Arrears codec server", version="1", docs_url=None, redoc_url=None, openapi_url=None)

    async def payloads_of(request: Request) -> Payloads:
        try:
            return json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            raise HTTPException(400, f"body is not Payloads JSON: {exc}") from None

    def answer(payloads: list) -> JSONResponse:
        return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))

    @app.post("/encode", dependencies=[Depends(authorised)])
    async def encode(request: Request) -> JSONResponse:
        return answer(await codec.encode((await payloads_of(request)).payloads))

    @app.post("/decode", dependencies=[Depends(authorised)])
    async def decode(request: Request) -> JSONResponse:
        try:
            return answer(await codec.decode((await payloads_of(request)).payloads))
        except CodecError as exc:
            raise HTTPException(400, str(exc)) from None

    app.add_middleware(BodySizeLimit, limit=MAX_BODY)
    # Added last, so outermost: a browser's preflight is answered before authentication is asked for.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["POST", "OPTIONS"],
        allow_headers=["authorization", "content-type", "x-namespace"],
        allow_credentials=True,
    )
    return app

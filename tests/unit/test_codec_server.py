"""`arrears codec-server`: /encode and /decode for an authenticated caller; everyone else refused."""

import base64

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from arrears.runtime.codec import EncryptionCodec, parse_keys
from arrears.runtime.codec_server import create_codec_app

KEY = base64.b64encode(bytes(range(32))).decode()
UI = "http://localhost:8233"


@pytest.fixture
def server() -> httpx.AsyncClient:
    app = create_codec_app(EncryptionCodec(parse_keys(f"k1={KEY}")), ["ui-token", "cli-token"], [UI])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec")


def body(*texts: str) -> dict:
    return json_format.MessageToDict(Payloads(payloads=[
        Payload(metadata={"encoding": b"json/plain"}, data=t.encode()) for t in texts]))


async def test_an_authenticated_caller_round_trips_payloads(server):
    auth = {"Authorization": "Bearer cli-token", "X-Namespace": "default"}
    async with server as http:
        encoded = await http.post("/encode", json=body('"王强"', '{"note": "x"}'), headers=auth)
        assert encoded.status_code == 200
        sealed = json_format.ParseDict(encoded.json(), Payloads())
        assert [p.metadata["encoding"] for p in sealed.payloads] == [b"binary/encrypted"] * 2
        assert "王强".encode() not in sealed.payloads[0].data
        decoded = await http.post("/decode", json=encoded.json(), headers={"Authorization": "Bearer ui-token"})
        assert decoded.status_code == 200 and decoded.json() == body('"王强"', '{"note": "x"}')


async def test_everyone_else_is_refused(server):
    async with server as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dWk6dG9rZW4="},
                        {"Authorization": "Bearer ui-token-and-more"}):
            for path in ("/encode", "/decode"):
                refused = await http.post(path, json=body("x"), headers=headers)
                assert refused.status_code == 401 and "encrypted" not in refused.text
        garbage = await http.post("/decode", content=b"not json", headers={"Authorization": "Bearer ui-token"})
        assert garbage.status_code == 400
        foreign = body("x")
        foreign["payloads"][0]["metadata"] = {"encoding": base64.b64encode(b"binary/encrypted").decode(),
                                              "encryption-key-id": base64.b64encode(b"k9").decode()}
        unknown = await http.post("/decode", json=foreign, headers={"Authorization": "Bearer ui-token"})
        assert unknown.status_code == 400 and "'k9', which is not configured" in unknown.json()["detail"]
        huge = await http.post("/decode", content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                               headers={"Authorization": "Bearer ui-token", "Content-Type": "application/json"})
        assert huge.status_code == 413


async def test_the_web_ui_origin_may_call_it_from_a_browser(server):
    preflight = {"Origin": UI, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
    async with server as http:
        allowed = await http.options("/decode", headers=preflight)
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == UI
        assert "x-namespace" in allowed.headers["access-control-allow-headers"].lower()
        other = await http.options("/decode", headers={**preflight, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        answered = await http.post("/encode", json=body("x"), headers={"Origin": UI, "Authorization": "Bearer ui-token"})
        assert answered.headers["access-control-allow-origin"] == UI


def test_a_server_without_a_token_is_not_built():
    with pytest.raises(ValueError, match="at least one bearer token"):
        create_codec_app(EncryptionCodec(parse_keys(f"k1={KEY}")), [], [UI])

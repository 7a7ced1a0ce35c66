"""The payload codec: key lists, AES-256-GCM round trips, rotation, refusals, opening a stored history."""

import base64
from decimal import Decimal

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from arrears.runtime.codec import (
    ENCODING,
    KEY_ID,
    CodecError,
    CodecKeyError,
    EncryptionCodec,
    data_converter,
    decrypt_history,
    encrypted_payloads,
    new_key_line,
    parse_keys,
)
from arrears.contracts.collection import PromiseInput

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = bytes(range(32, 64)).hex()


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def test_key_lists_in_base64_or_hex_first_one_encrypts():
    keys = parse_keys(f"k2={K2}\n# the previous month\nk1={K1}")
    assert keys.current == "k2" and keys.ids() == ["k2", "k1"]
    assert keys.get("k1") == bytes(range(32)) and keys.get("k2") == bytes(range(32, 64))
    assert "k1" in repr(keys) and K1 not in repr(keys) and K2 not in repr(keys)
    assert parse_keys(new_key_line("2026-12")).current == "2026-12"


@pytest.mark.parametrize(("text", "says"), [
    ("", "no key given"),
    ("k1", "expected id=key"),
    (f"k1={K1[:-8]}", "32 bytes"),
    (f"bad id={K1}", "key id"),
    (f"k1={K1},k1={K2}", "listed twice"),
])
def test_bad_key_lists_name_the_entry_and_never_the_key(text, says):
    with pytest.raises(CodecKeyError) as refused:
        parse_keys(text)
    assert says in str(refused.value) and K1 not in str(refused.value) and K1[:-8] not in str(refused.value)


async def test_round_trip_hides_data_and_metadata():
    codec = EncryptionCodec(parse_keys(f"k1={K1}"))
    [sealed] = await codec.encode([payload('{"note": "王强 promised"}')])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert "王强".encode() not in sealed.data and b"json/plain" not in sealed.data
    [opened] = await codec.decode([sealed])
    assert opened == payload('{"note": "王强 promised"}')
    # A fresh nonce each time: the same payload never looks the same twice.
    assert (await codec.encode([payload("x")]))[0].data != (await codec.encode([payload("x")]))[0].data


async def test_rotation_old_payloads_open_with_the_old_key_new_ones_use_the_new():
    old = EncryptionCodec(parse_keys(f"k1={K1}"))
    rotated = EncryptionCodec(parse_keys(f"k2={K2},k1={K1}"))
    [before] = await old.encode([payload("before")])
    [after] = await rotated.encode([payload("after")])
    assert after.metadata[KEY_ID] == b"k2"
    assert [p.data for p in await rotated.decode([before, after])] == [b"before", b"after"]
    with pytest.raises(CodecError, match="key 'k2', which is not configured"):
        await old.decode([after])


async def test_altered_ciphertext_or_a_swapped_key_id_is_refused():
    codec = EncryptionCodec(parse_keys(f"k2={K2},k1={K1}"))
    [sealed] = await codec.encode([payload("amount 100")])
    flipped = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    relabelled = Payload(metadata={**dict(sealed.metadata), KEY_ID: b"k1"}, data=sealed.data)
    for bad in (flipped, relabelled):
        with pytest.raises(CodecError, match="does not decrypt"):
            await codec.decode([bad])


async def test_unencrypted_payloads_pass_through_decode():
    codec = EncryptionCodec(parse_keys(f"k1={K1}"))
    assert await codec.decode([payload("from before encryption")]) == [payload("from before encryption")]


async def test_the_converter_seals_pydantic_models_and_failures():
    converter = data_converter(parse_keys(f"k1={K1}"))
    request = PromiseInput(promise_id="P1", amount=Decimal("10.50"), promised_date="2026-12-01", collector_id="c1",
                           note="customer's husband lost his job")
    [sealed] = await converter.encode([request])
    assert sealed.metadata["encoding"] == ENCODING and b"husband" not in sealed.data
    assert (await converter.decode([sealed], [PromiseInput]))[0] == request
    assert data_converter(None).payload_codec is None  # no keys: payloads as before
    failure = Failure()
    await converter.encode_failure(ApplicationError("王强 +86 138 0000 0000", type="Refused"), failure)
    assert "王强" not in failure.message and failure.encoded_attributes.metadata["encoding"] == ENCODING
    assert "王强" in str(await converter.decode_failure(failure))


async def test_a_stored_history_is_opened_for_reading():
    codec = EncryptionCodec(parse_keys(f"k1={K1}"))
    [sealed] = await codec.encode([payload('{"note": "secret"}')])
    event = HistoryEvent(event_id=5)
    event.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads.append(sealed)
    history = WorkflowHistory("arrears-X", [event])
    assert encrypted_payloads(history) == 1
    opened = decrypt_history(history, codec)
    assert encrypted_payloads(opened) == 0 and b'"secret"' in opened.events[0].SerializeToString()
    assert encrypted_payloads(history) == 1  # the original is left as it was
    assert decrypt_history(history, None) is history

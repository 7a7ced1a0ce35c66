"""Payload encryption: every payload Arrears sends to Temporal, sealed with AES-256-GCM.

Temporal stores workflow inputs, update arguments, activity inputs and
results, query answers and failure messages as it receives them. With
``ARREARS_CODEC_KEYS`` (or ``ARREARS_CODEC_KEYS_FILE``) set, every client and
worker built by ``arrears.runtime.connect`` seals them first, so the server, its
database and its Web UI see only ciphertext and a key id.

Keys are ``id=key`` pairs (the key as 32 bytes in base64 or 64 hex digits),
separated by commas or newlines. The first key encrypts; every key listed
decrypts, so a key is rotated by putting a new one first and keeping the old
ones until no history needs them (see docs/security.md).

Search attributes are not payloads the codec sees: they stay in clear text
and must never carry personal data (tests/integration/test_codec_server.py
checks what the workflows put there).
"""

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12
_KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# Bound to the ciphertext: a payload sealed under one key id cannot be passed off as another's.
_AAD_PREFIX = b"arrears-codec/1:"


class CodecKeyError(ValueError):
    """The key list cannot be used; the message names the entry (never the key)."""


class CodecError(ValueError):
    """A payload cannot be decrypted: unknown key id, or the ciphertext was altered."""


@dataclass(frozen=True)
class CodecKeys:
    """Key id -> 32-byte key, in order: the first encrypts."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def current(self) -> str:
        return self.keys[0][0]

    def get(self, key_id: str) -> bytes | None:
        return next((key for kid, key in self.keys if kid == key_id), None)

    def ids(self) -> list[str]:
        return [kid for kid, _ in self.keys]

    def __repr__(self) -> str:  # never the keys themselves
        return f"CodecKeys(ids={self.ids()})"


def _key_bytes(key_id: str, text: str) -> bytes:
    text = text.strip()
    raw: bytes | None = None
    if re.fullmatch(r"[0-9A-Fa-f]{64}", text):
        raw = bytes.fromhex(text)
    else:
        try:
            raw = base64.b64decode(
                text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True
            )
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise CodecKeyError(f"key {key_id!r}: give 32 bytes (AES-256) as base64 or 64 hex digits")
    return raw


def parse_keys(text: str) -> CodecKeys:
    """``id=key`` entries separated by commas or newlines; ``#`` starts a comment line."""
    entries: list[tuple[str, bytes]] = []
    for number, part in enumerate(re.split(r"[,\n]", text), start=1):
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        key_id, sep, key = part.partition("=")
        key_id = key_id.strip()
        if not sep or not key.strip():
            raise CodecKeyError(f"entry {number}: expected id=key")
        if not _KEY_ID_PATTERN.match(key_id):
            raise CodecKeyError(f"entry {number}: key id {key_id[:20]!r} must be letters, digits, _ . - (up to 64)")
        if any(kid == key_id for kid, _ in entries):
            raise CodecKeyError(f"key id {key_id!r} is listed twice")
        entries.append((key_id, _key_bytes(key_id, key)))
    if not entries:
        raise CodecKeyError("no key given")
    return CodecKeys(tuple(entries))


def new_key_line(key_id: str) -> str:
    """A fresh ``id=key`` entry (base64 of 32 random bytes)."""
    if not _KEY_ID_PATTERN.match(key_id):
        raise CodecKeyError(f"key id {key_id!r} must be letters, digits, _ . - (up to 64)")
    return f"{key_id}={base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over the whole serialised payload (its metadata included), nonce first."""

    def __init__(self, keys: CodecKeys) -> None:
        self.keys = keys
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.keys.current
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _AAD_PREFIX + key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was turned on: readable as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecError(
                f"payload encrypted with key {key_id!r}, which is not configured "
                f"(configured: {', '.join(self.keys.ids())})"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], _AAD_PREFIX + key_id.encode())
        except Exception:  # noqa: BLE001 - InvalidTag and short input alike: the bytes are not ours
            raise CodecError(f"payload under key {key_id!r} does not decrypt: altered or truncated") from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def data_converter(keys: CodecKeys | None) -> DataConverter:
    """Pydantic on the wire; sealed with the keys when there are keys.

    With encryption on, failure messages and stack traces go into the encoded
    attributes too: an exception's text can quote what it failed on.
    """
    if keys is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# ---- reading a stored history ----------------------------------------------------------------


def _payloads(message: Message) -> Iterable[Payload]:
    """Every Payload inside a protobuf message, at any depth (maps and lists included)."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            items: Iterable = (value,)
        elif field.message_type.GetOptions().map_entry:
            items = value.values()
        else:
            items = value
        for item in items:
            if not isinstance(item, Message):
                continue  # a map of plain values
            if item.DESCRIPTOR.full_name == Payload.DESCRIPTOR.full_name:
                yield item  # type: ignore[misc]  # a Payload, as its descriptor just said
            else:
                yield from _payloads(item)


def encrypted_payloads(history: WorkflowHistory) -> int:
    """How many payloads of the history are sealed by this codec."""
    return sum(1 for event in history.events for p in _payloads(event) if p.metadata.get("encoding") == ENCODING)


def decrypt_history(history: WorkflowHistory, codec: PayloadCodec | None) -> WorkflowHistory:
    """A copy of the history with every sealed payload opened (for the timeline and bundles)."""
    if not isinstance(codec, EncryptionCodec):
        return history
    copy = History()
    copy.events.extend(history.events)
    for event in copy.events:
        for payload in _payloads(event):
            if payload.metadata.get("encoding") == ENCODING:
                payload.CopyFrom(codec.decrypt(payload))
    return WorkflowHistory(history.workflow_id, list(copy.events))

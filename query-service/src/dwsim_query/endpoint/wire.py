"""PostgreSQL frontend/backend protocol 3.0: framing and the few messages the endpoint writes
itself (https://www.postgresql.org/docs/current/protocol-message-formats.html)."""

from __future__ import annotations

import asyncio
import struct

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608
MAX_STARTUP = 10_000  # bytes: a startup packet is a handful of names and values
MAX_MESSAGE = 256 * 1024 * 1024  # COPY data and bind values; a query is capped by the pipeline


class ProtocolViolation(Exception):
    """The peer sent something that is not the protocol."""


async def read_startup(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """A startup-phase packet (no type byte): its code and the rest of its body."""
    (length,) = struct.unpack("!I", await reader.readexactly(4))
    if not 8 <= length <= MAX_STARTUP:
        raise ProtocolViolation(f"startup packet of {length} bytes")
    body = await reader.readexactly(length - 4)
    (code,) = struct.unpack("!I", body[:4])
    return code, body[4:]


def startup_params(payload: bytes) -> dict[str, str]:
    parts = payload.split(b"\0")
    params: dict[str, str] = {}
    for key, value in zip(parts[0::2], parts[1::2], strict=False):
        if not key:
            break
        params[key.decode(errors="replace")] = value.decode(errors="replace")
    return params


def startup_packet(params: dict[str, str]) -> bytes:
    body = struct.pack("!I", PROTOCOL_3)
    body += b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in params.items()) + b"\0"
    return struct.pack("!I", len(body) + 4) + body


async def read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One typed message: its type byte and its payload."""
    head = await reader.readexactly(5)
    (length,) = struct.unpack("!I", head[1:])
    if not 4 <= length <= MAX_MESSAGE:
        raise ProtocolViolation(f"message {head[:1]!r} of {length} bytes")
    return head[:1], await reader.readexactly(length - 4)


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def cstring(payload: bytes, offset: int) -> tuple[str, int]:
    """The NUL-terminated string at `offset` and the offset after it."""
    end = payload.index(b"\0", offset)
    return payload[offset:end].decode(), end + 1


def error_fields(payload: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    offset = 0
    while offset < len(payload) and payload[offset] != 0:
        code = chr(payload[offset])
        value, offset = cstring(payload, offset + 1)
        fields[code] = value
    return fields


def error_response(sqlstate: str, text: str, severity: str = "ERROR", **extra: str) -> bytes:
    fields = {"S": severity, "V": severity, "C": sqlstate, "M": text, **extra}
    body = b"".join(k.encode() + v.encode() + b"\0" for k, v in fields.items()) + b"\0"
    return message(b"E", body)


def authentication(code: int, data: bytes = b"") -> bytes:
    return message(b"R", struct.pack("!I", code) + data)


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", name.encode() + b"\0" + value.encode() + b"\0")

"""The endpoint's side of the connection to the Redshift mock's PostgreSQL: a session logged in
as the experiment's reader role."""

from __future__ import annotations

import asyncio
import hashlib
import struct
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from scramp import ScramClient

from dwsim_query.endpoint import wire

BUFFER = 1 << 20


class UpstreamError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields.get("M", "the Redshift mock refused the connection"))
        self.fields = fields


@dataclass
class Upstream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    statuses: list[tuple[str, str]] = field(default_factory=list)
    key_data: bytes = b""


def address(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return unquote(parsed.hostname or "127.0.0.1"), parsed.port or 5432


async def open_socket(
    url: str, timeout_s: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = address(url)
    # A large buffer: a result streams in reads of up to a megabyte, not 64 KiB.
    if host.startswith("/"):  # a socket directory, as libpq takes it
        return await asyncio.wait_for(
            asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}", limit=BUFFER), timeout_s
        )
    return await asyncio.wait_for(asyncio.open_connection(host, port, limit=BUFFER), timeout_s)


async def connect(
    url: str, user: str, password: str, params: dict[str, str], timeout_s: float
) -> Upstream:
    """Log in; `UpstreamError` carries PostgreSQL's own error fields."""
    reader, writer = await open_socket(url, timeout_s)
    database = urlparse(url).path.lstrip("/") or "postgres"
    writer.write(wire.startup_packet({"user": user, "database": database, **params}))
    upstream = Upstream(reader, writer)
    scram: ScramClient | None = None
    try:
        while True:
            kind, payload = await asyncio.wait_for(wire.read_message(reader), timeout_s)
            if kind == b"R":
                (code,) = struct.unpack("!I", payload[:4])
                data = payload[4:]
                if code == 3:
                    writer.write(wire.message(b"p", password.encode() + b"\0"))
                elif code == 5:
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    outer = hashlib.md5(inner.encode() + data[:4]).hexdigest()
                    writer.write(wire.message(b"p", f"md5{outer}".encode() + b"\0"))
                elif code == 10:
                    scram = ScramClient(["SCRAM-SHA-256"], user, password)
                    first = scram.get_client_first().encode()
                    writer.write(
                        wire.message(
                            b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first
                        )
                    )
                elif code == 11 and scram is not None:
                    scram.set_server_first(data.decode())
                    writer.write(wire.message(b"p", scram.get_client_final().encode()))
                elif code == 12 and scram is not None:
                    scram.set_server_final(data.decode())
                elif code != 0:
                    raise UpstreamError({"C": "28000", "M": f"authentication method {code}"})
            elif kind == b"S":
                name, offset = wire.cstring(payload, 0)
                value, _ = wire.cstring(payload, offset)
                upstream.statuses.append((name, value))
            elif kind == b"K":
                upstream.key_data = payload
            elif kind == b"E":
                raise UpstreamError(wire.error_fields(payload))
            elif kind == b"Z":
                return upstream
            await writer.drain()
    except BaseException:
        writer.close()
        raise


async def cancel(url: str, key_data: bytes, timeout_s: float = 3.0) -> None:
    """Ask the server to cancel the statement of the session `key_data` names."""
    if len(key_data) < 8:
        return
    _, writer = await open_socket(url, timeout_s)
    body = struct.pack("!I", wire.CANCEL_REQUEST) + key_data
    writer.write(struct.pack("!I", len(body) + 4) + body)
    await writer.drain()
    writer.close()

"""The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it.

Written here rather than taken from `scramp`: libpq sends an empty user name in its first
message (the user is in the startup packet), which `scramp`'s server refuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 4096


class ScramFailed(Exception):
    pass


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in text.split(","):
        if len(part) < 2 or part[1] != "=":
            raise ScramFailed(f"malformed attribute {part[:20]!r}")
        found[part[0]] = part[2:]
    return found


class ScramServer:
    """One exchange: `first(client_first) -> server_first`, `final(client_final) -> server_final`
    (`ScramFailed` when the proof is wrong)."""

    def __init__(self, password: str) -> None:
        self.salt = secrets.token_bytes(16)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), self.salt, ITERATIONS)
        self.stored_key = hashlib.sha256(_hmac(salted, b"Client Key")).digest()
        self.server_key = _hmac(salted, b"Server Key")
        self.gs2_header = self.client_first_bare = self.server_first = self.nonce = ""

    def first(self, client_first: str) -> str:
        flag, _, rest = client_first.partition(",")
        if flag not in ("n", "y"):  # "p": channel binding, which this server does not offer
            raise ScramFailed("channel binding is not supported")
        _authzid, _, bare = rest.partition(",")
        self.gs2_header = client_first[: len(client_first) - len(bare)]
        self.client_first_bare = bare
        client_nonce = _attributes(bare).get("r", "")
        if not client_nonce:
            raise ScramFailed("no client nonce")
        self.nonce = client_nonce + base64.b64encode(secrets.token_bytes(18)).decode()
        salt = base64.b64encode(self.salt).decode()
        self.server_first = f"r={self.nonce},s={salt},i={ITERATIONS}"
        return self.server_first

    def final(self, client_final: str) -> str:
        without_proof, _, proof_part = client_final.rpartition(",p=")
        attributes = _attributes(without_proof)
        if attributes.get("r") != self.nonce:
            raise ScramFailed("nonce mismatch")
        if base64.b64decode(attributes.get("c", "")) != self.gs2_header.encode():
            raise ScramFailed("channel binding mismatch")
        message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        try:
            proof = base64.b64decode(proof_part, validate=True)
        except ValueError as error:
            raise ScramFailed("malformed proof") from error
        signature = _hmac(self.stored_key, message)
        if len(proof) != len(signature):
            raise ScramFailed("malformed proof")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.stored_key):
            raise ScramFailed("wrong password")
        return "v=" + base64.b64encode(_hmac(self.server_key, message)).decode()

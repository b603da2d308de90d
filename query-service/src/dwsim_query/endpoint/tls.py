"""The endpoint's TLS certificate: self-signed, generated on first start and kept in the data
folder, so clients that pin it (`sslrootcert`) keep trusting it across restarts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_NAME = "redshift-endpoint.crt"
KEY_NAME = "redshift-endpoint.key"


def ensure_certificate(folder: Path, hosts: tuple[str, ...] = ("localhost",)) -> tuple[Path, Path]:
    """The certificate and key files in `folder`, created when missing."""
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dwsim redshift endpoint")])
    alt_names: list[x509.GeneralName] = [x509.DNSName(h) for h in {"localhost", *hosts}]
    alt_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        # A CA of itself: clients that verify the chain (redshift_connector's verify-ca) accept
        # it once it is in their trust store.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # Written to temporary names and moved into place: two services starting at once never
    # read half a file.
    tmp_key = folder / f"{KEY_NAME}.{os.getpid()}.tmp"
    tmp_cert = folder / f"{CERT_NAME}.{os.getpid()}.tmp"
    tmp_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    tmp_key.chmod(0o600)
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp_key.replace(key_path)
    tmp_cert.replace(cert_path)
    return cert_path, key_path


def server_context(folder: Path) -> ssl.SSLContext:
    cert_path, key_path = ensure_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context

"""A self-signed certificate for serving the simulator over HTTPS, for clients that insist on it.

The certificate names ``localhost``, ``127.0.0.1`` and SFMC's own host names
(``*.auth|rest|soap.marketingcloudapis.com``), so a client that resolves a tenant's host names
to the simulator (e.g. sfmc-sdk through a Node ``--require`` hook) can verify it when told to
trust it (``NODE_EXTRA_CA_CERTS``, ``REQUESTS_CA_BUNDLE``). It is made once per directory and
reused; it is a certificate authority of its own (``BasicConstraints ca=True``), which is what
Node wants of an extra CA certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_NAME = "simulator-cert.pem"
KEY_NAME = "simulator-key.pem"
DNS_NAMES = (
    "localhost",
    "*.auth.marketingcloudapis.com",
    "*.rest.marketingcloudapis.com",
    "*.soap.marketingcloudapis.com",
)


def ensure_certificate(directory: Path) -> tuple[str, str]:
    """Paths of the (certificate, private key) PEM files in ``directory``, created if missing."""
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    if cert_path.exists() and key_path.exists():
        return str(cert_path), str(key_path)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SFMC simulator")])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names: list[x509.GeneralName] = [x509.DNSName(n) for n in DNS_NAMES]
    alternative_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)

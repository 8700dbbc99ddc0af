"""Debian's nginx running the repository's site file (deploy/nginx-causeway.conf) in front of a test hub.

The site file is used as it is, with only what a test machine must change swapped in: the listen
addresses (free loopback ports instead of 80/443, no IPv6), the upstream (the test hub instead of
127.0.0.1:8000) and the certificate (a self-signed one for 127.0.0.1). nginx runs in the foreground
(``daemon off``) under a prefix of its own in the test's temporary directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.processes import ServerProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = REPO_ROOT / "deploy" / "nginx-causeway.conf"


def nginx_binary() -> str | None:
    """Path of Debian's nginx (``make nginx`` installs it), or None."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    moment = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(moment - datetime.timedelta(minutes=5))
            .not_valid_after(moment + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def site_for_test(upstream: str, http_port: int, tls_port: int, cert: Path, key: Path) -> str:
    """The repository's site file with the test's addresses and certificate; each replaced line must exist."""
    text = SITE_FILE.read_text()
    swaps = [
        ("server 127.0.0.1:8000;", f"server {upstream};", 1),
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;", 1),
        ("/etc/letsencrypt/live/hub.example/fullchain.pem", str(cert), 1),
        ("/etc/letsencrypt/live/hub.example/privkey.pem", str(key), 1),
    ]
    for old, new, count in swaps:
        assert text.count(old) == count, f"{SITE_FILE.name} no longer has {old!r}: update the test's swaps"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line) + "\n"


@dataclass
class Nginx:
    """A running nginx: its HTTP and HTTPS ports and process."""

    http_port: int
    tls_port: int
    process: ServerProcess

    @property
    def base(self) -> str:
        """https://127.0.0.1:PORT."""
        return f"https://127.0.0.1:{self.tls_port}"

    def stop(self) -> None:
        """Stop nginx (SIGTERM: fast shutdown)."""
        self.process.stop()


def start_nginx(binary: str, upstream: str, directory: Path) -> Nginx:
    """Check the configuration with ``nginx -t``, then run nginx in the foreground until stopped."""
    directory.mkdir(parents=True, exist_ok=True)
    http_port, tls_port = free_port(), free_port()
    cert, key = self_signed(directory)
    (directory / "causeway.conf").write_text(site_for_test(upstream, http_port, tls_port, cert, key))
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (directory / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'} info;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    access_log {directory / 'access.log'};\n{temp}\n"
        f"    include {directory / 'causeway.conf'};\n}}\n"
    )
    args = [binary, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(directory / "nginx.conf")]
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t refused the site file:\n{checked.stderr}"
    process = ServerProcess(args, log_dir=str(directory), name=f"nginx-{tls_port}")
    server = Nginx(http_port, tls_port, process)
    process.wait_http(f"http://127.0.0.1:{http_port}/", deadline=20)
    return server

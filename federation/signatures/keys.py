"""Key handling for HTTP signatures: generate RSA key pairs, load PEM keys (cached), sign and verify bytes.

Verification supports RSA (RSASSA-PKCS1-v1_5 with SHA-256) and Ed25519 public keys; signing supports
the same two private key types. Parsing PEM is costly, so loaded keys are kept in small LRU caches
keyed by the PEM text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.errors import SignatureError

PublicKey = Union[rsa.RSAPublicKey, ed25519.Ed25519PublicKey]
PrivateKey = Union[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
ED25519 = "ed25519"


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """Return a new (private PEM in PKCS#8, public PEM in SubjectPublicKeyInfo) RSA key pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return private_pem, public_pem_of(key)


def public_pem_of(key: PrivateKey) -> str:
    """Return the SubjectPublicKeyInfo PEM of a private key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> PrivateKey:
    """Parse an unencrypted PEM private key (RSA or Ed25519); raise SignatureError if unusable."""
    try:
        data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("unusable private key") from exc
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise SignatureError("unsupported private key type")
    return key


@lru_cache(maxsize=1024)
def load_public_key(pem: str) -> PublicKey:
    """Parse a PEM public key (SPKI or PKCS#1 RSA, or Ed25519); raise SignatureError if unusable."""
    try:
        data = pem.strip().encode("ascii") if isinstance(pem, str) else bytes(pem).strip()
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("unusable public key") from exc
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise SignatureError("unsupported public key type")
    return key


def algorithm_of(key: PublicKey | PrivateKey) -> str:
    """Return the RFC 9421 algorithm name that a key implies (rsa-v1_5-sha256 or ed25519)."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return RSA_V1_5_SHA256
    return ED25519


def sign_bytes(key: PrivateKey, message: bytes) -> bytes:
    """Sign bytes with RSASSA-PKCS1-v1_5 SHA-256 (RSA key) or Ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(message)


def verify_bytes(key: PublicKey, algorithm: str | None, signature: bytes, message: bytes) -> bool:
    """Check a signature; ``algorithm`` is rsa-v1_5-sha256, ed25519 or None (inferred from the key)."""
    algorithm = algorithm or algorithm_of(key)
    try:
        if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
            return True
    except (InvalidSignature, ValueError):
        return False
    return False

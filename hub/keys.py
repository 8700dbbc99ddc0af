"""Key pairs for actors, as PEM text: RSA (groups and the instance actor) and Ed25519 (groups' integrity proofs)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """Return a fresh (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM) pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def generate_ed25519_private_pem() -> str:
    """A fresh Ed25519 private key (PKCS#8 PEM): a group's key for integrity proofs (FEP-8b32)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

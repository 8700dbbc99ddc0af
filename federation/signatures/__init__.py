"""HTTP signatures for federation, pure and offline: draft-cavage and RFC 9421, digests, keys.

Inbound: ``inspect_request`` (no key needed) then ``verify_claim`` with the signer's public key.
Outbound: ``SigningAuth`` for httpx, or ``sign_cavage`` / ``sign_rfc9421`` for raw header dicts.
"""

from .auth import DoubleKnock, SchemeMemory, SigningAuth, other_scheme
from .cavage import CavageParams, parse_signature_header, signing_string
from .cavage import sign as sign_cavage
from .digest import (
    check_content_digest,
    check_digest,
    check_digest_header,
    content_digest_header,
    digest_header,
)
from .keys import generate_rsa_keypair, load_private_key, load_public_key, public_pem_of
from .rfc9421 import SignatureInput, parse_signature, parse_signature_input, signature_base
from .rfc9421 import sign as sign_rfc9421
from .verify import SignatureClaim, VerifiedSignature, inspect_request, verify_claim

__all__ = [
    "CavageParams",
    "DoubleKnock",
    "SchemeMemory",
    "SignatureClaim",
    "SignatureInput",
    "SigningAuth",
    "VerifiedSignature",
    "check_content_digest",
    "check_digest",
    "check_digest_header",
    "content_digest_header",
    "digest_header",
    "generate_rsa_keypair",
    "inspect_request",
    "load_private_key",
    "load_public_key",
    "other_scheme",
    "parse_signature",
    "parse_signature_header",
    "parse_signature_input",
    "public_pem_of",
    "sign_cavage",
    "sign_rfc9421",
    "signature_base",
    "signing_string",
    "verify_claim",
]

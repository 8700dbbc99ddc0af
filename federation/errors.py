"""Errors raised by the federation layer.

    FederationError
    ├── SignatureError          a request's HTTP signature is missing, malformed, stale or wrong (-> 401)
    │   ├── KeyFetchError       the signing key could not be fetched or does not belong to the actor
    │   └── LdSignatureError    a Linked Data signature (RsaSignature2017) is absent, stale, unreadable or wrong
    ├── BlockedError            the sender's domain is blocked (-> 403)
    ├── RateLimitError          the sender (actor or server) posts too often (-> 429 with Retry-After)
    ├── OriginError             an id, key or embedded object is not on the host it claims (-> 400/401)
    ├── PayloadError            the body is not acceptable JSON / ActivityStreams (-> 400 or 413)
    ├── ProofError              a FEP-8b32 integrity proof is malformed, unsupported, from another server or wrong
    ├── FetchError              an outgoing GET failed or returned something unusable
    │   ├── UnsafeAddressError  the target resolves to a private/loopback/reserved address
    │   ├── ResponseTooLarge    the response went past the byte cap
    │   └── DocumentError       the response is not a usable document (media type, JSON, id): a retry won't help
    ├── DiscoveryError          WebFinger / NodeInfo / actor lookup found nothing usable
    ├── MoveError               a Move's target does not name the moving actor in its alsoKnownAs
    └── RegistryError           two features declare one handler key (raised at import, a programming error)

Every error carries a short ``reason`` fit to be sent back to a peer or shown to a person.
"""


class FederationError(Exception):
    """Base of all federation errors; ``reason`` is a short human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(FederationError):
    """The HTTP signature of a request is missing, malformed, outside its time window or invalid."""


class KeyFetchError(SignatureError):
    """The key named by keyId could not be fetched, or it does not belong to the claimed actor."""


class LdSignatureError(SignatureError):
    """A document's Linked Data signature cannot be checked (unknown context, too complex, stale) or does not verify."""


class BlockedError(FederationError):
    """The sending actor or its domain is blocked here."""


class RateLimitError(FederationError):
    """The signer or its server went past the inbox rate limit; ``retry_after`` is in whole seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class OriginError(FederationError):
    """An activity, object or key is not on the host that its actor or URL claims."""


class ProofError(FederationError):
    """A FEP-8b32 proof of an unsupported kind, by a key of another server, or over a changed document."""


class PayloadError(FederationError):
    """The request body is not an acceptable ActivityStreams document."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


class FetchError(FederationError):
    """An outgoing request failed, timed out, or returned an unusable document."""


class UnsafeAddressError(FetchError):
    """The destination resolves to an address the hub must not contact."""


class ResponseTooLarge(FetchError):
    """The response body is larger than the allowed cap."""


class DocumentError(FetchError):
    """The peer answered, but with something that is not a usable document (wrong media type, bad JSON, no id)."""


class DiscoveryError(FederationError):
    """WebFinger, NodeInfo or actor discovery found nothing usable."""


class MoveError(FederationError):
    """A move was refused: the target actor does not list the origin in ``alsoKnownAs`` (or cannot be read)."""


class RegistryError(FederationError):
    """Two features own one handler key, a ``First`` has no owner to fall back to, or a hook point is unknown."""

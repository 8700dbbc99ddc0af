"""In-memory state of one peer: configuration, local actors, notes, follows, records."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.peers.mastodon_like import signing

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Config:
    """Command-line options of the peer."""

    host: str = "127.0.0.1"
    port: int = 0
    software: str = "mastodon"
    software_version: str = "4.3.0"
    authorized_fetch: bool = False
    accept_rfc9421: bool = False
    integrity_proofs: bool = False
    """Publish an Ed25519 Multikey in assertionMethod and sign notes with FEP-8b32 proofs (as Mitra does)."""
    rfc9421_only: bool = False
    """Refuse draft-cavage signatures with 401 (as a server that takes only RFC 9421 would)."""
    auto_accept: bool = True

    @property
    def domain(self) -> str:
        """host:port, the peer's domain in handles and ids."""
        return f"{self.host}:{self.port}"

    @property
    def base(self) -> str:
        """Origin URL, http scheme."""
        return f"http://{self.domain}"


@dataclass
class LocalActor:
    """An actor hosted by the peer, with its own RSA key."""

    name: str
    id: str
    type: str
    key: rsa.RSAPrivateKey
    created: float = field(default_factory=time.time)
    followers: dict[str, dict[str, Any]] = field(default_factory=dict)  # remote actor id -> info
    extra: dict[str, Any] = field(default_factory=dict)  # more properties of its document (another software's shape)
    also_known_as: list[str] = field(default_factory=list)  # alsoKnownAs: the accounts it moved from
    moved_to: str | None = None  # movedTo, once it moved
    proof_key: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)
    """Ed25519 key of its FEP-8b32 proofs (published and used with --integrity-proofs)."""

    @property
    def key_id(self) -> str:
        """The publicKey id, <actor>#main-key."""
        return f"{self.id}#main-key"

    @property
    def public_key_pem(self) -> str:
        """PEM of the public key."""
        return signing.public_pem(self.key)


class PeerState:
    """Everything the peer remembers; reset() clears records, reset(all=True) everything."""

    def __init__(self, config: Config) -> None:
        """Create the instance actor and empty stores."""
        self.config = config
        self.instance = LocalActor(
            name=config.domain, id=f"{config.base}/actor", type="Application", key=signing.generate_key()
        )
        self._seq = itertools.count(1)
        self.actors: dict[str, LocalActor] = {}
        self.notes: dict[str, dict[str, Any]] = {}  # note id -> {actor, note, inboxes, deleted}
        self.follows: dict[str, dict[str, Any]] = {}  # outgoing follow id -> record
        self.key_cache: dict[str, dict[str, str]] = {}  # key id -> {pem, owner}
        self.received: list[dict[str, Any]] = []
        self.fetches: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.interactions: list[str] = []
        self.timeline: dict[str, dict[str, Any]] = {}  # remote status id -> status as shown (see timeline.py)
        self.documents: dict[str, dict[str, Any]] = {}  # path under /d/ -> JSON document served there
        self.moves: list[dict[str, Any]] = []  # Moves received and what came of them (see app.Peer._move_follows)
        self.moving: set[str] = set()  # origins whose Move is being processed (Mastodon's move_in_progress key)

    def reset(self, everything: bool = False) -> None:
        """Forget recorded traffic; with `everything`, also actors, notes, follows and keys."""
        self.received.clear()
        self.fetches.clear()
        self.sent.clear()
        self.interactions.clear()
        self.key_cache.clear()
        self.moves.clear()
        if everything:
            self.actors.clear()
            self.notes.clear()
            self.follows.clear()
            self.timeline.clear()
            self.documents.clear()

    def next_status_id(self) -> str:
        """A Mastodon-snowflake-like id: milliseconds << 16 | sequence (unique across restarts)."""
        return str((int(time.time() * 1000) << 16) | (next(self._seq) & 0xFFFF))

    def actor_by_id(self, actor_id: str) -> LocalActor | None:
        """The local actor (or instance actor) with this id."""
        if actor_id == self.instance.id:
            return self.instance
        return next((a for a in self.actors.values() if a.id == actor_id), None)

    def actor(self, ref: str) -> LocalActor | None:
        """Look up a local actor by name, id or handle."""
        ref = ref.lstrip("@")
        if ref.endswith("@" + self.config.domain):
            ref = ref.rsplit("@", 1)[0]
        return self.actors.get(ref) or self.actor_by_id(ref)

    def record(self, store: list[dict[str, Any]], entry: dict[str, Any]) -> dict[str, Any]:
        """Append an entry with a sequence number and timestamp."""
        entry = {"seq": len(store) + 1, "at": time.time(), **entry}
        store.append(entry)
        return entry

"""ActivityPub for Causeway: keys, signatures, discovery, the wire <-> domain translation, inbox and delivery."""

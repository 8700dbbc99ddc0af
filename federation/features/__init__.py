"""Federation features, one module each, declaring their inbound and outbound handlers as small tables."""

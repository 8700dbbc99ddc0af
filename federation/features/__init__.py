"""Federation features, one module each, declaring their inbound handlers and outbound event handlers as tables."""

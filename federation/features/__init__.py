"""Federation features that live in one module each (inbound handlers and outbound event handlers as tables)."""

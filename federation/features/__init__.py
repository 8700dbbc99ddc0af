"""Federation features that own their inbound and outbound tables in one module each (see README, layout)."""

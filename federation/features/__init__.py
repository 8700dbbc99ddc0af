"""One module per federation feature, each declaring its inbound handlers, outbound event handlers and hooks
in a module-level ``FEATURE`` (federation.handling.Feature); federation.registry assembles them.

posts, membership, group_actor, collaboration, moderation, campaigns, members_only, relays, group_deletion, organisers,
decisions, library, gatherings (events).
"""

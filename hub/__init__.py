"""Causeway's domain: groups, accounts, memberships, posts, invites, moderation and their storage."""

__version__ = "0.1.0"

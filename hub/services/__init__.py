"""Domain services: plain async functions that check permissions, change rows and record events."""

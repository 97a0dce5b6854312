"""Revisions of the live store's schema, oldest first."""

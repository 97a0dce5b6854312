"""Alembic migrations of the live store, shipped in the package and run by `aigrid serve`."""

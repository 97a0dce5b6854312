"""aigrid."""

"""The REST API (FastAPI) over the live service layer."""

from aigrid.live.api.app import create_app

__all__ = ["create_app"]

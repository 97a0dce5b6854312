"""The live service layer: what the REST API and the CLI call. Routes hold no queries."""

from aigrid.live.service.auth import NewToken, Principal, Role
from aigrid.live.service.authenticate import authenticate
from aigrid.live.service.context import ServiceContext
from aigrid.live.service.jobs import JobRequest

__all__ = ["JobRequest", "NewToken", "Principal", "Role", "ServiceContext", "authenticate"]

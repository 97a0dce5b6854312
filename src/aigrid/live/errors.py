"""Errors of the live service. Each knows its HTTP status and the CLI's exit code, so the API
and the command line report one failure the same way."""

from __future__ import annotations

from aigrid.errors import AigridError, UsageError


class LiveError(AigridError):
    """Base of the live service's errors."""

    http_status: int = 500


class InvalidRequestError(LiveError, UsageError):
    """The request is well formed but asks for something that cannot be (422)."""

    exit_code = 2
    http_status = 422


class UnauthorizedError(LiveError):
    """No token, or one that is unknown or revoked (401)."""

    exit_code = 3
    http_status = 401


class NotFoundError(LiveError):
    """The thing does not exist, or the caller may not know it does (404)."""

    exit_code = 4
    http_status = 404


class ForbiddenError(LiveError):
    """The caller's role may not do this (403). Never used for things in another org: those
    answer `NotFoundError`, so a denial does not reveal that they exist."""

    exit_code = 5
    http_status = 403


class ConflictError(LiveError):
    """The request clashes with the current state: a duplicate id, a job already ended (409)."""

    exit_code = 6
    http_status = 409


class ServerError(LiveError):
    """The server failed or could not be reached."""

    exit_code = 7
    http_status = 500


BY_STATUS: dict[int, type[LiveError]] = {
    e.http_status: e
    for e in (InvalidRequestError, UnauthorizedError, NotFoundError, ForbiddenError, ConflictError)
}

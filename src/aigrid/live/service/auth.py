"""Tokens and who may see what.

A token reads `aig_<id>_<secret>`. The store keeps the public `id` and the SHA-256 of the secret,
never the secret itself. Each token has a role: `admin` (everything), `manager` of one program
(its grants, its jobs, its usage) or `member` of one org (its own jobs and balances).

Visibility is one rule, applied in queries and checks alike: a principal sees an org's things if
it is admin, a member of that org, or the manager of the program they belong to. What it may not
see answers "not found", so a denial never reveals that a thing exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from aigrid.live.errors import ForbiddenError, UnauthorizedError

PREFIX = "aig"


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token's id, role and the org or program it is bound to."""

    token: str
    role: Role
    org: str | None = None
    program: str | None = None

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN

    def sees(self, org: str, program: str | None = None) -> bool:
        """Whether this principal may know about a thing of `org` (through `program`)."""
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.MEMBER:
            return org == self.org
        return program is not None and program == self.program

    def where(
        self,
        org_col: InstrumentedAttribute[str],
        program_col: InstrumentedAttribute[str] | None = None,
    ) -> ColumnElement[bool]:
        """`sees` as a SQL condition on an org column (and a program column)."""
        if self.role is Role.ADMIN:
            return true()
        if self.role is Role.MEMBER:
            return org_col == self.org
        if program_col is None:
            return false()
        return program_col == self.program

    def require_admin(self) -> None:
        if self.role is not Role.ADMIN:
            raise ForbiddenError("only an admin may do this")


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token as made: `secret` is shown once, to whoever made it; the store keeps `sha256`."""

    id: str
    secret: str
    sha256: str

    @property
    def text(self) -> str:
        return f"{PREFIX}_{self.id}_{self.secret}"


def new_token() -> NewToken:
    secret = secrets.token_urlsafe(32)
    return NewToken(secrets.token_hex(6), secret, digest(secret))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(text: str) -> tuple[str, str]:
    """The id and secret of a token's text, or `UnauthorizedError`."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise UnauthorizedError("malformed token")
    return parts[1], parts[2]


def secret_matches(secret: str, sha256: str) -> bool:
    return hmac.compare_digest(digest(secret), sha256)

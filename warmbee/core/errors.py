"""The one application error type (HackSoft styleguide): services raise it, views render it."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule was broken. ``code`` is stable for clients; ``message`` is translated for people."""

    status = 400
    default_code = "invalid"

    def __init__(
        self, message: str | Promise, *, code: str | None = None, field: str | None = None
    ):
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "field": self.field}


class NotFound(DomainError):
    """Missing and out of scope look the same (R1)."""

    status = 404
    default_code = "not_found"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class Gone(DomainError):
    """It existed and has been deleted on purpose (an expired export file)."""

    status = 410
    default_code = "gone"


class RateLimited(DomainError):
    status = 429
    default_code = "rate_limited"

"""The JSON API under ``/api/v1/``: one NinjaAPI, one router per app.

Errors always have the shape ``{"code", "message", "field"}`` with a translated message.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from warmbee.core.errors import DomainError

api = NinjaAPI(
    title="WarmBee API",
    version="1",
    description="WarmBee (暖蜂) platform API. Session-authenticated; errors are "
    '{"code", "message", "field"}.',
    auth=django_auth,
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(
        request, {"code": code, "message": message, "field": field}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.field)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in {"body", "query", "path", "payload"}]
    field = ".".join(loc) or None
    kind = first.get("type", "invalid")
    ctx = first.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "string_too_long": _("Use at most %(n)s characters.") % {"n": ctx.get("max_length")},
        "string_too_short": _("Use at least %(n)s characters.") % {"n": ctx.get("min_length")},
        "int_parsing": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "greater_than_equal": _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
        "less_than_equal": _("Must be at most %(n)s.") % {"n": ctx.get("le")},
        "string_pattern_mismatch": _("The format is not valid."),
        "json_invalid": _("The request body is not valid JSON."),
    }
    message = messages.get(kind, _("This value is not valid."))
    if field:
        message = f"{field}: {message}"
    return _error(request, 422, kind, message, field)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "not_authenticated", _("Log in first."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))


def register_routers() -> None:
    from warmbee.accounts.api import router as accounts_router
    from warmbee.aid.api import router as aid_router
    from warmbee.audit.api import router as audit_router
    from warmbee.casework.api import router as casework_router
    from warmbee.civic.api import router as civic_router
    from warmbee.notify.api import router as notify_router
    from warmbee.orgs.api import router as orgs_router
    from warmbee.points.api import router as points_router
    from warmbee.privacy.api import router as privacy_router
    from warmbee.regions.api import router as regions_router
    from warmbee.stations.api import router as stations_router
    from warmbee.workers.api import router as workers_router

    # The public station finder first: URL resolution tries the routes in this order.
    api.add_router("/stations", stations_router)
    api.add_router("/regions", regions_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/workers", workers_router)
    api.add_router("/notify", notify_router)
    api.add_router("/privacy", privacy_router)
    api.add_router("/civic", civic_router)
    api.add_router("/points", points_router)
    api.add_router("/casework", casework_router)
    api.add_router("/aid", aid_router)


register_routers()

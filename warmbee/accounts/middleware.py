from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from warmbee.core.net import in_networks

# Paths a half-authenticated staff member (password ok, MFA not yet) may still reach.
MFA_OPEN_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")
SEEN_WRITE_INTERVAL = 60


def _json_or_redirect(request, status: int, code: str, message: str, url: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    return redirect(url)


class SessionPolicyMiddleware:
    """Session lifetime (R12), MFA for staff (R11), expired passwords (R9)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session: nothing to check, and the session stays untouched, so public answers
            # are not marked "Vary: Cookie" and shared caches can keep them.
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            login_at = session.get("_wb_login_at", 0)
            last_seen = session.get("_wb_last_seen", 0)
            expired = now - login_at > settings.SESSION_ABSOLUTE_SECONDS
            idle = user.is_staff_member and now - last_seen > settings.STAFF_IDLE_TIMEOUT_SECONDS
            if expired or idle:
                logout(request)
                return _json_or_redirect(
                    request,
                    401,
                    "session_expired",
                    _("Your session has ended. Log in again."),
                    reverse(settings.LOGIN_URL) + "?expired=1",
                )
            if user.is_staff_member and now - last_seen > SEEN_WRITE_INTERVAL:
                # Only the staff idle timeout reads it: a courier's scan writes no session.
                session["_wb_last_seen"] = now
            from .services import mfa_required

            if (
                not request.path.startswith(MFA_OPEN_PREFIXES)
                and not user.is_verified()
                and mfa_required(user)
            ):
                return _json_or_redirect(
                    request,
                    401,
                    "mfa_required",
                    _("Enter the code from your authenticator."),
                    reverse("accounts:mfa"),
                )
        return self.get_response(request)


class AdminNetworkMiddleware:
    """The staff console and the Django admin answer only from configured networks (R15)."""

    PREFIXES = ("/console/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PREFIXES) and not in_networks(
            getattr(request, "client_ip", ""), settings.ADMIN_ALLOWED_CIDRS
        ):
            return HttpResponseForbidden(_("Not available from this network."))
        return self.get_response(request)

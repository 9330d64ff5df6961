from __future__ import annotations

import re
import uuid

from django.conf import settings

from . import context
from .net import client_ip

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request an id (kept from a trusted ``X-Request-ID`` when well-formed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request.client_ip = client_ip(request)
        token = context.bind(
            context.RequestContext(request_id=request_id, ip=request.client_ip, channel="web")
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """CSP on every response; ``Cache-Control: no-store`` on anything for a signed-in user (R46)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and user is not None
        if signed_in and user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response.setdefault("Vary", "Cookie")
        return response


class DomainErrorMiddleware:
    """Pages: a ``DomainError`` that escapes a view becomes the right page (404 for missing or
    out of scope, a re-authentication prompt, or the message with its status)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render
        from django.urls import reverse
        from django.utils.http import urlencode

        from .errors import DomainError

        if not isinstance(exception, DomainError):
            return None
        if exception.status == 404:
            return render(request, "errors/404.html", status=404)
        if exception.code == "reauth_required":
            from django.shortcuts import redirect

            return redirect(reverse("accounts:reauth") + "?" + urlencode({"next": request.path}))
        return render(
            request,
            "errors/error.html",
            {"message": exception.message, "status": exception.status},
            status=exception.status,
        )


class LanguageMiddleware:
    """Simplified Chinese unless the person chose another language with the switch (the choice
    is kept in the language cookie). Browser ``Accept-Language`` is not followed: staff share
    English-language office machines, and the programme's language is Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        codes = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

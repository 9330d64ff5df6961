from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from warmbee.accounts.scoping import has_perm

from .errors import DomainError


def attach_error(form, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's error on the form field it names (or on the form)."""
    field = (field_map or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, str(exc.message))


def raise_unless_input(exc: DomainError, shown: tuple[int, ...] = (400,)) -> None:
    """A broken rule (400, and whatever else ``shown`` names) is the page's to show; 403, 404,
    409 … go on to the error middleware."""
    if exc.status not in shown:
        raise exc


def form_post(request, form, act, *, done, to, page, shown: tuple[int, ...] = (400,)):
    """A form, then one service call. On a valid POST ``act()`` runs; if it succeeds ``done``
    (a message, or a function of ``act``'s result that gives it) is flashed and the browser
    goes to ``to``. A refused form — invalid, or a service error in ``shown`` put on its field —
    is ``page(form)`` again, which decides the status. Nothing else is caught."""
    if request.method == "POST" and form.is_valid():
        try:
            result = act()
        except DomainError as exc:
            raise_unless_input(exc, shown)
            attach_error(form, exc)
        else:
            messages.success(request, done(result) if callable(done) else done)
            return redirect(to)
    return page(form)


def action_post(request, act, *, done, to, shown: tuple[int, ...] = (400,)):
    """A POSTed action without a form: ``act()``, then back to ``to`` with its outcome as a
    message (``done``, or a function of the result that gives it; a service error in ``shown``
    as an error message). Other errors go on to the error middleware."""
    try:
        result = act()
    except DomainError as exc:
        raise_unless_input(exc, shown)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect(to)


def console_required(perm: str):
    """Staff console pages: signed in and holding ``perm`` somewhere; MFA is enforced by the
    session middleware. Without the permission the page does not exist (404)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def home(request):
    return render(request, "core/home.html")


@cache_control(no_store=True)
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


def error_403(request, exception=None):
    message = str(exception) if isinstance(exception, DomainError) else ""
    return render(request, "errors/403.html", {"message": message}, status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    return render(request, "errors/500.html", {"SITE_NAME": settings.SITE_NAME}, status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/403.html", {"csrf": True}, status=403)

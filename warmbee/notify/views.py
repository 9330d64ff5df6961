"""The signed-in user's inbox (``/me/inbox/``). Only ever the user's own messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .selectors import inbox_for, unread_count
from .services import inbox_mark_read


@never_cache
@login_required
def inbox(request):
    """The list, newest first. Opening a page of it marks the messages on that page read; they
    still show as new this once."""
    page = Paginator(inbox_for(request.user), settings.INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    fresh = [m.pk for m in items if m.read_at is None]
    if fresh:
        inbox_mark_read(user=request.user, ids=fresh)
    return TemplateResponse(
        request,
        "notify/inbox.html",
        {
            "page": page,
            "items": items,
            "fresh": set(fresh),
            "unread_elsewhere": unread_count(request.user),
        },
    )


@never_cache
@login_required
@require_POST
def inbox_read(request):
    """Mark all (no ``ids``) or the given messages of the user read. Another user's id is
    ignored: the update is filtered on the owner."""
    raw = request.POST.getlist("ids")
    ids = [int(v) for v in raw if v.isdigit()] if raw else None
    marked = inbox_mark_read(user=request.user, ids=ids)
    if marked:
        messages.success(request, _("Marked as read."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        target = ""
    return redirect(target or "notify:inbox")

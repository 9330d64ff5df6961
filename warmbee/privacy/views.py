"""The staff queue of correction and deletion requests (R27)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.views import console_required

from . import selectors, services
from .models import RequestStatus


@console_required(Perm.HANDLE_DATA_REQUEST)
def request_queue(request):
    status = request.GET.get("status", RequestStatus.OPEN)
    if status not in (*RequestStatus.values, ""):
        status = RequestStatus.OPEN
    qs = selectors.data_request_queue(actor=request.user, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/console_requests.html",
        {"page": page, "status": status, "statuses": RequestStatus.choices, "now": timezone.now()},
    )


@require_POST
@console_required(Perm.HANDLE_DATA_REQUEST)
def request_handle(request, pk: int):
    try:
        item = selectors.access_data_request(request.user, pk)
        services.data_request_handle(
            actor=request.user,
            request=item,
            status=request.POST.get("status", ""),
            response=request.POST.get("response", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The request has been answered and the worker told."))
    return redirect("privacy:console_requests")

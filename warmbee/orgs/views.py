"""The organisations console: organisations and outlets in the officer's area (read pages).

Thin views: reads through ``orgs.selectors``; outside scope is 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.response import TemplateResponse

from warmbee.accounts.roles import Perm
from warmbee.core.errors import NotFound
from warmbee.core.views import console_required

from . import selectors
from .forms import OrgFilterForm, OutletFilterForm

PAGE_SIZE = 50


def _listing(request, template, form, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, {"form": form, "page": page})


@console_required(Perm.VIEW_ORG)
def org_list(request):
    form = OrgFilterForm(request.GET or None, actor=request.user)
    qs = selectors.org_list(actor=request.user, **form.filters())
    return _listing(request, "orgs/console_org_list.html", form, qs)


@console_required(Perm.VIEW_ORG)
def org_detail(request, pk: int):
    try:
        org = selectors.access_org(request.user, pk)
    except NotFound:
        raise Http404 from None
    outlets = selectors.outlet_list(actor=request.user, company=org)[:200]
    desks = org.desks.all() if org.kind == "provider" else []
    return render(
        request, "orgs/console_org_detail.html", {"org": org, "outlets": outlets, "desks": desks}
    )


@console_required(Perm.VIEW_ORG)
def outlet_list(request):
    form = OutletFilterForm(request.GET or None, actor=request.user)
    qs = selectors.outlet_list(actor=request.user, **form.filters())
    return _listing(request, "orgs/console_outlet_list.html", form, qs)


@console_required(Perm.VIEW_ORG)
def outlet_detail(request, pk: int):
    try:
        outlet = selectors.access_outlet(request.user, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "orgs/console_outlet_detail.html", {"outlet": outlet})

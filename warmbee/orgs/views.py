"""The organisations console: organisations and outlets in the officer's area (read pages).

Thin views: reads through ``orgs.selectors``; outside scope is 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, has_perm
from warmbee.core import tabular
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.import_views import upload_page
from warmbee.core.views import attach_error, console_required

from . import imports, selectors, services
from .forms import OrganisationForm, OrgFilterForm, OutletFilterForm, OutletForm
from .models import Organisation, Outlet

PAGE_SIZE = 50


def _listing(request, template, form, qs, **extra):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, {"form": form, "page": page, **extra})


@console_required(Perm.VIEW_ORG)
def org_list(request):
    form = OrgFilterForm(request.GET or None, actor=request.user)
    qs = selectors.org_list(actor=request.user, **form.filters())
    can_manage = has_perm(request.user, Perm.MANAGE_ORG)
    return _listing(request, "orgs/console_org_list.html", form, qs, can_manage=can_manage)


@console_required(Perm.VIEW_ORG)
def org_detail(request, pk: int):
    try:
        org = selectors.access_org(request.user, pk)
    except NotFound:
        raise Http404 from None
    outlets = selectors.outlet_list(actor=request.user, company=org)[:200]
    desks = org.desks.all() if org.kind == "provider" else []
    can_manage = has_perm(request.user, Perm.MANAGE_ORG, org.region)
    context = {"org": org, "outlets": outlets, "desks": desks, "can_manage": can_manage}
    return render(request, "orgs/console_org_detail.html", context)


@console_required(Perm.VIEW_ORG)
def outlet_list(request):
    form = OutletFilterForm(request.GET or None, actor=request.user)
    qs = selectors.outlet_list(actor=request.user, **form.filters())
    can_import = has_perm(request.user, Perm.MANAGE_ORG)
    return _listing(request, "orgs/console_outlet_list.html", form, qs, can_import=can_import)


@console_required(Perm.VIEW_ORG)
def outlet_detail(request, pk: int):
    try:
        outlet = selectors.access_outlet(request.user, pk)
    except NotFound:
        raise Http404 from None
    can_manage = has_perm(request.user, Perm.MANAGE_ORG, outlet.region)
    return render(
        request, "orgs/console_outlet_detail.html", {"outlet": outlet, "can_manage": can_manage}
    )


@console_required(Perm.MANAGE_ORG)
def outlet_import(request):
    """Upload an outlet list; checked and saved as a background job (``core.import_jobs``)."""
    return upload_page(request, importer=imports.OutletImporter, template="orgs/outlet_import.html")


@console_required(Perm.MANAGE_ORG)
def outlet_template(request):
    response = HttpResponse(
        tabular.template_xlsx(imports.LAYOUT),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="outlets-template.xlsx"'
    return response


@never_cache
@console_required(Perm.MANAGE_ORG)
def outlet_create(request):
    form = OutletForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        fields = form.fields_for_service()
        try:
            outlet = services.outlet_create(
                actor=request.user, company=form.cleaned_data["company"], **fields
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("orgs:console_outlet_detail", pk=outlet.pk)
    return render(request, "orgs/console_outlet_form.html", {"form": form, "outlet": None})


@never_cache
@console_required(Perm.MANAGE_ORG)
def outlet_edit(request, pk: int):
    try:
        outlet = access(Outlet, request.user, Perm.MANAGE_ORG, pk=pk)
    except NotFound:
        raise Http404 from None
    form = OutletForm(request.POST or None, actor=request.user, outlet=outlet)
    if request.method == "POST" and form.is_valid():
        try:
            services.outlet_update(actor=request.user, outlet=outlet, **form.fields_for_service())
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("orgs:console_outlet_detail", pk=outlet.pk)
    return render(request, "orgs/console_outlet_form.html", {"form": form, "outlet": outlet})


@never_cache
@console_required(Perm.MANAGE_ORG)
def org_create(request):
    form = OrganisationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        fields = form.fields_for_service()
        kind, name, region = fields.pop("kind"), fields.pop("name"), fields.pop("region")
        try:
            org = services.organisation_create(
                actor=request.user, kind=kind, name=name, region=region, **fields
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("orgs:console_org_detail", pk=org.pk)
    return render(request, "orgs/console_org_form.html", {"form": form, "org": None})


@never_cache
@console_required(Perm.MANAGE_ORG)
def org_edit(request, pk: int):
    try:
        org = access(Organisation, request.user, Perm.MANAGE_ORG, pk=pk)
    except NotFound:
        raise Http404 from None
    form = OrganisationForm(request.POST or None, actor=request.user, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, org=org, **form.fields_for_service())
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("orgs:console_org_detail", pk=org.pk)
    return render(request, "orgs/console_org_form.html", {"form": form, "org": org})

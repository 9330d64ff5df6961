from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.core.views import console_required

from .models import Result
from .selectors import AuditFilters, audit_event_list


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    actor_id = forms.IntegerField(label=_("Actor id"), required=False, min_value=1)
    region_code = forms.RegexField(
        label=_("Region code"),
        required=False,
        regex=r"^\d{6,12}$",
        error_messages={"invalid": _("Enter a 6- to 12-digit code.")},
    )
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", _("Any"))] + list(Result.choices)
    )
    target = forms.CharField(label=_("Target"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@console_required(Perm.VIEW_AUDIT)
def console_events(request):
    form = AuditFilterForm(request.GET or None)
    filters = AuditFilters(**(form.cleaned_data if form.is_valid() else {}))
    qs = audit_event_list(actor=request.user, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "audit/console_events.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, {"form": form, "page": page})

"""Forms of the worker's own pages (registration, code login, requests)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from warmbee.orgs.models import Outlet
from warmbee.orgs.selectors import employer_choices, outlet_choices
from warmbee.privacy.models import RequestKind

from .models import WorkerKind


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=64)
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    company = forms.ModelChoiceField(label=_("Company or platform"), queryset=None)
    outlet = forms.ModelChoiceField(label=_("Outlet or station you work from"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind of work"), choices=WorkerKind.choices, initial="courier")
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    agree = forms.BooleanField(label=_("I have read the notice and agree"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = employer_choices()
        company_id = self.data.get("company") if self.is_bound else None
        outlets = Outlet.objects.none()
        if company_id and str(company_id).isdigit():
            company = employer_choices().filter(pk=company_id).first()
            if company is not None:
                outlets = outlet_choices(company)
        self.fields["outlet"].queryset = outlets
        self.fields["outlet"].label_from_instance = lambda o: f"{o.name}（{o.region.name}）"
        self.fields["company"].widget.attrs.update(
            {
                "hx-get": reverse("workers:register_outlets"),
                "hx-target": "#id_outlet",
                "hx-trigger": "change",
            }
        )


class CodeLoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class DataRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("I would like to"), choices=RequestKind.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a correction: what is wrong, and what it should be."),
    )

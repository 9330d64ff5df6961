"""Filters of the organisations console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions

from .models import OrgKind
from .selectors import employer_choices

YES_NO = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]


class _RegionFilter(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        regions = filter_regions(actor, Perm.VIEW_ORG)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", _("All regions in my area"))] + [
            (r.code, f"{r.name} ({r.code})") for r in regions
        ]

    def data_or_empty(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data


class OrgFilterForm(_RegionFilter):
    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=60)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *OrgKind.choices]
    )
    field_order = ["q", "kind", "region"]

    def filters(self) -> dict:
        data = self.data_or_empty()
        return {
            "q": data.get("q") or "",
            "kind": data.get("kind") or "",
            "region": self.regions.get(data.get("region") or ""),
        }


class OutletFilterForm(_RegionFilter):
    q = forms.CharField(label=_("Name, code or address"), required=False, max_length=60)
    company = forms.ChoiceField(label=_("Company"), required=False)
    party = forms.ChoiceField(label=_("Has a party organisation"), required=False, choices=YES_NO)
    field_order = ["q", "company", "region", "party"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.companies = {str(c.pk): c for c in employer_choices()}
        self.fields["company"].choices = [("", _("All companies"))] + [
            (pk, c.name) for pk, c in self.companies.items()
        ]

    def filters(self) -> dict:
        data = self.data_or_empty()
        party = data.get("party") or ""
        return {
            "q": data.get("q") or "",
            "company": self.companies.get(data.get("company") or ""),
            "region": self.regions.get(data.get("region") or ""),
            "has_party_org": None if party == "" else party == "1",
        }

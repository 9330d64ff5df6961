"""Filters of the organisations console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions

from .models import OrgKind
from .selectors import employer_choices, linkable_orgs

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


class OutletForm(forms.Form):
    """Staff add or correct one outlet (a list comes in by the outlet import); the rules are
    ``orgs.services``'s."""

    company = forms.ChoiceField(label=_("Company"))
    name = forms.CharField(label=_("Outlet"), max_length=100)
    code = forms.CharField(label=_("Outlet code"), max_length=32, required=False)
    region = forms.ChoiceField(label=_("Region"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    manager_name = forms.CharField(label=_("Manager"), max_length=64, required=False)
    manager_phone = forms.CharField(label=_("Manager's mobile"), max_length=20, required=False)
    union_branch = forms.ChoiceField(label=_("Union branch"), required=False)
    party_org = forms.ChoiceField(label=_("Party organisation"), required=False)
    staff_count = forms.IntegerField(label=_("Staff (declared)"), min_value=0, required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)

    def __init__(self, *args, actor, outlet=None, **kwargs):
        if outlet is not None:  # also when bound: the disabled company field reads it
            kwargs["initial"] = {
                "company": str(outlet.company_id),
                "name": outlet.name,
                "code": outlet.code,
                "region": outlet.region_id,
                "address": outlet.address,
                "manager_name": outlet.manager_name,
                "manager_phone": outlet.masked_manager_phone,
                "union_branch": outlet.union_branch_id or "",
                "party_org": outlet.party_org_id or "",
                "staff_count": outlet.staff_count,
                "lat": outlet.lat,
                "lng": outlet.lng,
            }
        super().__init__(*args, **kwargs)
        from warmbee.accounts.scoping import grant_paths, paths_q
        from warmbee.regions.models import Region

        from .selectors import employers_by_name
        from .services import OUTLET_LEVELS

        self.outlet = outlet
        companies = {o.pk: o for o in employers_by_name().values()}
        self.companies = {
            str(pk): o for pk, o in sorted(companies.items(), key=lambda x: x[1].name)
        }
        self.fields["company"].choices = [("", "—")] + [
            (pk, o.name) for pk, o in self.companies.items()
        ]
        if outlet is not None:
            self.fields["company"].disabled = True
        regions = (
            Region.objects.current()
            .filter(paths_q(grant_paths(actor, Perm.MANAGE_ORG)), level__in=sorted(OUTLET_LEVELS))
            .order_by("path")
        )
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", "—")] + [
            (r.code, f"{r.name} ({r.code})") for r in self.regions.values()
        ]
        bodies = linkable_orgs(actor, OrgKind.UNION, OrgKind.PARTY)
        self.bodies = {str(o.pk): o for o in bodies}
        for field, kind in (("union_branch", OrgKind.UNION), ("party_org", OrgKind.PARTY)):
            self.fields[field].choices = [("", "—")] + [
                (pk, o.name) for pk, o in self.bodies.items() if o.kind == kind
            ]

    def clean(self):
        data = super().clean()
        if "company" in data:
            data["company"] = self.companies.get(data["company"])
        if "region" in data:
            data["region"] = self.regions.get(data["region"])
        for field in ("union_branch", "party_org"):
            data[field] = self.bodies.get(data.get(field) or "")
        if (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lng", _("Give both the latitude and the longitude, or neither."))
        if (
            self.outlet is not None
            and data.get("manager_phone") == self.outlet.masked_manager_phone
        ):
            data["manager_phone"] = self.outlet.manager_phone  # unchanged
        data["staff_count"] = data.get("staff_count") or 0
        return data

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        keys = ("name", "code", "region", "address", "manager_name", "manager_phone",
                "union_branch", "party_org", "staff_count", "lat", "lng")  # fmt: skip
        return {k: data[k] for k in keys}


class OrganisationForm(forms.Form):
    """Staff add or correct an organisation: a company, a union branch, a party organisation, a
    department or a service provider (the kind's rules are ``orgs.services``'s)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    category = forms.ChoiceField(label=_("Category"), required=False)
    name = forms.CharField(label=_("Organisation name"), max_length=100)
    short_name = forms.CharField(label=_("Short name"), max_length=40, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, required=False
    )
    parent = forms.ChoiceField(
        label=_("Belongs to"),
        required=False,
        help_text=_("A local company's brand, a branch's union, a party branch's committee."),
    )
    region = forms.ChoiceField(label=_("Region"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("Contact's mobile"), max_length=20, required=False)

    def __init__(self, *args, actor, org=None, **kwargs):

        from warmbee.accounts.scoping import grant_paths, paths_q
        from warmbee.regions.models import Region

        from .models import OrgCategory

        if org is not None:
            kwargs["initial"] = {
                "kind": org.kind,
                "category": org.category,
                "name": org.name,
                "short_name": org.short_name,
                "credit_code": org.credit_code,
                "parent": org.parent_id or "",
                "region": org.region_id,
                "address": org.address,
                "phone": org.phone,
                "contact_name": org.contact_name,
                "contact_phone": org.masked_contact_phone,
            }
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["category"].choices = [("", "—"), *OrgCategory.choices]
        regions = (
            Region.objects.current()
            .filter(paths_q(grant_paths(actor, Perm.MANAGE_ORG)))
            .order_by("path")
        )
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", "—")] + [
            (r.code, f"{r.name} ({r.code})") for r in self.regions.values()
        ]
        parents = linkable_orgs(actor)
        if org is not None:
            parents = parents.exclude(pk=org.pk)
        self.parents = {str(o.pk): o for o in parents}
        self.fields["parent"].choices = [("", "—")] + [
            (pk, f"{o.name} · {o.get_kind_display()}") for pk, o in self.parents.items()
        ]

    def clean(self):
        data = super().clean()
        if "region" in data:
            data["region"] = self.regions.get(data["region"])
        data["parent"] = self.parents.get(data.get("parent") or "")
        if self.org is not None and data.get("contact_phone") == self.org.masked_contact_phone:
            data["contact_phone"] = self.org.contact_phone  # unchanged
        return data

    def fields_for_service(self) -> dict:
        keys = ("kind", "category", "name", "short_name", "credit_code", "parent", "region",
                "address", "phone", "contact_name", "contact_phone")  # fmt: skip
        return {k: self.cleaned_data[k] for k in keys}

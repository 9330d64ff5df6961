"""Forms of the registry console: the worker filter (one for the page and the API) and reveal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions
from warmbee.core.validators import normalize_mobile
from warmbee.orgs.selectors import employer_choices, linkable_orgs
from warmbee.regions.models import Region

from .models import WorkerKind, WorkerStatus
from .selectors import WorkerFilters

YES_NO = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]


def _tri(value: str | None) -> bool | None:
    return None if value in (None, "") else value == "1"


class WorkerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name, pinyin, last 4 digits or full mobile/ID"), required=False, max_length=40
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    company = forms.ChoiceField(label=_("Company"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of work"), required=False, choices=[("", _("Any")), *WorkerKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *WorkerStatus.choices]
    )
    union_member = forms.ChoiceField(label=_("Union member"), required=False, choices=YES_NO)
    insured = forms.ChoiceField(label=_("Insured now"), required=False, choices=YES_NO)
    certified = forms.ChoiceField(label=_("Has a certificate"), required=False, choices=YES_NO)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        regions: list[Region] = filter_regions(actor, Perm.VIEW_WORKER)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", _("All regions in my area"))] + [
            (r.code, f"{r.name} ({r.code})") for r in regions
        ]
        self.companies = {str(c.pk): c for c in employer_choices()}
        self.fields["company"].choices = [("", _("All companies"))] + [
            (pk, c.name) for pk, c in self.companies.items()
        ]

    def filters(self) -> WorkerFilters:
        """A value that is not a choice (a region outside scope) is dropped, never widened."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return WorkerFilters(
            q=data.get("q") or "",
            region=self.regions.get(data.get("region") or ""),
            company=self.companies.get(data.get("company") or ""),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            union_member=_tri(data.get("union_member")),
            insured=_tri(data.get("insured")),
            certified=_tri(data.get("certified")),
        )


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("phone", _("mobile number")), ("id_number", _("resident ID number"))]
    )
    reason = forms.CharField(
        label=_("Why do you need the full value?"), max_length=200, min_length=2
    )


class WorkerForm(forms.Form):
    """Staff enter or correct a worker (the services do the rules; the outlet is typed, by
    name or code within the company, as on the roster)."""

    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Mobile"), max_length=20)
    company = forms.ChoiceField(label=_("Company"))
    outlet = forms.CharField(
        label=_("Outlet"), max_length=100, help_text=_("The outlet's name or code.")
    )
    kind = forms.ChoiceField(label=_("Kind of work"), choices=WorkerKind.choices)
    employee_no = forms.CharField(label=_("Employee number"), max_length=32, required=False)
    started_on = forms.DateField(
        label=_("Started in the trade"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, worker=None, **kwargs):
        bound = (args[0] if args else kwargs.get("data")) is not None
        if worker is not None and not bound:
            kwargs["initial"] = {
                "name": worker.name,
                "phone": worker.masked_phone,
                "company": str(worker.company_id),
                "outlet": worker.outlet.code or worker.outlet.name if worker.outlet_id else "",
                "kind": worker.kind,
                "employee_no": worker.employee_no,
                "started_on": worker.started_on,
            }
        super().__init__(*args, **kwargs)
        self.worker = worker
        self.companies = {str(c.pk): c for c in employer_choices()}
        if worker is not None:
            self.companies.setdefault(str(worker.company_id), worker.company)
            self.fields["phone"].help_text = _(
                "Shown masked; leave it as it is to keep the number, or type the new one."
            )
        self.fields["company"].choices = [("", "—")] + [
            (pk, c.name) for pk, c in self.companies.items()
        ]

    def clean_company(self):
        return self.companies[self.cleaned_data["company"]]

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if self.worker is not None and value == self.worker.masked_phone:
            return self.worker.phone  # unchanged
        return normalize_mobile(value)  # every field's error at once, not after the outlet's

    def clean(self):
        from .imports import OutletLookup

        data = super().clean()
        company, outlet = data.get("company"), (data.get("outlet") or "").strip()
        if company is not None and outlet:
            found = OutletLookup().get(company, outlet)
            if found is None:
                self.add_error(
                    "outlet", _("The company has no outlet “%(value)s”.") % {"value": outlet}
                )
            else:
                data["outlet"] = found
        return data


# --- records on a worker (the services do the rules) ---------------------------------------------
_DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class UnionJoinForm(forms.Form):
    branch = forms.ChoiceField(label=_("Union branch"))
    joined_on = forms.DateField(label=_("Joined"), **_DATE)
    card_no = forms.CharField(label=_("Membership card number"), max_length=40, required=False)

    def __init__(self, *args, actor, worker, **kwargs):

        from warmbee.orgs.models import OrgKind

        super().__init__(*args, **kwargs)
        branches = linkable_orgs(actor, OrgKind.UNION)
        self.branches = {str(o.pk): o for o in branches}
        self.fields["branch"].choices = [("", "—")] + [
            (pk, o.name) for pk, o in self.branches.items()
        ]

    def clean_branch(self):
        return self.branches[self.cleaned_data["branch"]]

    def save(self, *, actor, worker):
        from . import services

        return services.union_join(actor=actor, worker=worker, **self.cleaned_data)


class InsuranceForm(forms.ModelForm):
    class Meta:
        from .models import Insurance

        model = Insurance
        fields = ["kind", "insurer", "policy_no", "starts_on", "ends_on", "paid_by"]
        widgets = {"starts_on": _DATE["widget"], "ends_on": _DATE["widget"]}

    def __init__(self, *args, actor, worker, **kwargs):
        super().__init__(*args, **kwargs)

    def _post_clean(self):
        pass  # the model's checks run in the service, which has the worker

    def save(self, *, actor, worker):
        from . import services

        return services.insurance_add(actor=actor, worker=worker, **self.cleaned_data)


class CertificateForm(forms.ModelForm):
    subsidy_yuan = forms.DecimalField(
        label=_("Subsidy (yuan)"), min_value=0, max_digits=9, decimal_places=2, required=False
    )

    class Meta:
        from .models import Certificate

        model = Certificate
        fields = ["kind", "name", "level", "issuer", "issued_on", "number", "subsidy_claimed"]
        widgets = {"issued_on": _DATE["widget"]}
        labels = {"name": _("Certificate or qualification")}

    def __init__(self, *args, actor, worker, **kwargs):
        super().__init__(*args, **kwargs)

    def _post_clean(self):
        pass

    def save(self, *, actor, worker):
        from . import services

        return services.certificate_add(actor=actor, worker=worker, **self.cleaned_data)


class HonourForm(forms.ModelForm):
    class Meta:
        from .models import Honour

        model = Honour
        fields = ["title", "level", "awarded_by", "awarded_on"]
        widgets = {"awarded_on": _DATE["widget"]}

    def __init__(self, *args, actor, worker, **kwargs):
        super().__init__(*args, **kwargs)

    def _post_clean(self):
        pass

    def save(self, *, actor, worker):
        from . import services

        return services.honour_add(actor=actor, worker=worker, **self.cleaned_data)


class UnionLeaveForm(forms.Form):
    on = forms.DateField(label=_("Left on"), **_DATE)

    def __init__(self, *args, actor, worker, **kwargs):
        super().__init__(*args, **kwargs)

    def save(self, *, actor, worker):
        from . import services

        return services.union_leave(actor=actor, worker=worker, on=self.cleaned_data["on"])


class InsuranceEndForm(forms.Form):
    insurance = forms.ChoiceField(label=_("Enrolment"))
    on = forms.DateField(label=_("Ends on"), **_DATE)

    def __init__(self, *args, actor, worker, **kwargs):
        from .models import Insurance

        super().__init__(*args, **kwargs)
        open_ones = (
            Insurance.objects.visible_to(actor, Perm.MANAGE_WORKER)
            .filter(worker=worker, ends_on=None)
            .order_by("starts_on")
        )
        self.fields["insurance"].choices = [
            (str(i.pk), f"{i.get_kind_display()} · {i.insurer} · {i.starts_on}") for i in open_ones
        ]

    def save(self, *, actor, worker):
        from . import services

        return services.insurance_end(
            actor=actor,
            worker=worker,
            insurance_id=int(self.cleaned_data["insurance"]),
            on=self.cleaned_data["on"],
        )


RECORD_FORMS = {
    "union": (UnionJoinForm, _("Record union membership")),
    "insurance": (InsuranceForm, _("Record an insurance enrolment")),
    "certificate": (CertificateForm, _("Record a certificate")),
    "honour": (HonourForm, _("Record an honour")),
    "union-leave": (UnionLeaveForm, _("Record leaving the union")),
    "insurance-end": (InsuranceEndForm, _("Record the end of an enrolment")),
}

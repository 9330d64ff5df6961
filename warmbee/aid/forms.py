"""Aid forms: the application form is built from the programme's questions and evidence."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import grant_paths
from warmbee.core.validators import normalize_mobile
from warmbee.regions.models import Level, Region

from .choices import BenefitKind, ProgrammeKind


def yuan_to_fen(value) -> int:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Give an amount in yuan, such as 1500 or 1500.50.")) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > Decimal("1e10"):
        raise ValidationError(_("Give an amount in yuan, such as 1500 or 1500.50."))
    return int(amount * 100)


class YuanField(forms.Field):
    """An amount typed in yuan (up to two decimals), cleaned to integer fen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "maxlength": "16"})

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in ("", None):
            return None
        if len(str(value)) > 16:
            raise ValidationError(_("Give an amount in yuan, such as 1500 or 1500.50."))
        return yuan_to_fen(value)


class ApplicationForm(forms.Form):
    """The programme's questions (``q_<key>``), evidence photos (``e_<key>``) and consents."""

    def __init__(self, *args, programme, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        if staff:
            self.fields["mobile"] = forms.CharField(
                label=_("The worker's mobile number"), max_length=20
            )
        for q in programme.questions or []:
            name = f"q_{q['key']}"
            if q["type"] == "yesno":
                self.fields[name] = forms.ChoiceField(
                    label=q["label"],
                    required=q["required"],
                    choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
                )
            elif q["type"] == "number":
                self.fields[name] = forms.IntegerField(
                    label=q["label"], required=q["required"], min_value=0
                )
            else:
                self.fields[name] = forms.CharField(
                    label=q["label"], required=q["required"], max_length=500
                )
        if programme.benefit == BenefitKind.RANGE:
            self.fields["amount"] = YuanField(
                label=_("Amount asked for (yuan)"),
                help_text=_("From %(min)s to %(max)s yuan.")
                % {"min": programme.min_fen // 100, "max": programme.max_fen // 100},
            )
        for e in programme.evidence or []:
            self.fields[f"e_{e['key']}"] = forms.ImageField(
                label=e["label"],
                required=False,  # the service names a missing required item
                help_text=_("A photo: JPEG, PNG or WebP, at most 10 MB."),
                widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
            )
        child = any(q["child"] for q in programme.questions or [])
        if staff:
            self.fields["consent_paper"] = forms.BooleanField(
                label=_("The worker signed the paper consent form for aid data")
                if not child
                else _("The worker and the child's guardian signed the paper consent forms"),
                required=False,
            )
        else:
            self.fields["consent_financial"] = forms.BooleanField(
                label=_("I agree that my income and payment details are used for this aid"),
                required=False,
            )
            if child:
                self.fields["consent_child"] = forms.BooleanField(
                    label=_(
                        "As the child's parent or guardian, I agree that the child's data is used for this aid"
                    ),
                    required=False,
                )

    def answers(self) -> dict:
        out = {}
        for q in self.programme.questions or []:
            value = self.cleaned_data.get(f"q_{q['key']}")
            out[q["key"]] = "" if value is None else value
        return out

    def files_by_key(self) -> dict:
        return {
            e["key"]: self.files.get(f"e_{e['key']}")
            for e in self.programme.evidence or []
            if self.files.get(f"e_{e['key']}") is not None
        }

    def clean_mobile(self):
        value = self.cleaned_data["mobile"]
        try:
            return normalize_mobile(value)
        except Exception:  # noqa: BLE001 - validators raise ValidationError or DomainError
            raise ValidationError(_("Enter a mainland mobile number.")) from None


STEP_PRESETS = {
    "county_city": [
        {"label": "区县初审", "level": Level.COUNTY},
        {"label": "市级审批", "level": Level.PREFECTURE},
    ],
    "street_county_city": [
        {"label": "街道/工会初审", "level": Level.TOWNSHIP},
        {"label": "区县复审", "level": Level.COUNTY},
        {"label": "市级审批", "level": Level.PREFECTURE},
    ],
    "county_county": [
        {"label": "区县初审", "level": Level.COUNTY},
        {"label": "区县审批", "level": Level.COUNTY},
    ],
}


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgrammeKind.choices)
    region = forms.ChoiceField(label=_("Region served"))
    cycle = forms.CharField(label=_("Cycle"), max_length=20, help_text=_("For example 2026."))
    opens_on = forms.DateField(label=_("Open from"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(
        label=_("Open until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    budget = YuanField(label=_("Budget (yuan)"))
    benefit = forms.ChoiceField(label=_("Benefit"), choices=BenefitKind.choices)
    amount = YuanField(label=_("Amount (yuan)"), required=False)
    min_amount = YuanField(label=_("Smallest amount (yuan)"), required=False)
    max_amount = YuanField(label=_("Largest amount (yuan)"), required=False)
    goods = forms.CharField(label=_("Goods or service"), max_length=200, required=False)
    steps = forms.ChoiceField(
        label=_("Review steps"),
        choices=[
            ("county_city", "区县初审 → 市级审批"),
            ("street_county_city", "街道/工会初审 → 区县复审 → 市级审批"),
            ("county_county", "区县初审 → 区县审批"),
        ],
    )
    union_months = forms.IntegerField(
        label=_("Union member for at least (months)"), required=False, min_value=0, max_value=600
    )
    insured = forms.BooleanField(label=_("Must be insured"), required=False)
    certificate_this_year = forms.BooleanField(
        label=_("Certificate obtained in the programme's year, subsidy not yet claimed"),
        required=False,
    )
    questions = forms.CharField(
        label=_("Questions (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'For example [{"key": "child_school", "label": "孩子就读学校", "child": true}]'
        ),
    )
    evidence = forms.CharField(
        label=_("Evidence (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('For example [{"key": "certificate", "label": "证书照片"}]'),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        paths = grant_paths(actor, Perm.MANAGE_PROGRAMME)
        regions = Region.objects.filter(path__in=paths).order_by("path")
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [(r.code, r.name) for r in regions]

    def _json(self, name):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return []
        try:
            return json.loads(raw)
        except ValueError:
            raise ValidationError(_("Not valid JSON.")) from None

    def clean_questions(self):
        return self._json("questions")

    def clean_evidence(self):
        return self._json("evidence")

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        rules = []
        if d.get("union_months") is not None:
            rules.append({"kind": "union_member", "months": d["union_months"]})
        if d.get("insured"):
            rules.append({"kind": "insured"})
        if d.get("certificate_this_year"):
            rules.append({"kind": "certificate", "unclaimed": True})
        return {
            "name": d["name"],
            "kind": d["kind"],
            "region": self.regions[d["region"]],
            "cycle": d["cycle"],
            "opens_on": d["opens_on"],
            "closes_on": d["closes_on"],
            "budget_fen": d["budget"] or 0,
            "benefit": d["benefit"],
            "amount_fen": d.get("amount") or 0,
            "min_fen": d.get("min_amount") or 0,
            "max_fen": d.get("max_amount") or 0,
            "goods": d.get("goods") or "",
            "description": d.get("description") or "",
            "eligibility_rules": rules,
            "questions": d.get("questions") or [],
            "evidence": d.get("evidence") or [],
            "review_steps": STEP_PRESETS[d["steps"]],
        }

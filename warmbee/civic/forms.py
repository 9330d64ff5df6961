"""Forms of the civic configuration pages: the routing table, response templates, API keys and
report categories (with their extra questions as rows of a formset, not raw JSON).

Choices come from the officer's MANAGE_CIVIC scope, so a region, district or grid area outside
it is not a valid choice; the rules themselves (area in the district, one rule per category ×
area, …) are ``civic.services``'s and come back as errors on the field they name.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions, grant_paths, paths_q
from warmbee.core.errors import DomainError
from warmbee.regions.models import GridArea, Level, Region

from . import services
from .models import Category, Status
from .selectors import EVERY_CATEGORY
from .services import QUESTION_DATATYPES, RESPONSE_STATUSES

KEY_LEVELS = (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)


def _label(region: Region) -> str:
    return f"{region.name} ({region.code})"


def _regions_in_scope(actor, levels=None):
    qs = Region.objects.current().filter(paths_q(grant_paths(actor, Perm.MANAGE_CIVIC)))
    if levels is not None:
        qs = qs.filter(level__in=list(levels))
    return list(qs.order_by("path"))


def _categories(current: Category | None = None) -> list[Category]:
    cats = list(Category.objects.filter(is_active=True))
    if current is not None and current not in cats:
        cats.append(current)
    return cats


class _Filter(forms.Form):
    """The list filters: a category (or the rows for every category) and a district."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = {
            r.code: r for r in filter_regions(actor, Perm.MANAGE_CIVIC) if r.level == Level.COUNTY
        }
        self.fields["category"].choices = [
            ("", _("All categories")),
            (EVERY_CATEGORY, _("Rows for every category")),
        ] + [(c.code, c.label) for c in _categories()]
        self.fields["district"].choices = [("", _("All districts in my area"))] + [
            (code, _label(r)) for code, r in self.districts.items()
        ]

    def data_or_empty(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def filters(self) -> dict:
        """For the selectors; a district that is not a choice (outside scope) is dropped."""
        data = self.data_or_empty()
        return {
            "category": data.get("category") or "",
            "district": self.districts.get(data.get("district") or ""),
        }


class RuleFilterForm(_Filter):
    pass


class TemplateFilterForm(_Filter):
    status = forms.ChoiceField(label=_("For status"), required=False)
    field_order = ["status", "category", "district"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (s.value, s.label) for s in RESPONSE_STATUSES
        ]

    def filters(self) -> dict:
        data = self.data_or_empty()
        filters = super().filters()
        return {
            "category": filters["category"],
            "status": data.get("status") or "",
            "region": filters["district"],
        }


class RuleForm(forms.Form):
    """One row of the routing table (``services.routing_rule_create`` / ``_update``)."""

    district = forms.ChoiceField(label=_("District"))
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        help_text=_("Empty: every category without a rule of its own."),
    )
    area = forms.ChoiceField(
        label=_("Grid area"),
        required=False,
        help_text=_("Empty: the district's fallback, for grid areas without a rule of their own."),
    )
    body = forms.CharField(label=_("Responsible body"), max_length=100)
    contacts = forms.CharField(
        label=_("Contacts"),
        max_length=200,
        required=False,
        help_text=_("Phone numbers or an office; shown to the staff who handle the report."),
    )
    handler_region = forms.ChoiceField(
        label=_("Handled by (region)"),
        required=False,
        help_text=_(
            "Whose officers handle the report: the district or a street in it. "
            "Empty: the community that owns the grid area."
        ),
    )
    field_order = ["district", "category", "area", "body", "contacts", "handler_region"]

    def __init__(self, *args, actor, rule=None, **kwargs):
        if rule is not None:
            kwargs["initial"] = {
                "district": rule.district_id,
                "category": rule.category.code if rule.category_id else "",
                "area": rule.area.code if rule.area_id else "",
                "body": rule.body,
                "contacts": rule.contacts,
                "handler_region": rule.handler_region_id or "",
            }
        super().__init__(*args, **kwargs)
        regions = _regions_in_scope(actor, (Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY))
        self.districts = {r.code: r for r in regions if r.level == Level.COUNTY}
        self.handlers = {r.code: r for r in regions}
        self.categories = {c.code: c for c in _categories(rule.category if rule else None)}
        areas = list(
            GridArea.objects.visible_to(actor, Perm.MANAGE_CIVIC)
            .filter(is_active=True)
            .select_related("region")
            .order_by("region__path", "code")
        )
        if rule is not None and rule.area_id and rule.area not in areas:
            areas.append(rule.area)
        self.areas = {a.code: a for a in areas}
        self.fields["district"].choices = [("", "—")] + [
            (code, _label(r)) for code, r in self.districts.items()
        ]
        self.fields["category"].choices = [("", _("Every category"))] + [
            (code, c.label) for code, c in self.categories.items()
        ]
        # Grouped by district (the third segment of the owner's path: /province/city/district/).
        groups: dict[str, list] = {}
        for a in areas:
            parts = [p for p in a.region.path.split("/") if p]
            district = self.districts.get(parts[2] if len(parts) > 2 else "")
            name = district.name if district is not None else a.region.name
            groups.setdefault(name, []).append((a.code, f"{a.name} ({a.code}) · {a.region.name}"))
        self.fields["area"].choices = [("", _("Whole district (fallback)"))] + list(groups.items())
        self.fields["handler_region"].choices = [("", _("The community that owns the area"))] + [
            (code, _label(r)) for code, r in self.handlers.items()
        ]

    def clean(self):
        data = super().clean()
        if "district" in data:
            data["district"] = self.districts.get(data["district"])
        data["category"] = self.categories.get(data.get("category") or "")
        data["area"] = self.areas.get(data.get("area") or "")
        data["handler_region"] = self.handlers.get(data.get("handler_region") or "")
        return data

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        keys = ("district", "category", "area", "body", "contacts", "handler_region")
        return {k: data[k] for k in keys}


class TemplateForm(forms.Form):
    """A response template (``services.response_template_create`` / ``_update``)."""

    region = forms.ChoiceField(
        label=_("Region"),
        help_text=_("Offered on the reports handled in this region and below."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("For status"))
    title = forms.CharField(label=_("Title"), max_length=60)
    body = forms.CharField(
        label=_("Text"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the reporter as the latest response."),
    )
    field_order = ["region", "category", "status", "title", "body"]

    def __init__(self, *args, actor, template=None, **kwargs):
        if template is not None:
            kwargs["initial"] = {
                "region": template.region_id,
                "category": template.category.code if template.category_id else "",
                "status": template.status,
                "title": template.title,
                "body": template.body,
            }
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in _regions_in_scope(actor)}
        self.categories = {c.code: c for c in _categories(template.category if template else None)}
        self.fields["region"].choices = [("", "—")] + [
            (code, _label(r)) for code, r in self.regions.items()
        ]
        self.fields["category"].choices = [("", _("Every category"))] + [
            (code, c.label) for code, c in self.categories.items()
        ]
        self.fields["status"].choices = [("", "—")] + [
            (s.value, Status(s).label) for s in RESPONSE_STATUSES
        ]

    def clean(self):
        data = super().clean()
        if "region" in data:
            data["region"] = self.regions.get(data["region"])
        data["category"] = self.categories.get(data.get("category") or "")
        return data

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("region", "category", "status", "title", "body")}


class ApiKeyForm(forms.Form):
    """A new Open311 integration (``services.api_client_create``)."""

    name = forms.CharField(
        label=_("Integration"),
        max_length=80,
        help_text=_("Who will use the key, for example “12345 hotline”."),
    )
    region = forms.ChoiceField(
        label=_("Region"), help_text=_("The officers of this region and above manage the key.")
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in _regions_in_scope(actor, KEY_LEVELS)}
        self.fields["region"].choices = [("", "—")] + [
            (code, _label(r)) for code, r in self.regions.items()
        ]

    def clean(self):
        data = super().clean()
        if "region" in data:
            data["region"] = self.regions.get(data["region"])
        return data


DATATYPE_LABELS = {
    "string": _("Short text"),
    "text": _("Long text"),
    "number": _("A number"),
    "datetime": _("Date and time"),
    "singlevaluelist": _("One choice from a list"),
    "multivaluelist": _("Several choices from a list"),
}


class QuestionForm(forms.Form):
    """One extra question. Only parsing happens here (the choices' ``key=name`` lines); the
    rules — codes, kinds of answer, choices — are ``services.clean_questions``'s, whose errors
    name the row and the field."""

    description = forms.CharField(label=_("Question"), required=False, max_length=200)
    code = forms.CharField(
        label=_("Question code"),
        required=False,
        max_length=40,
        help_text=_("Letters, digits, hyphens: the Open311 attribute code, for example size."),
    )
    datatype = forms.ChoiceField(
        label=_("Kind of answer"),
        required=False,
        initial="string",
        choices=[(d, DATATYPE_LABELS[d]) for d in QUESTION_DATATYPES],
    )
    values = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Lists only: one choice a line, as key=name, for example small=小于50厘米."),
    )
    required = forms.BooleanField(label=_("Must be answered"), required=False)
    order = forms.CharField(
        label=_("Order"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )

    @property
    def number(self) -> int:
        """The row's number on the page (1, 2, …)."""
        return int(self.prefix.rsplit("-", 1)[1]) + 1

    def clean_values(self) -> list[dict]:
        choices = []
        for line_no, line in enumerate((self.cleaned_data.get("values") or "").splitlines(), 1):
            if not line.strip():
                continue
            key, sep, name = line.partition("=")
            if not sep:
                raise forms.ValidationError(
                    _("Question %(n)s, line %(line)s: write each choice as key=name.")
                    % {"n": self.number, "line": line_no}
                )
            choices.append({"key": key.strip(), "name": name.strip()})
        return choices


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=2, can_delete=True, max_num=20, validate_max=True
)


def question_initial(question: dict) -> dict:
    return {
        "code": question.get("code", ""),
        "description": question.get("description", ""),
        "datatype": question.get("datatype", "string"),
        "required": bool(question.get("required")),
        "order": str(question.get("order", "")),
        "values": "\n".join(f"{v['key']}={v['name']}" for v in question.get("values", [])),
    }


class CategoryForm(forms.Form):
    """A report category (``services.category_create`` / ``_update``) and, in ``questions``,
    its extra questions."""

    code = forms.SlugField(
        label=_("Category code"),
        max_length=40,
        help_text=_(
            "The Open311 service_code, for example manhole. It cannot change once reports use it."
        ),
    )
    name = forms.CharField(label=_("Name (Chinese)"), max_length=40)
    name_en = forms.CharField(label=_("Name (English)"), max_length=60)
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Shown by Open311 with the service."),
    )
    icon = forms.CharField(
        label=_("Icon"), max_length=8, required=False, help_text=_("One emoji, for example 💡.")
    )
    group = forms.CharField(
        label=_("Group"),
        max_length=40,
        required=False,
        help_text=_("Categories of one group are listed together, for example 城市管理."),
    )
    ack_hours = forms.IntegerField(label=_("Acknowledge within (hours)"), min_value=1)
    resolve_hours = forms.IntegerField(label=_("Resolve within (hours)"), min_value=1)
    sort = forms.IntegerField(
        label=_("Position in the list"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Smaller numbers come first."),
    )

    def __init__(self, data=None, *, actor, category: Category | None = None, **kwargs):
        if category is not None:
            kwargs["initial"] = {
                name: getattr(category, name)
                for name in services.CATEGORY_FIELDS
                if name != "questions"
            }
        super().__init__(data, **kwargs)
        self.actor = actor
        self.questions = QuestionFormSet(
            data,
            prefix="questions",
            initial=[question_initial(q) for q in category.questions] if category else None,
        )

    def _kept_questions(self) -> tuple[list[dict], list[int]]:
        """The rows to store (not removed, not left empty) and their numbers on the page."""
        kept, numbers = [], []
        for row in self.questions.forms:
            data = row.cleaned_data
            if not data or data.get("DELETE"):
                continue
            kept.append({name: data.get(name) for name in ("code", "datatype", "description")})
            kept[-1] |= {
                "required": data.get("required", False),
                "values": data.get("values") or [],
                "order": data.get("order"),
            }
            numbers.append(row.number)
        return kept, numbers

    def is_valid(self) -> bool:
        """The category's fields and its question rows, all errors at once."""
        valid = super().is_valid()
        if not self.questions.is_valid():
            return False
        try:
            kept, numbers = self._kept_questions()
            questions = services.clean_questions(kept, numbers=numbers)
        except DomainError as exc:
            _, row, name = exc.field.split("-", 2)
            self.questions.forms[int(row)].add_error(name, str(exc.message))
            return False
        if valid:
            self.cleaned_data["questions"] = questions
        return valid

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.CATEGORY_FIELDS}

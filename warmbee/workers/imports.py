"""The worker roster spreadsheet: layout, row form and upsert (R41), on ``core.tabular``.

A row is matched to an existing worker by its natural key — the company and the employee
number, or the company and the mobile number when there is no employee number — so importing
the same roster again updates instead of duplicating. Rules (scope, outlet of the company, ID
number checksum) are the services' own; a row outside the officer's area is a row error.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize
from warmbee.accounts.services import clean_phone
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.errors import DomainError
from warmbee.orgs.models import EMPLOYER_KINDS, Organisation, Outlet

from . import services
from .models import Employment, Source, Worker, WorkerKind

COLUMNS = [
    tabular.Column("name", gettext_lazy("Name"), required=True, width=12, example="张三"),
    tabular.Column(
        "phone", gettext_lazy("Mobile"), required=True, text=True, width=14, example="13912345678"
    ),
    tabular.Column(
        "company",
        gettext_lazy("Company"),
        required=True,
        width=22,
        help=gettext_lazy("The company's name, short name or unified social credit code."),
        example="顺丰速运（大庆）有限公司",
    ),
    tabular.Column(
        "outlet",
        gettext_lazy("Outlet"),
        required=True,
        width=20,
        help=gettext_lazy("The outlet's name or code within the company."),
        example="顺丰萨尔图营业部",
    ),
    tabular.Column(
        "kind",
        gettext_lazy("Kind of work"),
        width=12,
        help=gettext_lazy("Courier, rider, driver … (blank: courier)."),
        example="快递员",
    ),
    tabular.Column(
        "employee_no",
        gettext_lazy("Employee number"),
        text=True,
        width=14,
        help=gettext_lazy("With the company, identifies the worker on a re-import."),
    ),
    tabular.Column(
        "started_on",
        gettext_lazy("Started in the trade"),
        width=12,
        help=gettext_lazy("A date, e.g. 2023-05-01."),
        example="2023-05-01",
    ),
    tabular.Column(
        "id_number",
        gettext_lazy("Resident ID number"),
        text=True,
        width=20,
        help=gettext_lazy(
            "Only when a programme needs it (insurance, certificates, aid). Stored encrypted."
        ),
    ),
]
LAYOUT = tabular.Layout(columns=COLUMNS, sheet_title=gettext_lazy("Workers"))


def _employers() -> dict[str, Organisation]:
    lookup: dict[str, Organisation] = {}
    for org in Organisation.objects.unscoped(reason="company names for a roster").filter(
        kind__in=sorted(EMPLOYER_KINDS), is_active=True
    ):
        for name in (org.name, org.short_name, org.credit_code):
            if name:
                lookup.setdefault(name.casefold(), org)
    return lookup


class OutletLookup:
    """A company's active outlets by name and by code, fetched once per company."""

    def __init__(self):
        self._by_company: dict[int, dict[str, Outlet]] = {}

    def get(self, company: Organisation, value: str) -> Outlet | None:
        table = self._by_company.get(company.pk)
        if table is None:
            table = {}
            for outlet in (
                Outlet.objects.unscoped(reason="outlet names of a roster's company")
                .filter(company=company, is_active=True)
                .select_related("region")
            ):
                table.setdefault(outlet.name, outlet)
                if outlet.code:
                    table.setdefault(outlet.code, outlet)
            self._by_company[company.pk] = table
        return table.get(value)


class WorkerRowForm(forms.Form):
    name = forms.CharField(max_length=64)
    phone = forms.CharField(max_length=20)
    company = forms.CharField(max_length=100)
    outlet = forms.CharField(max_length=100)
    kind = forms.CharField(required=False)
    employee_no = forms.CharField(max_length=32, required=False)
    started_on = forms.DateField(required=False)
    id_number = forms.CharField(max_length=24, required=False)

    def __init__(self, *args, employers: dict, outlets: OutletLookup, **kwargs):
        super().__init__(*args, **kwargs)
        self.employers = employers
        self.outlets = outlets

    def clean_phone(self):
        try:
            return clean_phone(self.cleaned_data["phone"])
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None

    def clean_company(self):
        value = self.cleaned_data["company"].strip()
        company = self.employers.get(value.casefold())
        if company is None:
            raise ValidationError(_("Unknown company “%(value)s”.") % {"value": value})
        return company

    def clean_kind(self):
        value = self.cleaned_data["kind"].strip()
        if not value:
            return WorkerKind.COURIER
        kind = tabular.choice_lookup(WorkerKind.choices).get(value.casefold())
        if kind is None:
            raise ValidationError(
                _("Unknown kind “%(value)s”; use one of: %(choices)s.")
                % {"value": value, "choices": "、".join(str(x) for x in WorkerKind.labels)}
            )
        return kind

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        if not value:
            return ""
        try:
            return services.clean_id_number(value)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None

    def clean(self):
        data = super().clean()
        company, outlet = data.get("company"), (data.get("outlet") or "").strip()
        if company is not None and outlet:
            found = self.outlets.get(company, outlet)
            if found is None:
                self.add_error(
                    "outlet",
                    _("The company has no outlet “%(value)s”.") % {"value": outlet},
                )
            else:
                data["outlet"] = found
        return data


def row_key(data: dict):
    company = data["company"].pk
    return (company, "no", data["employee_no"]) if data["employee_no"] else (company, data["phone"])


class RosterImporter:
    """``apply_row`` and ``finish`` for ``tabular.run_import``.

    A row that matches an existing worker (natural key) is updated through the services, one
    by one. New workers are validated the same way (scope of their outlet's region, the
    service's own checks) but collected, then written in bulk by ``finish`` — workers,
    employment rows and one audit row for the batch — inside the import's transaction.
    """

    BATCH = 500

    def __init__(self, actor):
        self.actor = actor
        self.pending: list[Worker] = []
        self._allowed: set[str] = set()
        self._phones: set[tuple[int, str]] = set()

    def form_kwargs(self) -> dict:
        return {"employers": _employers(), "outlets": OutletLookup()}

    def _authorize(self, region) -> None:
        if region.pk not in self._allowed:
            authorize(self.actor, Perm.MANAGE_WORKER, region=region)
            self._allowed.add(region.pk)

    def apply_row(self, data: dict, number: int) -> str:
        actor, company, outlet = self.actor, data["company"], data["outlet"]
        key = Q(employee_no=data["employee_no"]) if data["employee_no"] else Q(phone=data["phone"])
        existing = (
            Worker.objects.visible_to(actor, Perm.MANAGE_WORKER)
            .filter(key, company=company)
            .select_related("region")
            .first()
        )
        if existing is None:
            if (
                Worker.objects.unscoped(reason="natural-key check of a roster row")
                .filter(key, company=company)
                .exists()
            ):
                raise DomainError(_("This worker is registered outside your area."), field="outlet")
            worker = services.worker_build(
                name=data["name"],
                phone=data["phone"],
                company=company,
                outlet=outlet,
                kind=data["kind"],
                employee_no=data["employee_no"],
                started_on=data["started_on"],
                source=Source.IMPORT,
                trusted_relations=True,
            )
            self._authorize(worker.region)
            if (company.pk, worker.phone) in self._phones:
                raise DomainError(
                    _("Another row of this company has the same mobile number."), field="phone"
                )
            self._phones.add((company.pk, worker.phone))
            if data["id_number"]:
                worker.id_number = data["id_number"]
                worker.id_number_index = services.id_number_index(data["id_number"])
            self.pending.append(worker)
            return "created"
        changes = {"name": data["name"], "phone": data["phone"], "kind": data["kind"]}
        if data["started_on"]:
            changes["started_on"] = data["started_on"]
        worker = services.worker_update(actor=actor, worker=existing, **changes)
        if worker.outlet_id != outlet.pk:
            worker = services.worker_move(
                actor=actor, worker=worker, company=company, outlet=outlet
            )
        if data["id_number"] and data["id_number"] != worker.id_number:
            services.worker_set_id_number(
                actor=actor, worker=worker, id_number=data["id_number"], reason=_("roster import")
            )
        return "updated"

    def finish(self) -> None:
        if not self.pending:
            return
        try:
            with transaction.atomic():
                created = Worker.objects.bulk_create(self.pending, batch_size=self.BATCH)
                Employment.objects.bulk_create(
                    [
                        Employment(
                            worker=w,
                            company=w.company,
                            outlet=w.outlet,
                            started_on=w.started_on or timezone.localdate(),
                        )
                        for w in created
                    ],
                    batch_size=self.BATCH,
                )
        except IntegrityError:
            raise DomainError(
                _("Another import or registration changed these workers meanwhile; try again."),
                code="import_conflict",
                field="file",
            ) from None
        ids = [w.pk for w in created]
        record(
            actor=self.actor,
            action="worker.create_bulk",
            changes={
                "created": [0, len(ids)],
                "ids": [None, ids],
                "with_id_number": [0, sum(1 for w in created if w.id_number)],
            },
            reason=_("roster import"),
        )
        self.pending = []


# --- export (masked, R22; full only after a second person's approval, R29) ------------------------
# The most rows one export holds, masked or full.
MAX_EXPORT_ROWS = 50_000

EXPORT_LAYOUT = tabular.Layout(
    columns=[
        *COLUMNS[:7],
        tabular.Column("region", gettext_lazy("Region"), width=14),
        tabular.Column("status", gettext_lazy("Status"), width=10),
        tabular.Column("id_number", gettext_lazy("Resident ID number"), text=True, width=20),
    ],
    sheet_title=gettext_lazy("Workers"),
)


def _national(phone: str) -> str:
    return phone[3:] if phone.startswith("+86") else phone


def export_row(worker: Worker, *, full: bool = False) -> dict:
    """Masked values, unless ``full``: the unmasked name, mobile and decrypted ID number, only
    for an export a second person has approved (``privacy.services.export_approve``, R29)."""
    return {
        "name": worker.name if full else worker.masked_name,
        "phone": _national(worker.phone) if full else worker.masked_phone,
        "company": worker.company.name,
        "outlet": worker.outlet.name if worker.outlet_id else "",
        "kind": worker.get_kind_display(),
        "employee_no": worker.employee_no,
        "started_on": worker.started_on or "",
        "region": worker.region.name,
        "status": worker.get_status_display(),
        "id_number": (worker.id_number or "") if full else worker.masked_id_number,
    }

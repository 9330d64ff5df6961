"""Organisation and outlet writes: one transaction each, with its audit row (STYLE.md)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.accounts.services import clean_phone
from warmbee.audit.services import diff, record
from warmbee.core.errors import Conflict, DomainError
from warmbee.core.pi import mask_phone
from warmbee.core.validators import clean_model
from warmbee.regions.models import Level, Region

from .models import CATEGORIES_BY_KIND, EMPLOYER_KINDS, Organisation, OrgKind, Outlet

OUTLET_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY})
ORG_EDITABLE = (
    "kind",
    "category",
    "name",
    "short_name",
    "credit_code",
    "parent",
    "region",
    "address",
    "phone",
    "contact_name",
    "contact_phone",
    "is_active",
)
OUTLET_EDITABLE = (
    "name",
    "code",
    "region",
    "address",
    "lat",
    "lng",
    "manager_name",
    "manager_phone",
    "union_branch",
    "party_org",
    "staff_count",
    "is_active",
    "opened_on",
)
PHONES = {"contact_phone", "manager_phone"}
# The kind a parent must have.
PARENT_KIND = {
    OrgKind.COMPANY: {OrgKind.COMPANY},
    OrgKind.PLATFORM: {OrgKind.PLATFORM},
    OrgKind.UNION: {OrgKind.UNION},
    OrgKind.PARTY: {OrgKind.PARTY},
    OrgKind.GOVERNMENT: {OrgKind.GOVERNMENT},
    OrgKind.PROVIDER: {OrgKind.PROVIDER, OrgKind.GOVERNMENT},
    OrgKind.OTHER: set(OrgKind.values),
}


def clean_credit_code(value: str) -> str:
    raw = (value or "").strip().replace(" ", "").upper()
    if not raw:
        return ""
    try:
        return uscc.validate(raw)
    except StdnumError:
        raise DomainError(
            _("This is not a valid unified social credit code (18 characters, check the last)."),
            code="invalid_credit_code",
            field="credit_code",
        ) from None


def _value(obj, name):
    value = getattr(obj, f"{name}_id", None) if name in _FKS else getattr(obj, name)
    if name in PHONES:
        return mask_phone(value)
    return value


_FKS = {"parent", "region", "union_branch", "party_org", "company"}


def _snapshot(obj, fields) -> dict:
    return {name: _value(obj, name) for name in fields}


def _mobile(value: str, field: str) -> str:
    try:
        return clean_phone(value)
    except DomainError as exc:
        raise DomainError(exc.message, code=exc.code, field=field) from None


def _check_org(org: Organisation) -> None:
    allowed = CATEGORIES_BY_KIND.get(org.kind, frozenset())
    if org.category and org.category not in allowed:
        raise DomainError(
            _("This category does not belong to this kind of organisation."),
            code="category_kind",
            field="category",
        )
    if org.parent_id:
        if org.parent.kind not in PARENT_KIND.get(org.kind, set()):
            raise DomainError(
                _("The parent organisation must be of a matching kind."),
                code="parent_kind",
                field="parent",
            )
        node, seen = org.parent, set()
        while node is not None:
            if node.pk == org.pk or node.pk in seen:
                raise DomainError(
                    _("An organisation cannot be its own parent."),
                    code="parent_cycle",
                    field="parent",
                )
            seen.add(node.pk)
            node = node.parent
    if org.contact_phone:
        org.contact_phone = _mobile(org.contact_phone, "contact_phone")


def _save(obj, **kwargs) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        if "credit_code" in text:
            raise Conflict(
                _("Another organisation has this credit code."),
                code="duplicate_credit_code",
                field="credit_code",
            ) from None
        if "code" in text and isinstance(obj, Outlet) and "outlet_code" in text:
            raise Conflict(
                _("Another outlet of this company has this code."),
                code="duplicate_outlet_code",
                field="code",
            ) from None
        raise Conflict(
            _("An organisation or outlet with this name already exists here."),
            code="duplicate_name",
            field="name",
        ) from None


def organisation_create(*, actor, kind: str, name: str, region: Region, **fields) -> Organisation:
    authorize(actor, Perm.MANAGE_ORG, region=region)
    unknown = set(fields) - set(ORG_EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be set here."), field=sorted(unknown)[0])
    org = Organisation(kind=kind, name=(name or "").strip(), region=region, **fields)
    org.credit_code = clean_credit_code(org.credit_code)
    if org.parent_id:
        authorize(actor, Perm.VIEW_ORG, obj=org.parent)
    _check_org(org)
    clean_model(org)
    with transaction.atomic():
        _save(org, force_insert=True)
        record(
            actor=actor,
            action="org.create",
            target=org,
            region=region,
            changes={k: [None, v] for k, v in _snapshot(org, ORG_EDITABLE).items()},
        )
    return org


def organisation_update(*, actor, org: Organisation, **changes) -> Organisation:
    authorize(actor, Perm.MANAGE_ORG, obj=org)
    unknown = set(changes) - set(ORG_EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "region" in changes and changes["region"].pk != org.region_id:
        authorize(actor, Perm.MANAGE_ORG, region=changes["region"])
    with transaction.atomic():
        org = (
            Organisation.objects.unscoped(reason="row lock after authorisation")
            .select_for_update()
            .get(pk=org.pk)
        )
        before = _snapshot(org, ORG_EDITABLE)
        for name, value in changes.items():
            setattr(org, name, value.strip() if isinstance(value, str) else value)
        org.credit_code = clean_credit_code(org.credit_code)
        _check_org(org)
        clean_model(org)
        changed = diff(before, _snapshot(org, ORG_EDITABLE))
        if not changed:
            return org
        _save(org, update_fields=[*changed, "updated_at"])
        record(actor=actor, action="org.update", target=org, region=org.region, changes=changed)
    return org


def _check_outlet(actor, outlet: Outlet) -> None:
    if outlet.company.kind not in EMPLOYER_KINDS:
        raise DomainError(
            _("Choose a courier company or platform."), code="not_an_employer", field="company"
        )
    if outlet.region.level not in OUTLET_LEVELS or outlet.region.retired:
        raise DomainError(
            _("Choose a district, county or street for the outlet."),
            code="region_level",
            field="region",
        )
    for name, kind in (("union_branch", OrgKind.UNION), ("party_org", OrgKind.PARTY)):
        linked = getattr(outlet, name)
        if linked is None:
            continue
        if linked.kind != kind:
            raise DomainError(
                _("This organisation is not of the right kind."), code="wrong_kind", field=name
            )
        if not (has_perm(actor, Perm.VIEW_ORG, linked.region) or linked.region.path == "/"):
            raise DomainError(_("Not found."), code="not_found", field=name)
    if outlet.manager_phone:
        outlet.manager_phone = _mobile(outlet.manager_phone, "manager_phone")


def outlet_create(*, actor, company: Organisation, name: str, region: Region, **fields) -> Outlet:
    authorize(actor, Perm.MANAGE_ORG, region=region)
    unknown = set(fields) - set(OUTLET_EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be set here."), field=sorted(unknown)[0])
    outlet = Outlet(company=company, name=(name or "").strip(), region=region, **fields)
    outlet.code = (outlet.code or "").strip()
    _check_outlet(actor, outlet)
    clean_model(outlet)
    with transaction.atomic():
        _save(outlet, force_insert=True)
        record(
            actor=actor,
            action="outlet.create",
            target=outlet,
            region=region,
            changes={
                "company": [None, company.pk],
                **{k: [None, v] for k, v in _snapshot(outlet, OUTLET_EDITABLE).items()},
            },
        )
    return outlet


def outlet_update(*, actor, outlet: Outlet, **changes) -> Outlet:
    authorize(actor, Perm.MANAGE_ORG, obj=outlet)
    unknown = set(changes) - set(OUTLET_EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "region" in changes and changes["region"].pk != outlet.region_id:
        authorize(actor, Perm.MANAGE_ORG, region=changes["region"])
    with transaction.atomic():
        outlet = (
            Outlet.objects.unscoped(reason="row lock after authorisation")
            .select_for_update()
            .select_related("company", "region")
            .get(pk=outlet.pk)
        )
        before = _snapshot(outlet, OUTLET_EDITABLE)
        for name, value in changes.items():
            setattr(outlet, name, value.strip() if isinstance(value, str) else value)
        _check_outlet(actor, outlet)
        clean_model(outlet)
        changed = diff(before, _snapshot(outlet, OUTLET_EDITABLE))
        if not changed:
            return outlet
        _save(outlet, update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action="outlet.update",
            target=outlet,
            region=outlet.region,
            changes=changed,
        )
    return outlet

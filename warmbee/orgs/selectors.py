"""Organisation and outlet reads, always from the actor's scope (R1)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access

from .models import EMPLOYER_KINDS, Organisation, Outlet


def org_list(
    *, actor, kind: str = "", region=None, q: str = "", active: bool | None = None
) -> QuerySet[Organisation]:
    qs = Organisation.objects.visible_to(actor, Perm.VIEW_ORG).select_related("region", "parent")
    if kind:
        qs = qs.filter(kind=kind)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(short_name__contains=q) | Q(credit_code=q.upper()))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.annotate(outlet_count=Count("outlets")).order_by("kind", "name")


def outlet_list(
    *,
    actor,
    company=None,
    region=None,
    q: str = "",
    has_party_org: bool | None = None,
    union_branch=None,
) -> QuerySet[Outlet]:
    qs = Outlet.objects.visible_to(actor, Perm.VIEW_ORG).select_related(
        "company", "region", "union_branch", "party_org"
    )
    if company is not None:
        qs = qs.filter(company=company)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code=q) | Q(address__contains=q))
    if has_party_org is not None:
        qs = qs.filter(party_org__isnull=not has_party_org)
    if union_branch is not None:
        qs = qs.filter(union_branch=union_branch)
    return qs.annotate(worker_count=Count("workers")).order_by("company__name", "name")


def access_org(actor, pk, perm: str = Perm.VIEW_ORG) -> Organisation:
    return access(Organisation, actor, perm, pk=pk)


def access_outlet(actor, pk, perm: str = Perm.VIEW_ORG) -> Outlet:
    return access(Outlet, actor, perm, pk=pk)


def employer_choices() -> QuerySet[Organisation]:
    """Active companies and platforms that have active outlets: the registration form's list.
    Names only, no personal data, so not scoped."""
    return (
        Organisation.objects.unscoped(reason="public registration choices")
        .filter(kind__in=sorted(EMPLOYER_KINDS), is_active=True, outlets__is_active=True)
        .distinct()
        .order_by("name")
    )


def outlet_choices(company: Organisation) -> QuerySet[Outlet]:
    return (
        Outlet.objects.unscoped(reason="public registration choices")
        .filter(company=company, is_active=True)
        .select_related("region")
        .order_by("region_id", "name")
    )


def employers_by_name() -> dict[str, Organisation]:
    """Every active company and platform by casefolded name, short name and credit code, for
    rosters (a roster names the company; companies are reference data, not scoped)."""
    lookup: dict[str, Organisation] = {}
    for org in Organisation.objects.unscoped(reason="company names for a roster").filter(
        kind__in=sorted(EMPLOYER_KINDS), is_active=True
    ):
        for name in (org.name, org.short_name, org.credit_code):
            if name:
                lookup.setdefault(name.casefold(), org)
    return lookup


def linkable_orgs(actor, *kinds: str) -> QuerySet[Organisation]:
    """Active organisations the actor may link a record to (a parent, an outlet's union branch
    or party organisation, a worker's union): those in the actor's ``VIEW_ORG`` scope and the
    national ones, optionally of the given kinds, by name."""
    from warmbee.accounts.scoping import scope_q

    qs = Organisation.objects.unscoped(reason="organisations to link to").filter(
        Q(region__path="/") | scope_q(actor, Perm.VIEW_ORG), is_active=True
    )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("kind", "name")

"""Worker reads, always from the actor's scope (R1). Personal fields leave here masked; the
full value comes only from ``reveal`` (R22, R23)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, has_perm
from warmbee.core.validators import normalize_mobile

from .models import (
    Certificate,
    Employment,
    Honour,
    Insurance,
    MembershipStatus,
    PartyRecord,
    UnionMembership,
    Worker,
)
from .search import name_query

_DIGITS4 = re.compile(r"^\d{4}$")
_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")


@dataclass(frozen=True)
class WorkerFilters:
    q: str = ""
    region: object = None  # a Region at or below the actor's grants
    company: object = None
    outlet: object = None
    kind: str = ""
    status: str = ""
    union_member: bool | None = None
    insured: bool | None = None
    certified: bool | None = None


def _union_now():
    return UnionMembership.objects.unscoped(reason="subquery under a scoped worker list").filter(
        worker=OuterRef("pk"), status=MembershipStatus.MEMBER
    )


def _insured_now(today):
    return Insurance.objects.unscoped(reason="subquery under a scoped worker list").filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), worker=OuterRef("pk"), starts_on__lte=today
    )


def _certified():
    return Certificate.objects.unscoped(reason="subquery under a scoped worker list").filter(
        worker=OuterRef("pk")
    )


def search_q(q: str) -> Q:
    """Name (characters or pinyin), the last four digits of the mobile, or an exact mobile or
    resident ID number through its blind index — never a pattern match on an encrypted column."""
    from .services import clean_id_number, id_number_index

    q = (q or "").strip()
    if not q:
        return Q()
    if _DIGITS4.match(q):
        return Q(phone__endswith=q)
    if _ID_LIKE.match(q):
        try:
            return Q(id_number_index=id_number_index(clean_id_number(q)))
        except Exception:
            return Q(pk__in=[])
    if q.isdigit() and len(q) == 11:
        try:
            return Q(phone=normalize_mobile(q))
        except Exception:
            return Q(pk__in=[])
    return name_query(q)


def worker_list(*, actor, filters: WorkerFilters | None = None) -> QuerySet[Worker]:
    f = filters or WorkerFilters()
    qs = Worker.objects.visible_to(actor, Perm.VIEW_WORKER).select_related(
        "company", "outlet", "region"
    )
    if f.region is not None:
        qs = qs.filter(region__path__startswith=f.region.path)
    if f.company is not None:
        qs = qs.filter(company=f.company)
    if f.outlet is not None:
        qs = qs.filter(outlet=f.outlet)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    today = timezone.localdate()
    if f.union_member is not None:
        qs = qs.filter(Exists(_union_now())) if f.union_member else qs.exclude(Exists(_union_now()))
    if f.insured is not None:
        qs = (
            qs.filter(Exists(_insured_now(today)))
            if f.insured
            else qs.exclude(Exists(_insured_now(today)))
        )
    if f.certified is not None:
        qs = qs.filter(Exists(_certified())) if f.certified else qs.exclude(Exists(_certified()))
    if f.q:
        qs = qs.filter(search_q(f.q))
    return qs.order_by("-created_at", "-id")


def worker_list_from_query(*, actor, query: str) -> QuerySet[Worker]:
    """``worker_list`` with the filters of a list page's query string, read as that page reads
    them for ``actor`` (a region outside the actor's scope is dropped, never widened). Used by
    exports made later from a stored query string (R29)."""
    from django.http import QueryDict

    from .forms import WorkerFilterForm

    data = QueryDict(query or "")
    form = WorkerFilterForm(data or None, actor=actor)
    return worker_list(actor=actor, filters=form.filters())


def access_worker(actor, pk, perm: str = Perm.VIEW_WORKER) -> Worker:
    return access(Worker, actor, perm, pk=pk)


@dataclass
class WorkerRecords:
    employments: list
    memberships: list
    insurances: list
    certificates: list
    honours: list
    party: PartyRecord | None


def worker_records(*, actor, worker: Worker) -> WorkerRecords:
    """A worker's records; the party record only for party-organisation roles."""
    reason = "records of a worker already accessed in scope"
    party = None
    if has_perm(actor, Perm.VIEW_PARTY, worker.region):
        party = (
            PartyRecord.objects.visible_to(actor, Perm.VIEW_PARTY)
            .filter(worker=worker)
            .select_related("party_org")
            .first()
        )
    return WorkerRecords(
        employments=list(
            Employment.objects.unscoped(reason=reason)
            .filter(worker=worker)
            .select_related("company", "outlet")
        ),
        memberships=list(
            UnionMembership.objects.unscoped(reason=reason)
            .filter(worker=worker)
            .select_related("branch")
        ),
        insurances=list(Insurance.objects.unscoped(reason=reason).filter(worker=worker)),
        certificates=list(Certificate.objects.unscoped(reason=reason).filter(worker=worker)),
        honours=list(Honour.objects.unscoped(reason=reason).filter(worker=worker)),
        party=party,
    )


def duplicates_of(*, actor, worker: Worker) -> list[Worker]:
    """Other workers in scope with the same ID number (blind index) or mobile number."""
    q = Q(phone=worker.phone)
    if worker.id_number_index:
        q |= Q(id_number_index=worker.id_number_index)
    return list(
        Worker.objects.visible_to(actor, Perm.VIEW_WORKER)
        .filter(q)
        .exclude(pk=worker.pk)
        .select_related("company", "outlet")
    )


# --- party ledgers ----------------------------------------------------------------------------------
MEMBER_STAGES = ("probationary", "member")


def party_ledger(*, actor, ledger: str):
    """The three ledgers, for party-organisation roles only: members, applicants (every stage
    before probationary) and organisations with their counts."""
    from django.db.models import Count

    from warmbee.orgs.models import Organisation, OrgKind

    if ledger == "organisations":
        return (
            Organisation.objects.visible_to(actor, Perm.VIEW_PARTY)
            .filter(kind=OrgKind.PARTY)
            .annotate(
                members=Count("party_records", filter=Q(party_records__stage__in=MEMBER_STAGES)),
                applicants=Count(
                    "party_records", filter=~Q(party_records__stage__in=MEMBER_STAGES)
                ),
                outlets_covered=Count("party_outlets", distinct=True),
            )
            .select_related("region", "parent")
            .order_by("region_id", "name")
        )
    qs = PartyRecord.objects.visible_to(actor, Perm.VIEW_PARTY).select_related(
        "worker", "worker__company", "worker__outlet", "party_org"
    )
    if ledger == "members":
        qs = qs.filter(stage__in=MEMBER_STAGES)
    else:
        qs = qs.exclude(stage__in=MEMBER_STAGES)
    return qs.order_by("party_org_id", "stage", "stage_since")

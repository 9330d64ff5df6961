"""Coverage figures: union membership, insurance, certificates, party coverage of outlets and
workers per station — by region (the children of a chosen region) or by company.

Counts only, never a person. ``refresh`` counts the whole registry into ``CoverageCount`` rows
(one per region and company) with seven grouped queries; ``coverage`` sums those rows for a
region's children or its companies in two queries, so a province's table costs the same as a
district's. In public outputs small counts are shown as "<k" (R30).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from warmbee.accounts.roles import Perm
from warmbee.core.bulk import insert_rows
from warmbee.orgs.models import Outlet
from warmbee.regions.models import Region
from warmbee.stations.models import Station

from .models import (
    Certificate,
    CoverageCount,
    Insurance,
    MembershipStatus,
    UnionMembership,
    Worker,
    WorkerStatus,
)

METRICS = (
    "workers",
    "union_members",
    "insured",
    "certified",
    "outlets",
    "party_outlets",
    "stations",
)


@dataclass
class CoverageRow:
    key: str
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))

    def rate(self, part: str, whole: str = "workers") -> float | None:
        total = self.counts[whole]
        return None if not total else round(100 * self.counts[part] / total, 1)

    @property
    def union_rate(self):
        return self.rate("union_members")

    @property
    def insured_rate(self):
        return self.rate("insured")

    @property
    def certified_rate(self):
        return self.rate("certified")

    @property
    def party_outlet_rate(self):
        return self.rate("party_outlets", "outlets")

    @property
    def workers_per_station(self):
        s = self.counts["stations"]
        return None if not s else round(self.counts["workers"] / s, 1)


def _grouped(qs, *keys: str, distinct: str | None = None) -> dict:
    agg = Count(distinct, distinct=True) if distinct else Count("pk")
    return {
        tuple(row[k] for k in keys): row["n"] for row in qs.values(*keys).annotate(n=agg).order_by()
    }


def refresh(*, today=None) -> int:
    """Rebuild the coverage counts from the registry: seven grouped queries over every worker,
    membership, insurance, certificate, outlet and station, replaced in one transaction.

    Run by ``manage.py refresh_coverage`` (scheduled), after each roster import and by the
    demo. Returns the number of (region, company) rows written.
    """
    today = today or timezone.localdate()
    reason = "coverage counts are rebuilt for everyone"
    active = {"status": WorkerStatus.ACTIVE}
    w_active = {"worker__status": WorkerStatus.ACTIVE}
    by_worker = ("worker__region_id", "worker__company_id")
    outlets = Outlet.objects.unscoped(reason=reason).filter(is_active=True)
    sources = {
        "workers": _grouped(
            Worker.objects.unscoped(reason=reason).filter(**active), "region_id", "company_id"
        ),
        "union_members": _grouped(
            UnionMembership.objects.unscoped(reason=reason).filter(
                status=MembershipStatus.MEMBER, **w_active
            ),
            *by_worker,
            distinct="worker",
        ),
        "insured": _grouped(
            Insurance.objects.unscoped(reason=reason).filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today, **w_active
            ),
            *by_worker,
            distinct="worker",
        ),
        "certified": _grouped(
            Certificate.objects.unscoped(reason=reason).filter(**w_active),
            *by_worker,
            distinct="worker",
        ),
        "outlets": _grouped(outlets, "region_id", "company_id"),
        "party_outlets": _grouped(outlets.exclude(party_org=None), "region_id", "company_id"),
        "stations": {
            (region, None): n
            for (region,), n in _grouped(
                Station.objects.unscoped(reason=reason).filter(is_active=True), "region_id"
            ).items()
        },
    }
    rows: dict[tuple, dict] = {}
    for metric, counts in sources.items():
        for key, n in counts.items():
            rows.setdefault(key, {})[metric] = n
    now = timezone.now()
    with transaction.atomic():
        CoverageCount.objects.unscoped(reason=reason).delete()
        insert_rows(
            CoverageCount,
            [
                {"region_id": region, "company_id": company, "computed_at": now, **counts}
                for (region, company), counts in rows.items()
            ],
        )
    return len(rows)


def as_of(*, actor) -> dt.datetime | None:
    """When the counts the actor sees were computed (``None``: never)."""
    row = CoverageCount.objects.visible_to(actor, Perm.VIEW_COVERAGE).order_by().first()
    return row.computed_at if row else None


def coverage(*, actor, region: Region, by: str = "region") -> list[CoverageRow]:
    """Rows for the children of ``region`` (``by="region"``) or for companies (``by="company"``),
    within the actor's scope, plus a total row last — from the counts of the last ``refresh``.
    Two queries whatever the size of the registry."""
    counts = CoverageCount.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(
        region__path__startswith=region.path
    )
    sums = {metric: Sum(metric) for metric in METRICS}
    if by == "company":
        grouped = counts.exclude(company=None).values("company_id", "company__name")
        rows = [
            CoverageRow(str(g["company_id"]), g["company__name"], {m: g[m] for m in METRICS})
            for g in grouped.annotate(**sums).order_by()
        ]
        result = sorted(rows, key=lambda r: (-r.counts["workers"], r.label))
    else:
        grouped = counts.values("region_id", "region__path").annotate(**sums).order_by()
        children = list(region.children.current().order_by("code"))
        rows = {c.code: CoverageRow(c.code, c.name) for c in children}
        own = CoverageRow(region.code, region.name)

        def child_of(path: str) -> CoverageRow:
            for child in children:
                if path.startswith(child.path):
                    return rows[child.code]
            return own  # recorded on the region itself, not below it

        for g in grouped:
            row = child_of(g["region__path"])
            for metric in METRICS:
                row.counts[metric] += g[metric] or 0
        result = list(rows.values()) + ([own] if any(own.counts.values()) else [])
    total = CoverageRow("total", "")
    for row in result:
        for metric in METRICS:
            total.counts[metric] += row.counts[metric]
    return [*result, total]


def suppress(value: int, k: int | None = None) -> int | str:
    """A count for a public output: below ``k`` (default ``SMALL_COUNT_K``) it is "<k" (R30)."""
    k = settings.SMALL_COUNT_K if k is None else k
    return f"<{k}" if 0 < value < k else value


def public_counts(row: CoverageRow) -> dict[str, int | str]:
    return {metric: suppress(n) for metric, n in row.counts.items()}

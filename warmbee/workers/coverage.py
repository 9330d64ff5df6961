"""Coverage figures: union membership, insurance, certificates, party coverage of outlets and
workers per station — by region (the children of a chosen region) or by company.

Counts only, never a person. Seven grouped queries whatever the number of rows (worker,
membership, insurance, certificate, outlet and station counts by region or company, and the
region paths for the roll-up). In public outputs small counts are shown as "<k" (R30).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from warmbee.accounts.roles import Perm
from warmbee.orgs.models import Organisation, Outlet
from warmbee.regions.models import Region
from warmbee.stations.models import Station

from .models import Certificate, Insurance, MembershipStatus, UnionMembership, Worker, WorkerStatus

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


def _grouped(qs, key: str, *, distinct: str | None = None) -> dict:
    agg = Count(distinct, distinct=True) if distinct else Count("pk")
    return {row[key]: row["n"] for row in qs.values(key).annotate(n=agg).order_by()}


def coverage(*, actor, region: Region, by: str = "region") -> list[CoverageRow]:
    """Rows for the children of ``region`` (``by="region"``) or for companies (``by="company"``),
    within the actor's scope, plus a total row last."""
    today = timezone.localdate()
    within = {"region__path__startswith": region.path}
    workers = Worker.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(
        status=WorkerStatus.ACTIVE, **within
    )
    w_within = {
        "worker__region__path__startswith": region.path,
        "worker__status": WorkerStatus.ACTIVE,
    }
    members = UnionMembership.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(
        status=MembershipStatus.MEMBER, **w_within
    )
    insured = Insurance.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today, **w_within
    )
    certified = Certificate.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(**w_within)
    outlets = Outlet.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(is_active=True, **within)
    if by == "company":
        wk, ok = "company_id", "company_id"
        sources = {
            "workers": _grouped(workers, wk),
            "union_members": _grouped(members, "worker__company_id", distinct="worker"),
            "insured": _grouped(insured, "worker__company_id", distinct="worker"),
            "certified": _grouped(certified, "worker__company_id", distinct="worker"),
            "outlets": _grouped(outlets, ok),
            "party_outlets": _grouped(outlets.exclude(party_org=None), ok),
        }
        keys = set().union(*sources.values())
        names = dict(
            Organisation.objects.unscoped(reason="company names for counts")
            .filter(pk__in=keys)
            .values_list("pk", "name")
        )
        rows = {k: CoverageRow(str(k), names.get(k, "")) for k in keys}
        for metric, counts in sources.items():
            for k, n in counts.items():
                rows[k].counts[metric] += n
        result = sorted(rows.values(), key=lambda r: -r.counts["workers"])
    else:
        stations = Station.objects.visible_to(actor, Perm.VIEW_COVERAGE).filter(
            is_active=True, **within
        )
        rk = "region_id"
        sources = {
            "workers": _grouped(workers, rk),
            "union_members": _grouped(members, "worker__region_id", distinct="worker"),
            "insured": _grouped(insured, "worker__region_id", distinct="worker"),
            "certified": _grouped(certified, "worker__region_id", distinct="worker"),
            "outlets": _grouped(outlets, rk),
            "party_outlets": _grouped(outlets.exclude(party_org=None), rk),
            "stations": _grouped(stations, rk),
        }
        children = list(region.children.current().order_by("code"))
        rows = {c.code: CoverageRow(c.code, c.name) for c in children}
        own = CoverageRow(region.code, region.name)
        paths = dict(
            Region.objects.filter(code__in=set().union(*sources.values())).values_list(
                "code", "path"
            )
        )

        def child_of(code: str) -> CoverageRow:
            path = paths.get(code, "")
            for child in children:
                if path.startswith(child.path):
                    return rows[child.code]
            return own  # recorded on the region itself, not below it

        for metric, counts in sources.items():
            for code, n in counts.items():
                child_of(code).counts[metric] += n
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

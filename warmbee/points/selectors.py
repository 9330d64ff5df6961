"""Points reads: a worker's own account, a station's catalogue, officers' figures in scope."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access
from warmbee.core.errors import NotFound

from .models import (
    Adjustment,
    AdjustmentStatus,
    Goods,
    Kind,
    LedgerEntry,
    PointsAccount,
    Redemption,
    RedemptionStatus,
)

LOW_STOCK = 5
# "/230000/230600/230602/": a county's path; paths below it start with it (regions).
COUNTY_PATH_LENGTH = 22


def own_account(actor) -> PointsAccount | None:
    """The signed-in worker's account (opened on first visit), or None for a non-worker."""
    from warmbee.workers.models import Worker

    from .services import account_for

    if not getattr(actor, "is_authenticated", False) or not actor.holds(Perm.USE_POINTS):
        return None
    worker = Worker.objects.unscoped(reason="the user's own profile").filter(user=actor).first()
    return account_for(worker) if worker is not None else None


def history(account: PointsAccount):
    """The account's entries, newest first; ``reversal_id`` is the entry reversing each one."""
    return (
        LedgerEntry.objects.unscoped(reason="the account holder's own entries")
        .filter(account=account)
        .select_related("rule")
        .annotate(reversal_id=F("reversed_by__id"))
        .order_by("-created_at", "-id")
    )


def pending_for(account: PointsAccount):
    from django.utils import timezone

    return (
        Redemption.objects.unscoped(reason="the account holder's own redemptions")
        .filter(account=account, status=RedemptionStatus.PENDING, expires_at__gt=timezone.now())
        .select_related("goods", "station")
    )


def own_redemption(actor, pk: int) -> Redemption:
    account = own_account(actor)
    found = (
        Redemption.objects.unscoped(reason="the account holder's own redemption")
        .filter(pk=pk, account=account)
        .select_related("goods", "station")
        .first()
        if account is not None
        else None
    )
    if found is None:
        raise NotFound("Not found.")
    return found


def catalogue(station, *, offered_only: bool = False):
    qs = Goods.objects.unscoped(reason="a station's catalogue").filter(station=station)
    return qs.filter(is_active=True) if offered_only else qs


def station_redemption(station, pk: int) -> Redemption:
    found = (
        Redemption.objects.unscoped(reason="the host's station, checked by the view")
        .filter(pk=pk, station=station)
        .select_related("goods", "account__worker")
        .first()
    )
    if found is None:
        raise NotFound("Not found.")
    return found


def access_account(actor, pk: int) -> PointsAccount:
    return access(PointsAccount, actor, Perm.VIEW_POINTS, pk=pk)


def access_entry(actor, pk: int) -> LedgerEntry:
    return access(LedgerEntry, actor, Perm.ADJUST_POINTS, pk=pk)


def access_adjustment(actor, pk: int) -> Adjustment:
    return access(Adjustment, actor, Perm.APPROVE_ADJUSTMENT, pk=pk)


def figures(actor) -> dict:
    """Points earned and redeemed per district and month, top goods, low stock, the queue."""
    entries = LedgerEntry.objects.visible_to(actor, Perm.VIEW_POINTS)
    by_month = (
        entries.filter(kind__in=[Kind.EARN, Kind.REDEEM])
        .annotate(
            month=TruncMonth("created_at"),
            district=Substr("account__region__path", 1, COUNTY_PATH_LENGTH),
        )
        .values("month", "district")
        .annotate(
            earned=Sum("points", filter=Q(kind=Kind.EARN)),
            redeemed=Sum("points", filter=Q(kind=Kind.REDEEM)),
        )
        .order_by("-month", "district")[:60]
    )
    by_month = list(by_month)
    from warmbee.regions.models import Region

    names = dict(
        Region.objects.filter(path__in={row["district"] for row in by_month}).values_list(
            "path", "name"
        )
    )
    redemptions = Redemption.objects.visible_to(actor, Perm.VIEW_POINTS).filter(
        status=RedemptionStatus.CONFIRMED
    )
    top_goods = (
        redemptions.values("goods__name", "station__name")
        .annotate(items=Sum("quantity"), n=Count("id"))
        .order_by("-items")[:10]
    )
    low_stock = (
        Goods.objects.visible_to(actor, Perm.VIEW_POINTS)
        .filter(is_active=True, stock__lt=LOW_STOCK)
        .select_related("station")[:20]
    )
    queue = (
        Adjustment.objects.visible_to(actor, Perm.VIEW_POINTS)
        .filter(status=AdjustmentStatus.PENDING)
        .select_related("account__worker", "maker")[:50]
    )
    accounts = PointsAccount.objects.visible_to(actor, Perm.VIEW_POINTS)
    return {
        "by_month": [
            {
                "month": row["month"],
                "district": names.get(row["district"], row["district"]),
                "district_code": [p for p in row["district"].split("/") if p][-1],
                "redeemed": -(row["redeemed"] or 0),
                "earned": row["earned"] or 0,
            }
            for row in by_month
        ],
        "top_goods": list(top_goods),
        "low_stock": list(low_stock),
        "queue": list(queue),
        "totals": accounts.aggregate(n=Count("id"), balance=Sum("balance")),
    }


def accounts_in_scope(actor, q: str = ""):
    qs = PointsAccount.objects.visible_to(actor, Perm.VIEW_POINTS).select_related(
        "worker", "region"
    )
    if q:
        qs = qs.filter(Q(worker__name__contains=q) | Q(redeem_code=q.upper()))
    return qs.order_by("-balance", "id")

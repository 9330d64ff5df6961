"""Points writes. Every balance change goes through ``_post``: one ledger entry under a unique
idempotency key and one conditional ``UPDATE … SET balance = balance + x WHERE balance >= -x``
in the same transaction (R36–R38). Nothing reads a balance, decides, and writes it back.

Ledger entries are not repeated in the audit chain (like check-ins, ADR 0005): each entry is
itself an append-only record of who moved what, when and why. People's decisions — a
redemption confirmed, an adjustment proposed or approved, a reversal, a catalogue change — are
audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize
from warmbee.audit.services import diff, record
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound
from warmbee.core.validators import clean_model

from .models import (
    Adjustment,
    AdjustmentStatus,
    EarnRule,
    Goods,
    Kind,
    LedgerEntry,
    PointsAccount,
    Redemption,
    RedemptionStatus,
    new_redeem_code,
)

REDEEM_TIERS = frozenset({1, 2})
MAX_ADJUSTMENT = 100_000
REVERSIBLE = frozenset({Kind.EARN, Kind.REDEEM, Kind.ADJUST})


def _accounts():
    return PointsAccount.objects.unscoped(reason="points service, after authorisation")


def _entries():
    return LedgerEntry.objects.unscoped(reason="points service, after authorisation")


# --- the one way a balance moves -------------------------------------------------------------------
def _post(
    *,
    account_id: int,
    kind: str,
    points: int,
    key: str,
    actor=None,
    rule: EarnRule | None = None,
    source: str = "",
    note: str = "",
    reverses: LedgerEntry | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[LedgerEntry, bool]:
    """Write one entry (dated ``now``, by default the present) and move the balance by
    ``points``; ``(entry, created)``.

    A key already used returns its entry unchanged (``created`` False). A debit larger than the
    balance raises ``DomainError(code="points_insufficient")`` and writes nothing.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    account_id=account_id,
                    kind=kind,
                    points=points,
                    idempotency_key=key,
                    rule=rule,
                    source=source[:100],
                    note=note[:200],
                    reverses=reverses,
                    expires_at=expires_at,
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                    created_at=now or timezone.now(),
                )
        except IntegrityError:
            existing = _entries().filter(idempotency_key=key).first()
            if existing is None:
                if reverses is None:
                    raise
                # The other unique constraint: one reversal per entry.
                raise Conflict(
                    _("This entry has already been reversed."), code="points_already_reversed"
                ) from None
            return existing, False
        accounts = _accounts().filter(pk=account_id)
        if points < 0:
            accounts = accounts.filter(balance__gte=-points)
        if accounts.update(balance=F("balance") + points) != 1:
            raise DomainError(
                _("Not enough points: the balance is smaller than %(points)s.")
                % {"points": -points},
                code="points_insufficient",
            )
    return entry, True


def account_for(worker) -> PointsAccount:
    """The worker's account, opened on first use (safe under concurrency)."""
    account = _accounts().filter(worker=worker).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return PointsAccount.objects.create(worker=worker, region_id=worker.region_id)
    except IntegrityError:
        return _accounts().get(worker=worker)


# --- earning ---------------------------------------------------------------------------------------
def points_earn(
    *,
    worker,
    rule: str,
    idempotency_key: str,
    source: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Credit the rule's points to the worker's account (created on first use), earned ``now``
    (by default the present; the expiry counts from it). A second call with the same
    idempotency_key returns the first entry and changes nothing (R38).
    Raises DomainError(code="points_rule_unknown") for an unknown/inactive rule.
    Runs inside the caller's transaction if there is one."""
    earn_rule = EarnRule.objects.filter(code=rule, is_active=True).first()
    if earn_rule is None:
        raise DomainError(
            _("There is no active points rule %(rule)s.") % {"rule": rule},
            code="points_rule_unknown",
        )
    if not idempotency_key:
        raise DomainError(_("An idempotency key is required."), code="points_key_required")
    with transaction.atomic():
        account = account_for(worker)
        days = settings.POINTS_EXPIRY_DAYS
        now = now or timezone.now()
        entry, _created = _post(
            account_id=account.pk,
            kind=Kind.EARN,
            points=earn_rule.points,
            key=idempotency_key,
            actor=actor,
            rule=earn_rule,
            source=source,
            expires_at=now + dt.timedelta(days=days) if days > 0 else None,
            now=now,
        )
    return entry


def account_new_code(*, actor, account: PointsAccount) -> PointsAccount:
    """The worker replaces their personal code (a photo of the old one stops working)."""
    _authorize_owner(actor, account)
    with transaction.atomic():
        for _attempt in range(5):
            code = new_redeem_code()
            if not _accounts().filter(redeem_code=code).exists():
                break
        _accounts().filter(pk=account.pk).update(redeem_code=code)
        record(actor=actor, action="points.code_renew", target=account, region=account.region_id)
    account.redeem_code = code
    return account


def _authorize_owner(actor, account: PointsAccount) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.holds(Perm.USE_POINTS):
        raise Forbidden(_("You do not have permission to do this."))
    if account.worker.user_id != actor.pk:
        raise NotFound(_("Not found."))


# --- the station catalogue -------------------------------------------------------------------------
def _authorize_catalogue(actor, station) -> None:
    from warmbee.stations.selectors import is_host

    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    from warmbee.accounts.scoping import has_perm

    if not (is_host(actor, station) or has_perm(actor, Perm.ADJUST_POINTS, station.region)):
        raise NotFound(_("Not found."))


def _check_tier(station) -> None:
    if station.tier not in REDEEM_TIERS:
        raise DomainError(
            _("Only tier-1 and tier-2 stations redeem points."), code="points_station_tier"
        )


GOODS_FIELDS = ("name", "points", "stock", "is_active")


def goods_create(
    *, actor, station, name: str, points: int, stock: int, is_active: bool = True
) -> Goods:
    _authorize_catalogue(actor, station)
    _check_tier(station)
    goods = Goods(station=station, name=(name or "").strip(), points=points, stock=stock)
    goods.is_active = is_active
    _check_goods(goods)
    with transaction.atomic():
        if Goods.objects.unscoped(reason="name check").filter(station=station, name=goods.name):
            raise DomainError(
                _("This station already offers goods of this name."),
                code="points_goods_name",
                field="name",
            )
        goods.save()
        record(
            actor=actor,
            action="points.goods_create",
            target=goods,
            region=station.region_id,
            changes=diff({}, {f: getattr(goods, f) for f in GOODS_FIELDS}),
        )
    return goods


def goods_update(*, actor, goods: Goods, **changes) -> Goods:
    station = goods.station
    _authorize_catalogue(actor, station)
    _check_tier(station)
    with transaction.atomic():
        goods = Goods.objects.unscoped(reason="lock").select_for_update().get(pk=goods.pk)
        before = {f: getattr(goods, f) for f in GOODS_FIELDS}
        for name, value in changes.items():
            if name not in GOODS_FIELDS:
                raise DomainError(_("This field cannot be changed."), code="invalid", field=name)
            setattr(goods, name, value.strip() if isinstance(value, str) else value)
        _check_goods(goods)
        clash = Goods.objects.unscoped(reason="name check").filter(
            station_id=goods.station_id, name=goods.name
        )
        if clash.exclude(pk=goods.pk).exists():
            raise DomainError(
                _("This station already offers goods of this name."),
                code="points_goods_name",
                field="name",
            )
        goods.save(update_fields=[*GOODS_FIELDS, "updated_at"])
        after = {f: getattr(goods, f) for f in GOODS_FIELDS}
        record(
            actor=actor,
            action="points.goods_update",
            target=goods,
            region=station.region_id,
            changes=diff(before, after),
        )
    return goods


def _check_goods(goods: Goods) -> None:
    if not goods.name:
        raise DomainError(_("Name the goods."), code="invalid", field="name")
    if goods.points is None or goods.points <= 0:
        raise DomainError(_("The cost must be at least 1 point."), code="invalid", field="points")
    if goods.stock is None or goods.stock < 0:
        raise DomainError(_("Stock cannot be negative."), code="invalid", field="stock")
    clean_model(goods, exclude=["station"])


# --- redemption ------------------------------------------------------------------------------------
def account_by_code(code: str) -> PointsAccount:
    """The account behind a personal code (typed or scanned), or NotFound."""
    code = (code or "").strip().upper().removeprefix("WBPT:").replace(" ", "").replace("-", "")
    account = (
        _accounts()
        .select_related("worker", "region")
        .filter(redeem_code=code, worker__status="active")
        .first()
    )
    if account is None or not code:
        raise NotFound(
            _("No worker has this personal code. Check it and try again."),
            code="points_code_unknown",
        )
    return account


def redemption_start(
    *,
    actor,
    station,
    code: str,
    goods: Goods,
    quantity: int,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> Redemption:
    """The host starts a redemption for the worker whose code they scanned; it waits for the
    worker's confirmation (from ``now``, by default the present). A retried request with the
    same key returns the first one."""
    from warmbee.stations.selectors import is_host

    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    if not is_host(actor, station):
        raise NotFound(_("Not found."))
    existing = Redemption.objects.unscoped(reason="retry").filter(idempotency_key=idempotency_key)
    if idempotency_key and (first := existing.first()) is not None:
        return first
    _check_tier(station)
    if not station.is_active:
        raise DomainError(_("This station is not in service."), code="points_station_inactive")
    if goods.station_id != station.pk or not goods.is_active:
        raise DomainError(_("Choose goods from this station's catalogue."), code="points_goods")
    if (
        not isinstance(quantity, int)
        or not 1 <= quantity <= settings.POINTS_REDEMPTION_MAX_QUANTITY
    ):
        raise DomainError(
            _("Quantity must be between 1 and %(max)s.")
            % {"max": settings.POINTS_REDEMPTION_MAX_QUANTITY},
            code="invalid",
            field="quantity",
        )
    if goods.stock < quantity:
        raise DomainError(_("Not enough in stock."), code="points_out_of_stock", field="quantity")
    account = account_by_code(code)
    if account.worker.user_id == actor.pk:
        raise Forbidden(
            _("You cannot redeem your own points at your own station."),
            code="points_self_redemption",
        )
    total = goods.points * quantity
    if account.balance < total:
        raise DomainError(
            _("Not enough points: %(balance)s available, %(total)s needed.")
            % {"balance": account.balance, "total": total},
            code="points_insufficient",
        )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            redemption = Redemption.objects.create(
                station=station,
                account=account,
                goods=goods,
                quantity=quantity,
                points=total,
                idempotency_key=idempotency_key or f"redemption-start:{now.timestamp()}",
                host=actor,
                created_at=now,
                expires_at=now + dt.timedelta(seconds=settings.POINTS_REDEMPTION_CONFIRM_SECONDS),
            )
            record(
                actor=actor,
                action="points.redemption_start",
                target=redemption,
                region=station.region_id,
                changes={"points": [None, total], "quantity": [None, quantity]},
            )
    except IntegrityError:
        return existing.get()
    return redemption


def _locked_redemption(redemption: Redemption) -> Redemption:
    return (
        Redemption.objects.unscoped(reason="row lock after authorisation")
        .select_for_update()
        .get(pk=redemption.pk)
    )


def _authorize_redeemer(actor, redemption: Redemption) -> PointsAccount:
    """The redemption's account, if it is the actor's own."""
    if not getattr(actor, "is_authenticated", False) or not actor.holds(Perm.USE_POINTS):
        raise Forbidden(_("You do not have permission to do this."))
    account = _accounts().select_related("worker").get(pk=redemption.account_id)
    if account.worker.user_id != actor.pk:
        raise NotFound(_("Not found."))
    return account


def redemption_confirm(*, actor, redemption: Redemption, now: dt.datetime | None = None):
    """The worker confirms: stock, balance, ledger entry and status in one transaction.

    Confirming again returns the confirmed redemption (one effect, R38)."""
    account = _authorize_redeemer(actor, redemption)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_redemption(redemption)
        if locked.status == RedemptionStatus.CONFIRMED:
            return locked
        if locked.status != RedemptionStatus.PENDING:
            raise Conflict(_("This redemption is closed."), code="points_redemption_closed")
        if locked.expires_at <= now:
            raise Conflict(
                _("This redemption timed out. Ask the host to start it again."),
                code="points_redemption_expired",
            )
        goods = Goods.objects.unscoped(reason="stock after authorisation").filter(
            pk=locked.goods_id, stock__gte=locked.quantity, is_active=True
        )
        if goods.update(stock=F("stock") - locked.quantity) != 1:
            raise DomainError(_("Not enough in stock."), code="points_out_of_stock")
        entry, _created = _post(
            account_id=locked.account_id,
            kind=Kind.REDEEM,
            points=-locked.points,
            key=f"redemption:{locked.pk}",
            actor=actor,
            source=f"points:redemption:{locked.pk}",
            now=now,
        )
        Redemption.objects.unscoped(reason="status").filter(pk=locked.pk).update(
            status=RedemptionStatus.CONFIRMED, entry=entry, decided_at=now
        )
        locked.status, locked.entry, locked.decided_at = RedemptionStatus.CONFIRMED, entry, now
        record(
            actor=actor,
            action="points.redeem",
            target=locked,
            region=account.region_id,
            changes={"status": ["pending", "confirmed"], "points": [None, -locked.points]},
        )
    return locked


def redemption_decline(*, actor, redemption: Redemption) -> Redemption:
    _authorize_redeemer(actor, redemption)
    return _close(actor, redemption, RedemptionStatus.DECLINED)


def redemption_cancel(*, actor, redemption: Redemption) -> Redemption:
    from warmbee.stations.selectors import is_host

    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    if not is_host(actor, redemption.station):
        raise NotFound(_("Not found."))
    return _close(actor, redemption, RedemptionStatus.CANCELLED)


def _close(actor, redemption: Redemption, status: str) -> Redemption:
    with transaction.atomic():
        locked = _locked_redemption(redemption)
        if locked.status == status:
            return locked
        if locked.status != RedemptionStatus.PENDING:
            raise Conflict(_("This redemption is closed."), code="points_redemption_closed")
        now = timezone.now()
        Redemption.objects.unscoped(reason="status").filter(pk=locked.pk).update(
            status=status, decided_at=now
        )
        locked.status, locked.decided_at = status, now
        record(
            actor=actor,
            action=f"points.redemption_{status}",
            target=locked,
            region=locked.account.region_id,
            changes={"status": ["pending", status]},
        )
    return locked


def redemptions_time_out(*, now: dt.datetime | None = None) -> int:
    """Mark pending redemptions past their confirmation time as timed out."""
    now = now or timezone.now()
    with transaction.atomic():
        return (
            Redemption.objects.unscoped(reason="housekeeping")
            .filter(status=RedemptionStatus.PENDING, expires_at__lte=now)
            .update(status=RedemptionStatus.EXPIRED, decided_at=now)
        )


# --- officers: reverse and adjust ------------------------------------------------------------------
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Undo an entry with an opposite one. Once per entry; never below zero."""
    account = _accounts().select_related("worker").get(pk=entry.account_id)
    authorize(actor, Perm.ADJUST_POINTS, obj=account)
    if account.worker.user_id == actor.pk:
        raise Forbidden(_("You cannot change your own points."), code="points_own_account")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), code="invalid", field="reason")
    if entry.kind not in REVERSIBLE:
        raise DomainError(
            _("Expiries and reversals cannot be reversed."), code="points_not_reversible"
        )
    with transaction.atomic():
        if _entries().filter(reverses=entry).exists():
            raise Conflict(
                _("This entry has already been reversed."), code="points_already_reversed"
            )
        try:
            reversal, created = _post(
                account_id=account.pk,
                kind=Kind.REVERSE,
                points=-entry.points,
                key=f"reverse:{entry.pk}",
                actor=actor,
                source=entry.source,
                note=reason,
                reverses=entry,
            )
        except DomainError as exc:
            if exc.code == "points_insufficient":
                raise DomainError(
                    _(
                        "The worker has already spent these points: reversing the entry would "
                        "make the balance negative."
                    ),
                    code="points_insufficient",
                ) from None
            raise
        if not created:
            raise Conflict(
                _("This entry has already been reversed."), code="points_already_reversed"
            )
        record(
            actor=actor,
            action="points.reverse",
            target=entry,
            region=account.region_id,
            changes={"points": [entry.points, 0]},
            reason=reason,
        )
    return reversal


def adjustment_propose(
    *, actor, worker, points: int, reason: str, idempotency_key: str
) -> Adjustment:
    """Propose a manual adjustment. Up to the threshold it applies at once; above it a second
    officer approves it (R7)."""
    authorize(actor, Perm.ADJUST_POINTS, obj=worker)
    if worker.user_id == actor.pk:
        raise Forbidden(_("You cannot change your own points."), code="points_own_account")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), code="invalid", field="reason")
    if not isinstance(points, int) or points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise DomainError(
            _("Enter a number of points other than 0, at most %(max)s either way.")
            % {"max": MAX_ADJUSTMENT},
            code="invalid",
            field="points",
        )
    first = Adjustment.objects.unscoped(reason="retry").filter(idempotency_key=idempotency_key)
    if (found := first.first()) is not None:
        return found
    with transaction.atomic():
        account = account_for(worker)
        adjustment = Adjustment.objects.create(
            account=account,
            points=points,
            reason=reason[:200],
            idempotency_key=idempotency_key,
            maker=actor,
        )
        record(
            actor=actor,
            action="points.adjustment_propose",
            target=adjustment,
            region=account.region_id,
            changes={"points": [None, points]},
            reason=reason,
        )
        if abs(points) <= settings.POINTS_ADJUST_APPROVAL_THRESHOLD:
            _apply(actor, adjustment, checker=None)
    return adjustment


def _apply(actor, adjustment: Adjustment, *, checker) -> None:
    entry, _created = _post(
        account_id=adjustment.account_id,
        kind=Kind.ADJUST,
        points=adjustment.points,
        key=f"adjustment:{adjustment.pk}",
        actor=actor,
        source=f"points:adjustment:{adjustment.pk}",
        note=adjustment.reason,
    )
    now = timezone.now()
    Adjustment.objects.unscoped(reason="status").filter(pk=adjustment.pk).update(
        status=AdjustmentStatus.APPLIED, entry=entry, checker=checker, decided_at=now
    )
    adjustment.status, adjustment.entry, adjustment.checker = (
        AdjustmentStatus.APPLIED,
        entry,
        checker,
    )
    adjustment.decided_at = now


def _authorize_checker(actor, adjustment: Adjustment) -> PointsAccount:
    account = _accounts().select_related("worker").get(pk=adjustment.account_id)
    authorize(actor, Perm.APPROVE_ADJUSTMENT, obj=account)
    if adjustment.maker_id == actor.pk:
        raise Forbidden(
            _("A second officer must decide on an adjustment you proposed."),
            code="maker_checker",
        )
    if account.worker.user_id == actor.pk:
        raise Forbidden(_("You cannot change your own points."), code="points_own_account")
    return account


def adjustment_approve(*, actor, adjustment: Adjustment, note: str = "") -> Adjustment:
    account = _authorize_checker(actor, adjustment)
    with transaction.atomic():
        locked = (
            Adjustment.objects.unscoped(reason="lock").select_for_update().get(pk=adjustment.pk)
        )
        if locked.status == AdjustmentStatus.APPLIED and locked.checker_id == actor.pk:
            return locked
        if locked.status != AdjustmentStatus.PENDING:
            raise Conflict(_("This adjustment has been decided."), code="points_adjustment_closed")
        _apply(actor, locked, checker=actor)
        if note:
            Adjustment.objects.unscoped(reason="note").filter(pk=locked.pk).update(
                decision_note=note[:200]
            )
        record(
            actor=actor,
            action="points.adjustment_approve",
            target=locked,
            region=account.region_id,
            changes={"status": ["pending", "applied"]},
            reason=note,
        )
    return locked


def adjustment_reject(*, actor, adjustment: Adjustment, note: str = "") -> Adjustment:
    account = _authorize_checker(actor, adjustment)
    with transaction.atomic():
        locked = (
            Adjustment.objects.unscoped(reason="lock").select_for_update().get(pk=adjustment.pk)
        )
        if locked.status == AdjustmentStatus.REJECTED:
            return locked
        if locked.status != AdjustmentStatus.PENDING:
            raise Conflict(_("This adjustment has been decided."), code="points_adjustment_closed")
        now = timezone.now()
        Adjustment.objects.unscoped(reason="status").filter(pk=locked.pk).update(
            status=AdjustmentStatus.REJECTED,
            checker=actor,
            decided_at=now,
            decision_note=note[:200],
        )
        locked.status, locked.checker, locked.decided_at = AdjustmentStatus.REJECTED, actor, now
        record(
            actor=actor,
            action="points.adjustment_reject",
            target=locked,
            region=account.region_id,
            changes={"status": ["pending", "rejected"]},
            reason=note,
        )
    return locked


# --- expiry ----------------------------------------------------------------------------------------
def _live():
    """Entries that still count: not a reversal and not reversed."""
    return Q(reversed_by__isnull=True) & ~Q(kind=Kind.REVERSE)


def expiry_due(account_id: int, now: dt.datetime) -> tuple[int, str]:
    """Points of the account to expire now, and the key of that expiry.

    Spending is matched to earned points in expiry order (the soonest-expiring first): the
    unspent part of what has expired is the live credits past their expiry minus every live
    debit, never less than zero and never more than the balance.
    """
    entries = _entries().filter(account_id=account_id)
    live = entries.filter(_live())
    expired = live.filter(points__gt=0, expires_at__lte=now).aggregate(total=Sum("points"))
    debits = -(live.filter(points__lt=0).aggregate(total=Sum("points"))["total"] or 0)
    due = max(0, (expired["total"] or 0) - debits)
    balance = _accounts().filter(pk=account_id).values_list("balance", flat=True).get()
    # The key names the account's state: every change to an account writes an entry (a
    # reversal too), so its last entry id changes with it. Two runs over the same state post
    # one expiry; a state seen again after a reversal (the same credits and debits) is a new
    # state all the same (keying on the sums made such an expiry a silent no-op).
    last = entries.aggregate(last=Max("id"))["last"]
    return min(due, balance), f"expire:{account_id}:{last}"


def account_expire(*, account_id: int, now: dt.datetime) -> LedgerEntry | None:
    with transaction.atomic():
        _accounts().select_for_update().filter(pk=account_id).exists()  # lock (PostgreSQL)
        due, key = expiry_due(account_id, now)
        if due <= 0:
            return None
        entry, created = _post(
            account_id=account_id,
            kind=Kind.EXPIRE,
            points=-due,
            key=key,
            source="points:expiry",
        )
        return entry if created else None  # another run already expired this state


def points_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire unspent earned points past their expiry, one transaction per account; also time
    out pending redemptions. Returns the number of points expired. Safe to run twice."""
    now = now or timezone.now()
    redemptions_time_out(now=now)
    ids = (
        _entries()
        .filter(kind=Kind.EARN, expires_at__lte=now, account__balance__gt=0)
        .values_list("account_id", flat=True)
        .distinct()
    )
    total = 0
    for account_id in list(ids):
        entry = account_expire(account_id=account_id, now=now)
        if entry is not None:
            total -= entry.points
    return total

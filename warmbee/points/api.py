"""The points part of the JSON API under ``/api/v1/points/``. Read-only.

* ``GET /me`` and ``GET /me/entries``: the signed-in worker's own account (balance and the
  personal code a host types or scans to *start* a redemption; nothing is spent until the
  worker confirms on their phone) and ledger, newest first, paginated like the other lists
  (``limit``/``offset`` → ``{"items", "count"}``). ``USE_POINTS`` (workers); 404 without a worker
  profile.
* ``GET /figures``: ``VIEW_POINTS`` (district, city, province officers): points earned and
  redeemed per district and month in the officer's scope, the top goods and the totals — the
  console's figures (``selectors.figures``) without its personal rows (the adjustment queue).

Anonymous → 401, without the permission → 403, like the other endpoints.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core.errors import Forbidden, NotFound

from . import selectors
from .models import LedgerEntry, PointsAccount

router = Router(tags=["points"])


class AccountOut(Schema):
    balance: int
    redeem_code: str
    redeem_qr: str  # what the QR on /me/points/ encodes
    opened_at: dt.datetime
    pending_redemptions: int


class EntryOut(Schema):
    id: int
    kind: str
    kind_label: str
    points: int
    rule: str | None
    rule_name: str | None
    note: str
    source: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    reversed: bool

    @staticmethod
    def resolve_kind_label(obj: LedgerEntry) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_rule(obj: LedgerEntry) -> str | None:
        return obj.rule.code if obj.rule_id else None

    @staticmethod
    def resolve_rule_name(obj: LedgerEntry) -> str | None:
        return obj.rule.name if obj.rule_id else None

    @staticmethod
    def resolve_reversed(obj: LedgerEntry) -> bool:
        return obj.reversal_id is not None


class MonthRow(Schema):
    month: dt.date
    district: str
    district_code: str
    earned: int
    redeemed: int


class GoodsRow(Schema):
    goods: str
    station: str
    items: int
    redemptions: int


class Totals(Schema):
    accounts: int
    balance: int


class FiguresOut(Schema):
    totals: Totals
    by_month: list[MonthRow]
    top_goods: list[GoodsRow]


def _own_account(request) -> PointsAccount:
    if not has_perm(request.user, Perm.USE_POINTS):
        raise Forbidden(_("You do not have permission to do this."))
    account = selectors.own_account(request.user)
    if account is None:
        raise NotFound(_("Not found."))
    return account


@router.get("/me", response=AccountOut, summary="My points account")
def points_me(request):
    """The balance and the personal code (opened on first use, like ``/me/points/``)."""
    account = _own_account(request)
    return {
        "balance": account.balance,
        "redeem_code": account.redeem_code,
        "redeem_qr": f"WBPT:{account.redeem_code}",
        "opened_at": account.created_at,
        "pending_redemptions": selectors.pending_for(account).count(),
    }


@router.get("/me/entries", response=list[EntryOut], summary="My points history, newest first")
@paginate(LimitOffsetPagination)
def points_entries(request):
    return selectors.history(_own_account(request))


@router.get("/figures", response=FiguresOut, summary="Points figures for your region")
def points_figures(request):
    if not has_perm(request.user, Perm.VIEW_POINTS):
        raise Forbidden(_("You do not have permission to do this."))
    data = selectors.figures(request.user)
    totals = data["totals"]
    return {
        "totals": {"accounts": totals["n"] or 0, "balance": totals["balance"] or 0},
        "by_month": [{**row, "month": row["month"].date()} for row in data["by_month"]],
        "top_goods": [
            {
                "goods": row["goods__name"],
                "station": row["station__name"],
                "items": row["items"],
                "redemptions": row["n"],
            }
            for row in data["top_goods"]
        ],
    }

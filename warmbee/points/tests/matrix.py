"""The points rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model: the courier reaches only their own account and redemptions; the host of the
"own" station redeems there and keeps its catalogue (officers who adjust points over the
station's region keep the catalogue too); officers see accounts, entries and adjustments in
their region and below; the second officer (never the maker) decides on an adjustment.
The JSON API: the courier reads their own account and history (any other signed-in persona
403, anonymous 401); officers read the figures.
"""

from __future__ import annotations

from django.urls import reverse

SCOPE = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
OFFICERS = set(SCOPE)


def _setup(ctx) -> None:
    """A worker account in the position's region with points, a tier-2 station with goods
    hosted by the host persona when "own", a pending redemption for the courier persona and a
    pending adjustment proposed by a third officer."""
    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.points import services
    from warmbee.points.models import Goods
    from warmbee.regions.models import Region
    from warmbee.stations.models import Station, StationHost
    from warmbee.workers.models import Source, Worker

    region = Region.objects.get(code=ctx["region"])
    company = Organisation.objects.create(kind=OrgKind.COMPANY, name="矩阵快递", region=region)
    personas = ctx["personas"]

    def worker_for(user, name, phone):
        return Worker.objects.create(
            user=user, name=name, phone=phone, company=company, region=region, source=Source.STAFF
        )

    target = worker_for(None, "目标工人", "+8613900009999")
    courier = worker_for(personas["courier"], "快递员", personas["courier"].phone)
    station = Station.objects.create(
        name="积分驿站", address="测试路1号", region=region, lat=46.59, lng=125.10, tier=2
    )
    if ctx["position"] == "own":
        StationHost.objects.create(station=station, user=personas["host"])
    goods = Goods.objects.create(station=station, name="矿泉水", points=5, stock=10)
    maker = operator_user_create(
        phone="+8613700000001",
        name="第三官员",
        role=Role.PROVINCE_OFFICER,
        region=Region.objects.get(code=ctx["region"][:2] + "0000"),
        password=None,
    )
    services.adjustment_propose(
        actor=maker, worker=target, points=50, reason="矩阵", idempotency_key="m:1"
    )
    ctx["adjustment"] = services.adjustment_propose(
        actor=maker, worker=target, points=900, reason="矩阵", idempotency_key="m:2"
    )
    ctx["account"] = services.account_for(target)
    ctx["entry"] = ctx["account"].entries.unscoped(reason="test").first()
    services.adjustment_propose(
        actor=maker, worker=courier, points=50, reason="矩阵", idempotency_key="m:3"
    )
    ctx["station"], ctx["goods"] = station, goods
    import datetime as dt

    from django.utils import timezone

    from warmbee.points.models import Redemption

    ctx["redemption"] = Redemption.objects.create(
        station=station,
        account=services.account_for(courier),
        goods=goods,
        quantity=1,
        points=5,
        idempotency_key="m:r",
        host=maker,
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )


def _state(ctx) -> dict:
    from warmbee.points.models import Adjustment, Goods, LedgerEntry, PointsAccount, Redemption

    return {
        "accounts": list(PointsAccount.objects.unscoped(reason="test").order_by("pk").values()),
        "entries": LedgerEntry.objects.unscoped(reason="test").count(),
        "goods": list(Goods.objects.unscoped(reason="test").order_by("pk").values()),
        "redemptions": list(Redemption.objects.unscoped(reason="test").order_by("pk").values()),
        "adjustments": list(Adjustment.objects.unscoped(reason="test").order_by("pk").values()),
    }


def _status(ok: bool, success: int) -> int:
    return success if ok else 404


def routes(Route) -> dict:
    def r(method, url, expect, *, data=None, changes=False):
        return Route(
            method,
            url,
            expect,
            positional=True,
            data=data,
            changes_state=changes,
            setup=_setup,
            state=_state,
        )

    def anon(fn):
        def expect(persona, position):
            return 302 if persona == "anonymous" else fn(persona, position)

        return expect

    courier = anon(lambda p, pos: _status(p == "courier", 200))
    courier_post = anon(lambda p, pos: _status(p == "courier", 302))
    host = anon(lambda p, pos: _status(p == "host" and pos == "own", 200))
    host_post = anon(lambda p, pos: _status(p == "host" and pos == "own", 302))
    keeper = anon(
        lambda p, pos: _status(pos in SCOPE.get(p, ()) or (p == "host" and pos == "own"), 200)
    )
    keeper_post = anon(
        lambda p, pos: _status(pos in SCOPE.get(p, ()) or (p == "host" and pos == "own"), 302)
    )
    console = anon(lambda p, pos: _status(p in OFFICERS, 200))
    officer = anon(lambda p, pos: _status(pos in SCOPE.get(p, ()), 200))
    officer_post = anon(lambda p, pos: _status(pos in SCOPE.get(p, ()), 302))

    def code(name, *extra):
        return lambda ctx: reverse(name, args=[ctx["station"].code, *[e(ctx) for e in extra]])

    def api(name, ok):
        return Route(
            "get",
            lambda ctx: reverse(name),
            lambda p, pos: 401 if p == "anonymous" else (200 if p in ok else 403),
            setup=_setup,
        )

    return {
        "api:points_me": api("api:points_me", {"courier"}),
        "api:points_entries": api("api:points_entries", {"courier"}),
        "api:points_figures": api("api:points_figures", OFFICERS),
        "points:me_points": r("get", lambda ctx: reverse("points:me_points"), courier),
        "points:me_new_code": r(
            "post", lambda ctx: reverse("points:me_new_code"), courier_post, changes=True
        ),
        "points:me_redemption": r(
            "get", lambda ctx: reverse("points:me_redemption", args=[ctx["redemption"].pk]), courier
        ),
        "points:me_confirm": r(
            "post",
            lambda ctx: reverse("points:me_confirm", args=[ctx["redemption"].pk]),
            courier_post,
            changes=True,
        ),
        "points:me_decline": r(
            "post",
            lambda ctx: reverse("points:me_decline", args=[ctx["redemption"].pk]),
            courier_post,
            changes=True,
        ),
        "points:host_redeem": r("get", code("points:host_redeem"), host),
        "points:host_redemption": r(
            "get", code("points:host_redemption", lambda ctx: ctx["redemption"].pk), host
        ),
        "points:host_redemption_cancel": r(
            "post",
            code("points:host_redemption_cancel", lambda ctx: ctx["redemption"].pk),
            host_post,
            changes=True,
        ),
        "points:host_goods": r("get", code("points:host_goods"), keeper),
        "points:host_goods_update": r(
            "post",
            code("points:host_goods_update", lambda ctx: ctx["goods"].pk),
            keeper_post,
            data=lambda ctx: {"points": 6, "stock": 9, "is_active": "on"},
            changes=True,
        ),
        "points:console_points": r("get", lambda ctx: reverse("points:console_points"), console),
        "points:console_account": r(
            "get", lambda ctx: reverse("points:console_account", args=[ctx["account"].pk]), officer
        ),
        "points:console_adjust": r(
            "post",
            lambda ctx: reverse("points:console_adjust", args=[ctx["account"].pk]),
            officer_post,
            data=lambda ctx: {"points": 3, "reason": "补录", "key": "k"},
            changes=True,
        ),
        "points:console_reverse": r(
            "post",
            lambda ctx: reverse("points:console_reverse", args=[ctx["entry"].pk]),
            officer_post,
            data=lambda ctx: {"reason": "错误"},
            changes=True,
        ),
        "points:console_approve": r(
            "post",
            lambda ctx: reverse("points:console_approve", args=[ctx["adjustment"].pk]),
            officer_post,
            changes=True,
        ),
        "points:console_reject": r(
            "post",
            lambda ctx: reverse("points:console_reject", args=[ctx["adjustment"].pk]),
            officer_post,
            data=lambda ctx: {"note": "否"},
            changes=True,
        ),
    }

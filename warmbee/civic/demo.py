"""Demo data for civic (``manage.py demo``): the categories with their deadlines and questions,
routing rules for every district of the city (district departments for streetlights and
waterlogging, the owning community for the rest), response templates, and a few hundred
reports over the last three weeks in every state with realistic response times, filed and
handled through the services (so timelines, audit rows, inbox messages and points are real).

Deterministic: one ``random.Random``; times are relative to the moment of the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import uuid

from django.test.utils import override_settings
from django.utils import timezone

from warmbee.core.errors import DomainError

log = logging.getLogger(__name__)

CATEGORIES = [
    # code, name, English, icon, ack hours, resolve hours, questions
    ("manhole", "井盖缺失", "Missing manhole cover", "⚠️", 1, 24, "size"),
    ("road", "道路隐患", "Road hazard", "🚧", 2, 48, ""),
    ("streetlight", "路灯损坏", "Broken streetlight", "💡", 4, 72, "lights"),
    ("tree", "树木倒伏", "Fallen tree", "🌳", 2, 24, ""),
    ("waterlogging", "道路积水", "Waterlogging", "🌊", 2, 24, "depth"),
    ("dumping", "乱倒垃圾", "Illegal dumping", "🗑️", 8, 72, ""),
    ("safety", "治安隐患", "Public-safety concern", "🚨", 1, 24, ""),
    ("resident", "居民需要帮助", "Resident in need", "🤝", 1, 12, ""),
    ("other", "其他", "Other", "📌", 8, 120, ""),
]
QUESTIONS = {
    "size": [
        {
            "code": "size",
            "datatype": "singlevaluelist",
            "description": "井口大小",
            "required": False,
            "order": 1,
            "values": [
                {"key": "small", "name": "小于50厘米"},
                {"key": "large", "name": "50厘米以上"},
            ],
        }
    ],
    "lights": [
        {
            "code": "lights",
            "datatype": "number",
            "description": "不亮的路灯数",
            "required": False,
            "order": 1,
        }
    ],
    "depth": [
        {
            "code": "depth",
            "datatype": "singlevaluelist",
            "description": "积水深度",
            "required": True,
            "order": 1,
            "values": [
                {"key": "ankle", "name": "没过脚踝"},
                {"key": "knee", "name": "没过膝盖"},
                {"key": "deeper", "name": "更深，车辆无法通行"},
            ],
        }
    ],
}
DESCRIPTIONS = {
    "manhole": ["井盖丢了，晚上很危险", "井盖破损，电动车差点掉进去", "人行道上井盖缺失"],
    "road": ["路面塌陷一个大坑", "路口有碎石，骑车容易摔", "施工围挡倒在路上"],
    "streetlight": ["一整排路灯不亮", "路灯杆歪了", "路灯闪烁"],
    "tree": ["大风把树刮倒了，挡住车道", "树枝断了挂在电线上"],
    "waterlogging": ["雨后积水很深，电动车过不去", "下水道堵了，路口积水"],
    "dumping": ["有人在路边倒建筑垃圾", "小区门口垃圾堆了好几天"],
    "safety": ["小区门口有人聚集打架", "围墙破了个洞，有安全隐患"],
    "resident": ["独居老人家里好几天没人应门", "一位老人在路边迷路了"],
    "other": ["公交站牌被撞坏", "共享单车堆满了人行道"],
}
TEMPLATES = [
    ("acknowledged", "已收到", "已收到您的反映，社区网格员正在赶往现场。"),
    ("in_progress", "正在处理", "已联系责任单位，正在处理，感谢您的耐心。"),
    ("resolved", "已处理", "问题已处理完毕，请您确认是否已解决。"),
    ("rejected", "不属于受理范围", "经核实不属于本社区受理范围，已告知相关部门。"),
]


def _categories():
    from warmbee.civic.models import Category

    made = {}
    for n, (code, name, en, icon, ack, fix, q) in enumerate(CATEGORIES):
        made[code], _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": en,
                "icon": icon,
                "ack_hours": ack,
                "resolve_hours": fix,
                "questions": QUESTIONS.get(q, []),
                "sort": n,
                "group": "城市管理" if code not in ("safety", "resident") else "平安与民生",
            },
        )
    return made


def _routing(cats, city):
    from warmbee.civic.models import ResponseTemplate, RoutingRule
    from warmbee.regions.models import Level, Region

    districts = list(
        Region.objects.filter(path__startswith=city.path, level=Level.COUNTY).order_by("code")
    )
    for d in districts:
        for code, body in (("streetlight", "路灯管理所"), ("waterlogging", "排水管理处")):
            RoutingRule.objects.unscoped(reason="demo").get_or_create(
                district=d,
                category=cats[code],
                area=None,
                defaults={
                    "body": f"{d.name}{body}",
                    "contacts": "0459-" + str(4600000 + int(d.code[-2:]) * 101),
                    "handler_region": d,
                },
            )
        for status, title, body in TEMPLATES:
            ResponseTemplate.objects.unscoped(reason="demo").get_or_create(
                region=d, status=status, title=title, defaults={"body": body}
            )


def _pins(rng, areas, n):
    from warmbee.regions.grids import area_for_point

    pins = []
    tries = 0
    while len(pins) < n and tries < n * 20:
        tries += 1
        a = rng.choice(areas)
        lat = rng.uniform(a.min_lat, a.max_lat)
        lng = rng.uniform(a.min_lng, a.max_lng)
        if area_for_point(lat, lng) is not None:
            pins.append((round(lat, 6), round(lng, 6)))
    return pins


def _hours(rng, median):
    return max(0.05, rng.lognormvariate(0, 0.8) * median)


def build(ctx) -> None:
    from warmbee.accounts.models import User
    from warmbee.accounts.roles import Perm
    from warmbee.accounts.scoping import has_perm
    from warmbee.civic import services
    from warmbee.civic.models import CivicReport, Status
    from warmbee.regions.models import GridArea, Region

    city = Region.objects.filter(code=ctx.city_code).first()
    if city is None:
        return
    cats = _categories()
    _routing(cats, city)
    if CivicReport.objects.unscoped(reason="demo: already built?").exists():
        return
    areas = list(
        GridArea.objects.unscoped(reason="demo pins").filter(
            is_active=True, region__path__startswith=city.path
        )
    )
    if not areas:
        return
    rng = random.Random(ctx.rng_seed + 5)
    staff = list(User.objects.unscoped(reason="demo handlers").filter(is_active=True))
    handlers = [u for u in staff if has_perm(u, Perm.HANDLE_REPORT)]
    reporters = [
        u for u in staff if has_perm(u, Perm.CHECK_IN) and not has_perm(u, Perm.VIEW_REPORT)
    ]
    from warmbee.workers.models import Worker

    reporters += [
        w.user
        for w in Worker.objects.unscoped(reason="demo reporters")
        .filter(user__isnull=False)
        .select_related("user")[:40]
    ]
    now = timezone.now()
    weights = [6, 5, 5, 2, 3, 3, 2, 2, 1]
    codes = [c[0] for c in CATEGORIES]
    # Most reports where the demo officers work (萨尔图区, 龙凤区); the rest wait, overdue.
    staffed = [a for a in areas if a.region_id.startswith(("230602", "230603"))] or areas
    pins = _pins(rng, staffed, 290) + _pins(rng, areas, 30)
    with override_settings(
        CIVIC_RATE_ANON={"limit": 10**6, "window": 60},
        CIVIC_RATE_ANON_DAY={"limit": 10**6, "window": 60},
        CIVIC_RATE_USER={"limit": 10**6, "window": 60},
        CIVIC_SMS=False,
    ):
        for n, (lat, lng) in enumerate(pins):
            code = rng.choices(codes, weights)[0]
            category = cats[code]
            age_h = rng.uniform(0.2, 21 * 24)
            created = now - dt.timedelta(hours=age_h)
            reporter = rng.choice(reporters) if reporters and rng.random() < 0.8 else None
            answers = {}
            if code == "waterlogging":
                answers = {"depth": rng.choice(["ankle", "knee", "deeper"])}
            try:
                intake = services.report_submit(
                    actor=reporter,
                    category=category,
                    lat=lat,
                    lng=lng,
                    description=rng.choice(DESCRIPTIONS[code]),
                    answers=answers,
                    idempotency_key=str(uuid.UUID(int=rng.getrandbits(128))),
                    ip=f"10.23.{n // 250}.{n % 250}",
                    now=created,
                )
            except DomainError:  # a pin on a retired area, or off the grid: skip it
                log.info("demo report skipped at %s,%s", lat, lng)
                continue
            report = intake.report
            if intake.linked:
                continue
            _progress(rng, report, created, now, handlers, reporter)
            # Every twentieth gets a co-reporter a few minutes later, a few metres away.
            if n % 20 == 7 and reporters:
                _co_report(
                    actor=rng.choice(reporters),
                    category=category,
                    lat=lat + 0.0001,
                    lng=lng,
                    description="我也看到了",
                    answers=answers,
                    idempotency_key=str(uuid.UUID(int=rng.getrandbits(128))),
                    ip="10.24.0.1",
                    now=created + dt.timedelta(minutes=5),
                )
    _ = Status


def _co_report(**kwargs) -> None:
    from warmbee.civic import services

    with contextlib.suppress(DomainError):  # the nudged pin fell outside the grid
        services.report_submit(**kwargs)


def _progress(rng, report, created, now, handlers, reporter) -> None:
    """Walk a report through its states with plausible delays, stopping at "now"."""
    from warmbee.accounts.scoping import has_perm
    from warmbee.civic import services
    from warmbee.civic.models import Status

    mine = [u for u in handlers if has_perm(u, "civic.handle_report", report.region)]
    if not mine:
        return
    officer = rng.choice(mine)
    category = report.category
    t = created + dt.timedelta(hours=_hours(rng, category.ack_hours * 0.6))
    if rng.random() < 0.04:
        if t < now:
            services.report_transition(
                actor=officer, report=report, to=Status.REJECTED, note="经核实不属于受理范围", now=t
            )
        return
    steps = [(Status.ACKNOWLEDGED, "已收到，网格员正在赶往现场")]
    if rng.random() < 0.5:
        steps.append((Status.IN_PROGRESS, "已联系责任单位处理"))
    steps.append((Status.RESOLVED, "已处理完毕，请确认"))
    for to, note in steps:
        if t >= now:
            return
        report = services.report_transition(actor=officer, report=report, to=to, note=note, now=t)
        t = t + dt.timedelta(hours=_hours(rng, category.resolve_hours * 0.3))
    t = report.resolved_at + dt.timedelta(hours=rng.uniform(1, 60))
    if reporter is None or t >= now:
        return
    if rng.random() < 0.08:
        services.report_transition(
            actor=reporter, report=report, to=Status.REOPENED, note="还没修好", now=t
        )
    else:
        services.report_transition(actor=reporter, report=report, to=Status.CONFIRMED, now=t)

"""Demo data for casework (``manage.py demo``): providers on the six desks of every Daqing
district (the orgs demo made the desks), and a hundred help requests across desks, channels and
states, written through the services and then spread over the last two months."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from warmbee.accounts.demo import demo_phone
from warmbee.accounts.models import RoleAssignment, User
from warmbee.accounts.roles import Role
from warmbee.accounts.services import operator_user_create
from warmbee.orgs.models import ServiceDesk
from warmbee.regions.models import Region

from . import rules, services
from .models import CaseEntry, DeskMember, HelpRequest

CITY = "230600"
CASES = 100
SEED = 2315
TITLES = {
    "legal_aid": "律师",
    "labour_relations": "协调员",
    "entrepreneurship": "导师",
    "labour_safety": "安全顾问",
    "health": "健康指导员",
    "mediation": "调解员",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
STORIES = {
    "labour_relations": [
        "网点拖欠我两个月工资，一共六千多元，站长一直说月底再给。",
        "公司突然扣了我三百元罚款，说是客户投诉，但没有任何证据。",
        "合同到期后网点不续签，也不给经济补偿。",
        "派费从每件一块二降到九毛，没有提前通知。",
    ],
    "legal_aid": [
        "送件时电动车被撞，对方不肯赔偿，想咨询怎么起诉。",
        "加盟网点让我签一份承包协议，不知道有没有法律风险。",
        "被平台封号，押金不退，想了解维权途径。",
    ],
    "entrepreneurship": [
        "想和朋友合开一家快递驿站，不知道要办哪些手续。",
        "想申请创业担保贷款，请问条件是什么。",
    ],
    "labour_safety": [
        "冬天路面结冰，送件时摔伤了手腕，不知道算不算工伤。",
        "网点分拣区没有灭火器，电动车在室内充电，担心安全。",
    ],
    "health": [
        "最近压力很大，晚上睡不着，想找人聊聊。",
        "腰椎一直疼，想了解免费体检的安排。",
        "孩子下学期的学费凑不齐，心里很焦虑。",
    ],
    "mediation": [
        "和网点因为丢件赔偿的金额有争议，想请人调解。",
        "和同事因为片区划分吵起来了，站长不管。",
    ],
    "other": ["想了解工会会员有哪些福利。", "孩子想参加暑期托管班，去哪里报名？"],
}
CRISIS = [
    "站长动刀威胁我，说再闹就砍人。",
    "欠薪要不回来，真的不想活了。",
    "孩子走失了，派出所让我等。",
]
NOTES = [
    "已电话核实情况，劳动者情绪稳定。",
    "联系网点负责人，对方同意本周内答复。",
    "建议劳动者保留工资条和聊天记录作为证据。",
    "与区人社局劳动监察大队沟通，已登记。",
]
MESSAGES = [
    "您好，我是负责您求助的服务专员，已收到您的情况，今天会联系网点。",
    "网点已同意本月15日前补发工资，请留意到账情况。",
    "请带上劳动合同和工资流水到服务中心102室，我们当面帮您梳理。",
]


def build(ctx) -> None:
    if ctx.city_code != CITY:
        return
    city = Region.objects.filter(code=CITY).first()
    desks = list(
        ServiceDesk.objects.unscoped(reason="demo")
        .filter(region__path__startswith=city.path if city else "-")
        .select_related("region")
        .order_by("region_id", "desk")
    )
    if not desks:
        return
    if HelpRequest.objects.unscoped(reason="demo idempotence").exists():
        return
    rng = random.Random(SEED)
    with transaction.atomic(), override_settings(CASEWORK_REQUESTS_PER_DAY=10**6):
        coordinators = _staff(rng, desks)
        _cases(rng, coordinators)


def _staff(rng, desks) -> dict[str, User]:
    """One provider per desk and a supervisor per district; returns each district's
    labour-relations coordinator (who also answers the hotline)."""
    by_district: dict[str, list[ServiceDesk]] = {}
    for desk in desks:
        by_district.setdefault(desk.region_id, []).append(desk)
    lawyer = (
        RoleAssignment.objects.unscoped(reason="demo")
        .filter(role=Role.PROVIDER, region_id=CITY, user__name="陈律师")
        .select_related("user")
        .first()
    )
    coordinators = {}
    members = []
    for code, district_desks in by_district.items():
        region = district_desks[0].region
        # Staff accounts get activation links (no password): the demo's credentials file holds
        # the personas only; an operator activates the showcase accounts when needed.
        supervisor = operator_user_create(
            phone=demo_phone(rng),
            name=f"{rng.choice(SURNAMES)}主任",
            role=Role.PROVIDER,
            region=region,
        )
        for desk in district_desks:
            if code == "230602" and desk.desk == "legal_aid" and lawyer is not None:
                user = lawyer.user  # the 陈律师 persona staffs 萨尔图区's legal-aid desk
            else:
                user = operator_user_create(
                    phone=demo_phone(rng),
                    name=rng.choice(SURNAMES) + TITLES[desk.desk],
                    role=Role.PROVIDER,
                    region=region,
                )
            if desk.desk == "labour_relations":
                coordinators[code] = user
            members += [
                DeskMember(desk=desk, user=user, on_duty=rng.random() < 0.85),
                DeskMember(desk=desk, user=supervisor, is_supervisor=True, on_duty=False),
            ]
            desk.members.add(user, supervisor)
    DeskMember.objects.bulk_create(members)
    return coordinators


def _cases(rng, coordinators) -> None:
    workers = [
        g.user
        for g in RoleAssignment.objects.unscoped(reason="demo")
        .filter(role=Role.WORKER, region__path__startswith=f"/230000/{CITY}/")
        .select_related("user", "user__region")
        .order_by("user_id")
    ]
    host = (
        RoleAssignment.objects.unscoped(reason="demo")
        .filter(role=Role.STATION_HOST, region_id="230602")
        .select_related("user")
        .first()
    )
    districts = list(coordinators)
    weights = [5 if c == "230602" else 3 if c in ("230603", "230604") else 1 for c in districts]
    kinds = list(STORIES)
    now = timezone.now()
    for i in range(CASES):
        kind = rng.choices(kinds, weights=[5, 3, 1, 2, 3, 2, 1])[0]
        text = rng.choice(CRISIS) if i % 33 == 5 else rng.choice(STORIES[kind])
        channel = rng.choices(["self", "hotline", "walk_in", "station"], weights=[5, 3, 2, 1])[0]
        if channel == "self" and workers:
            worker = rng.choice(workers)
            case, _ = services.help_request_create(
                actor=worker,
                kind=kind,
                description=text,
                consent=True,
                urgency="urgent" if rng.random() < 0.1 else "normal",
                contact_by=rng.choice(["phone", "sms", "in_app"]),
            )
        else:
            code = rng.choices(districts, weights=weights)[0]
            actor = host.user if channel == "station" and host else coordinators[code]
            if actor is None or (channel == "station" and not host):
                channel = "hotline"
            case, _ = services.help_request_create(
                actor=actor,
                kind=kind,
                description=text,
                consent=True,
                channel=channel if channel != "self" else "hotline",
                contact_name=rng.choice(SURNAMES) + rng.choice("师傅先生女士"),
                contact_phone=demo_phone(rng)[3:],
                region=Region.objects.get(code="230602" if channel == "station" else code),
            )
        _progress(rng, case)
        _spread(rng, case, now)


def _progress(rng, case) -> None:
    handler = case.handled_by
    if handler is None:
        return
    fate = rng.random()
    if fate < 0.15:
        return  # waiting for the first response
    services.case_add_entry(
        actor=handler, case=case, kind="contact", body="电话联系劳动者，了解情况。"
    )
    services.case_add_entry(actor=handler, case=case, kind="note", body=rng.choice(NOTES))
    services.case_add_entry(actor=handler, case=case, kind="message", body=rng.choice(MESSAGES))
    if fate < 0.38:
        return  # in progress
    worker = case.user
    if fate < 0.45 and worker is not None:
        services.case_withdraw(actor=worker, case=case)
    elif fate < 0.53:
        services.case_refer(
            actor=handler,
            case=case,
            target=rng.choice(["12351", "legal_aid_centre", "court"]),
            target_name="",
            consent=True,
            note="已为您转介，对方会直接联系您。",
        )
    elif fate < 0.57:
        services.case_close(actor=handler, case=case, outcome="unreachable")
    else:
        services.case_close(
            actor=handler, case=case, outcome="resolved", note="问题已解决，如有需要可随时再联系。"
        )
    if worker is not None and rng.random() < 0.7 and case.outcome != "withdrawn":
        services.case_rate(
            actor=worker, case=case, rating=rng.choices([5, 4, 3, 2, 1], [50, 30, 10, 6, 4])[0]
        )


def _spread(rng, case, now) -> None:
    """Move the case back in time (0–60 days), with plausible response and closing times."""
    case.refresh_from_db()
    created = now - dt.timedelta(
        days=rng.uniform(0, 60) if case.status == "closed" else rng.uniform(0, 20),
        minutes=rng.randint(0, 600),
    )
    response_due, resolution_due = rules.deadlines(
        services.desk_kind_for(case.kind), case.urgency, created
    )
    fields = {
        "created_at": created,
        "response_due_at": response_due,
        "resolution_due_at": resolution_due,
        "assigned_at": created if case.assigned_at else None,
    }
    if case.first_response_at:
        hours = (
            rng.choice([0.3, 1, 2, 5, 8, 20, 30])
            if case.urgency == "normal"
            else rng.choice([0.2, 0.5, 2])
        )
        fields["first_response_at"] = min(created + dt.timedelta(hours=hours), now)
    if case.closed_at:
        fields["closed_at"] = min(
            created + dt.timedelta(days=rng.choice([1, 2, 4, 7, 12, 18])), now
        )
        if case.rated_at:
            fields["rated_at"] = fields["closed_at"]
    end = fields.get("closed_at") or now
    if (
        case.first_response_at is None
        and response_due < now
        and case.status != "closed"
        or fields.get("first_response_at")
        and fields["first_response_at"] > response_due
    ):
        fields["response_escalated_at"] = response_due
    if resolution_due < end:
        fields["resolution_escalated_at"] = resolution_due
    HelpRequest.objects.unscoped(reason="demo backdating").filter(pk=case.pk).update(**fields)
    entries = list(
        CaseEntry.objects.unscoped(reason="demo backdating").filter(case=case).order_by("pk")
    )
    first = fields.get("first_response_at") or created
    for n, entry in enumerate(entries):
        if n == 0:
            at = created
        elif (
            entry.event.startswith("closed")
            or entry.kind == "message"
            and n == len(entries) - 1
            and case.closed_at
        ):
            at = end
        else:
            at = min(first + dt.timedelta(minutes=10 * (n - 1)), end)
        CaseEntry.objects.unscoped(reason="demo backdating").filter(pk=entry.pk).update(
            created_at=at
        )

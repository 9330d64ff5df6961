"""Daqing's registry: about 2,300 workers at the demo outlets, with their records.

Rates from the source articles: union membership close to 100 % (Shuozhou: 2,188 members,
100 %), insurance over 90 % (1,621 insured), 488 skill certificates with subsidies of
1,000–2,000 yuan, a few honours; party ledgers on the Shuozhou scale (about 18 members and 54
applicants). The stations demo's worker accounts get their profiles here. ID numbers (valid
GB 11643 checksums, Daqing prefixes, made up) only for workers whose insurance or certificate
needs one. Deterministic, idempotent, bulk-inserted with one summary audit row.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from warmbee.accounts.models import RoleAssignment
from warmbee.accounts.roles import Role
from warmbee.audit.services import record
from warmbee.orgs.models import Organisation, OrgKind, Outlet
from warmbee.regions.models import Region

from .models import (
    Certificate,
    Employment,
    Honour,
    HonourLevel,
    Insurance,
    InsuranceKind,
    PartyRecord,
    PartyStage,
    PartyStageChange,
    Payer,
    Source,
    UnionMembership,
    Worker,
    WorkerKind,
)
from .search import pinyin_keys
from .services import id_number_index

CITY = "230600"
SEED = 20261203
WORKERS = 2300
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾单田于董"
GIVEN = "伟芳娜敏静强磊军洋勇艳杰涛明超秀英华慧建国平刚桂兰玉兰海波宇浩然子轩"
INSURERS = [
    "中国人民财产保险大庆市分公司",
    "中国平安财产保险黑龙江分公司",
    "中国太平洋财产保险大庆中心支公司",
]
CERTS = [
    ("快递员", "四级/中级工"),
    ("快递员", "五级/初级工"),
    ("快件处理员", "四级/中级工"),
    ("网约配送员", "五级/初级工"),
]
HONOURS = [
    ("大庆市五一劳动奖章", HonourLevel.CITY, "大庆市总工会"),
    ("黑龙江省最美快递员", HonourLevel.PROVINCE, "黑龙江省邮政管理局"),
    ("大庆市劳动模范", HonourLevel.CITY, "大庆市人民政府"),
    ("优秀共产党员", HonourLevel.DISTRICT, "中共萨尔图区委"),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random, region_code: str) -> str:
    """A made-up number that python-stdnum accepts: checksum, birth date, and a birth place
    code that existed on that date (Daqing's districts date from 1979–1980 onwards)."""
    for _attempt in range(1000):
        born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 39))
        body = f"{region_code}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")  # it expects a placeholder digit
        if ric.is_valid(number):
            return number
    raise ValueError(f"python-stdnum accepts no birth in 1965–2003 for {region_code}")


def build(ctx) -> None:
    if ctx.city_code != CITY:
        return
    city = Region.objects.filter(code=CITY).first()
    if city is None:
        return
    workers_qs = Worker.objects.unscoped(reason="demo idempotence")
    if workers_qs.filter(region__path__startswith=city.path).exists():
        return
    outlets = list(
        Outlet.objects.unscoped(reason="demo")
        .filter(region__path__startswith=city.path, is_active=True)
        .select_related("region", "region__parent", "company", "union_branch", "party_org")
        .order_by("pk")
    )
    if not outlets:
        return  # no organisations demo: nothing to place workers at
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate(now)

    def district_of(region: Region) -> str:
        return region.code if region.level == "county" else region.parent_id

    by_district: dict[str, list[Outlet]] = {}
    for outlet in outlets:
        by_district.setdefault(district_of(outlet.region), []).append(outlet)
    county_unions = {
        o.region_id: o
        for o in Organisation.objects.unscoped(reason="demo").filter(
            kind=OrgKind.UNION, category="county_union", region__parent_id=CITY
        )
    }
    # Accounts of workers that exist already (the stations demo and the persona).
    accounts = [
        g.user
        for g in RoleAssignment.objects.unscoped(reason="demo")
        .filter(role=Role.WORKER, region__path__startswith=city.path)
        .select_related("user", "region")
        .order_by("user_id")
    ]
    weights = [o.staff_count or 1 for o in outlets]
    taken: set[tuple[int, str]] = set()
    workers: list[Worker] = []
    phones = iter(rng.sample(range(10**8), WORKERS * 2))
    for i in range(max(WORKERS, len(accounts))):
        user = accounts[i] if i < len(accounts) else None
        if user is not None:
            pool = by_district.get(user.region_id) or outlets
            outlet = rng.choice(pool)
            name, phone = user.name, user.phone
        else:
            outlet = rng.choices(outlets, weights=weights)[0]
            name, phone = _name(rng), f"+86171{next(phones):08d}"
        if (outlet.company_id, phone) in taken:
            continue
        taken.add((outlet.company_id, phone))
        kind = (
            WorkerKind.RIDER
            if outlet.company.kind == OrgKind.PLATFORM and outlet.company.short_name != "滴滴"
            else WorkerKind.DRIVER
            if outlet.company.short_name == "滴滴"
            else WorkerKind.COURIER
        )
        started = today - dt.timedelta(days=rng.randint(30, 365 * 8))
        created = now - dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
        workers.append(
            Worker(
                user=user,
                name=name,
                name_pinyin=pinyin_keys(name),
                phone=phone,
                kind=kind,
                company=outlet.company,
                outlet=outlet,
                region=outlet.region,
                employee_no=f"{outlet.company.short_name[:1]}{outlet.pk:03d}{i:05d}",
                started_on=started,
                source=Source.SELF if user is not None else Source.IMPORT,
                created_at=created,
            )
        )
    with transaction.atomic():
        Worker.objects.bulk_create(workers, batch_size=500)
        employments, memberships, insurances, certificates, honours = [], [], [], [], []
        for w in workers:
            outlet = w.outlet
            # A move for about one in ten: an earlier spell at another outlet of the district.
            if rng.random() < 0.1:
                earlier = rng.choice(by_district.get(district_of(outlet.region)) or outlets)
                moved = w.started_on + dt.timedelta(
                    days=rng.randint(10, max(11, (today - w.started_on).days - 1))
                )
                moved = min(moved, today)
                employments.append(
                    Employment(
                        worker=w,
                        company=earlier.company,
                        outlet=earlier,
                        started_on=w.started_on,
                        ended_on=moved,
                    )
                )
                employments.append(
                    Employment(worker=w, company=w.company, outlet=outlet, started_on=moved)
                )
            else:
                employments.append(
                    Employment(worker=w, company=w.company, outlet=outlet, started_on=w.started_on)
                )
            branch = outlet.union_branch or county_unions.get(district_of(outlet.region))
            if branch is not None and rng.random() < 0.95:
                memberships.append(
                    UnionMembership(
                        worker=w,
                        branch=branch,
                        joined_on=w.started_on + dt.timedelta(days=rng.randint(0, 200)),
                        card_no=f"DQ{rng.randrange(10**10):010d}",
                    )
                )
            needs_id = False
            if rng.random() < 0.9:
                needs_id = True
                start = max(w.started_on, today - dt.timedelta(days=rng.randint(0, 300)))
                insurances.append(
                    Insurance(
                        worker=w,
                        kind=InsuranceKind.OCCUPATIONAL_INJURY
                        if w.kind != WorkerKind.COURIER
                        else rng.choice([InsuranceKind.WORK_INJURY, InsuranceKind.ACCIDENT]),
                        insurer=rng.choice(INSURERS),
                        policy_no=f"PDAA{rng.randrange(10**12):012d}",
                        starts_on=start,
                        ends_on=start + dt.timedelta(days=365),
                        paid_by=Payer.PLATFORM
                        if w.kind != WorkerKind.COURIER
                        else rng.choice([Payer.COMPANY, Payer.UNION]),
                    )
                )
            if rng.random() < 0.212:
                needs_id = True
                name, level = rng.choice(CERTS)
                claimed = rng.random() < 0.9
                certificates.append(
                    Certificate(
                        worker=w,
                        name=name,
                        level=level,
                        issuer="大庆市职业技能鉴定中心",
                        issued_on=today - dt.timedelta(days=rng.randint(10, 700)),
                        number=f"2306{rng.randrange(10**10):010d}",
                        subsidy_claimed=claimed,
                        subsidy_fen=rng.choice([100000, 150000, 200000]) if claimed else 0,
                    )
                )
            if rng.random() < 0.006:
                title, level, by = rng.choice(HONOURS)
                honours.append(
                    Honour(
                        worker=w,
                        title=title,
                        level=level,
                        awarded_by=by,
                        awarded_on=today - dt.timedelta(days=rng.randint(30, 900)),
                    )
                )
            if needs_id:
                value = _id_number(
                    rng, rng.choice(["230602", "230603", "230604", "230605", "230606", "230621"])
                )
                w.id_number = value
                w.id_number_index = id_number_index(value)
        # Encrypt in bulk: bulk_update goes through the field's get_prep_value.
        Worker.objects.bulk_update(
            [w for w in workers if w.id_number], ["id_number", "id_number_index"], batch_size=500
        )
        Employment.objects.bulk_create(employments, batch_size=1000)
        UnionMembership.objects.bulk_create(memberships, batch_size=1000)
        Insurance.objects.bulk_create(insurances, batch_size=1000)
        Certificate.objects.bulk_create(certificates, batch_size=1000)
        Honour.objects.bulk_create(honours)
        # Party ledgers: members and applicants at outlets with a party organisation.
        covered = [w for w in workers if w.outlet.party_org_id]
        plan = (
            [PartyStage.MEMBER] * 14
            + [PartyStage.PROBATIONARY] * 4
            + [PartyStage.CANDIDATE] * 8
            + [PartyStage.ACTIVIST] * 16
            + [PartyStage.APPLICANT] * 30
        )
        records, changes = [], []
        order = [s.value for s in PartyStage]
        for w, stage in zip(rng.sample(covered, min(len(covered), len(plan))), plan, strict=False):
            reached = order[: order.index(stage) + 1]
            day = today - dt.timedelta(days=rng.randint(60, 900))
            stages = []
            for s in reached:
                stages.append((s, day))
                day = min(today, day + dt.timedelta(days=rng.randint(60, 365)))
            rec = PartyRecord(
                worker=w, party_org=w.outlet.party_org, stage=stage, stage_since=stages[-1][1]
            )
            records.append(rec)
            changes.append((rec, stages))
        PartyRecord.objects.bulk_create(records)
        PartyStageChange.objects.bulk_create(
            [
                PartyStageChange(record=rec, stage=s, on=d)
                for rec, stages in changes
                for s, d in stages
            ]
        )
        record(
            actor=None,
            action="worker.demo_load",
            region=city,
            changes={
                "workers": [0, len(workers)],
                "union_members": [0, len(memberships)],
                "insured": [0, len(insurances)],
                "certificates": [0, len(certificates)],
                "party_records": [0, len(records)],
            },
            reason="manage.py demo: Daqing's synthetic worker registry, bulk-inserted "
            "(not audited one by one)",
        )
    write_roster(rng, outlets, workers)


def write_roster(rng: random.Random, outlets: list[Outlet], workers: list[Worker]) -> None:
    """A roster for 萨尔图区's district officer to import: 40 new couriers, 5 already in the
    registry (updates) and 3 rows with mistakes to find and correct."""
    from django.conf import settings

    from warmbee.core import tabular

    from .imports import LAYOUT

    own = [o for o in outlets if o.region.path.startswith("/230000/230600/230602/")]
    if not own:
        return
    rows = []
    for i in range(40):
        outlet = rng.choice(own)
        rows.append(
            {
                "name": _name(rng),
                "phone": f"1720000{i:04d}",
                "company": outlet.company.name,
                "outlet": outlet.name,
                "kind": "快递员",
                "employee_no": f"NEW{i:04d}",
                "started_on": "2026-10-08",
                "id_number": _id_number(rng, "230602") if i % 4 == 0 else "",
            }
        )
    for w in [w for w in workers if w.outlet in own][:5]:
        rows.append(
            {
                "name": w.name,
                "phone": w.phone[3:],
                "company": w.company.name,
                "outlet": w.outlet.name,
                "kind": w.get_kind_display(),
                "employee_no": w.employee_no,
                "started_on": str(w.started_on),
                "id_number": "",
            }
        )
    outlet = own[0]
    rows += [
        {
            "name": "错号码",
            "phone": "1390000",
            "company": outlet.company.name,
            "outlet": outlet.name,
        },
        {
            "name": "错网点",
            "phone": "17200009998",
            "company": outlet.company.name,
            "outlet": "不存在的网点",
        },
        {
            "name": "错证号",
            "phone": "17200009999",
            "company": outlet.company.name,
            "outlet": outlet.name,
            "id_number": "230602199001011230",
        },
    ]
    path = settings.DATA_DIR / "demo" / "workers-roster-saertu.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tabular.export_xlsx(LAYOUT, rows))


def count_coverage(ctx) -> None:
    """The coverage pages read counts; make them for the demo data."""
    from . import coverage

    coverage.refresh()

"""Daqing's courier companies, outlets, unions, party organisations, departments and desks.

Scale from the source articles: nine brands and the big platforms; about 300 outlets (Wuchang
reports 81 outlets of 9 brands for about 1,000 couriers; Daqing has 2,300 couriers); a union tree
of the city federation, county unions and about a dozen company and joint branches covering most
outlets; a few party committees and branches covering about one outlet in four; the departments
of the joint meeting; a party-mass service centre with the six desks (五师一室) per district.

Deterministic (one seeded RNG), idempotent, bulk-inserted with one summary audit row.
"""

from __future__ import annotations

import random

from django.db import transaction
from stdnum.cn import uscc

from warmbee.audit.services import record
from warmbee.regions.models import Region

from .models import Desk, Organisation, OrgCategory, OrgKind, Outlet, ServiceDesk

CITY = "230600"
SEED = 20261202
OUTLETS = 300
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# (brand, short name, kind, share of outlets)
BRANDS = [
    ("顺丰速运", "顺丰", OrgKind.COMPANY, 14),
    ("圆通速递", "圆通", OrgKind.COMPANY, 12),
    ("申通快递", "申通", OrgKind.COMPANY, 10),
    ("中通快递", "中通", OrgKind.COMPANY, 13),
    ("韵达速递", "韵达", OrgKind.COMPANY, 11),
    ("极兔速递", "极兔", OrgKind.COMPANY, 8),
    ("京东物流", "京东", OrgKind.COMPANY, 9),
    ("中国邮政", "邮政", OrgKind.COMPANY, 10),
    ("德邦快递", "德邦", OrgKind.COMPANY, 4),
    ("美团", "美团", OrgKind.PLATFORM, 5),
    ("饿了么", "饿了么", OrgKind.PLATFORM, 3),
    ("滴滴出行", "滴滴", OrgKind.PLATFORM, 1),
]
# District seats (lat, lng) and outlet weights, as in the stations demo.
DISTRICTS = {
    "230602": ((46.5893, 125.1035), 28),
    "230603": ((46.5630, 125.1450), 17),
    "230604": ((46.6520, 124.8700), 22),
    "230605": ((46.4010, 124.8910), 8),
    "230606": ((46.0340, 124.8130), 7),
    "230621": ((45.7000, 125.2680), 5),
    "230622": ((45.5190, 125.0820), 5),
    "230623": ((47.1860, 124.8630), 4),
    "230624": ((46.8650, 124.4420), 4),
}
ROADS = [
    "东风路",
    "中央大街",
    "纬二路",
    "经六街",
    "世纪大道",
    "西宾路",
    "学府街",
    "中原路",
    "建设路",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾单"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"]
DEPARTMENTS = [
    ("大庆市邮政管理局", OrgCategory.POSTAL_BUREAU),
    ("共青团大庆市委员会", OrgCategory.YOUTH_LEAGUE),
    ("大庆市关心下一代工作委员会", OrgCategory.CARE_COMMITTEE),
    ("大庆市人力资源和社会保障局", OrgCategory.HR_BUREAU),
    ("大庆市妇女联合会", OrgCategory.WOMENS_FEDERATION),
    ("大庆市党群服务中心", OrgCategory.PARTY_MASS_CENTRE),
]


def credit_code(rng: random.Random, region_code: str = CITY) -> str:
    """A unified social credit code that passes the GB 32100 check (made up)."""
    body = "91" + region_code + "".join(rng.choice(_CODE_CHARS) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _phone(rng: random.Random) -> str:
    return f"+86170{rng.randrange(10**8):08d}"


def build(ctx) -> None:
    if ctx.city_code != CITY:
        return
    city = Region.objects.filter(code=CITY).first()
    if city is None:
        raise RuntimeError(f"region {CITY} is not loaded: run load_regions first")
    orgs = Organisation.objects.unscoped(reason="demo idempotence")
    if orgs.filter(region__path__startswith=city.path).exists():
        return
    rng = random.Random(SEED)
    province = city.parent
    districts = {r.code: r for r in Region.objects.filter(code__in=list(DISTRICTS))}
    streets = {
        code: list(Region.objects.filter(parent_id=code).current().order_by("code"))
        for code in DISTRICTS
    }

    def org(kind, name, region, **extra):
        return Organisation(kind=kind, name=name, region=region, **extra)

    with transaction.atomic():
        # Brands at the province, a local company per brand in the city.
        brands = Organisation.objects.bulk_create(
            [
                org(kind, name, province, short_name=short, credit_code=credit_code(rng, "230000"))
                for name, short, kind, _w in BRANDS
            ]
        )
        local = Organisation.objects.bulk_create(
            [
                org(
                    brand.kind,
                    f"{brand.name}（大庆）有限公司"
                    if brand.kind == OrgKind.COMPANY
                    else f"{brand.name}大庆站",
                    city,
                    short_name=brand.short_name,
                    parent=brand,
                    credit_code=credit_code(rng),
                    address=f"大庆市萨尔图区{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                    contact_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    contact_phone=_phone(rng),
                )
                for brand in brands
            ]
        )
        # Government bodies and the union federation.
        departments = Organisation.objects.bulk_create(
            [org(OrgKind.GOVERNMENT, name, city, category=cat) for name, cat in DEPARTMENTS]
        )
        federation = Organisation.objects.create(
            kind=OrgKind.UNION,
            name="大庆市总工会",
            region=city,
            category=OrgCategory.FEDERATION,
            phone="12351",
        )
        county_unions = {
            code: Organisation.objects.create(
                kind=OrgKind.UNION,
                name=f"{d.name}总工会",
                region=d,
                category=OrgCategory.COUNTY_UNION,
                parent=federation,
            )
            for code, d in districts.items()
        }
        # Company branches for the big brands, joint branches for the rest, per urban district.
        branches: dict[tuple[str, int], Organisation] = {}
        for company in local[:6]:
            branches[("city", company.pk)] = Organisation.objects.create(
                kind=OrgKind.UNION,
                name=f"{company.name}工会委员会",
                region=city,
                category=OrgCategory.COMPANY_BRANCH,
                parent=federation,
            )
        joint = {
            code: Organisation.objects.create(
                kind=OrgKind.UNION,
                name=f"{districts[code].name}快递行业联合工会",
                region=districts[code],
                category=OrgCategory.JOINT_BRANCH,
                parent=county_unions[code],
            )
            for code in ("230602", "230603", "230604", "230605", "230606")
        }
        # Party organisations: an industry committee, branches in the big companies and districts.
        committee = Organisation.objects.create(
            kind=OrgKind.PARTY,
            name="中共大庆市快递行业委员会",
            region=city,
            category=OrgCategory.PARTY_COMMITTEE,
        )
        party_branches = [
            Organisation.objects.create(
                kind=OrgKind.PARTY,
                name=f"中共{company.name}支部委员会",
                region=city,
                category=OrgCategory.PARTY_BRANCH,
                parent=committee,
            )
            for company in local[:4]
        ]
        district_party = {
            code: Organisation.objects.create(
                kind=OrgKind.PARTY,
                name=f"中共{districts[code].name}快递物流联合支部委员会",
                region=districts[code],
                category=OrgCategory.PARTY_BRANCH,
                parent=committee,
            )
            for code in ("230602", "230603", "230604")
        }
        # Providers and desks: each district's party-mass service centre runs the six desks.
        desks = []
        for district in districts.values():
            centre = Organisation.objects.create(
                kind=OrgKind.PROVIDER,
                name=f"{district.name}党群服务中心",
                region=district,
                parent=departments[-1],
                phone=f"0459-{rng.randint(4000000, 6999999)}",
            )
            desks += [
                ServiceDesk(
                    provider=centre,
                    desk=desk,
                    region=district,
                    location=f"{district.name}党群服务中心{i + 1}0{i + 1}室",
                    hours="周一至周五 8:30-17:00",
                )
                for i, desk in enumerate(Desk.values)
            ]
        ServiceDesk.objects.bulk_create(desks)

        # Outlets.
        weights = {c.pk: w for c, (_n, _s, _k, w) in zip(local, BRANDS, strict=True)}
        codes = list(DISTRICTS)
        outlets, seen = [], set()
        for i in range(OUTLETS):
            company = rng.choices(local, weights=[weights[c.pk] for c in local])[0]
            code = rng.choices(codes, weights=[DISTRICTS[c][1] for c in codes])[0]
            district = districts[code]
            region = rng.choice(streets[code]) if streets[code] and rng.random() < 0.8 else district
            stem = region.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
            name = f"{company.short_name}{stem}营业部"
            n = 2
            while (company.pk, name) in seen:
                name, n = f"{company.short_name}{stem}{n}部", n + 1
            seen.add((company.pk, name))
            (lat, lng) = DISTRICTS[code][0]
            union = branches.get(("city", company.pk)) or joint.get(code)
            if rng.random() < 0.08:
                union = None  # a few outlets not yet covered
            party = None
            if company in local[:4] and rng.random() < 0.35:
                party = party_branches[local.index(company)]
            elif code in district_party and rng.random() < 0.18:
                party = district_party[code]
            outlets.append(
                Outlet(
                    company=company,
                    name=name,
                    code=f"DQ{company.pk:02d}{i:04d}",
                    region=region,
                    address=f"{district.name}{rng.choice(ROADS)}{rng.randint(1, 400)}号",
                    lat=round(lat + rng.gauss(0, 0.03), 6),
                    lng=round(lng + rng.gauss(0, 0.04), 6),
                    manager_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    manager_phone=_phone(rng),
                    union_branch=union,
                    party_org=party,
                    staff_count=rng.randint(3, 15),
                )
            )
        Outlet.objects.bulk_create(outlets, batch_size=500)
        record(
            actor=None,
            action="org.demo_load",
            region=city,
            changes={
                "organisations": [0, orgs.filter(region__path__startswith=province.path).count()],
                "outlets": [0, len(outlets)],
                "desks": [0, len(desks)],
            },
            reason="manage.py demo: Daqing's companies, outlets, unions, party organisations, "
            "departments and desks, bulk-inserted (not audited one by one)",
        )

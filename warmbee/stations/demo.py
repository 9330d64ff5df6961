"""Demo network for Daqing (大庆市, 230600): the 624 “庆小驿” stations, their hosts, three weeks of
check-ins and the feedback couriers left.

The figure is the city's own (DOMAIN.md: "Daqing 624"); the split over districts and counties
follows urban population. Stations, hosts, statuses, date exceptions and accounts go through the
services, each with its audit row, as an officer would create them. Check-ins and feedback are
history (dated over the past three weeks, which no service can write), so they are bulk-inserted
and summarised in one audit row (``station.demo_load``).

Places: a district's ``Region.lat/lng`` is the centroid of its polygon, often far from where people
live (肇源县's is 45 km from the county town), so stations cluster around the district seat from
``DISTRICTS`` instead: streets of an urban district around its seat, other townships around a
point drawn once per township. A township with a point of its own (``point_source`` other than
"parent") is used as it is. Street names: a short list per district, real where the brief named
them, otherwise ordinary road names that every county town has; house numbers are made up.

Deterministic: one ``random.Random(SEED)``; times are relative to the moment of the run.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from warmbee.accounts.demo import PERSONAS
from warmbee.accounts.models import User
from warmbee.accounts.roles import Role
from warmbee.accounts.services import user_create
from warmbee.audit.services import record
from warmbee.regions.models import Level, Region

from . import hours
from .models import (
    CheckIn,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Kind,
    LiveStatus,
    Station,
    StationAmenity,
)
from .services import station_create, station_host_add, station_set_exception, station_set_status

CITY = "230600"
SEED = 20261122
# Scale of the synthetic history; tests may lower these (the network itself is always 624).
WORKERS = 300
EXTRA_HOSTS = 20
CHECKIN_DAYS = 21
RATINGS = 400
PROBLEMS = 60

KM_LAT = 1 / 111.0  # degrees of latitude per km


@dataclass(frozen=True)
class District:
    name: str
    stations: int
    seat: tuple[float, float]  # (lat, lng) of the district/county seat, approximate (WGS-84)
    urban: bool
    streets: tuple[str, ...]


# Urban districts get most (萨尔图 holds the city centre, 让胡路 the oilfield towns); the four
# counties share the rest. Seats: district governments / county towns, to about a kilometre.
DISTRICTS: dict[str, District] = {
    "230602": District(
        "萨尔图区",
        150,
        (46.5893, 125.1035),
        True,
        ("东风路", "中央大街", "纬二路", "经六街", "萨大路", "会战大街", "东干线", "育才路"),
    ),
    "230603": District(
        "龙凤区",
        90,
        (46.5630, 125.1450),
        True,
        ("龙凤大街", "世纪大道", "兴化路", "卧里屯大街", "黎明路", "湿地路"),
    ),
    "230604": District(
        "让胡路区",
        130,
        (46.6520, 124.8700),
        True,
        ("西宾路", "学府街", "中原路", "西康路", "乘风路", "庆新路"),
    ),
    "230605": District(
        "红岗区",
        60,
        (46.4010, 124.8910),
        True,
        ("创业大街", "八百垧大街", "杏南大街", "红岗路", "解放路"),
    ),
    "230606": District(
        "大同区",
        50,
        (46.0390, 124.8130),
        True,
        ("庆葡路", "高平路", "和平路", "新华路", "大同大街"),
    ),
    "230621": District(
        "肇州县", 38, (45.6995, 125.2683), False, ("兴华路", "建设路", "文化路", "人民路", "胜利街")
    ),
    "230622": District(
        "肇源县", 38, (45.5188, 125.0782), False, ("人民路", "建设路", "新华路", "文化路", "胜利街")
    ),
    "230623": District(
        "林甸县", 30, (47.1862, 124.8638), False, ("建设路", "胜利街", "文化路", "温泉路", "人民路")
    ),
    "230624": District(
        "杜尔伯特蒙古族自治县",
        38,
        (46.8653, 124.4425),
        False,
        ("团结路", "民族路", "建设路", "文化路", "人民路"),
    ),
}
VILLAGE_STEMS = (
    "前进",
    "胜利",
    "红旗",
    "东升",
    "永安",
    "新发",
    "富裕",
    "太平",
    "兴隆",
    "民主",
    "团结",
)
COMMUNITY_STEMS = (
    "东风", "阳光", "春雷", "育新", "星火", "铁人", "新村", "景园", "湖滨", "明湖", "丽湖", "兴华",
    "龙南", "创业", "奋斗", "银河", "和平", "幸福", "友谊", "光明",
)  # fmt: skip

# --- hours --------------------------------------------------------------------------------------
ALL_WEEK = range(7)


def _every_day(*intervals: tuple[str, str]) -> list[list]:
    return [[d, a, b] for d in ALL_WEEK for a, b in intervals]


HOURS = {
    "always": None,
    "d8_20": _every_day(("08:00", "20:00")),
    "d730_21": _every_day(("07:30", "21:00")),
    "d8_21": _every_day(("08:00", "21:00")),
    "d830_1730": _every_day(("08:30", "17:30")),
    "weekday": [[d, "09:00", "18:00"] for d in range(5)] + [[d, "10:00", "16:00"] for d in (5, 6)],
    "split": _every_day(("07:00", "11:00"), ("13:00", "19:00")),
    "overnight": _every_day(("18:00", "06:00")),
}


# --- host organisations -------------------------------------------------------------------------
@dataclass(frozen=True)
class HostType:
    key: str
    # Relative frequency in an urban district, a county town, a rural township.
    weights: tuple[float, float, float]
    org: str  # the host organisation; {p} is a street or neighbourhood
    name: str  # the part after “庆小驿·”
    tier_bias: float
    hours: dict[str, float]
    kind: str = Kind.WARMBEE


EXPRESS_HOURS = {"d8_20": 4, "d730_21": 4, "always": 0.6, "split": 0.5}
PETROL_HOURS = {"always": 4.5, "overnight": 1, "d730_21": 1.5}
HOST_TYPES = [
    HostType(
        "post", (6, 8, 10), "中国邮政大庆市分公司{p}营业所", "邮政{p}营业所站", 0.3,
        {"d830_1730": 3, "weekday": 2, "d8_20": 1},
    ),
    HostType("sf", (7, 3, 0.5), "顺丰速运{p}网点", "顺丰速运{p}网点站", 0.35, EXPRESS_HOURS),
    HostType("zto", (6, 4, 1.5), "中通快递{p}网点", "中通快递{p}网点站", 0.15, EXPRESS_HOURS),
    HostType("yto", (4, 3, 1), "圆通速递{p}网点", "圆通速递{p}网点站", 0.1, EXPRESS_HOURS),
    HostType("yunda", (4, 3, 1.5), "韵达快递{p}网点", "韵达快递{p}网点站", 0.1, EXPRESS_HOURS),
    HostType("jt", (3, 2, 0.5), "极兔速递{p}网点", "极兔速递{p}网点站", 0.0, EXPRESS_HOURS),
    HostType("jd", (6, 2, 0.5), "京东物流{p}营业部", "京东物流{p}营业部站", 0.3, EXPRESS_HOURS),
    HostType(
        "meituan", (8, 3, 0), "美团外卖大庆{p}站点", "美团外卖{p}站", 0.15,
        {"d730_21": 3, "always": 1.2, "overnight": 0.2},
    ),
    HostType(
        "eleme", (3, 1, 0), "饿了么大庆{p}站点", "饿了么{p}站", 0.05,
        {"d730_21": 3, "always": 1, "overnight": 0.2},
    ),
    HostType(
        "community", (14, 16, 20), "{community_org}党群服务中心", "{community}党群服务中心站",
        0.45, {"d8_20": 3, "weekday": 3, "split": 2, "always": 0.4},
    ),
    HostType(
        "cnpc", (5, 5, 5), "中国石油大庆销售分公司{p}加油站", "中石油{p}加油站", -0.2,
        PETROL_HOURS,
    ),
    HostType(
        "sinopec", (3, 2, 2), "中国石化大庆石油分公司{p}加油站", "中石化{p}加油站", -0.2,
        PETROL_HOURS,
    ),
    HostType(
        "bank", (8, 6, 4), "{bank}{p}支行", "{bank_short}{p}支行站", 0.0,
        {"weekday": 5, "d8_20": 1, "always": 0.3},
    ),
    HostType(
        "market", (6, 4, 2), "{market}{p}店", "{market_short}{p}店站", 0.0,
        {"d8_21": 4, "d730_21": 2},
    ),
    HostType(
        "union", (6, 5, 3), "{township}工会", "{township}工会站", 0.3,
        {"d8_20": 3, "split": 2, "d730_21": 2, "always": 0.4}, Kind.OUTDOOR,
    ),
]  # fmt: skip
BANKS = [
    ("中国工商银行大庆", "工商银行"),
    ("中国建设银行大庆", "建设银行"),
    ("中国农业银行大庆", "农业银行"),
    ("中国银行大庆", "中国银行"),
    ("中国邮政储蓄银行大庆", "邮储银行"),
    ("龙江银行大庆", "龙江银行"),
    ("大庆农村商业银行", "农商银行"),
]
RURAL_BANKS = [BANKS[2], BANKS[4], BANKS[6]]
MARKETS = [("比优特超市", "比优特"), ("大商新玛特", "新玛特"), ("沃尔玛大庆", "沃尔玛")]

# --- amenities: probability by tier (1, 2, 3) ---------------------------------------------------
AMENITY_ODDS = {
    "water": (1.0, 1.0, 0.96),
    "seating": (1.0, 1.0, 0.98),
    "toilet": (1.0, 0.9, 0.7),
    "charging": (0.95, 0.75, 0.45),
    "microwave": (0.95, 0.85, 0.3),
    "first_aid": (0.9, 0.6, 0.35),
    "climate": (1.0, 0.85, 0.55),
    "wifi": (0.95, 0.75, 0.45),
    "drying": (0.6, 0.2, 0.03),
    "books": (0.8, 0.4, 0.13),
    "films": (0.8, 0.0, 0.0),
}
SEATS = {1: (15, 30), 2: (8, 16), 3: (4, 8)}
PHONE_ODDS = {1: 0.9, 2: 0.5, 3: 0.2}
DESCRIPTIONS = [
    "面向快递员、外卖骑手、网约车司机等新就业群体开放，歇脚、喝水、热饭、充电都可以。",
    "进门扫码签到即可休息，冬季室内供暖。",
    "“休息有地方、渴了有水喝、热了能乘凉、冷了能取暖”。",
    "",
    "",
]
CLOSE_REASONS = [
    "装修升级，暂停开放",
    "供暖管道检修",
    "冬季供暖检修，暂停开放",
    "更换设施，暂停开放",
]

# --- people -------------------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯史陶贺顾毛郝龚邵万"
)
GIVEN_ONE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳雨峰亮成东海建新志文博晨航丽敏静燕娟艳霞雪倩红梅欣"
GIVEN_TWO = "子豪 宇航 浩然 俊杰 志强 海峰 春雷 国庆 立新 建军 晓东 小龙 鹏飞 永刚 秀英 玉兰 婷婷 晓丽 丹丹 佳怡"
GIVEN = (*GIVEN_ONE, *GIVEN_TWO.split(" "))
RATING_TEXTS = [
    ("冬天能进来暖和暖和，太好了", "climate"),
    ("热饭很方便，中午不用在外面吃凉的了", "microwave"),
    ("充电很方便，省了不少事", "charging"),
    ("有热水喝，工作人员也热情", "water"),
    ("环境干净，座位也够", "seating"),
    ("有网络，休息时能看看手机", "wifi"),
    ("下雨天能进来避雨，谢谢", None),
    ("位置好找，离我们站点近", None),
    ("中午人有点多，不过很温暖", None),
    ("像家一样，感谢社区", None),
]
LOW_RATING_TEXTS = ["开门时间和写的不太一样", "座位太少了，中午经常没地方坐", "屋里有点冷"]
PROBLEMS_TEXT = [
    ("微波炉坏了", "microwave", "已更换新的微波炉，欢迎使用"),
    ("饮水机没水了", "water", "已补充桶装水，以后每天早上检查"),
    ("卫生间堵了", "toilet", "已疏通"),
    ("充电柜有个格口坏了", "charging", "已联系厂家更换格口"),
    ("暖气不热", "climate", "已联系供暖公司检修，现在正常了"),
    ("无线网络连不上", "wifi", "路由器已重启，密码贴在门口"),
    ("有一把椅子坏了", "seating", "已换新椅子"),
    ("急救箱里的创可贴用完了", "first_aid", "已补充药品"),
    ("烘干机不转了", "drying", "已报修，维修后恢复使用"),
    ("门口台阶结冰，很滑", None, "已清理冰雪并铺了防滑垫"),
    ("晚上还没到关门时间就锁门了", None, "已提醒值班人员按公示时间开放"),
]
ACK_TEXT = "收到，已安排人员处理"


@dataclass
class Plan:
    """A station to create, before it has a primary key."""

    district: str
    region: Region
    host: HostType
    org: str
    name: str
    address: str
    lat: float
    lng: float
    tier: int = 3
    score: float = 0.0


# --- helpers ------------------------------------------------------------------------------------
def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _jitter(rng: random.Random, lat: float, lng: float, sigma_km: float) -> tuple[float, float]:
    km_lng = KM_LAT / math.cos(math.radians(lat))
    return (
        round(lat + rng.gauss(0, sigma_km) * KM_LAT, 6),
        round(lng + rng.gauss(0, sigma_km) * km_lng, 6),
    )


def _stem(name: str) -> str:
    for suffix in ("蒙古族乡", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _persona(role: str, code: str) -> User | None:
    name = next(n for r, c, n in PERSONAS if r == role and c == code)
    return (
        User.objects.unscoped(reason="demo personas")
        .filter(name=name, grants__role=role, grants__region_id=code)
        .order_by("pk")
        .first()
    )


class _Phones:
    """Unique demo mobiles in the 171 virtual-operator range (the personas use 170)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used = set(
            User.objects.unscoped(reason="demo phone uniqueness")
            .filter(phone__startswith="+86171")
            .values_list("phone", flat=True)
        )

    def __call__(self) -> str:
        while True:
            phone = f"+86171{self.rng.randrange(10**8):08d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


# --- the network --------------------------------------------------------------------------------
URBAN, TOWN, RURAL = 0, 1, 2  # index into HostType.weights


@dataclass(frozen=True)
class Anchor:
    """A place stations cluster around: a township (or the district, without townships)."""

    region: Region
    weight: float
    point: tuple[float, float]
    sigma_km: float
    stem: str | None  # the township's name without 街道/镇/乡, for names
    setting: int


def _anchors(rng: random.Random, district: Region, spec: District) -> list[Anchor]:
    townships = list(
        Region.objects.filter(parent=district, level=Level.TOWNSHIP, retired=False).order_by("code")
    )
    if not townships:
        if spec.urban:
            return [Anchor(district, 1.0, spec.seat, 3.0, None, URBAN)]
        return [Anchor(district, 1.0, spec.seat, 5.0, None, TOWN)]
    anchors = []
    for township in townships:
        is_street = township.name.endswith("街道")
        is_seat = not spec.urban and township.code.endswith("100")
        if township.lat is not None and township.point_source not in ("parent", ""):
            point = (township.lat, township.lng)
        elif spec.urban and is_street:
            point = _jitter(rng, *spec.seat, 2.5)
        elif is_seat:
            point = spec.seat
        else:
            # A town or village: somewhere in the district, away from the seat.
            centre = (district.lat, district.lng) if district.lat is not None else spec.seat
            point = _jitter(rng, *centre, 7.0 if spec.urban else 14.0)
        if spec.urban:
            weight, sigma, setting = (3.0, 1.0, URBAN) if is_street else (0.6, 1.5, TOWN)
        elif is_seat:
            weight, sigma, setting = 8.0, 1.8, TOWN
        else:
            weight, sigma, setting = 1.0, 1.5, RURAL
        anchors.append(Anchor(township, weight, point, sigma, _stem(township.name), setting))
    return anchors


def _plan_network(rng: random.Random, districts: dict[str, Region]) -> list[Plan]:
    plans: list[Plan] = []
    names: set[str] = set()
    for code, spec in DISTRICTS.items():
        anchors = _anchors(rng, districts[code], spec)
        made = 0
        while made < spec.stations:
            anchor = rng.choices(anchors, weights=[a.weight for a in anchors])[0]
            region = anchor.region
            host = rng.choices(HOST_TYPES, weights=[h.weights[anchor.setting] for h in HOST_TYPES])[
                0
            ]
            street = rng.choice(spec.streets)
            township = region.name if region.level == Level.TOWNSHIP else spec.name
            place = rng.choice([street, street, anchor.stem]) if anchor.stem else street
            if anchor.setting == RURAL:
                community = f"{rng.choice(VILLAGE_STEMS)}村"
                community_org = f"{township}{community}"
                bank, bank_short = rng.choice(RURAL_BANKS)
            else:
                community = community_org = f"{rng.choice(COMMUNITY_STEMS)}社区"
                bank, bank_short = rng.choice(BANKS)
            # Walmart and 新玛特 are in the city; 比优特 (a Daqing chain) reaches the counties.
            market, market_short = rng.choice(MARKETS if anchor.setting == URBAN else MARKETS[:1])
            fmt = {
                "p": place,
                "community": community,
                "community_org": community_org,
                "bank": bank,
                "bank_short": bank_short,
                "market": market,
                "market_short": market_short,
                "township": township,
            }
            name = "庆小驿·" + host.name.format(**fmt)
            if name in names:
                continue
            names.add(name)
            if spec.urban or region.level != Level.TOWNSHIP:
                address = f"{spec.name}{street} {rng.randint(1, 399)} 号"
            else:
                address = f"{spec.name}{region.name}{street} {rng.randint(1, 199)} 号"
            lat, lng = _jitter(rng, *anchor.point, anchor.sigma_km)
            plans.append(
                Plan(
                    district=code,
                    region=region,
                    host=host,
                    org=host.org.format(**fmt),
                    name=name,
                    address=address,
                    lat=lat,
                    lng=lng,
                    score=host.tier_bias
                    + (0.4 if anchor.setting == URBAN else 0.0)
                    + rng.gauss(0, 0.6),
                )
            )
            made += 1
    # Exactly 10 % tier 1 and 35 % tier 2, the best-placed hosts first.
    ranked = sorted(plans, key=lambda p: -p.score)
    n1, n2 = round(len(plans) * 0.10), round(len(plans) * 0.35)
    for i, plan in enumerate(ranked):
        plan.tier = 1 if i < n1 else 2 if i < n1 + n2 else 3
    return plans


def _details(rng: random.Random, plan: Plan, today: dt.date) -> dict:
    tier = plan.tier
    amenities = [code for code, odds in AMENITY_ODDS.items() if rng.random() < odds[tier - 1]]
    if plan.host.key in ("cnpc", "sinopec") and "toilet" not in amenities:
        amenities.append("toilet")
    profile = _weighted(rng, plan.host.hours)
    kind = plan.host.kind
    if tier == 1 and plan.host.key in ("sf", "jd", "zto") and rng.random() < 0.5:
        kind = Kind.COURIER_HOME
    phone = ""
    if rng.random() < PHONE_ODDS[tier]:
        phone = f"0459-{rng.choice('4568')}{rng.randrange(10**6):06d}"
    return {
        "kind": kind,
        "tier": tier,
        "host_org_name": plan.org,
        "seats": rng.randint(*SEATS[tier]),
        "phone": phone,
        "description": rng.choice(DESCRIPTIONS),
        "always_open": profile == "always",
        "weekly_hours": HOURS[profile] or [],
        "amenities": amenities,
        "verified_on": today - dt.timedelta(days=rng.randint(0, 60)),
    }


# --- history ------------------------------------------------------------------------------------
def _schedule(station: Station) -> hours.Schedule:
    rows = [
        (d, dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for d, a, b in station.weekly_hours
    ]
    return hours.Schedule.from_rows(station.always_open, rows)


def _visit_minute(rng: random.Random) -> int:
    """Minutes after local midnight: a lunch peak, an evening peak, and the rest of the day."""
    slot = rng.random()
    if slot < 0.4:
        return int(min(max(rng.gauss(12 * 60, 35), 10 * 60 + 45), 13 * 60 + 45))
    if slot < 0.75:
        return int(min(max(rng.gauss(18 * 60 + 15, 50), 16 * 60 + 45), 20 * 60 + 45))
    return rng.randint(7 * 60, 22 * 60 + 30)


def _checkins(rng, workers, stations, favourites, now) -> list[CheckIn]:
    """Each worker's days: a few visits at their usual stations, at the lunch and evening peaks
    mostly, only while the station is open, never twice at one station within the interval."""
    tz = hours.local_zone()
    interval = dt.timedelta(minutes=settings.STATION_CHECKIN_INTERVAL_MINUTES)
    schedules = {s.pk: _schedule(s) for s in stations}
    open_live = hours.Live()
    today = timezone.localdate(now)
    rows: list[CheckIn] = []
    for worker in workers:
        favs = favourites[worker.pk]
        fav_weights = [1 / (i + 1) for i in range(len(favs))]
        p_active = rng.uniform(0.75, 0.98)  # couriers work most days
        extra = rng.uniform(2.0, 5.0)  # mean visits a working day, beyond the first
        last: dict[int, dt.datetime] = {}
        for back in range(CHECKIN_DAYS - 1, -1, -1):
            if rng.random() > p_active:
                continue
            midnight = dt.datetime.combine(today - dt.timedelta(days=back), dt.time.min, tzinfo=tz)
            visits = min(1 + int(rng.expovariate(1 / extra)), 7)
            previous = None
            for minute in sorted(_visit_minute(rng) for _ in range(visits)):
                at = midnight + dt.timedelta(minutes=minute, seconds=rng.randrange(60))
                if previous is not None and at - previous < dt.timedelta(minutes=20):
                    at = previous + dt.timedelta(minutes=rng.randint(20, 60))
                if at >= now:
                    break
                # The usual stations in order of habit, the first that is open and not too soon.
                order = sorted(range(len(favs)), key=lambda i: rng.random() / fav_weights[i])
                for station in (favs[i] for i in order):
                    if station.pk in last and at - last[station.pk] < interval:
                        continue
                    if hours.is_open(schedules[station.pk], open_live, at):
                        rows.append(CheckIn(station=station, user=worker, created_at=at))
                        last[station.pk] = previous = at
                        break
    return rows


def _favourites(rng, workers, homes, by_district, persona_worker, persona_stations):
    tier_weight = {1: 6.0, 2: 2.5, 3: 1.0}
    urban = [c for c, s in DISTRICTS.items() if s.urban]
    result = {}
    for worker in workers:
        pool = by_district[homes[worker.pk]]
        weights = [tier_weight[s.tier] for s in pool]
        favs: list[Station] = []
        for _i in range(rng.randint(3, 6)):
            pick = rng.choices(pool, weights=weights)[0]
            if pick not in favs:
                favs.append(pick)
        if homes[worker.pk] in urban and rng.random() < 0.3:  # deliveries across the boundary
            other = by_district[rng.choice(urban)]
            favs.append(rng.choices(other, weights=[tier_weight[s.tier] for s in other])[0])
        if persona_worker is not None and worker.pk == persona_worker.pk:
            favs = list(persona_stations) + [f for f in favs if f not in persona_stations]
        result[worker.pk] = favs
    return result


def _feedback(rng, checkins, keepers, now) -> tuple[list[Feedback], int]:
    """Ratings and problem reports, each a little after one of the writer's check-ins."""
    rows: list[Feedback] = []
    seen: set[tuple[int, int]] = set()
    pool = list(checkins)
    rng.shuffle(pool)
    amen: dict[int, set[str]] = {}
    for station_id, code in StationAmenity.objects.values_list("station_id", "amenity_id"):
        amen.setdefault(station_id, set()).add(code)
    ratings = problems = handled = 0
    # The first three problems at the demo host's stations, so the host persona has some to
    # handle (the first two are left open).
    at_persona = [c for c in pool if keepers[c.station.pk][1]]
    for c in [*at_persona[:3], *pool]:
        if problems >= PROBLEMS:
            break
        station, codes = c.station, amen.get(c.station.pk, set())
        key = (c.user.pk, station.pk)
        options = [p for p in PROBLEMS_TEXT if p[1] is None or p[1] in codes]
        text, amenity, response = rng.choice(options)
        at = c.created_at + dt.timedelta(minutes=rng.randint(2, 40))
        if at >= now or key in seen:
            continue
        seen.add(key)
        fb = Feedback(
            station=station,
            user=c.user,
            kind=FeedbackKind.PROBLEM,
            amenity_id=amenity,
            text=text,
            created_at=at,
        )
        keeper, is_persona = keepers[station.pk]
        age = now - at
        roll = rng.random()
        if is_persona and problems < 2:
            roll = 1.0  # left open for the demo host
        if age > dt.timedelta(days=3):
            status = (
                FeedbackStatus.RESOLVED
                if roll < 0.6
                else FeedbackStatus.ACKNOWLEDGED
                if roll < 0.8
                else FeedbackStatus.OPEN
            )
        elif age > dt.timedelta(hours=2):
            status = (
                FeedbackStatus.RESOLVED
                if roll < 0.25
                else FeedbackStatus.ACKNOWLEDGED
                if roll < 0.6
                else FeedbackStatus.OPEN
            )
        else:
            status = FeedbackStatus.OPEN
        if status != FeedbackStatus.OPEN:
            fb.status = status
            fb.response = response if status == FeedbackStatus.RESOLVED else ACK_TEXT
            fb.handled_by = keeper
            hours_later = rng.uniform(0.5, min(30.0, age.total_seconds() / 3600 - 0.2))
            fb.handled_at = at + dt.timedelta(hours=hours_later)
            handled += 1
        rows.append(fb)
        problems += 1
    rng.shuffle(pool)
    for c in pool:
        if ratings >= RATINGS:
            break
        station, codes = c.station, amen.get(c.station.pk, set())
        key = (c.user.pk, station.pk)
        at = c.created_at + dt.timedelta(minutes=rng.randint(5, 90))
        if at >= now or key in seen:
            continue
        seen.add(key)
        stars = rng.choices([5, 4, 3, 2, 1], weights=[58, 30, 8, 3, 1])[0]
        text = ""
        if rng.random() < 0.45:
            if stars >= 4:
                options = [t for t, a in RATING_TEXTS if a is None or a in codes]
                text = rng.choice(options)
            else:
                text = rng.choice(LOW_RATING_TEXTS)
        rows.append(
            Feedback(
                station=station,
                user=c.user,
                kind=FeedbackKind.RATING,
                rating=stars,
                text=text,
                created_at=at,
            )
        )
        ratings += 1
    return rows, handled


# --- the builder --------------------------------------------------------------------------------
def build(ctx) -> None:
    if ctx.city_code != CITY:
        return  # the 庆小驿 network is Daqing's
    city = Region.objects.filter(code=CITY).first()
    if city is None:
        raise RuntimeError(f"region {CITY} is not loaded: run load_regions first")
    if (
        Station.objects.unscoped(reason="demo idempotence")
        .filter(region__path__startswith=city.path)
        .exists()
    ):
        return
    officer = _persona(Role.CITY_OFFICER, CITY)
    if officer is None:
        raise RuntimeError("the demo city officer is missing: run the accounts builder first")
    host_persona = _persona(Role.STATION_HOST, "230602")
    worker_persona = _persona(Role.WORKER, "230602")
    district_officers = {
        code: _persona(Role.DISTRICT_OFFICER, code)
        for r, code, _n in PERSONAS
        if r == Role.DISTRICT_OFFICER
    }
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate(now)
    districts = {r.code: r for r in Region.objects.filter(code__in=list(DISTRICTS))}

    with transaction.atomic():
        # Stations, through the service (audited one by one).
        stations: list[Station] = []
        district_of: dict[int, str] = {}
        host_of: dict[int, str] = {}
        for plan in _plan_network(rng, districts):
            details = _details(rng, plan, today)
            station = station_create(
                actor=officer,
                name=plan.name,
                address=plan.address,
                region=plan.region,
                lat=plan.lat,
                lng=plan.lng,
                **details,
            )
            stations.append(station)
            district_of[station.pk], host_of[station.pk] = plan.district, plan.host.key
        by_district: dict[str, list[Station]] = {c: [] for c in DISTRICTS}
        for s in stations:
            by_district[district_of[s.pk]].append(s)

        # Hosts: the persona keeps three stations in 萨尔图区, twenty more keep one to three.
        keepers: dict[int, tuple[User, bool]] = {}
        phones = _Phones(rng)
        persona_stations: list[Station] = []
        if host_persona is not None:
            candidates = [s for s in by_district["230602"] if s.tier <= 2]
            persona_stations = rng.sample(candidates, 3)
            for s in persona_stations:
                station_host_add(actor=officer, station=s, user=host_persona)
                keepers[s.pk] = (host_persona, True)
        codes = list(DISTRICTS)
        host_weights = [DISTRICTS[c].stations for c in codes]
        for _i in range(EXTRA_HOSTS):
            code = rng.choices(codes, weights=host_weights)[0]
            district = districts[code]
            user = user_create(
                actor=officer,
                phone=phones(),
                name=_person_name(rng),
                region=district,
                role=Role.STATION_HOST,
            )
            free = [s for s in by_district[code] if s.pk not in keepers]
            for s in rng.sample(free, min(len(free), rng.randint(1, 3))):
                station_host_add(actor=officer, station=s, user=user)
                keepers[s.pk] = (user, False)
        for s in stations:
            if s.pk not in keepers:
                keeper = district_officers.get(district_of[s.pk]) or officer
                keepers[s.pk] = (keeper, False)

        # Live status: a few temporarily closed, a few full; 元旦 closed at about 5 %.
        closed = rng.sample(stations, 5)
        for s in closed:
            reopen_day = today + dt.timedelta(days=rng.randint(2, 10))
            station_set_status(
                actor=keepers[s.pk][0],
                station=s,
                status=LiveStatus.TEMP_CLOSED,
                reason=rng.choice(CLOSE_REASONS),
                reopens_at=dt.datetime.combine(
                    reopen_day, dt.time(8, 0), tzinfo=hours.local_zone()
                ),
            )
        small = [s for s in stations if s.tier == 3 and s not in closed]
        for s in rng.sample(small, 4):
            station_set_status(actor=keepers[s.pk][0], station=s, status=LiveStatus.FULL)
        new_year = dt.date(today.year + (0 if (today.month, today.day) == (1, 1) else 1), 1, 1)
        holiday_hosts = {"post", "bank", "community", "union"}
        holiday = [s for s in stations if not s.always_open and host_of[s.pk] in holiday_hosts]
        for s in rng.sample(holiday, min(len(holiday), round(len(stations) * 0.05))):
            station_set_exception(
                actor=keepers[s.pk][0], station=s, date=new_year, closed=True, note="元旦休息"
            )

        # Workers, through the service: created by the city officer, no password (activation).
        homes: dict[int, str] = {}
        workers: list[User] = []
        for _i in range(WORKERS):
            code = rng.choices(codes, weights=host_weights)[0]
            user = user_create(
                actor=officer,
                phone=phones(),
                name=_person_name(rng),
                region=districts[code],
                role=Role.WORKER,
            )
            homes[user.pk] = code
            workers.append(user)
        if worker_persona is not None:
            homes[worker_persona.pk] = "230602"
            workers.append(worker_persona)

        # History: bulk-inserted (dated in the past), summarised in one audit row.
        favourites = _favourites(rng, workers, homes, by_district, worker_persona, persona_stations)
        checkins = _checkins(rng, workers, stations, favourites, now)
        CheckIn.objects.bulk_create(checkins, batch_size=2000)
        feedback, handled = _feedback(rng, checkins, keepers, now)
        Feedback.objects.bulk_create(feedback, batch_size=1000)
        record(
            actor=None,
            action="station.demo_load",
            region=city,
            changes={
                "checkins": [0, len(checkins)],
                "ratings": [0, sum(f.kind == FeedbackKind.RATING for f in feedback)],
                "problems": [0, sum(f.kind == FeedbackKind.PROBLEM for f in feedback)],
                "handled": [0, handled],
                "days": [0, CHECKIN_DAYS],
            },
            reason=(
                "manage.py demo: synthetic check-ins and feedback for the Daqing demo network,"
                " bulk-inserted with past dates (not audited one by one)"
            ),
        )

"""Demo staff personas for Daqing (大庆市, 230600): the city and two districts."""

from __future__ import annotations

import random

from django.db import transaction

from warmbee.regions.models import Region

from .models import User
from .roles import Role
from .services import operator_user_create

# (role, region code, name) — the city, 萨尔图区 and 龙凤区, a street in 萨尔图区.
PERSONAS = [
    (Role.CITY_OFFICER, "230600", "王建国"),
    (Role.DISTRICT_OFFICER, "230602", "李红梅"),
    (Role.DISTRICT_OFFICER, "230603", "张伟"),
    (Role.COMMUNITY_OFFICER, "230602013", "赵丽"),
    (Role.STATION_HOST, "230602", "刘洋"),
    (Role.PROVIDER, "230600", "陈律师"),
    (Role.WORKER, "230602", "孙小峰"),
    (Role.AUDITOR, "230600", "周审计"),
    (Role.SECURITY_ADMIN, "230600", "吴安全"),
    (Role.SYSTEM_ADMIN, "230600", "郑系统"),
    (Role.PARTY_OFFICER, "230600", "马党建"),
]


def demo_phone(rng: random.Random) -> str:
    # 170/171 are virtual-operator ranges: valid numbers, unlikely to be a real person's.
    return f"+86170{rng.randrange(10**8):08d}"


def build(ctx) -> None:
    if not Region.objects.filter(code=ctx.city_code).exists():
        raise RuntimeError(f"region {ctx.city_code} is not loaded: run load_regions first")
    rng = random.Random(ctx.rng_seed)
    with transaction.atomic():
        for role, code, name in PERSONAS:
            region = Region.objects.get(code=code)
            phone = demo_phone(rng)
            if User.objects.unscoped(reason="demo").filter(phone=phone).exists():
                continue
            password = ctx.new_password()
            operator_user_create(
                phone=phone, name=name, role=role, region=region, password=password
            )
            ctx.add_credentials(Role(role).label, name, phone, password)

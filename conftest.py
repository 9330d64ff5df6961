"""Test set-up shared by every app: real regions, named personas, strict scope.

Personas (STYLE.md) are real accounts created through the operator service, each with one grant:

=====================  ===================  =====================================
persona                role                 region
=====================  ===================  =====================================
courier                worker               230602 萨尔图区 (Daqing)
host                   station_host         230602
provider               provider             230600 大庆市
community_officer      community_officer    230602013 萨尔图街道
district_officer       district_officer     230602 萨尔图区
other_district         district_officer     230603 龙凤区 (sibling district)
city_officer           city_officer         230600 大庆市
party_officer          party_officer        230600 大庆市
province_officer       province_officer     230000 黑龙江省
auditor                auditor              230600
security_admin         security_admin       230600
system_admin           system_admin         000000 (country)
anonymous              —                    —
=====================  ===================  =====================================
"""

from __future__ import annotations

import itertools
import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from warmbee.accounts.roles import Role

# Property tests: CI (``.ci/run`` sets HYPOTHESIS_PROFILE=ci) derives each test's examples from
# the test itself, so a commit's build is reproducible and a red build is red again; ``make
# test`` on a developer's machine keeps drawing new examples (the default profile), which is
# where new failures are found (a failing seed is printed; replay it with --hypothesis-seed).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PASSWORD = "Correct-Horse-Battery-9"

PERSONAS = {
    "courier": (Role.WORKER, "230602"),
    "host": (Role.STATION_HOST, "230602"),
    "provider": (Role.PROVIDER, "230600"),
    "community_officer": (Role.COMMUNITY_OFFICER, "230602013"),
    "district_officer": (Role.DISTRICT_OFFICER, "230602"),
    "other_district": (Role.DISTRICT_OFFICER, "230603"),
    "city_officer": (Role.CITY_OFFICER, "230600"),
    "province_officer": (Role.PROVINCE_OFFICER, "230000"),
    "party_officer": (Role.PARTY_OFFICER, "230600"),
    "auditor": (Role.AUDITOR, "230600"),
    "security_admin": (Role.SECURITY_ADMIN, "230600"),
    "system_admin": (Role.SYSTEM_ADMIN, "000000"),
}
ALL_PERSONAS = [*PERSONAS, "anonymous"]

# Object positions relative to the district officer of 萨尔图区 (R1 matrix).
POSITIONS = {
    "own": "230602",  # 萨尔图区, Daqing
    "sibling": "230603",  # 龙凤区, Daqing
    "other_city": "230102",  # 道里区, Harbin
    "other_province": "430102",  # 芙蓉区, Changsha
}

_phones = itertools.count(1)


def next_phone() -> str:
    return f"+86139{next(_phones):08d}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from warmbee.regions.loader import load_regions

    with django_db_blocker.unblock():
        load_regions(townships=["2306"])


@pytest.fixture(scope="session", autouse=True)
def _flush_keeps_reference_data():
    """Transactional tests end with a flush: allow it past the audit guard (a maintenance
    operation) and reload the regions every test relies on."""
    from django.core.management.commands import flush

    from warmbee.audit.guard import maintenance
    from warmbee.regions.loader import load_regions

    original = flush.Command.handle

    def handle(self, *args, **options):
        with maintenance(options.get("database") or "default"):
            result = original(self, *args, **options)
        load_regions(townships=["2306"])
        return result

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    from warmbee.civic import routing
    from warmbee.regions import grids
    from warmbee.stations import finder

    settings.SCOPE_STRICT = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    settings.FINDER_REFRESH_SECONDS = 0
    settings.FINDER_WARM_FRAGMENTS = False
    finder.reset()
    settings.GRID_REFRESH_SECONDS = 0
    grids.reset()
    routing.reset()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STAFF_MFA = "optional"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    """Create an account through the operator service, with a known test password."""
    from warmbee.accounts.services import operator_user_create
    from warmbee.regions.models import Region

    def make(
        role: str = Role.WORKER,
        region: str = "230602",
        *,
        name: str = "测试用户",
        phone: str | None = None,
        password: str | None = PASSWORD,
    ):
        return operator_user_create(
            phone=phone or next_phone(),
            name=name,
            role=role,
            region=Region.objects.get(code=region),
            password=password,
        )

    return make


@pytest.fixture
def personas(db):
    """One account per persona, written in two statements: 6,000 matrix cases each need all of
    them, and the operator service (phone check, password policy, grant, audit row per account)
    made this fixture half of the suite's time on PostgreSQL. ``make_user`` still goes through
    the service for the accounts a test is about."""
    from warmbee.accounts.models import RoleAssignment, User
    from warmbee.regions.models import Region

    regions = Region.objects.in_bulk({region for _role, region in PERSONAS.values()})
    users = {}
    for name, (_role, region) in PERSONAS.items():
        user = User(phone=next_phone(), name=f"{name}人", region=regions[region])
        user.set_password(PASSWORD)
        users[name] = user
    User.objects.bulk_create(users.values())
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=users[name], role=role, region=regions[region])
        for name, (role, region) in PERSONAS.items()
    )
    return users


@pytest.fixture
def as_persona(client, personas):
    """``as_persona("district_officer")`` → a test client logged in as that persona."""
    from django.test import Client

    def login(name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(personas[name], backend="warmbee.accounts.auth.PhoneBackend")
            session = c.session
            from django.utils import timezone

            now = timezone.now().timestamp()
            session["_wb_login_at"] = session["_wb_auth_at"] = session["_wb_last_seen"] = now
            session.save()
        return c

    return login


@pytest.fixture
def region():
    from warmbee.regions.models import Region

    return lambda code: Region.objects.get(code=code)


@pytest.fixture
def make_company(db):
    """A courier company registered in ``region`` (default 大庆市)."""
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.regions.models import Region

    counter = itertools.count(1)

    def make(name: str | None = None, region: str = "230600", kind: str = OrgKind.COMPANY):
        return Organisation.objects.create(
            kind=kind,
            name=name or f"测试快递公司{next(counter)}",
            region=Region.objects.get(code=region),
        )

    return make


@pytest.fixture
def make_worker(db, make_company):
    """A worker profile in ``region`` at a new outlet of a new company; ``user`` links an account.

    Built directly (reference set-up for tests of other apps); the registry's own tests create
    workers through its services.
    """
    from warmbee.orgs.models import Outlet
    from warmbee.regions.models import Region
    from warmbee.workers.models import Employment, Source, Worker

    counter = itertools.count(1)

    def make(region: str = "230602", *, user=None, name: str = "张三", phone: str | None = None):
        n = next(counter)
        reg = Region.objects.get(code=region)
        company = make_company()
        outlet = Outlet.objects.create(company=company, name=f"测试网点{n}", region=reg)
        worker = Worker.objects.create(
            user=user,
            name=name if user is None else user.name,
            phone=phone or (user.phone if user is not None else next_phone()),
            company=company,
            outlet=outlet,
            region=reg,
            source=Source.STAFF,
        )
        Employment.objects.create(
            worker=worker, company=company, outlet=outlet, started_on="2025-01-01"
        )
        return worker

    return make

"""Platform mechanisms: durability self-check (R42), system checks (R2, R21), headers (R46),
admin networks and proxies (R15), log scrubbing (R19), passwords (R9), commands."""

import io
import os
import sqlite3
import stat

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test import override_settings

from warmbee.core import durability
from warmbee.core.checks import check_data_inventory, check_scoped_managers
from warmbee.core.logging import scrub
from warmbee.core.pi import Inventory, mask_id_number, mask_name, mask_phone

pytestmark = pytest.mark.django_db


class FakeSqlite:
    vendor = "sqlite"

    def __init__(self, pragmas, transaction_mode="IMMEDIATE"):
        self.connection = sqlite3.connect(":memory:")
        self.transaction_mode = transaction_mode
        self._journal = pragmas.pop("journal_mode", "wal")
        for name, value in pragmas.items():
            self.connection.execute(f"PRAGMA {name}={value}")
        real_cursor = self.connection.cursor

        journal = self._journal

        class Cursor:
            def __init__(self):
                self.c = real_cursor()

            def execute(self, sql):
                if sql == "PRAGMA journal_mode":

                    class R:
                        def fetchone(self_inner):
                            return (journal,)

                    return R()
                return self.c.execute(sql)

            def close(self):
                self.c.close()

        self.connection = type("C", (), {"cursor": lambda s: Cursor()})()

    def is_in_memory_db(self):
        return False


SAFE = {"synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}


def test_safe_sqlite_settings_pass():
    assert durability.sqlite_findings(FakeSqlite(dict(SAFE))) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"journal_mode": "delete"}, "journal_mode"),
        ({"synchronous": 1}, "synchronous"),
        ({"foreign_keys": 0}, "foreign_keys"),
        ({"busy_timeout": 100}, "busy_timeout"),
    ],
)
def test_each_unsafe_sqlite_setting_is_refused(change, message):
    problems = durability.sqlite_findings(FakeSqlite({**SAFE, **change}))
    assert len(problems) == 1 and message in problems[0]


def test_deferred_transactions_are_refused():
    problems = durability.sqlite_findings(FakeSqlite(dict(SAFE), transaction_mode=None))
    assert problems == ["SQLite transactions are not IMMEDIATE"]


def test_connection_with_unsafe_settings_refuses_to_open(monkeypatch):
    monkeypatch.setattr(durability, "findings", lambda c: ["SQLite synchronous is 1"])
    with pytest.raises(ImproperlyConfigured, match="synchronous"):
        durability.check_new_connection(sender=None, connection=connection)


def test_selfcheck_command_on_the_test_database():
    out = io.StringIO()
    call_command("selfcheck", stdout=out)
    assert "safe" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_settings_are_read():
    assert durability.postgresql_findings(connection) == []


def test_system_checks_pass_for_the_project():
    assert check_scoped_managers() == []
    assert check_data_inventory() == []


def test_region_bound_model_without_scoped_manager_fails_the_check():
    class Unscoped(models.Model):
        region = models.ForeignKey("regions.Region", on_delete=models.PROTECT)
        data_inventory = Inventory(retention="permanent", general="id region")

        class Meta:
            app_label = "core"

    Unscoped.__module__ = "warmbee.core.tests.fake"
    try:
        errors = check_scoped_managers()
        assert [e.id for e in errors] == ["warmbee.E001"]
    finally:
        del apps.all_models["core"]["unscoped"]
        apps.clear_cache()


def test_untagged_field_fails_the_inventory_check():
    class Untagged(models.Model):
        secret_note = models.TextField()
        data_inventory = Inventory(retention="permanent", general="id")

        class Meta:
            app_label = "core"

    Untagged.__module__ = "warmbee.core.tests.fake"
    try:
        errors = check_data_inventory()
        assert [e.id for e in errors] == ["warmbee.E004"]
        assert "secret_note" in errors[0].msg
    finally:
        del apps.all_models["core"]["untagged"]
        apps.clear_cache()


def test_unscoped_evaluation_raises_in_strict_mode(personas):
    from warmbee.accounts.models import User
    from warmbee.accounts.scoping import UnscopedQueryError

    with pytest.raises(UnscopedQueryError):
        list(User.objects.all())
    assert User.objects.unscoped(reason="test").count() >= len(personas)


def test_security_headers(client, as_persona):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert part in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]
    signed_in = as_persona("district_officer").get("/console/users/")
    assert signed_in["Cache-Control"] == "no-store"


def test_error_pages_have_no_stack_trace(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body and "页面" in body or "不存在" in body or "Not found" in body


@override_settings(ADMIN_ALLOWED_CIDRS=["10.0.0.0/8"])
def test_console_only_from_admin_networks(as_persona):
    client = as_persona("district_officer")
    assert client.get("/console/users/", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/console/users/", REMOTE_ADDR="10.1.2.3").status_code == 200
    # A spoofed X-Forwarded-For from an untrusted peer is ignored.
    assert (
        client.get(
            "/console/users/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.2.3"
        ).status_code
        == 403
    )


@override_settings(ADMIN_ALLOWED_CIDRS=["10.0.0.0/8"], TRUSTED_PROXIES=["192.0.2.1/32"])
def test_forwarded_address_believed_only_from_trusted_proxy(as_persona):
    client = as_persona("district_officer")
    assert (
        client.get(
            "/console/users/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3"
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/console/users/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3, 203.0.113.9"
        ).status_code
        == 403
    )


def test_log_scrubbing_masks_ids_and_mobiles_and_neutralises_newlines():
    line = scrub("id 11010519491231002X phone 13812348000 +8613812348000\r\nFAKE entry")
    assert "11010519491231002X" not in line and "13812348000" not in line
    assert "\n" not in line and "\\r\\nFAKE" in line


def test_log_output_carries_no_personal_data(client, make_user, caplog):
    import logging

    from warmbee.core.logging import ScrubPersonalData

    user = make_user()
    record = logging.LogRecord(
        "x", logging.WARNING, "f", 1, "login for %s failed", (user.phone,), None
    )
    ScrubPersonalData().filter(record)
    assert user.phone[3:] not in record.getMessage()


def test_masking():
    assert mask_phone("+8613812348000") == "138****8000"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_name("张三") == "张*"


@pytest.mark.parametrize(
    ("profile", "password", "ok"),
    [
        ("asvs", "short", False),
        ("asvs", "longenough-okay", True),
        ("asvs", "kuaidi-courier-1", False),
        ("asvs", "x" * 129, False),
        ("mlps", "alllowercaseletters", False),
        ("mlps", "Mixed-Case-Digits-1", True),
    ],
)
def test_password_profiles(settings, profile, password, ok):
    from django.core.exceptions import ValidationError

    from warmbee.accounts.passwords import PolicyValidator

    settings.PASSWORD_POLICY = profile
    if ok:
        PolicyValidator().validate(password)
    else:
        with pytest.raises(ValidationError):
            PolicyValidator().validate(password)


def test_staff_need_longer_passwords(make_user):
    from django.core.exceptions import ValidationError

    from warmbee.accounts.passwords import PolicyValidator

    officer = make_user("district_officer")
    with pytest.raises(ValidationError):
        PolicyValidator().validate("elevenchars", officer)


def test_production_hasher_and_long_password_round_trip(settings):
    from django.contrib.auth.hashers import check_password, make_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    password = "p" * 64
    hashed = make_password(password)
    assert hashed.startswith("pbkdf2_sha256$")
    assert check_password(password, hashed)


def test_no_account_can_log_in_after_a_fresh_install():
    from warmbee.accounts.models import User

    assert User.objects.unscoped(reason="test").filter(password__startswith="pbkdf2").count() == 0
    with pytest.raises(CommandError, match="create_sysadmin"):
        call_command("createsuperuser")
    with pytest.raises(CommandError, match="activation link"):
        call_command("changepassword")


def test_create_sysadmin_and_create_user_commands(monkeypatch):
    from warmbee.accounts.models import User

    monkeypatch.setattr("sys.stdin", io.StringIO("A-strong-admin-pass-1\n"))
    call_command(
        "create_sysadmin",
        "--phone",
        "13912345600",
        "--name",
        "管理员",
        "--password-stdin",
        stdout=io.StringIO(),
    )
    admin = User.objects.unscoped(reason="t").get(phone="+8613912345600")
    assert admin.check_password("A-strong-admin-pass-1") and admin.roles == {"system_admin"}
    out = io.StringIO()
    call_command(
        "create_user",
        "--phone",
        "13912345601",
        "--name",
        "区干部",
        "--role",
        "district_officer",
        "--region",
        "230602",
        stdout=out,
    )
    assert "/accounts/activate/" in out.getvalue()
    officer = User.objects.unscoped(reason="t").get(phone="+8613912345601")
    assert not officer.has_usable_password()
    with pytest.raises(CommandError, match="region"):
        call_command(
            "create_user",
            "--phone",
            "13912345602",
            "--name",
            "x",
            "--role",
            "district_officer",
            "--region",
            "230600",
            stdout=out,
        )
    monkeypatch.setattr("sys.stdin", io.StringIO("only-10chr\n"))  # staff need 12 (R9)
    with pytest.raises(CommandError, match="password"):
        call_command(
            "create_sysadmin",
            "--phone",
            "13912345603",
            "--name",
            "x",
            "--password-stdin",
            stdout=out,
        )


def test_demo_creates_personas_once_with_private_credentials(settings, tmp_path):
    from warmbee.accounts.models import User

    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo.txt"
    call_command("demo", stdout=io.StringIO())
    mode = stat.S_IMODE(os.stat(settings.DEMO_CREDENTIALS_FILE).st_mode)
    assert mode == 0o600
    lines = [
        ln
        for ln in settings.DEMO_CREDENTIALS_FILE.read_text().splitlines()
        if not ln.startswith("#")
    ]
    from warmbee.accounts.demo import PERSONAS

    assert len(lines) == len(PERSONAS) == 11
    role, name, phone, password = lines[1].split("\t")
    user = User.objects.unscoped(reason="t").get(phone=phone)
    assert user.check_password(password)
    count = User.objects.unscoped(reason="t").count()
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "already present" in out.getvalue()
    assert User.objects.unscoped(reason="t").count() == count


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backup API")
@pytest.mark.django_db(transaction=True)
def test_backup_writes_a_verified_copy(tmp_path, personas):
    target = tmp_path / "b.sqlite3"
    out = io.StringIO()
    call_command("backup", "--output", str(target), stdout=out)
    assert "sha256=" in out.getvalue()
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM accounts_user").fetchone()[0] >= len(personas)
    copy.close()


def test_demo_refuses_the_production_profile(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo", stdout=io.StringIO())

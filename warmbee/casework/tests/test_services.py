"""Casework services: asking, routing, crisis words, the life cycle, consent, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from warmbee.audit.models import AuditEvent
from warmbee.casework import rules, selectors, services
from warmbee.casework.models import (
    CaseConsent,
    CaseEntry,
    HelpRequest,
    Outcome,
    Referral,
    Status,
)
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound


@pytest.fixture(autouse=True)
def _english():
    """These tests read the services' messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


WAGES = "网点拖欠我三个月工资，一共8000元。"


def cases():
    return HelpRequest.objects.unscoped(reason="test")


def test_ask_routes_to_the_district_desk_and_the_on_duty_provider(ask, personas, desk, inbox):
    case = ask()
    assert case.desk == desk
    assert case.handled_by == personas["provider"]
    assert case.status == Status.ASSIGNED
    assert case.channel == "self" and case.user == personas["courier"]
    assert case.response_due_at - case.created_at == dt.timedelta(hours=24)
    assert case.resolution_due_at - case.created_at == dt.timedelta(days=15)
    consent = CaseConsent.objects.unscoped(reason="test").get(case=case)
    assert consent.notice_version == rules.SHARING_NOTICE_VERSION
    assert consent.notice_sha256 == rules.SHARING_NOTICE_SHA256
    # The provider is told, without the contents.
    assert inbox == [
        (
            personas["provider"].pk,
            "casework.assigned",
            "You have a new help request",
            f"/console/cases/{case.pk}/",
            False,
        )
    ]
    event = AuditEvent.objects.get(action="casework.request_create")
    assert "8000" not in str(event.changes) and "工资" not in event.target_label


def test_routing_prefers_on_duty_then_the_lightest_load(ask, personas, desk, make_user):
    from warmbee.accounts.roles import Role

    from .conftest import add_member

    second = make_user(Role.PROVIDER, "230600", name="二号")
    add_member(desk, second)
    first = ask()
    again = ask()
    assert {first.handled_by, again.handled_by} == {personas["provider"], second}
    # Off duty: the on-duty member gets it even with more open cases.
    from warmbee.casework.models import DeskMember

    DeskMember.objects.unscoped(reason="test").filter(user=second).update(on_duty=False)
    assert ask().handled_by == personas["provider"]


def test_a_request_with_no_desk_waits_unassigned(ask, personas, make_user):
    case = ask(kind="entrepreneurship")  # no entrepreneurship desk in the fixture
    assert case.desk is None and case.handled_by is None and case.status == Status.NEW


def test_hotline_and_other_kinds_go_to_the_default_desk(ask, desk):
    assert ask(kind="other").desk == desk
    assert ask(kind="hotline").desk == desk


@pytest.mark.parametrize(
    "text",
    ["我真的 不想活 了，工资也要不回来", "I want to KILL MYSELF", "站长动刀威胁我", "孩子走失了"],
    ids=["zh-spaced", "en-case", "violence", "child"],
)
def test_crisis_words_mark_urgent_alert_the_duty_desk_and_show_hotlines(
    text, personas, desk, inbox
):
    case, hotlines = services.help_request_create(
        actor=personas["courier"], kind="labour_relations", description=text, consent=True
    )
    assert case.crisis is True and case.urgency == "urgent"
    assert case.response_due_at - case.created_at == dt.timedelta(hours=1)
    assert hotlines and all(n in rules.HOTLINES for n, _label in hotlines)
    to_provider = [s for s in inbox if s[0] == personas["provider"].pk]
    assert to_provider and to_provider[0][2] == "You have a new urgent help request"
    assert to_provider[0][4] is True  # by SMS too
    assert all(text not in s[2] for s in inbox)


def test_no_crisis_for_ordinary_words(ask):
    assert ask("快递被偷了，网点要我赔钱").crisis is False


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"kind": "nonsense"}, "kind", "required"),
        ({"description": "  "}, "description", "required"),
        ({"description": "x" * 2001}, "description", "too_long"),
        ({"consent": False}, "consent", "consent_required"),
        ({"urgency": "panic"}, "urgency", "invalid"),
        ({"contact_by": "pigeon"}, "contact_by", "invalid"),
    ],
    ids=["kind", "empty", "too-long", "no-consent", "urgency", "contact"],
)
def test_bad_input_is_refused_and_writes_nothing(personas, desk, changes, field, code):
    args = {"kind": "labour_relations", "description": WAGES, "consent": True} | changes
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.help_request_create(actor=personas["courier"], **args)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert cases().count() == 0 and AuditEvent.objects.count() == before


def test_only_workers_ask_for_themselves(personas, desk):
    with pytest.raises(Forbidden):
        services.help_request_create(
            actor=personas["district_officer"], kind="legal_aid", description=WAGES, consent=True
        )


def test_host_logs_on_behalf_within_their_area(personas, desk, region):
    case, _ = services.help_request_create(
        actor=personas["host"],
        kind="labour_relations",
        description=WAGES,
        consent=True,
        channel="station",
        contact_name="王五",
        contact_phone="13900001111",
        region=region("230602"),
    )
    assert case.channel == "station" and case.logged_by == personas["host"]
    assert case.contact_phone == "+8613900001111" and case.user is None
    with pytest.raises(DomainError) as exc:
        services.help_request_create(
            actor=personas["host"],
            kind="labour_relations",
            description=WAGES,
            consent=True,
            channel="station",
            contact_name="王五",
            contact_phone="13900001111",
            region=region("230603"),
        )
    assert exc.value.code == "region_out_of_scope"


def test_on_behalf_links_the_workers_account_by_mobile(personas, desk, region):
    courier = personas["courier"]
    case, _ = services.help_request_create(
        actor=personas["provider"],
        kind="labour_relations",
        description=WAGES,
        consent=True,
        channel="hotline",
        contact_name=courier.name,
        contact_phone=courier.phone,
        region=region("230602"),
    )
    assert case.user == courier


def test_life_cycle_handle_note_close_rate(ask, personas, desk, inbox):
    provider, courier = personas["provider"], personas["courier"]
    case = ask()
    services.case_add_entry(
        actor=provider, case=case, kind="note", body="内部：网点负责人电话已核实"
    )
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED and case.first_response_at is None
    services.case_add_entry(
        actor=provider, case=case, kind="message", body="您好，我明天联系网点。"
    )
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.first_response_at is not None
    services.case_close(actor=provider, case=case, outcome=Outcome.RESOLVED, note="工资已追回")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.CLOSED, Outcome.RESOLVED)
    services.case_rate(actor=courier, case=case, rating=5, comment="很快")
    with pytest.raises(Conflict) as exc:
        services.case_rate(actor=courier, case=case, rating=4)
    assert exc.value.code == "already_rated"
    # The worker's timeline has messages and status, never the internal note.
    entries = selectors.timeline(case, "worker")
    assert all(e.kind in ("message", "worker", "status") for e in entries)
    assert not any("内部" in e.body for e in entries)


def test_disallowed_transitions_are_409(ask, personas):
    case = ask()
    services.case_withdraw(actor=personas["courier"], case=case)
    for call in (
        lambda: services.case_close(actor=personas["provider"], case=case, outcome="resolved"),
        lambda: services.case_withdraw(actor=personas["courier"], case=case),
        lambda: services.case_add_entry(
            actor=personas["provider"], case=case, kind="message", body="x"
        ),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.status == 409


def test_reopen_within_the_window_only(ask, personas, settings):
    case = ask()
    services.case_close(actor=personas["provider"], case=case, outcome="unreachable")
    services.case_reopen(actor=personas["courier"], case=case, reason="我换了号码")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.reopened_count == 1
    services.case_close(actor=personas["provider"], case=case, outcome="resolved")
    cases().filter(pk=case.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=settings.CASEWORK_REOPEN_DAYS + 1)
    )
    with pytest.raises(Conflict) as exc:
        services.case_reopen(actor=personas["courier"], case=case)
    assert exc.value.code == "reopen_window"


def test_referral_needs_consent_and_records_it(ask, personas):
    case = ask()
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.case_refer(actor=personas["provider"], case=case, target="12351")
    assert exc.value.code == "consent_required" and AuditEvent.objects.count() == before
    referral = services.case_refer(
        actor=personas["provider"],
        case=case,
        target="legal_aid_centre",
        target_name="大庆市法律援助中心",
        consent=True,
    )
    case.refresh_from_db()
    assert case.outcome == Outcome.REFERRED
    assert referral.consent.scope == "referral" and referral.consent.target == "大庆市法律援助中心"
    assert Referral.objects.unscoped(reason="test").count() == 1


def test_only_the_supervisor_reassigns(ask, personas, desk, other_provider, make_user):
    from warmbee.accounts.roles import Role

    from .conftest import add_member

    case = ask()
    second = make_user(Role.PROVIDER, "230600", name="二号")
    add_member(desk, second)
    with pytest.raises(Forbidden):
        services.case_assign(actor=personas["provider"], case=case, provider=second)
    with pytest.raises(NotFound):
        services.case_assign(actor=other_provider, case=case, provider=second)
    with pytest.raises(DomainError) as exc:
        services.case_assign(actor=desk.supervisor, case=case, provider=other_provider)
    assert exc.value.code == "not_member"
    services.case_assign(actor=desk.supervisor, case=case, provider=second)
    case.refresh_from_db()
    assert case.handled_by == second
    # The previous handler no longer reads it.
    assert services.role_on(personas["provider"], case) is None


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("courier", "worker"),
        ("provider", "handler"),
        ("supervisor", "supervisor"),
        ("other_provider", None),
        ("district_officer", None),
        ("city_officer", None),
        ("host", None),
        ("auditor", None),
    ],
)
def test_who_reads_contents(ask, personas, desk, other_provider, who, role):
    case = ask()
    actor = {"supervisor": desk.supervisor, "other_provider": other_provider}.get(who) or personas[
        who
    ]
    assert services.role_on(actor, case) == role


def test_opening_contents_is_audited(ask, personas):
    case = ask()
    services.case_open(actor=personas["provider"], case=case)
    event = AuditEvent.objects.filter(action="casework.case_open").get()
    assert event.actor_id == personas["provider"].pk and event.target_id == str(case.pk)


def test_contents_are_encrypted_at_rest(ask, personas):
    secret_words = "心理压力很大，晚上睡不着"
    case = ask(text="网点拖欠工资。" + secret_words)
    services.case_add_entry(
        actor=personas["provider"], case=case, kind="note", body="机密笔记ABC123"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM casework_helprequest")
        stored = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT body FROM casework_caseentry")
        bodies = [r[0] for r in cursor.fetchall()]
    assert all(s.startswith("v1.") for s in stored) and secret_words not in "".join(stored)
    assert "机密笔记ABC123" not in "".join(bodies)
    assert any(b.startswith("v1.") for b in bodies)
    case.refresh_from_db()
    assert secret_words in case.description


def test_overdue_escalation_once_to_the_supervisor(ask, personas, desk, inbox):
    case = ask()
    later = case.response_due_at + dt.timedelta(minutes=1)
    assert list(services.overdue_responses(later)) == [case]
    services.escalate_response(case, later)
    assert list(services.overdue_responses(later)) == []
    told = [s for s in inbox if s[1] == "casework.overdue"]
    assert {s[0] for s in told} == {desk.supervisor.pk, personas["provider"].pk}
    assert AuditEvent.objects.filter(action="casework.response_escalated").count() == 1
    much_later = case.resolution_due_at + dt.timedelta(minutes=1)
    assert services.escalate_overdue(much_later) == 1  # resolution only; response done
    assert services.escalate_overdue(much_later) == 0


def test_figures_count_without_contents(ask, personas):
    case = ask()
    services.case_add_entry(actor=personas["provider"], case=case, kind="message", body="好的")
    services.case_close(actor=personas["provider"], case=case, outcome="resolved")
    services.case_rate(actor=personas["courier"], case=case, rating=4)
    figures = selectors.figures(personas["district_officer"])
    assert figures["all"]["total"] == 1 and figures["all"]["satisfaction"] == 4
    assert figures["all"]["response_met"] == 100
    assert figures["districts"][0]["code"] == "230602"
    assert selectors.figures(personas["other_district"])["all"]["total"] == 0
    row = selectors.meta_rows(personas["district_officer"]).get()
    assert "description" not in row and "rating_comment" not in row


def test_entries_and_descriptions_are_not_in_the_audit_trail(ask, personas):
    case = ask()
    services.case_add_entry(actor=personas["provider"], case=case, kind="note", body="隐私内容XYZ")
    dump = " ".join(f"{e.changes} {e.target_label} {e.reason}" for e in AuditEvent.objects.all())
    assert "隐私内容XYZ" not in dump and "8000" not in dump
    assert CaseEntry.objects.unscoped(reason="test").count() == 3


def test_crisis_puts_an_inbox_message_and_an_sms_without_contents(personas, desk):
    from warmbee.notify.models import InboxMessage, SmsMessage

    text = "老板不给钱，我想死"
    with_sms_before = SmsMessage.objects.count()
    case, hotlines = services.help_request_create(
        actor=personas["courier"], kind="labour_relations", description=text, consent=True
    )
    messages = (
        InboxMessage.objects.unscoped(reason="test")
        if hasattr(InboxMessage.objects, "unscoped")
        else InboxMessage.objects
    )
    inbox = list(messages.filter(user=personas["provider"]))
    assert len(inbox) == 1
    assert inbox[0].link == f"/console/cases/{case.pk}/"
    assert text not in inbox[0].subject and text not in inbox[0].body
    assert [n for n, _l in hotlines][:1] == ["12356"]
    assert SmsMessage.objects.count() >= with_sms_before  # queued on commit


def test_escalations_run_through_the_shared_deadlines(ask, personas, desk):
    from warmbee.core import deadlines

    case = ask()
    later = case.response_due_at + dt.timedelta(minutes=5)
    counts = deadlines.run_escalations(now=later)
    assert counts["casework.response"] == 1 and counts["casework.resolution"] == 0
    assert deadlines.run_escalations(now=later)["casework.response"] == 0
    case.refresh_from_db()
    assert case.response_escalated_at == later


def test_key_rotation_re_encrypts_case_contents(ask, personas, settings):
    from warmbee.core.management.commands.rotate_field_keys import rotate

    case = ask(text="旋转密钥测试：网点欠薪")
    services.case_add_entry(actor=personas["provider"], case=case, kind="note", body="轮换笔记")
    settings.FIELD_ENCRYPTION_KEYS = [
        "a-brand-new-key-for-the-test",
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    done = rotate()
    assert done["casework.HelpRequest.description"] >= 1 and done["casework.CaseEntry.body"] >= 1
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    case.refresh_from_db()
    assert case.description == "旋转密钥测试：网点欠薪"
    assert CaseEntry.objects.unscoped(reason="test").filter(kind="note").get().body == "轮换笔记"


def test_withdrawing_withdraws_consent_and_only_the_worker_reopens(ask, personas):
    case = ask()
    services.case_withdraw(actor=personas["courier"], case=case)
    consents = CaseConsent.objects.unscoped(reason="test").filter(case=case)
    assert consents.get().withdrawn_at is not None
    with pytest.raises(Conflict) as exc:
        services.case_reopen(actor=personas["provider"], case=case)
    assert exc.value.code == "consent_required"
    services.case_reopen(actor=personas["courier"], case=case)
    assert consents.filter(withdrawn_at=None).count() == 1


def test_the_workers_download_has_their_request_not_the_internal_notes(ask, personas):
    from warmbee.workers import mydata

    case = ask(text="我的求助内容：网点欠薪")
    services.case_add_entry(actor=personas["provider"], case=case, kind="note", body="内部NOTE-77")
    data = mydata.collect(personas["courier"])
    assert [r["id"] for r in data["casework.helprequest"]] == [case.pk]
    assert "内部NOTE-77" not in str(data)
    # Nor does the provider's own download carry the cases they handle.
    assert "casework.helprequest" not in mydata.collect(personas["provider"])

"""The in-app inbox: notify_user, the SMS beside it, marking read, the page and the nav count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from warmbee.notify import sms
from warmbee.notify.models import InboxMessage, SmsMessage, SmsStatus
from warmbee.notify.selectors import inbox_for, unread_count
from warmbee.notify.services import inbox_mark_read, notify_user


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "warmbee.notify.sms.LocmemBackend"
    sms.LocmemBackend.outbox = []
    return sms.LocmemBackend.outbox


def test_notify_user_writes_the_row(personas):
    courier = personas["courier"]
    message = notify_user(
        user=courier,
        kind="civic.report_acknowledged",
        subject="您的随手拍已受理",
        body="网格员将在48小时内处理。",
        link="/civic/reports/1/",
    )
    row = InboxMessage.objects.get()
    assert (row.pk, row.user, row.kind, row.link, row.read_at) == (
        message.pk,
        courier,
        "civic.report_acknowledged",
        "/civic/reports/1/",
        None,
    )
    assert unread_count(courier) == 1
    assert list(inbox_for(courier, unread_only=True)) == [row]


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "\\\\x"]
)
def test_only_relative_links_are_kept(personas, link):
    message = notify_user(user=personas["courier"], kind="t", subject="s", link=link)
    assert message.link == ""


def test_inbox_is_newest_first_and_only_ones_own(personas):
    courier, host = personas["courier"], personas["host"]
    first = notify_user(user=courier, kind="t", subject="一")
    second = notify_user(user=courier, kind="t", subject="二")
    notify_user(user=host, kind="t", subject="别人的")
    assert list(inbox_for(courier)) == [second, first]


def test_sms_is_queued_on_commit_with_the_subject_only(
    personas, outbox, django_capture_on_commit_callbacks
):
    courier = personas["courier"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_user(
            user=courier, kind="t", subject="您的申请已受理", body="张三 13900000000", sms=True
        )
        assert SmsMessage.objects.count() == 0  # nothing before the commit
    for callback in callbacks:
        callback()
    message = SmsMessage.objects.get()
    assert (message.phone, message.template, message.params) == (
        courier.phone,
        "notice",
        {"subject": "您的申请已受理"},
    )
    assert outbox == [(courier.phone, "notice", {"subject": "您的申请已受理"})]
    assert "13900000000" not in sms.render("notice", message.params)


def test_the_sms_sentence_ends_once(personas, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_user(user=personas["courier"], kind="t", subject="您的申请已受理。", sms=True)
    text = sms.render("notice", SmsMessage.objects.get().params)
    assert text == "【暖蜂】您的申请已受理。详情请登录暖蜂查看。"


def test_no_sms_unless_asked(personas, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_user(user=personas["courier"], kind="t", subject="s")
    assert SmsMessage.objects.count() == 0


def test_gateway_down_keeps_the_sms_queued_and_the_caller_succeeds(
    personas, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "warmbee.notify.tests.broken.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        notify_user(user=personas["courier"], kind="t", subject="s", sms=True)
    assert InboxMessage.objects.count() == 1
    message = SmsMessage.objects.get()
    assert (message.status, message.attempts) == (SmsStatus.QUEUED, 1)


def test_a_failure_while_queuing_the_sms_never_fails_the_caller(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    def explode(*args, **kwargs):
        raise RuntimeError("outbox broken")

    monkeypatch.setattr(sms, "send_sms", explode)
    with django_capture_on_commit_callbacks(execute=True):
        notify_user(user=personas["courier"], kind="t", subject="s", sms=True)
    assert InboxMessage.objects.count() == 1


def test_mark_read_all_or_some_and_only_ones_own(personas):
    courier, host = personas["courier"], personas["host"]
    a = notify_user(user=courier, kind="t", subject="a")
    b = notify_user(user=courier, kind="t", subject="b")
    theirs = notify_user(user=host, kind="t", subject="c")
    assert inbox_mark_read(user=courier, ids=[a.pk, theirs.pk]) == 1
    assert unread_count(courier) == 1
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    assert inbox_mark_read(user=courier, ids=[]) == 0
    assert inbox_mark_read(user=courier) == 1
    assert InboxMessage.objects.get(pk=b.pk).read_at is not None
    assert inbox_mark_read(user=courier) == 0
    assert unread_count(host) == 1


def test_inbox_page_lists_with_links_and_marks_them_read(personas, as_persona):
    courier = personas["courier"]
    notify_user(user=courier, kind="t", subject="已受理", link="/civic/reports/7/")
    response = as_persona("courier").get(reverse("notify:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "已受理" in body and 'href="/civic/reports/7/"' in body
    assert unread_count(courier) == 0


def test_inbox_page_is_paginated(personas, as_persona, settings):
    settings.INBOX_PAGE_SIZE = 2
    courier = personas["courier"]
    for i in range(3):
        notify_user(user=courier, kind="t", subject=f"消息{i}")
    client = as_persona("courier")
    first = client.get(reverse("notify:inbox")).content.decode()
    assert "消息2" in first and "消息1" in first and "消息0" not in first
    assert unread_count(courier) == 1  # only the page shown
    second = client.get(reverse("notify:inbox") + "?page=2").content.decode()
    assert "消息0" in second
    assert unread_count(courier) == 0


def test_mark_read_post_ignores_another_users_message(personas, as_persona):
    theirs = notify_user(user=personas["host"], kind="t", subject="别人的")
    mine = notify_user(user=personas["courier"], kind="t", subject="我的")
    response = as_persona("courier").post(reverse("notify:inbox_read"), {"ids": [theirs.pk]})
    assert response.status_code == 302
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    assert InboxMessage.objects.get(pk=mine.pk).read_at is None
    response = as_persona("courier").post(reverse("notify:inbox_read"))
    assert response.status_code == 302 and response.url == reverse("notify:inbox")
    assert InboxMessage.objects.get(pk=mine.pk).read_at is not None
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None


def test_mark_read_redirect_stays_on_the_site(personas, as_persona):
    response = as_persona("courier").post(
        reverse("notify:inbox_read"), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("notify:inbox")


@pytest.mark.parametrize("persona", ["courier", "district_officer", "auditor", "system_admin"])
def test_navigation_shows_the_unread_count(personas, as_persona, persona):
    client = as_persona(persona)

    def nav_label():
        html = client.get(reverse("accounts:me")).content.decode()
        found = re.search(r'<a href="/me/inbox/"[^>]*>([^<]*)</a>', html)
        return found and found.group(1)

    empty = nav_label()
    assert empty and "(" not in empty
    notify_user(user=personas[persona], kind="t", subject="s")
    notify_user(user=personas[persona], kind="t", subject="s")
    assert nav_label().endswith("(2)")


def test_navigation_count_is_one_query(personas, django_assert_num_queries):
    from warmbee.accounts.navigation import _inbox_item

    notify_user(user=personas["courier"], kind="t", subject="s")
    with django_assert_num_queries(1):
        label, url = _inbox_item(personas["courier"])
    assert url == reverse("notify:inbox")


def test_anonymous_has_no_inbox_item(client):
    assert reverse("notify:inbox") not in client.get(reverse("core:home")).content.decode()

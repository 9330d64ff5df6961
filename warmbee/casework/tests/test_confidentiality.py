"""R4 need-to-know: the confidentiality columns of the matrix, the officer's pages scanned for
contents, and the whole database scanned for plaintext (R24)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from conftest import ALL_PERSONAS, POSITIONS
from warmbee.audit.models import AuditEvent
from warmbee.casework import services

from .matrix import CONFIDENTIAL, DESCRIPTION_MARK, MESSAGE_MARK, NOTE_MARK, case_setup

MARKS = {"desc": DESCRIPTION_MARK, "note": NOTE_MARK, "message": MESSAGE_MARK}

CASES = [
    pytest.param(name, persona, position, id=f"{name}-{persona}-{position}")
    for name in CONFIDENTIAL
    for persona in ALL_PERSONAS
    for position in POSITIONS
]


@pytest.mark.parametrize(("name", "persona", "position"), CASES)
def test_contents_only_for_those_who_may_read_them(
    name, persona, position, as_persona, personas, make_user
):
    ctx = {"region": POSITIONS[position], "personas": personas, "position": position}
    ctx["target"] = make_user(region=POSITIONS[position], name="目标人")
    case_setup()(ctx)
    url = (
        reverse(name, args=[ctx["case"].pk])
        if name in ("casework:my_case", "casework:case")
        else reverse(name)
    )
    html = as_persona(persona).get(url, follow=True).content.decode()
    for mark, readers in CONFIDENTIAL[name].items():
        allowed = position in readers.get(persona, ())
        if name == "casework:case" and position in CONFIDENTIAL["casework:my_case"][mark].get(
            persona, ()
        ):
            allowed = True  # the worker is redirected to their own page
        assert (MARKS[mark] in html) == allowed, (mark, persona, position)


def test_the_officer_case_page_shows_existence_not_contents(as_persona, personas, make_user):
    ctx = {"region": "230602", "personas": personas, "position": "own"}
    case_setup()(ctx)
    client = as_persona("district_officer")
    before = AuditEvent.objects.count()
    for url in (reverse("casework:case", args=[ctx["case"].pk]), reverse("casework:figures")):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        for mark in MARKS.values():
            assert mark not in html
        assert personas["courier"].phone[-4:] not in html
    assert "劳动关系协调员" in html or "Labour-relations" in html or "labour" in html.lower()
    # Nothing was revealed, so nothing was audited as a reveal.
    assert not AuditEvent.objects.filter(action="casework.case_open").exists()
    assert AuditEvent.objects.count() == before


def test_provider_opening_a_case_is_audited(as_persona, personas):
    ctx = {"region": "230602", "personas": personas, "position": "own"}
    case_setup()(ctx)
    as_persona("provider").get(reverse("casework:case", args=[ctx["case"].pk]))
    assert (
        AuditEvent.objects.filter(
            action="casework.case_open", actor_id=personas["provider"].pk
        ).count()
        == 1
    )


def _every_text_value():
    """Every text value of every table: what a database dump would contain."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    for table in tables:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = cursor.fetchall()
        for row in rows:
            for value in row:
                if isinstance(value, bytes | memoryview):
                    yield bytes(value).decode(errors="replace")
                elif isinstance(value, str):
                    yield value


def test_no_plaintext_contents_anywhere_in_the_database(personas, ask):
    case = ask(text="我的心理状况很糟糕SECRET-DESC-42，网点不发工资")
    services.case_add_entry(
        actor=personas["provider"], case=case, kind="note", body="SECRET-NOTE-42 机密"
    )
    services.case_add_entry(
        actor=personas["provider"], case=case, kind="message", body="SECRET-MSG-42"
    )
    services.case_close(actor=personas["provider"], case=case, outcome="resolved")
    services.case_rate(actor=personas["courier"], case=case, rating=3, comment="SECRET-RATE-42")
    dump = "\n".join(_every_text_value())
    for secret in ("SECRET-DESC-42", "SECRET-NOTE-42", "SECRET-MSG-42", "SECRET-RATE-42"):
        assert secret not in dump
    assert "labour_relations" in dump  # the scan does see the case's metadata

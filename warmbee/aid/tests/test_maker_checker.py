"""Maker-checker as a matrix (R7): every rule × every persona who could otherwise act, through
the HTTP endpoint — 403, the application unchanged, nothing audited, nothing paid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from warmbee.aid import services
from warmbee.aid.models import AidApplication, Disbursement
from warmbee.audit.models import AuditEvent

from .conftest import jpeg

OFFICERS = ["district_officer", "city_officer", "province_officer"]
# Who takes the other steps when the persona under test holds one role in the chain.
OTHER_REVIEWER = {"district_officer": "city_officer", "city_officer": "district_officer",
                  "province_officer": "district_officer"}  # fmt: skip
OTHER_APPROVER = {"district_officer": "city_officer", "city_officer": "province_officer",
                  "province_officer": "city_officer"}  # fmt: skip


def _row(app):
    return AidApplication.objects.unscoped(reason="test").filter(pk=app.pk).values().get()


def _post(client, app, action, **data):
    return client.post(reverse("aid:console_application_act", args=[app.pk, action]), data)


CASES = [
    pytest.param(rule, persona, id=f"{rule}-{persona}")
    for rule in [
        "entered_cannot_review",
        "entered_cannot_approve",
        "reviewer_cannot_approve",
        "approver_cannot_pay",
        "own_cannot_review",
        "own_cannot_pay",
    ]  # fmt: skip
    for persona in OFFICERS
    # A district officer never reaches the city's approval step (wrong_step, tested elsewhere).
    if not (
        rule in ("reviewer_cannot_approve", "approver_cannot_pay") and persona == "district_officer"
    )
]


@pytest.mark.parametrize(("rule", "persona"), CASES)
def test_maker_checker_pair_is_refused(rule, persona, personas, as_persona, programme, submit,
                                       make_worker):  # fmt: skip
    me = personas[persona]
    if rule.startswith("own"):
        worker = make_worker("230602", user=me)
        app = services.application_submit(
            actor=me, programme=programme, worker=worker, consent_financial=True,
            files={"certificate": jpeg()}, amount_fen=100_000,
        )  # fmt: skip
    elif rule.startswith("entered"):
        app = submit(programme, actor=me, worker=make_worker("230602"))
    else:
        app = submit(
            programme, actor=personas["community_officer"], worker=make_worker("230602013")
        )
    action = "review"
    if rule == "entered_cannot_approve":
        services.application_review(actor=personas[OTHER_REVIEWER[persona]], application=app)
        action = "approve"
    elif rule == "reviewer_cannot_approve":
        services.application_review(actor=me, application=app)
        action = "approve"
    elif rule in ("approver_cannot_pay", "own_cannot_pay"):
        others = [p for p in OFFICERS if p != persona]
        reviewer = OTHER_REVIEWER[persona] if rule == "approver_cannot_pay" else others[0]
        approver = persona if rule == "approver_cannot_pay" else others[1]
        services.application_review(actor=personas[reviewer], application=app)
        services.application_approve(actor=personas[approver], application=app)
        action = "disburse"
    before, audit = _row(app), AuditEvent.objects.count()
    response = _post(as_persona(persona), app, action, idempotency_key="mc-key-00001", note="同意")
    assert response.status_code == 403
    assert _row(app) == before
    assert AuditEvent.objects.count() == audit
    assert not Disbursement.objects.unscoped(reason="test").exists()

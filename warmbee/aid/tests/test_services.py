"""Aid services: the life cycle, maker-checker (R7), states (R39), money (R36–R38), consent (R25),
uploads (R32), one application per person per cycle, eligibility, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from warmbee.aid import selectors, services
from warmbee.aid.choices import AppStatus, BenefitKind
from warmbee.aid.models import AidApplication, AidProgramme, AidStep, AppendOnly, Disbursement
from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound
from warmbee.notify.models import InboxMessage
from warmbee.workers.models import Certificate, Insurance, UnionMembership

from .conftest import jpeg


def _app(pk):
    return AidApplication.objects.unscoped(reason="test").select_related("programme").get(pk=pk)


def _prog(pk):
    return AidProgramme.objects.unscoped(reason="test").get(pk=pk)


def test_certificate_subsidy_applied_approved_in_two_steps_and_paid_once(
    submit, programme, personas
):
    app = submit(programme)
    assert (app.status, app.step, app.amount_fen) == (AppStatus.APPLIED, 0, 150_000)
    assert app.consent_financial is not None and app.evidence.count() == 1
    services.application_review(actor=personas["district_officer"], application=app)
    assert (app.status, app.step) == (AppStatus.REVIEWED, 1)
    services.application_approve(actor=personas["city_officer"], application=app)
    assert _prog(programme.pk).reserved_fen == 150_000
    entry, created = services.application_disburse(
        actor=personas["district_officer"], application=app, idempotency_key="pay-key-0001"
    )
    assert created and entry.amount_fen == 150_000
    again, created = services.application_disburse(
        actor=personas["district_officer"], application=_app(app.pk), idempotency_key="pay-key-0001"
    )
    assert (again.pk, created) == (entry.pk, False)
    with pytest.raises(Conflict) as exc:
        services.application_disburse(
            actor=personas["province_officer"],
            application=_app(app.pk),
            idempotency_key="pay-key-0002",
        )
    assert exc.value.code == "wrong_state"
    p = _prog(programme.pk)
    assert (p.reserved_fen, p.disbursed_fen) == (150_000, 150_000)
    assert Disbursement.objects.unscoped(reason="t").count() == 1
    services.application_close(actor=personas["city_officer"], application=_app(app.pk))
    assert _app(app.pk).status == AppStatus.CLOSED
    actions = list(
        AuditEvent.objects.filter(target_type="aid.aidapplication", target_id=str(app.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["aid.apply", "aid.review", "aid.approve", "aid.disburse", "aid.close"]
    kinds = set(
        InboxMessage.objects.filter(user=personas["courier"]).values_list("kind", flat=True)
    )
    assert {"aid.applied", "aid.approved", "aid.disbursed"} <= kinds


# --- maker-checker (R7): each pair refused with 403 and nothing changed -------------------------
def _snapshot(app):
    a = _app(app.pk)
    return (a.status, a.step, a.round, a.amount_fen, _prog(a.programme_id).reserved_fen,
            AuditEvent.objects.count())  # fmt: skip


def test_entered_by_cannot_review_or_approve(submit, programme, personas, make_worker):
    worker = make_worker("230602")
    app = submit(programme, actor=personas["district_officer"], worker=worker)
    before = _snapshot(app)
    with pytest.raises(Forbidden) as exc:
        services.application_review(actor=personas["district_officer"], application=app)
    assert exc.value.code == "maker_checker" and _snapshot(app) == before
    services.application_review(actor=personas["city_officer"], application=app)
    # The city officer took step one; the approval needs another person at city level or above,
    # and never the officer who entered it.
    before = _snapshot(app)
    with pytest.raises(Forbidden) as exc:
        services.application_approve(actor=personas["city_officer"], application=app)
    assert exc.value.code == "maker_checker" and _snapshot(app) == before
    services.application_approve(actor=personas["province_officer"], application=app)
    assert app.status == AppStatus.APPROVED


def test_city_officer_entering_cannot_approve(submit, programme, personas, make_worker):
    worker = make_worker("230602")
    app = submit(programme, actor=personas["city_officer"], worker=worker)
    services.application_review(actor=personas["district_officer"], application=app)
    before = _snapshot(app)
    with pytest.raises(Forbidden) as exc:
        services.application_approve(actor=personas["city_officer"], application=app)
    assert exc.value.code == "maker_checker" and _snapshot(app) == before


def test_approver_cannot_disburse(approved, personas):
    before = _snapshot(approved)
    with pytest.raises(Forbidden) as exc:
        services.application_disburse(
            actor=personas["city_officer"], application=approved, idempotency_key="k" * 12
        )
    assert exc.value.code == "maker_checker" and _snapshot(approved) == before
    assert not Disbursement.objects.unscoped(reason="t").exists()


def test_nobody_acts_on_their_own_application(notices, programme, personas, make_worker):
    officer = personas["district_officer"]
    worker = make_worker("230602", user=officer)  # an officer who is also a worker
    app = services.application_submit(
        actor=officer, programme=programme, worker=worker, consent_financial=True,
        files={"certificate": jpeg()}, amount_fen=100_000,
    )  # fmt: skip
    before = _snapshot(app)
    with pytest.raises(Forbidden) as exc:
        services.application_review(actor=officer, application=app)
    assert exc.value.code == "own_application" and _snapshot(app) == before


def test_the_step_level_decides_who_takes_it(submit, programme, personas):
    app = submit(programme)
    services.application_review(actor=personas["city_officer"], application=app)
    with pytest.raises(Forbidden) as exc:
        services.application_approve(actor=personas["district_officer"], application=app)
    assert exc.value.code == "wrong_step"


# --- states (R39) --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "persona"),
    [
        ("approve", "city_officer"),
        ("disburse", "province_officer"),
        ("close", "province_officer"),
    ],
)
def test_a_later_state_cannot_be_reached_directly(submit, programme, personas, action, persona):
    app = submit(programme)
    before = _snapshot(app)
    actor = personas[persona]
    with pytest.raises(Conflict) as exc:
        if action == "approve":
            services.application_approve(actor=actor, application=app)
        elif action == "disburse":
            services.application_disburse(actor=actor, application=app, idempotency_key="x" * 10)
        else:
            services.application_close(actor=actor, application=app)
    assert exc.value.code == "wrong_state" and _snapshot(app) == before


def test_stale_copy_cannot_move_twice(submit, programme, personas):
    app = submit(programme)
    stale = _app(app.pk)
    services.application_review(actor=personas["district_officer"], application=app)
    with pytest.raises(Conflict):
        services.application_review(actor=personas["city_officer"], application=stale)


def test_return_resubmit_reject_and_appeal_once(submit, programme, personas):
    app = submit(programme)
    district, city = personas["district_officer"], personas["city_officer"]
    with pytest.raises(DomainError) as exc:
        services.application_return(actor=district, application=app, note="")
    assert exc.value.code == "reason_required"
    services.application_return(actor=district, application=app, note="证书照片不清楚")
    assert app.status == AppStatus.RETURNED
    services.application_resubmit(
        actor=personas["courier"], application=app, files={"certificate": jpeg()}
    )
    assert (app.status, app.step, app.round) == (AppStatus.APPLIED, 0, 2)
    # A new round: the district officer reviews again, the city rejects with a reason.
    services.application_review(actor=district, application=app)
    services.application_reject(actor=city, application=app, reason="证书不在补贴目录")
    services.application_appeal(actor=personas["courier"], application=app, reason="证书在目录内")
    assert (app.status, app.round, app.appealed) == (AppStatus.APPLIED, 3, True)
    services.application_reject(actor=district, application=app, reason="复核后仍不符合")
    with pytest.raises(Conflict) as exc:
        services.application_appeal(actor=personas["courier"], application=app, reason="再申诉")
    assert exc.value.code == "appeal_used"


# --- money (R36, R37, R38) ------------------------------------------------------------------------
def test_approval_beyond_the_budget_is_refused(make_programme, submit, personas, make_worker):
    programme = make_programme(budget_fen=250_000)
    apps = [submit(programme)]
    for _ in range(2):
        w = make_worker("230602013")
        apps.append(submit(programme, actor=personas["community_officer"], worker=w))
    for a in apps:
        services.application_review(actor=personas["district_officer"], application=a)
    services.application_approve(actor=personas["city_officer"], application=apps[0])
    with pytest.raises(Conflict) as exc:
        services.application_approve(actor=personas["city_officer"], application=apps[1])
    assert exc.value.code == "budget_exhausted"
    services.application_approve(
        actor=personas["city_officer"], application=apps[2], amount_fen=100_000
    )
    p = _prog(programme.pk)
    assert (p.reserved_fen, p.left_fen) == (250_000, 0)
    assert _app(apps[1].pk).status == AppStatus.REVIEWED
    with pytest.raises(Conflict) as exc:
        services.programme_set_budget(
            actor=personas["city_officer"], programme=p, budget_fen=200_000
        )
    assert exc.value.code == "budget_below_approved"


def test_amount_outside_the_range_is_a_field_error(submit, programme):
    with pytest.raises(DomainError) as exc:
        submit(programme, amount_fen=250_000)
    assert (exc.value.code, exc.value.field) == ("amount_range", "amount")
    assert not AidApplication.objects.unscoped(reason="t").exists()


def test_database_constraints_hold_the_invariants(programme):
    with pytest.raises(IntegrityError), transaction.atomic():
        AidProgramme.objects.unscoped(reason="t").filter(pk=programme.pk).update(
            reserved_fen=programme.budget_fen + 1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AidProgramme.objects.unscoped(reason="t").filter(pk=programme.pk).update(disbursed_fen=1)


def test_ledger_entries_are_append_only(approved, personas):
    entry, _ = services.application_disburse(
        actor=personas["district_officer"], application=approved, idempotency_key="append-only-1"
    )
    entry.amount_fen = 1
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()


def test_an_idempotency_key_belongs_to_one_application(
    approved, submit, programme, personas, make_worker
):
    services.application_disburse(
        actor=personas["district_officer"], application=approved, idempotency_key="shared-key-1"
    )
    w = make_worker("230602013")
    other = submit(programme, actor=personas["community_officer"], worker=w)
    services.application_review(actor=personas["district_officer"], application=other)
    services.application_approve(actor=personas["city_officer"], application=other)
    with pytest.raises(Conflict) as exc:
        services.application_disburse(
            actor=personas["district_officer"], application=other, idempotency_key="shared-key-1"
        )
    assert exc.value.code == "idempotency_reused"


def test_goods_handover_needs_place_and_signed_receipt(make_programme, submit, personas):
    programme = make_programme(name="夏送清凉", kind="in_kind", benefit=BenefitKind.GOODS,
                               goods="防暑包", amount_fen=5_000, evidence=[])  # fmt: skip
    app = submit(programme)
    services.application_review(actor=personas["district_officer"], application=app)
    services.application_approve(actor=personas["city_officer"], application=app)
    with pytest.raises(DomainError) as exc:
        services.application_disburse(
            actor=personas["district_officer"], application=app, idempotency_key="goods-0001"
        )
    assert exc.value.field == "place"
    entry, _ = services.application_disburse(
        actor=personas["district_officer"], application=app, idempotency_key="goods-0001",
        place="萨尔图驿站", signature=jpeg("sign.jpg"),
    )  # fmt: skip
    assert entry.kind == "handover" and entry.signature.startswith("aid/signatures/")


# --- one application per person per cycle --------------------------------------------------------
def test_one_application_per_worker_per_cycle(submit, programme, make_programme):
    submit(programme)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        submit(programme)
    assert exc.value.code == "duplicate_application" and AuditEvent.objects.count() == count
    # Another programme (or cycle) is a different key.
    submit(make_programme(cycle="2099"))


def test_the_same_person_on_two_rosters_applies_once(submit, programme, personas, make_worker):
    from warmbee.workers.services import id_number_index

    index = id_number_index("11010519491231002X")
    first, second = make_worker("230602013"), make_worker("230602013")
    for w in (first, second):
        w.id_number_index = index
        w.save(update_fields=["id_number_index"])
    submit(programme, actor=personas["community_officer"], worker=first)
    with pytest.raises(Conflict) as exc:
        submit(programme, actor=personas["community_officer"], worker=second)
    assert exc.value.code == "duplicate_application"


# --- consent (R25) and uploads (R32) --------------------------------------------------------------
def test_without_consent_nothing_is_written(submit, programme):
    with pytest.raises(Conflict) as exc:
        submit(programme, consent_financial=False)
    assert exc.value.code == "consent_required"
    assert not AidApplication.objects.unscoped(reason="t").exists()


def test_child_data_needs_the_guardians_consent(make_programme, submit):
    programme = make_programme(
        name="金秋助学", kind="education", benefit=BenefitKind.FIXED, amount_fen=100_000,
        evidence=[],
        questions=[{"key": "school", "label": "孩子就读学校", "child": True},
                   {"key": "compulsory", "label": "孩子在义务教育阶段", "type": "yesno"}],
        eligibility_rules=[{"kind": "declared", "question": "compulsory"}],
    )  # fmt: skip
    answers = {"school": "大庆第一中学", "compulsory": "yes"}
    with pytest.raises(Conflict) as exc:
        submit(programme, answers=answers)
    assert exc.value.code == "consent_required"
    with pytest.raises(DomainError) as exc:
        submit(programme, answers={"school": "x", "compulsory": "no"}, consent_child=True)
    assert exc.value.code == "not_eligible"
    app = submit(programme, answers=answers, consent_child=True)
    assert app.consent_child is not None and app.answers["compulsory"] is True


def test_staff_entry_needs_the_paper_consent(submit, programme, personas, make_worker):
    with pytest.raises(Conflict) as exc:
        submit(
            programme,
            actor=personas["community_officer"],
            worker=make_worker("230602013"),
            consent_paper=False,
        )
    assert exc.value.code == "consent_required"


@pytest.mark.parametrize(
    ("payload", "code"),
    [(b"", "upload_empty"), (b"<html>not an image</html>", "upload_type"),
     (b"\xff\xd8\xff\xe0truncated", "upload_damaged")],
    ids=["empty", "html", "truncated"],
)  # fmt: skip
def test_bad_evidence_is_refused_and_nothing_stored(submit, programme, settings, payload, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(DomainError) as exc:
        submit(programme, files={"certificate": SimpleUploadedFile("c.jpg", payload)})
    assert (exc.value.code, exc.value.field) == (code, "e_certificate")
    assert not AidApplication.objects.unscoped(reason="t").exists()
    stored = settings.MEDIA_ROOT / "aid" / "evidence"
    assert not stored.exists() or not any(stored.iterdir())


def test_missing_required_evidence(submit, programme):
    with pytest.raises(DomainError) as exc:
        submit(programme, files={})
    assert (exc.value.code, exc.value.field) == ("evidence_required", "e_certificate")


def test_a_failed_application_deletes_its_stored_photos(submit, programme, settings):
    submit(programme)
    with pytest.raises(Conflict):
        submit(programme)  # duplicate: refused before any file is written
    files = list((settings.MEDIA_ROOT / "aid" / "evidence").iterdir())
    assert len(files) == 1


# --- eligibility ----------------------------------------------------------------------------------
def test_eligibility_preview_counts_are_exact(
    make_programme, make_worker, personas, registry_union
):
    today = timezone.localdate()
    workers = [make_worker("230602") for _ in range(5)] + [make_worker("230603")]
    long_ago, recent = today - dt.timedelta(days=400), today - dt.timedelta(days=30)
    for w, joined in zip(workers[:4], [long_ago, long_ago, long_ago, recent], strict=True):
        UnionMembership.objects.create(worker=w, branch=registry_union, joined_on=joined)
    for w in workers[:2] + workers[4:5]:
        Insurance.objects.create(
            worker=w, kind="accident", insurer="人保", starts_on=recent, paid_by="union"
        )
    Certificate.objects.create(worker=workers[0], name="快递员", issuer="鉴定中心", issued_on=today)
    programme = make_programme(
        eligibility_rules=[{"kind": "union_member", "months": 6}, {"kind": "insured"}]
    )
    preview = selectors.eligibility_preview(actor=personas["city_officer"], programme=programme)
    assert preview["workers"] == 6
    assert [r["count"] for r in preview["rules"]] == [3, 3]
    assert preview["eligible"] == 2
    # The district officer of 龙凤区 counts only their own workers.
    other = selectors.eligibility_preview(actor=personas["other_district"], programme=programme)
    assert (other["workers"], other["eligible"]) == (1, 0)
    # Applying checks the same rules.
    from warmbee.aid.eligibility import unmet

    assert unmet(workers[0], programme) == []
    assert len(unmet(workers[3], programme)) == 2


def test_bad_rules_are_clear_errors(make_programme):
    with pytest.raises(DomainError) as exc:
        make_programme(eligibility_rules=[{"kind": "astrology"}])
    assert exc.value.field == "eligibility"
    with pytest.raises(DomainError) as exc:
        make_programme(review_steps=[{"label": "only", "level": "county"}])
    assert exc.value.field == "review_steps"
    assert not AidProgramme.objects.unscoped(reason="t").exists()


# --- scope ----------------------------------------------------------------------------------------
def test_other_district_cannot_see_or_act(submit, programme, personas):
    app = submit(programme)
    with pytest.raises(NotFound):
        selectors.access_application(personas["other_district"], app.pk)
    with pytest.raises(NotFound):
        services.application_review(actor=personas["other_district"], application=app)


def test_closed_programme_takes_no_applications(submit, programme, personas):
    services.programme_set_status(
        actor=personas["city_officer"], programme=programme, status="closed"
    )
    with pytest.raises(Conflict) as exc:
        submit(programme)
    assert exc.value.code == "programme_closed"


@pytest.fixture
def registry_union(db, region):
    from warmbee.orgs.models import Organisation, OrgKind

    return Organisation.objects.create(
        kind=OrgKind.UNION, name="大庆市快递工会", region=region("230600")
    )


def test_an_approval_withdrawn_before_payment_returns_its_amount_and_may_be_appealed(
    approved, personas
):
    city = personas["city_officer"]
    assert _prog(approved.programme_id).reserved_fen == 150_000
    assert services.may_withdraw_approval(city, approved)
    services.application_withdraw_approval(
        actor=city, application=_app(approved.pk), reason="本人放弃申请"
    )
    app = _app(approved.pk)
    assert (app.status, app.note) == (AppStatus.REJECTED, "本人放弃申请")
    assert _prog(app.programme_id).reserved_fen == 0
    steps = AidStep.objects.unscoped(reason="test").filter(application=app).order_by("id")
    assert steps.last().action == "withdraw"
    event = AuditEvent.objects.filter(action="aid.withdraw_approval").get()
    assert event.changes["status"] == [AppStatus.APPROVED, AppStatus.REJECTED]
    assert InboxMessage.objects.filter(
        user=personas["courier"], kind="aid.approval_withdrawn"
    ).exists()
    services.application_appeal(actor=personas["courier"], application=app, reason="我仍需要")
    assert app.status == AppStatus.APPLIED and app.appealed


def test_withdrawing_an_approval_needs_a_reason_the_final_level_and_scope(approved, personas):
    before = _snapshot(approved)
    with pytest.raises(DomainError) as exc:
        services.application_withdraw_approval(
            actor=personas["city_officer"], application=_app(approved.pk), reason=" "
        )
    assert exc.value.field == "note"
    with pytest.raises(Forbidden):  # the district reviews; only the city level approves here
        services.application_withdraw_approval(
            actor=personas["district_officer"], application=_app(approved.pk), reason="错误"
        )
    assert not services.may_withdraw_approval(personas["district_officer"], approved)
    with pytest.raises((Forbidden, NotFound)):
        services.application_withdraw_approval(
            actor=personas["courier"], application=_app(approved.pk), reason="错误"
        )
    with pytest.raises(NotFound):
        services.application_withdraw_approval(
            actor=personas["other_district"], application=_app(approved.pk), reason="错误"
        )
    assert _snapshot(approved) == before


def test_a_paid_application_keeps_its_approval(approved, personas):
    services.application_disburse(
        actor=personas["district_officer"], application=approved, idempotency_key="pay-key-0101"
    )
    before = _snapshot(approved)
    with pytest.raises(Conflict) as exc:
        services.application_withdraw_approval(
            actor=personas["city_officer"], application=_app(approved.pk), reason="弄错了"
        )
    assert exc.value.code == "wrong_state" and _snapshot(approved) == before
    assert not services.may_withdraw_approval(personas["city_officer"], _app(approved.pk))

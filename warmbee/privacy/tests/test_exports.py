"""Approved full personal-data exports (R29): a second person approves, the file is scoped,
watermarked, formula-neutralised, downloaded only by the requester after step-up, and deleted
when it expires. Every step is audited without the values; denied steps change nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from warmbee.audit.models import AuditEvent
from warmbee.core.errors import DomainError, Forbidden, NotFound
from warmbee.orgs.models import Organisation, OrgKind, Outlet
from warmbee.privacy import selectors, services
from warmbee.privacy.models import ExportRequest, ExportStatus
from warmbee.workers import services as workers

ID = "11010519491231002X"
FORMULA = '=HYPERLINK("http://x","y")'
MOBILE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def roster(personas, region):
    """Three workers in 萨尔图区 (one with an ID number, one named like a formula) and one in
    the sibling district 龙凤区."""
    company = Organisation.objects.create(
        kind=OrgKind.COMPANY, name="顺丰速运（大庆）有限公司", region=region("230600")
    )
    own = Outlet.objects.create(company=company, name="萨尔图营业部", region=region("230602"))
    sibling = Outlet.objects.create(company=company, name="龙凤营业部", region=region("230603"))
    actor = personas["province_officer"]

    def add(outlet, name, phone):
        return workers.worker_create(
            actor=actor, name=name, phone=phone, company=company, outlet=outlet
        )

    people = {
        "shan": add(own, "单田芳", "13900000001"),
        "formula": add(own, FORMULA, "13900000002"),
        "zeng": add(own, "曾小明", "13900000003"),
        "sibling": add(sibling, "王龙凤", "13900000004"),
    }
    workers.worker_set_id_number(actor=actor, worker=people["shan"], id_number=ID, reason="保险")
    return people


def ask(personas, persona="district_officer", filters="", reason="年度核对"):
    return services.export_request(
        actor=personas[persona], kind="workers.roster", filters=filters, reason=reason
    )


def approve(personas, request, persona="city_officer"):
    return services.export_approve(actor=personas[persona], request=request, note="同意")


def exports():
    return ExportRequest.objects.unscoped(reason="test")


def snapshot():
    return list(exports().order_by("pk").values()), AuditEvent.objects.count()


def sheet_values(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def test_full_export_end_to_end(as_persona, personas, roster):
    request = ask(personas)
    assert request.status == ExportStatus.PENDING and request.file == ""
    request = approve(personas, request)
    path = Path(settings.MEDIA_ROOT) / request.file
    assert request.status == ExportStatus.APPROVED and path.exists()
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.xlsx", request.file)
    assert path.stat().st_mode & 0o077 == 0
    assert not path.read_bytes().startswith(b"PK")  # sealed, not a readable workbook
    assert request.row_count == 3  # the district officer's scope: 龙凤区 is not in it
    assert request.expires_at == request.decided_at + dt.timedelta(hours=24)

    response = as_persona("district_officer").get(f"/console/exports/{request.pk}/download/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    sheet, values = sheet_values(response.content)
    rows = values[1:-1]  # header, then the rows, then the watermark line
    assert sorted(r[0] for r in rows) == sorted(["'" + FORMULA, "单田芳", "曾小明"])
    by_name = {r[0]: r for r in rows}
    assert by_name["单田芳"][1] == "13900000001" and by_name["单田芳"][-1] == ID
    assert by_name["'" + FORMULA][1] == "13900000002"
    assert "王龙凤" not in repr(values)
    # Watermark: both masked names and the time, in the header/footer and the last row.
    mark = sheet.oddFooter.center.text
    requester, approver = personas["district_officer"], personas["city_officer"]
    assert requester.name[0] + "*" in mark and approver.name[0] + "*" in mark
    assert requester.name not in mark and approver.name not in mark
    assert timezone.localtime().strftime("%Y-%m-%d") in mark
    assert str(values[-1][0]).startswith("导出")

    assert exports().get(pk=request.pk).download_count == 1
    actions = list(
        AuditEvent.objects.filter(action__startswith="privacy.export")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == [
        "privacy.export_request",
        "privacy.export_approve",
        "privacy.export_download",
    ]


def test_audit_rows_never_hold_the_id_number_or_mobile(as_persona, personas, roster):
    # Even a search by full mobile or ID number is masked in the audit row.
    request = ask(personas, filters=f"q={ID}")
    approve(personas, request)
    as_persona("district_officer").get(f"/console/exports/{request.pk}/download/")
    services.exports_purge(now=timezone.now() + dt.timedelta(days=2))
    events = AuditEvent.objects.filter(action__startswith="privacy.export")
    assert events.count() == 4
    for event in events.values():
        # The chain's hex hashes are not personal data and can contain 11 digits by chance.
        text = repr({k: v for k, v in event.items() if k not in ("hash", "prev_hash")})
        assert ID not in text and ID.lower() not in text, event["action"]
        assert not MOBILE.search(text), event["action"]
    first = events.get(action="privacy.export_request")
    assert first.changes["filters"] == [None, {"q": "110105********002X"}]
    assert first.reason == "年度核对"


def test_export_without_approval_is_403(as_persona, personas, roster):
    request = ask(personas)
    before = snapshot()
    response = as_persona("district_officer").get(f"/console/exports/{request.pk}/download/")
    assert response.status_code == 403
    assert snapshot() == before


def test_rejected_export_cannot_be_downloaded(as_persona, personas, roster):
    request = ask(personas)
    client = as_persona("city_officer")
    response = client.post(
        f"/console/exports/{request.pk}/decide/", {"decision": "reject", "note": "范围太大"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.file, request.decision_note) == ("rejected", "", "范围太大")
    assert AuditEvent.objects.filter(action="privacy.export_reject").count() == 1
    assert (
        as_persona("district_officer").get(f"/console/exports/{request.pk}/download/").status_code
        == 403
    )


def test_requester_cannot_approve_their_own_request(as_persona, personas, roster):
    request = ask(personas)
    before = snapshot()
    with pytest.raises(Forbidden) as exc:
        approve(personas, request, persona="district_officer")
    assert exc.value.code == "same_person"
    response = as_persona("district_officer").post(
        f"/console/exports/{request.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert list(Path(settings.MEDIA_ROOT).glob("exports/*")) == []


@pytest.mark.parametrize(
    ("persona", "error", "status"),
    [
        ("community_officer", Forbidden, 404),  # no APPROVE_EXPORT anywhere
        ("party_officer", Forbidden, 404),
        ("auditor", Forbidden, 404),
        ("other_district", NotFound, 404),  # APPROVE_EXPORT, but not over 萨尔图区
    ],
)
def test_approver_without_approve_export_over_the_region_is_denied(
    persona, error, status, as_persona, personas, roster
):
    request = ask(personas)
    before = snapshot()
    with pytest.raises(error):
        approve(personas, request, persona=persona)
    response = as_persona(persona).post(
        f"/console/exports/{request.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == status
    assert snapshot() == before


def test_out_of_region_request_is_404(as_persona, personas, roster):
    request = ask(personas)
    client = as_persona("other_district")
    before = snapshot()
    for url in ("", "download/"):
        assert client.get(f"/console/exports/{request.pk}/{url}").status_code == 404
    assert client.get("/console/exports/").context["page"].paginator.count == 0
    assert snapshot() == before


def test_another_persons_request_is_404_for_download(as_persona, personas, roster):
    request = approve(personas, ask(personas))
    before = snapshot()
    client = as_persona("city_officer")  # the approver sees the request, not the file
    assert client.get(f"/console/exports/{request.pk}/").status_code == 200
    assert client.get(f"/console/exports/{request.pk}/download/").status_code == 404
    assert snapshot() == before


def test_download_needs_a_recent_password_confirmation(as_persona, personas, roster):
    request = approve(personas, ask(personas))
    client = as_persona("district_officer")
    session = client.session
    session["_wb_auth_at"] = timezone.now().timestamp() - 3600
    session.save()
    before = snapshot()
    response = client.get(f"/console/exports/{request.pk}/download/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauth/")
    assert snapshot() == before


def test_purge_deletes_the_file_and_download_is_refused(as_persona, personas, roster):
    request = approve(personas, ask(personas))
    path = Path(settings.MEDIA_ROOT) / request.file
    assert services.exports_purge(now=request.expires_at - dt.timedelta(minutes=1)) == 0
    assert path.exists()
    assert services.exports_purge(now=request.expires_at + dt.timedelta(seconds=1)) == 1
    assert not path.exists()
    request.refresh_from_db()
    assert (request.status, request.file) == (ExportStatus.EXPIRED, "")
    event = AuditEvent.objects.get(action="privacy.export_purge")
    assert event.changes == {"status": ["approved", "expired"]} and event.actor_id is None
    before = snapshot()
    response = as_persona("district_officer").get(f"/console/exports/{request.pk}/download/")
    assert response.status_code == 410
    assert "expired" in response.content.decode() or "过期" in response.content.decode()
    assert snapshot() == before
    assert services.exports_purge(now=request.expires_at + dt.timedelta(days=1)) == 0


def test_download_after_expiry_before_purge_is_410(as_persona, personas, roster):
    request = approve(personas, ask(personas))
    exports().filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    before = snapshot()
    response = as_persona("district_officer").get(f"/console/exports/{request.pk}/download/")
    assert response.status_code == 410
    assert snapshot() == before


def test_purge_command_and_task(personas, roster, settings):
    settings.EXPORT_TTL_HOURS = 0
    first = approve(personas, ask(personas))
    second = approve(personas, ask(personas))
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert out.getvalue().strip() == "2 expired exports deleted"
    assert set(exports().values_list("status", flat=True)) == {"expired"}
    assert not any((Path(settings.MEDIA_ROOT) / r.file).is_file() for r in (first, second))

    from warmbee.privacy.tasks import purge_exports

    third = approve(personas, ask(personas))
    assert purge_exports.enqueue().return_value == 1
    assert not (Path(settings.MEDIA_ROOT) / third.file).exists()


def test_the_file_stays_in_the_requesters_scope(personas, roster):
    """A filter naming a region outside the requester's area is dropped, never widened: the
    city officer approving does not lend their scope."""
    request = approve(personas, ask(personas, filters="region=230603"))
    assert request.row_count == 3
    content = services.export_read(request.file)
    assert "王龙凤" not in repr(sheet_values(content)[1])
    # The filters of the list page are applied.
    narrowed = approve(personas, ask(personas, filters="q=shan"))
    assert narrowed.row_count == 1


def test_a_decided_request_cannot_be_decided_again(personas, roster):
    request = approve(personas, ask(personas))
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        services.export_reject(actor=personas["province_officer"], request=request)
    assert exc.value.code == "decided"
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", " ", "x"])
def test_a_reason_is_required(reason, personas):
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        ask(personas, reason=reason)
    assert (exc.value.code, exc.value.field) == ("reason_required", "reason")
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["community_officer", "party_officer", "auditor", "courier"])
def test_only_holders_of_export_pi_may_ask(persona, as_persona, personas):
    before = snapshot()
    with pytest.raises(Forbidden):
        ask(personas, persona=persona)
    response = as_persona(persona).post("/console/exports/new/", {"reason": "核对"})
    assert response.status_code == 404
    assert snapshot() == before


def test_request_form_carries_the_list_filters(as_persona, personas, roster):
    client = as_persona("district_officer")
    page = client.get("/console/exports/new/?kind=courier&page=3&q=")
    assert page.status_code == 200
    assert page.context["form"]["filters"].value() == "kind=courier"
    response = client.post(
        "/console/exports/new/", {"filters": "kind=courier", "reason": "年度核对"}
    )
    request = exports().get()
    assert response.status_code == 302
    assert response["Location"] == f"/console/exports/{request.pk}/"
    assert (request.filters, request.reason, request.region_id) == (
        "kind=courier",
        "年度核对",
        "230602",
    )
    assert client.post("/console/exports/new/", {"reason": "x"}).status_code == 200
    assert exports().count() == 1


def test_list_holds_mine_and_those_awaiting_my_approval(as_persona, personas, roster):
    mine = ask(personas)
    other = ask(personas, persona="other_district")
    city = ask(personas, persona="city_officer")
    seen = {
        persona: set(selectors.export_request_list(actor=personas[persona]))
        for persona in ("district_officer", "other_district", "city_officer", "province_officer")
    }
    # A district officer cannot decide on the city officer's request (it covers more).
    assert seen["district_officer"] == {mine}
    assert seen["other_district"] == {other}
    assert seen["city_officer"] == {mine, other, city}
    assert seen["province_officer"] == {mine, other, city}
    page = as_persona("city_officer").get("/console/exports/")
    assert page.context["page"].paginator.count == 3


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("district_officer", True), ("city_officer", True), ("party_officer", False)],
)
def test_worker_list_links_to_a_full_export_only_with_export_pi(persona, shown, as_persona, roster):
    page = as_persona(persona).get("/console/workers/?kind=courier").content.decode()
    assert ("/console/exports/new/?kind=courier" in page) is shown
    assert "/console/workers/export/" in page


def test_an_approval_that_loses_the_race_leaves_no_file(personas, roster):
    request = ask(personas)
    stale = exports().get(pk=request.pk)  # read before another officer rejects it
    services.export_reject(actor=personas["province_officer"], request=request)
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        approve(personas, stale)
    assert exc.value.code == "decided"
    assert snapshot() == before
    assert list(Path(settings.MEDIA_ROOT).glob("exports/*")) == []


def test_no_file_for_a_requester_who_lost_the_permission(personas, roster):
    from warmbee.accounts.models import RoleAssignment

    request = ask(personas)
    RoleAssignment.objects.unscoped(reason="test").filter(
        user=personas["district_officer"]
    ).delete()
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        approve(personas, exports().get(pk=request.pk))
    assert exc.value.code == "requester_not_allowed"
    assert snapshot() == before
    assert list(Path(settings.MEDIA_ROOT).glob("exports/*")) == []


def test_purge_also_deletes_old_files_no_request_points_at(personas, roster):
    import os

    request = approve(personas, ask(personas))
    folder = Path(settings.MEDIA_ROOT) / "exports"
    orphan, fresh = folder / ("a" * 32 + ".xlsx"), folder / ("b" * 32 + ".xlsx")
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    old = (timezone.now() - dt.timedelta(hours=25)).timestamp()
    os.utime(orphan, (old, old))
    assert services.exports_purge() == 0
    assert not orphan.exists() and fresh.exists()
    assert (Path(settings.MEDIA_ROOT) / request.file).exists()  # still live

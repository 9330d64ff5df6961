"""The registry console: scoped lists and search, masked pages, audited reveal, party data,
duplicates, coverage figures and the roster import."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from stdnum.cn import ric

from conftest import ALL_PERSONAS
from warmbee.audit.models import AuditEvent
from warmbee.workers import coverage, selectors, services
from warmbee.workers.models import (
    Certificate,
    Insurance,
    PartyRecord,
    UnionMembership,
    Worker,
)
from warmbee.workers.selectors import WorkerFilters

ID = "11010519491231002X"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_LIKE = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def workers():
    return Worker.objects.unscoped(reason="test")


def add(personas, outlet, name, phone, **extra):
    actor = personas["province_officer"]
    return services.worker_create(
        actor=actor, name=name, phone=phone, company=outlet.company, outlet=outlet, **extra
    )


@pytest.fixture
def people(personas, registry):
    p = {
        "shan": add(personas, registry["sf_own"], "单田芳", "13900000001"),
        "zeng": add(personas, registry["zt_own"], "曾小明", "13900000002"),
        "street": add(personas, registry["sf_street"], "李街道", "13900000003"),
        "sibling": add(personas, registry["zt_sibling"], "王龙凤", "13900000004"),
    }
    services.worker_set_id_number(
        actor=personas["province_officer"], worker=p["shan"], id_number=ID, reason="保险"
    )
    return p


def names(qs):
    return sorted(w.name for w in qs)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("district_officer", ["单田芳", "曾小明", "李街道"]),
        ("other_district", ["王龙凤"]),
        ("city_officer", ["单田芳", "曾小明", "李街道", "王龙凤"]),
        ("community_officer", ["李街道"]),
        ("party_officer", ["单田芳", "曾小明", "李街道", "王龙凤"]),
        ("courier", []),
        ("auditor", []),
    ],
)
def test_list_holds_exactly_the_workers_in_scope(persona, expected, personas, people):
    assert names(selectors.worker_list(actor=personas[persona])) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("shan", ["单田芳"]),
        ("dan", ["单田芳"]),
        ("stf", ["单田芳"]),
        ("zeng", ["曾小明"]),
        ("ceng", ["曾小明"]),
        ("小明", ["曾小明"]),
        ("0002", ["曾小明"]),
        ("13900000003", ["李街道"]),
        (ID, ["单田芳"]),
        (ID.lower(), ["单田芳"]),
        ("110105194912310021", []),
        ("nobody", []),
    ],
)
def test_search(q, expected, personas, people):
    found = selectors.worker_list(actor=personas["city_officer"], filters=WorkerFilters(q=q))
    assert names(found) == expected


def test_filters(personas, people, registry):
    city = personas["city_officer"]
    today = timezone.localdate()
    UnionMembership.objects.create(worker=people["shan"], branch=registry["union"], joined_on=today)
    Insurance.objects.create(
        worker=people["zeng"], kind="accident", insurer="人保", starts_on=today, paid_by="company"
    )
    Insurance.objects.create(
        worker=people["street"],
        kind="accident",
        insurer="人保",
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=35),
        paid_by="company",
    )
    Certificate.objects.create(
        worker=people["sibling"], name="快递员", issuer="鉴定中心", issued_on=today
    )

    def f(**kw):
        return names(selectors.worker_list(actor=city, filters=WorkerFilters(**kw)))

    assert f(union_member=True) == ["单田芳"]
    assert f(insured=True) == ["曾小明"]
    assert f(insured=False) == ["单田芳", "李街道", "王龙凤"]
    assert f(certified=True) == ["王龙凤"]
    assert f(company=registry["sf"]) == ["单田芳", "李街道"]


def test_list_page_has_a_fixed_number_of_queries(
    as_persona, personas, registry, django_assert_max_num_queries
):
    for i in range(40):
        add(personas, registry["sf_own"], f"工人{i}", f"1390000{i:04d}")
    client = as_persona("district_officer")
    client.get("/console/workers/")
    with django_assert_max_num_queries(14):
        response = client.get("/console/workers/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 40


def test_pages_show_masked_values_only(as_persona, people):
    client = as_persona("district_officer")
    for url in ("/console/workers/", f"/console/workers/{people['shan'].pk}/"):
        html = client.get(url).content.decode()
        assert not MOBILE.search(html), url
        assert ID not in html
    detail = client.get(f"/console/workers/{people['shan'].pk}/").content.decode()
    assert "110105********002X" in detail and "139****0001" in detail


def test_reveal_needs_a_reason_step_up_and_is_audited(as_persona, people, settings):
    worker = people["shan"]
    client = as_persona("district_officer")
    url = f"/console/workers/{worker.pk}/reveal/"
    assert client.post(url, {"field": "id_number", "reason": ""}).status_code == 400
    assert AuditEvent.objects.filter(action="worker.reveal").count() == 0
    response = client.post(url, {"field": "id_number", "reason": "核对工伤保险"})
    assert response.status_code == 200 and ID in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    event = AuditEvent.objects.get(action="worker.reveal")
    assert event.reason == "核对工伤保险" and ID not in str(event.changes)
    # Step-up: the last authentication was 6 minutes ago.
    session = client.session
    session["_wb_auth_at"] = timezone.now().timestamp() - 360
    session.save()
    response = client.post(url, {"field": "phone", "reason": "联系本人"})
    assert response.status_code == 403 and "13900000001" not in response.content.decode()
    assert AuditEvent.objects.filter(action="worker.reveal").count() == 1


def test_the_21st_reveal_in_an_hour_is_refused(as_persona, people, settings):
    settings.REVEAL_LIMIT_PER_HOUR = 20
    client = as_persona("city_officer")
    url = f"/console/workers/{people['shan'].pk}/reveal/"
    statuses = [
        client.post(url, {"field": "phone", "reason": "核对"}).status_code for _ in range(21)
    ]
    assert statuses == [200] * 20 + [429]
    assert AuditEvent.objects.filter(action="worker.reveal").count() == 20


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_party_record_only_for_party_officers(persona, as_persona, people, registry):
    record = PartyRecord.objects.create(
        worker=people["zeng"],
        party_org=registry["party"],
        stage="activist",
        stage_since="2026-01-01",
    )
    response = as_persona(persona).get(f"/console/workers/{people['zeng'].pk}/")
    shows = response.status_code == 200 and record.get_stage_display() in response.content.decode()
    assert shows == (persona == "party_officer")


def test_duplicates_across_companies(personas, people, registry):
    other = add(personas, registry["sf_own"], "曾小明", "13900000002")  # another company's roster
    found = selectors.duplicates_of(actor=personas["city_officer"], worker=people["zeng"])
    assert [w.pk for w in found] == [other.pk]


def test_coverage_by_region_and_company(personas, people, registry):
    today = timezone.localdate()
    UnionMembership.objects.create(worker=people["shan"], branch=registry["union"], joined_on=today)
    UnionMembership.objects.create(
        worker=people["street"], branch=registry["union"], joined_on=today
    )
    Insurance.objects.create(
        worker=people["shan"], kind="accident", insurer="人保", starts_on=today, paid_by="union"
    )
    from warmbee.regions.models import Region

    assert (
        coverage.coverage(actor=personas["city_officer"], region=Region.objects.get(code="230600"))[
            -1
        ].counts["workers"]
        == 0
    )  # nothing counted yet
    coverage.refresh()
    rows = coverage.coverage(
        actor=personas["city_officer"], region=Region.objects.get(code="230600")
    )
    by = {r.key: r for r in rows}
    assert by["230602"].counts["workers"] == 3
    assert by["230602"].counts["union_members"] == 2
    assert by["230602"].counts["insured"] == 1
    assert by["230602"].counts["outlets"] == 3 and by["230602"].counts["party_outlets"] == 1
    assert by["230603"].counts["workers"] == 1
    assert by["total"].counts["workers"] == 4 and by["230602"].union_rate == 66.7
    companies = coverage.coverage(
        actor=personas["city_officer"], region=Region.objects.get(code="230600"), by="company"
    )
    assert {r.label: r.counts["workers"] for r in companies[:-1]} == {
        "顺丰速运（大庆）有限公司": 2,
        "中通快递（大庆）有限公司": 2,
    }
    # The district officer's figures stop at the district.
    district = coverage.coverage(
        actor=personas["district_officer"], region=Region.objects.get(code="230600")
    )
    assert district[-1].counts["workers"] == 3
    assert coverage.suppress(3) == "<5" and coverage.suppress(0) == 0 and coverage.suppress(7) == 7


def test_coverage_page_outside_scope_is_404(as_persona, people):
    client = as_persona("district_officer")
    assert client.get("/console/workers/coverage/?region=230603").status_code == 404
    assert client.get("/console/workers/coverage/?region=230602").status_code == 200


def test_database_holds_no_plaintext_id_number(people):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM workers_worker")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(ID not in value for value in stored)
    if connection.vendor == "sqlite":
        dump = "\n".join(connection.connection.iterdump())
        assert ID not in dump


# --- roster import --------------------------------------------------------------------------------
HEADER = "姓名,手机号,企业,网点,工种,工号,入行日期,身份证号\n"


def csv_upload(rows: str, encoding="gbk"):
    return SimpleUploadedFile(
        "roster.csv", (HEADER + rows).encode(encoding), content_type="text/csv"
    )


def upload(client, file, *, dry_run=False, mode="all_or_nothing"):
    data = {"file": file, "mode": mode}
    if dry_run:
        data["dry_run"] = "on"
    response = client.post("/console/workers/import/", data, follow=True)
    assert response.redirect_chain and "/console/imports/" in response.redirect_chain[-1][0], (
        response.context and response.context.get("form") and response.context["form"].errors
    )
    return response


def test_template_has_text_columns(as_persona):
    response = as_persona("district_officer").get("/console/workers/import/template/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    assert "身份证号" in headers and "手机号" in headers
    phone_col = headers.index("手机号") + 1
    assert sheet.cell(row=2, column=phone_col).number_format == "@"


def test_import_dry_run_then_real_then_rerun(as_persona, registry, personas):
    client = as_persona("district_officer")
    rows = (
        "赵一,13911110001,顺丰,顺丰萨尔图营业部,快递员,SF-001,2023-05-01,\n"
        f"钱二,13911110002,中通快递（大庆）有限公司,中通萨尔图部,外卖骑手,,,{ID}\n"
    )
    response = upload(client, csv_upload(rows), dry_run=True)
    assert response.context["job"].status == "done"
    report = response.context["report"]
    assert (report.created, report.errors, workers().count()) == (2, [], 0)
    report = upload(client, csv_upload(rows)).context["report"]
    assert (report.created, report.updated, report.written) == (2, 0, True)
    qian = workers().get(name="钱二")
    assert qian.id_number == ID and qian.kind == "rider" and qian.source == "import"
    # Re-running the same roster updates, never duplicates.
    response = upload(client, csv_upload(rows.replace("赵一", "赵壹")))
    report, job = response.context["report"], response.context["job"]
    assert (report.created, report.updated, job.unchanged) == (0, 1, 1)
    assert workers().count() == 2 and workers().filter(name="赵壹").count() == 1
    assert AuditEvent.objects.filter(action="import.finish").count() == 3


def test_import_errors_name_row_and_column_and_write_nothing(as_persona, registry):
    client = as_persona("district_officer")
    rows = (
        "赵一,13911110001,顺丰,顺丰萨尔图营业部,,,,\n"
        "钱二,12345,顺丰,顺丰萨尔图营业部,,,,\n"
        "孙三,13911110003,不存在公司,某网点,,,,\n"
        "李四,13911110004,中通,中通龙凤部,,,,\n"
        "周五,13911110005,顺丰,顺丰萨尔图营业部,,,,110105194912310021\n"
    )
    report = upload(client, csv_upload(rows, "utf-8-sig")).context["report"]
    errors = {(e.row, e.column) for e in report.errors}
    assert (3, "手机号") in errors
    assert (4, "企业") in errors
    assert (6, "身份证号") in errors
    assert not report.written and workers().count() == 0
    report = upload(client, csv_upload(rows, "utf-8-sig"), mode="valid_only").context["report"]
    assert report.created == 1 and workers().count() == 1
    # 龙凤区 is outside the district officer's area: a row error, not a worker.
    assert [e.row for e in report.errors if e.row == 5] == [5]


def test_import_refuses_float_ids_and_formulas(as_persona, registry):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "企业", "网点", "工种", "工号", "入行日期", "身份证号"])
    ws.append(["赵一", 13911110001, "顺丰", "顺丰萨尔图营业部", "", "", "", 1.10105194912310e17])
    ws.append(["=cmd|' /C calc'!A0", "13911110002", "顺丰", "顺丰萨尔图营业部", "", "", "", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    file = SimpleUploadedFile("roster.xlsx", buffer.getvalue())
    report = upload(as_persona("district_officer"), file).context["report"]
    assert {e.row for e in report.errors} == {2, 3}
    assert workers().count() == 0


def test_responses_never_carry_a_valid_id_number(as_persona, people):
    """R19/R22: every registry page for every persona, scanned for checksum-valid ID numbers
    and mobile numbers; only the reveal may show one."""
    urls = [
        "/console/workers/",
        "/console/workers/?q=shan",
        f"/console/workers/{people['shan'].pk}/",
        "/console/workers/coverage/",
        "/console/outlets/",
        "/console/orgs/",
        "/console/workers/new/",
        f"/console/workers/{people['shan'].pk}/edit/",
        f"/console/outlets/{people['shan'].outlet_id}/",
        f"/console/outlets/{people['shan'].outlet_id}/edit/",
        "/console/imports/",
        "/console/exports/",
    ]
    for persona in ALL_PERSONAS:
        client = as_persona(persona)
        for url in urls:
            body = client.get(url).content.decode()
            assert not [m for m in ID_LIKE.findall(body) if ric.is_valid(m)], (persona, url)
            assert not MOBILE.search(body), (persona, url)


# --- party ledgers ----------------------------------------------------------------------------------
def test_party_record_moves_one_stage_at_a_time(personas, people, registry):
    from warmbee.core.errors import DomainError

    officer = personas["party_officer"]
    rec = services.party_record_start(
        actor=officer, worker=people["zeng"], party_org=registry["party"], on=dt.date(2025, 3, 1)
    )
    with pytest.raises(DomainError) as exc:
        services.party_record_advance(actor=officer, rec=rec, on=dt.date(2025, 1, 1))
    assert exc.value.code == "stage_date"
    for day in (
        dt.date(2025, 6, 1),
        dt.date(2025, 9, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 12, 1),
    ):
        rec = services.party_record_advance(actor=officer, rec=rec, on=day)
    assert rec.stage == "member" and rec.changes.count() == 5
    with pytest.raises(DomainError) as exc:
        services.party_record_advance(actor=officer, rec=rec, on=dt.date(2026, 12, 2))
    assert exc.value.code == "last_stage"


def test_district_officer_cannot_keep_party_records(personas, people, registry):
    from warmbee.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.party_record_start(
            actor=personas["district_officer"],
            worker=people["zeng"],
            party_org=registry["party"],
            on=dt.date(2025, 3, 1),
        )
    assert PartyRecord.objects.unscoped(reason="test").count() == 0


def test_party_ledgers_page(as_persona, personas, people, registry):
    officer = personas["party_officer"]
    services.party_record_start(
        actor=officer, worker=people["zeng"], party_org=registry["party"], on=dt.date(2025, 3, 1)
    )
    client = as_persona("party_officer")
    applicants = client.get("/console/party/?ledger=applicants")
    assert applicants.context["page"].paginator.count == 1
    assert client.get("/console/party/?ledger=members").context["page"].paginator.count == 0
    orgs = list(client.get("/console/party/?ledger=organisations").context["page"])
    assert [(o.name, o.applicants, o.outlets_covered) for o in orgs] == [("快递联合支部", 1, 1)]


def test_export_is_scoped_masked_watermarked_and_audited(as_persona, personas, people, registry):
    add(personas, registry["sf_own"], '=HYPERLINK("http://x","y")', "13900000009")
    response = as_persona("district_officer").get("/console/workers/export/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    text = repr(values)
    assert not MOBILE.search(text) and ID not in text
    assert "110105********002X" in text
    assert (
        len([r for r in values[1:] if r[0] and not str(r[0]).startswith("导出")]) == 4
    )  # 龙凤区 not
    assert any(str(r[0]).startswith("'=") for r in values[1:])
    assert "导出" in sheet.oddFooter.center.text
    event = AuditEvent.objects.get(action="worker.export")
    assert event.changes["rows"] == [0, 4]


def test_import_writes_new_workers_in_bulk_with_one_audit_row(as_persona, registry):
    from warmbee.workers.models import Employment

    client = as_persona("district_officer")
    rows = (
        "".join(f"工人{i},1391111{i:04d},顺丰,顺丰萨尔图营业部,,,,\n" for i in range(30))
        + "重号,13911110001,顺丰,顺丰萨尔图营业部,,E-1,,\n"
    )
    report = upload(client, csv_upload(rows), mode="valid_only").context["report"]
    assert report.created == 30 and [e.row for e in report.errors] == [32]
    assert Employment.objects.unscoped(reason="test").count() == 30
    bulk = AuditEvent.objects.get(action="worker.create_bulk")
    assert bulk.changes["created"] == [0, 30] and len(bulk.changes["ids"][1]) == 30
    assert all(w.name_pinyin for w in workers())


# --- JSON API ----------------------------------------------------------------------------------------
def test_api_list_is_masked_filtered_and_scoped(as_persona, people):
    client = as_persona("district_officer")
    body = client.get("/api/v1/workers/?q=shan").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["name"], item["phone"], item["id_number"]) == (
        "单**",
        "139****0001",
        "110105********002X",
    )
    assert client.get("/api/v1/workers/").json()["count"] == 3
    assert client.get(f"/api/v1/workers/{people['sibling'].pk}").status_code == 404
    assert not MOBILE.search(client.get("/api/v1/workers/").content.decode())


def test_api_reveal_needs_a_reason_and_step_up(as_persona, people):
    client = as_persona("city_officer")
    url = f"/api/v1/workers/{people['shan'].pk}/reveal"
    response = client.post(
        url, {"field": "id_number", "reason": ""}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "reason"
    response = client.post(
        url, {"field": "id_number", "reason": "核对"}, content_type="application/json"
    )
    assert response.json() == {"field": "id_number", "value": ID}
    session = client.session
    session["_wb_auth_at"] = timezone.now().timestamp() - 360
    session.save()
    response = client.post(
        url, {"field": "phone", "reason": "核对"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "reauth_required"
    assert AuditEvent.objects.filter(action="worker.reveal").count() == 1


def test_coverage_has_a_fixed_number_of_queries(
    personas, people, registry, django_assert_num_queries
):
    from warmbee.regions.models import Region

    city = Region.objects.get(code="230600")
    actor = personas["city_officer"]
    actor.active_grants()
    for i in range(10):
        add(personas, registry["zt_sibling"], f"更多{i}", f"1399999{i:04d}")
    with django_assert_num_queries(11):  # seven counts, savepoint, delete, insert, release
        coverage.refresh()
    with django_assert_num_queries(2):  # the counts, the region's children
        coverage.coverage(actor=actor, region=city)
    with django_assert_num_queries(1):
        coverage.coverage(actor=actor, region=city, by="company")


def test_first_list_page_has_a_fixed_number_of_queries(
    personas, people, registry, django_assert_num_queries
):
    """The benchmark's first page (bench/registry_scale.py): grants, the count, the rows —
    whatever the number of workers."""
    from django.core.paginator import Paginator

    for i in range(20):
        add(personas, registry["sf_own"], f"列表{i}", f"1398888{i:04d}")
    actor = personas["city_officer"]
    filters = WorkerFilters(company=registry["sf"])
    with django_assert_num_queries(3):
        page = Paginator(selectors.worker_list(actor=actor, filters=filters), 50).get_page(1)
        rows = [(w.company.name, w.outlet.name, w.region.name) for w in page]
    assert len(rows) == page.paginator.count >= 20


# --- staff create and edit ---------------------------------------------------------------------------
def test_officer_creates_and_edits_a_worker(as_persona, registry):
    from warmbee.workers.models import Employment

    client = as_persona("district_officer")
    assert "新增劳动者" in client.get("/console/workers/").content.decode()
    data = {
        "name": "新来的",
        "phone": "139 1111 2222",
        "company": registry["sf"].pk,
        "outlet": "SF01",
        "kind": "courier",
        "employee_no": "",
        "started_on": "2024-03-01",
    }
    response = client.post("/console/workers/new/", data)
    worker = workers().get(name="新来的")
    assert response.status_code == 302 and response["Location"].endswith(f"/{worker.pk}/")
    assert worker.outlet == registry["sf_own"] and worker.phone == "+8613911112222"
    assert AuditEvent.objects.filter(action="worker.create").count() == 1
    # Edit: the masked mobile stays as it is; a new outlet is a move.
    page = client.get(f"/console/workers/{worker.pk}/edit/")
    assert page.context["form"].initial["phone"] == "139****2222"
    data.update(name="新来的人", phone="139****2222", outlet="顺丰街道部")
    response = client.post(f"/console/workers/{worker.pk}/edit/", data)
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.name, worker.phone, worker.outlet) == (
        "新来的人",
        "+8613911112222",
        registry["sf_street"],
    )
    assert Employment.objects.unscoped(reason="test").filter(worker=worker).count() == 2


def test_worker_form_errors_name_the_field_and_write_nothing(as_persona, registry):
    client = as_persona("district_officer")
    bad = {
        "name": "",
        "phone": "12345",
        "company": registry["zt"].pk,
        "outlet": "中通龙凤部",  # the sibling district's outlet
        "kind": "courier",
    }
    response = client.post("/console/workers/new/", bad)
    errors = response.context["form"].errors
    assert response.status_code == 200 and "name" in errors
    bad["name"] = "某人"
    response = client.post("/console/workers/new/", bad)
    errors = response.context["form"].errors
    assert "phone" in errors and "outlet" not in errors  # 中通龙凤部 exists; scope comes later
    bad["phone"] = "13911113333"
    response = client.post("/console/workers/new/", bad)
    assert "outlet" in response.context["form"].errors  # outside the officer's area
    bad["outlet"] = "没有的网点"
    response = client.post("/console/workers/new/", bad)
    assert "没有的网点" in str(response.context["form"].errors["outlet"])
    assert workers().count() == 0


def test_logs_carry_no_id_or_mobile_number(as_persona, people, registry, caplog):
    """R19/R22: an import, a worker page and an export with SQL logged at DEBUG (every query
    with its parameters): no log line holds a valid ID number or a mobile number."""
    import logging

    from django.db import connection

    caplog.set_level(logging.DEBUG)
    logging.getLogger("django.db.backends").setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        client = as_persona("district_officer")
        rows = f"赵一,13911110001,顺丰,顺丰萨尔图营业部,,,,{ID}\n"
        upload(client, csv_upload(rows, "utf-8-sig"), mode="valid_only")
        client.get("/console/workers/export/")
        client.get(f"/console/workers/{people['shan'].pk}/")
    finally:
        connection.force_debug_cursor = False
        logging.getLogger("django.db.backends").setLevel(logging.INFO)
    # The configured handler's scrub filter has already rewritten each record in place (it
    # runs before the capture handler); this is what reaches the log.
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert 'INSERT INTO "workers_worker"' in text and "139****0001" in text  # logged, masked
    assert not [m for m in ID_LIKE.findall(text) if ric.is_valid(m)]
    assert not MOBILE.search(text)


# --- the console forms over these services ------------------------------------------------------
def test_officer_records_membership_insurance_certificate_and_honour(as_persona, people, registry):
    client = as_persona("district_officer")
    shan = people["shan"]
    base = f"/console/workers/{shan.pk}/records"
    page = client.get(f"/console/workers/{shan.pk}/").content.decode()
    assert f"{base}/insurance/" in page
    posts = {
        "union": {"branch": registry["union"].pk, "joined_on": "2025-01-02"},
        "insurance": {
            "kind": "accident",
            "insurer": "人保财险",
            "starts_on": "2026-01-01",
            "paid_by": "union",
        },
        "certificate": {
            "kind": "skill",
            "name": "快递员",
            "level": "四级",
            "issuer": "大庆市职业技能鉴定中心",
            "issued_on": "2026-05-01",
            "subsidy_claimed": "on",
            "subsidy_yuan": "1500",
        },
        "honour": {
            "title": "五一劳动奖章",
            "level": "city",
            "awarded_by": "大庆市总工会",
            "awarded_on": "2026-04-28",
        },
    }
    for kind, data in posts.items():
        response = client.post(f"{base}/{kind}/", data)
        assert response.status_code == 302, (kind, response.context["form"].errors)
    from warmbee.workers.models import Certificate, Honour, Insurance, UnionMembership

    def of(model):
        return model.objects.unscoped(reason="test").filter(worker=shan)

    assert of(UnionMembership).count() == 1 and of(Insurance).count() == 1
    assert of(Certificate).get().subsidy_fen == 150000 and of(Honour).count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"worker.union_join", "worker.certificate_add"} <= actions
    # A second membership is a conflict the form shows; a date in the future is refused.
    response = client.post(f"{base}/union/", posts["union"])
    assert response.status_code == 200 and "branch" in response.context["form"].errors
    bad = {**posts["honour"], "awarded_on": "2999-01-01"}
    response = client.post(f"{base}/honour/", bad)
    assert "awarded_on" in response.context["form"].errors
    assert client.get(f"{base}/nonsense/").status_code == 404
    # Ending them: the enrolment is chosen among the open ones; leaving the union is dated.
    insurance = of(Insurance).get()
    response = client.post(
        f"{base}/insurance-end/", {"insurance": insurance.pk, "on": "2026-06-30"}
    )
    assert response.status_code == 302
    insurance.refresh_from_db()
    assert insurance.ends_on == dt.date(2026, 6, 30)
    response = client.post(f"{base}/union-leave/", {"on": "2024-01-01"})  # before joining
    assert "on" in response.context["form"].errors
    assert client.post(f"{base}/union-leave/", {"on": "2026-02-01"}).status_code == 302
    assert of(UnionMembership).get().status == "left"
    # Correcting the certificate: the subsidy shows in yuan and is saved in fen.
    cert = of(Certificate).get()
    page = client.get(f"/console/workers/{shan.pk}/certificates/{cert.pk}/")
    assert page.context["form"].initial["subsidy_yuan"] == 1500
    data = {**posts["certificate"], "number": "NO-1", "subsidy_yuan": "2000"}
    response = client.post(f"/console/workers/{shan.pk}/certificates/{cert.pk}/", data)
    assert response.status_code == 302
    cert.refresh_from_db()
    assert (cert.number, cert.subsidy_fen) == ("NO-1", 200000)
    assert AuditEvent.objects.filter(action="worker.certificate_update").count() == 1
    # Another district's worker: 404.
    other = f"/console/workers/{people['sibling'].pk}/records/insurance/"
    assert client.post(other, posts["insurance"]).status_code == 404

"""The outlet list import (网点名册) through core.import_jobs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from warmbee.audit.models import AuditEvent
from warmbee.core import import_jobs
from warmbee.orgs.models import Organisation, OrgKind, Outlet

HEADER = "企业,网点,网点编码,所属区域,地址,负责人,负责人手机号,所属工会,党组织,申报人数,纬度,经度\n"


@pytest.fixture
def bodies(db, region):
    city = region("230600")
    return {
        "sf": Organisation.objects.create(
            kind=OrgKind.COMPANY, name="顺丰速运（大庆）有限公司", short_name="顺丰", region=city
        ),
        "union": Organisation.objects.create(
            kind=OrgKind.UNION, name="萨尔图区快递行业联合工会", region=region("230602")
        ),
    }


def outlets():
    return Outlet.objects.unscoped(reason="test")


def run(actor, text: str, **kw):
    upload = SimpleUploadedFile("outlets.csv", (HEADER + text).encode("gb18030"))
    job = import_jobs.create(
        actor=actor,
        kind="orgs.outlets",
        upload=upload,
        mode=kw.get("mode", "valid_only"),
        dry_run=kw.get("dry_run", False),
    )
    return import_jobs.run(job.pk)


def test_creates_then_updates_by_code_then_leaves_unchanged(personas, bodies):
    officer = personas["district_officer"]
    rows = (
        "顺丰,顺丰萨尔图营业部,SF01,萨尔图区,中央大街1号,王经理,13912340001,萨尔图区快递行业联合工会,,12,46.6,125.0\n"
        "顺丰,顺丰东风部,,230602,,,,,,,,\n"
    )
    job = run(officer, rows)
    assert (job.status, job.created, job.errors) == ("done", 2, [])
    first = outlets().get(code="SF01")
    assert first.union_branch == bodies["union"] and first.manager_phone == "+8613912340001"
    assert first.staff_count == 12 and first.lat == 46.6
    assert AuditEvent.objects.filter(action="outlet.create").count() == 2
    job = run(officer, rows.replace("顺丰萨尔图营业部", "顺丰萨尔图中心"))
    assert (job.created, job.updated, job.unchanged) == (0, 1, 1)
    assert outlets().get(code="SF01").name == "顺丰萨尔图中心" and outlets().count() == 2


def test_row_errors_name_the_column(personas, bodies):
    rows = (
        "不存在,某网点,,萨尔图区,,,,,,,,\n"
        "顺丰,网点二,,龙凤区,,,,,,,,\n"  # outside the district officer's area
        "顺丰,网点三,,萨尔图区,,,,没有这个工会,,abc,95,\n"
        "顺丰,网点四,,萨尔图区,,,12345,,,,,\n"
        "顺丰,网点四,,萨尔图区,,,,,,,,\n"
    )
    job = run(personas["district_officer"], rows, mode="all_or_nothing")
    got = {(e[0], e[1]) for e in job.errors}
    assert {(2, "企业"), (3, "所属区域"), (4, "所属工会"), (4, "申报人数"), (4, "纬度")} <= got
    assert (6, "") in got  # duplicate of row 5
    assert outlets().count() == 0 and not job.written


def test_outlet_import_page(as_persona, bodies):
    client = as_persona("district_officer")
    assert "导入网点名册" in client.get("/console/outlets/").content.decode()
    template = client.get("/console/outlets/import/template/")
    assert template.status_code == 200 and template["Content-Disposition"].startswith("attachment")
    upload = SimpleUploadedFile(
        "outlets.csv", (HEADER + "顺丰,顺丰一部,,萨尔图区,,,,,,,,\n").encode("utf-8-sig")
    )
    response = client.post(
        "/console/outlets/import/", {"file": upload, "mode": "valid_only"}, follow=True
    )
    assert response.context["job"].created == 1
    assert "/console/outlets/import/" in response.content.decode()


def test_officer_creates_and_edits_an_outlet(as_persona, bodies):
    client = as_persona("district_officer")
    assert "新增网点" in client.get("/console/outlets/").content.decode()
    data = {
        "company": bodies["sf"].pk,
        "name": "顺丰新网点",
        "code": "SF9",
        "region": "230602",
        "manager_phone": "13912340009",
        "union_branch": bodies["union"].pk,
        "lat": "46.6",
        "lng": "",
    }
    response = client.post("/console/outlets/new/", data)
    assert "lng" in response.context["form"].errors and outlets().count() == 0
    data["lng"] = "125.0"
    response = client.post("/console/outlets/new/", data)
    outlet = outlets().get(code="SF9")
    assert response.status_code == 302 and outlet.union_branch == bodies["union"]
    page = client.get(f"/console/outlets/{outlet.pk}/edit/")
    assert page.context["form"].initial["manager_phone"] == "139****0009"
    data.update(name="顺丰新网点二部", manager_phone="139****0009")
    assert client.post(f"/console/outlets/{outlet.pk}/edit/", data).status_code == 302
    outlet.refresh_from_db()
    assert (outlet.name, outlet.manager_phone) == ("顺丰新网点二部", "+8613912340009")
    assert AuditEvent.objects.filter(action="outlet.update").count() == 1
    # 龙凤区 is not in the district officer's choices.
    data["region"] = "230603"
    response = client.post(f"/console/outlets/{outlet.pk}/edit/", data)
    assert "region" in response.context["form"].errors


def test_officer_creates_and_edits_an_organisation(as_persona, bodies):
    client = as_persona("district_officer")
    assert "新增组织" in client.get("/console/orgs/").content.decode()
    data = {
        "kind": "union",
        "category": "company_branch",
        "name": "顺丰萨尔图工会",
        "parent": bodies["union"].pk,
        "region": "230602",
        "credit_code": "123",
    }
    response = client.post("/console/orgs/new/", data)
    assert "credit_code" in response.context["form"].errors
    data["credit_code"] = ""
    response = client.post("/console/orgs/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    org = Organisation.objects.unscoped(reason="test").get(name="顺丰萨尔图工会")
    assert org.parent == bodies["union"] and org.category == "company_branch"
    data.update(short_name="顺丰工会")
    assert client.post(f"/console/orgs/{org.pk}/edit/", data).status_code == 302
    org.refresh_from_db()
    assert org.short_name == "顺丰工会"
    assert AuditEvent.objects.filter(action__in=["org.create", "org.update"]).count() == 2

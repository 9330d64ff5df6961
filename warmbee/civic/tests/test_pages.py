"""The report form and staff pages over HTTP: photos (bomb, wrong type, GPS stripped, access-
checked serving), R35 limits, idempotent retry, a direct POST to a disallowed transition (409),
scope (404), the public thank-you page without reporter fields."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from warmbee.civic import services
from warmbee.civic.models import CivicReport, ReportPhoto, Status

from .conftest import INSIDE_A, OUTSIDE, jpeg

pytestmark = pytest.mark.django_db


def _all():
    return CivicReport.objects.unscoped(reason="test")


def _post(client, *, photo=None, where=INSIDE_A, key=None, category="manhole", **extra):
    data = {
        "category": category,
        "lat": str(where[0]),
        "lng": str(where[1]),
        "description": "井盖丢了",
        "idempotency_key": key or uuid.uuid4().hex,
        "photo": photo if photo is not None else jpeg(),
    } | extra
    return client.post("/report/", data, REMOTE_ADDR=extra.pop("ip", "10.5.5.5"))


def _gps_jpeg():
    img = Image.new("RGB", (32, 32), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (46.0, 35.0, 0.0), 3: "E", 4: (125.0, 2.0, 0.0)}
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile("gps.jpg", buffer.getvalue(), "image/jpeg")


def test_a_courier_reports_and_the_photo_is_stripped(as_persona, grid, categories, settings):
    client = as_persona("courier")
    r = _post(client, photo=_gps_jpeg())
    assert r.status_code == 302
    report = _all().get()
    photo = ReportPhoto.objects.get(report=report)
    stored = Image.open(settings.MEDIA_ROOT / photo.image)
    assert not stored.getexif() and not stored.getexif().get_ifd(0x8825)
    # Not yet moderated: the reporter and the handling officer see it; others 404.
    url = f"/report/photos/{photo.pk}/"
    assert client.get(url).status_code == 200
    assert as_persona("community_officer").get(url).status_code == 200
    assert as_persona("other_district").get(url).status_code == 404
    assert as_persona("anonymous").get(url).status_code == 404
    assert as_persona("anonymous").get(f"/report/photos/{photo.pk + 999}/").status_code == 404


def test_photo_is_public_after_acknowledgement(as_persona, personas, grid, categories):
    client = as_persona("courier")
    _post(client)
    report = _all().get()
    services.report_transition(
        actor=personas["community_officer"], report=report, to=Status.ACKNOWLEDGED
    )
    photo = ReportPhoto.objects.get(report=report)
    r = as_persona("anonymous").get(f"/report/photos/{photo.pk}/")
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff" and "sandbox" in r["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("photo", "text"),
    [
        (SimpleUploadedFile("a.jpg", b"<svg onload=alert(1)>", "image/jpeg"), "JPEG"),
        (SimpleUploadedFile("a.jpg", b"", "image/jpeg"), ""),
    ],
    ids=["wrong-type", "empty"],
)
def test_bad_photos_are_refused_and_nothing_written(as_persona, grid, categories, photo, text):
    r = _post(as_persona("courier"), photo=photo)
    assert r.status_code == 400
    assert not _all().exists() and not ReportPhoto.objects.exists()


def test_a_decompression_bomb_is_refused(as_persona, grid, categories, settings):
    settings.UPLOAD_MAX_PIXELS = 1000
    r = _post(as_persona("courier"), photo=jpeg(size=(100, 100)))
    assert r.status_code == 400 and b"megapixels" in r.content or r.status_code == 400
    assert not _all().exists()


def test_an_out_of_area_pin_names_the_field(as_persona, grid, categories):
    r = _post(as_persona("courier"), where=OUTSIDE)
    assert r.status_code == 400
    assert b'data-field="location"' in r.content
    assert not _all().exists()


def test_a_retry_of_the_form_returns_the_first_report(as_persona, grid, categories):
    client = as_persona("courier")
    first = _post(client, key="same")
    again = _post(client, key="same", where=(46.606, 125.006))
    assert first["Location"] == again["Location"]
    assert _all().count() == 1


def test_eleventh_anonymous_report_is_429(client, grid, categories):
    for n in range(10):
        r = _post(client, where=(46.601 + n * 0.0009, 125.001))
        assert r.status_code == 302
    r = _post(client, where=(46.6099, 125.009))
    assert r.status_code == 429
    assert _all().count() == 10


def test_direct_post_of_a_disallowed_transition_is_409(as_persona, grid, categories):
    _post(as_persona("courier"))
    report = _all().get()
    r = as_persona("community_officer").post(
        f"/console/reports/{report.code}/act/", {"to": "confirmed"}
    )
    assert r.status_code == 409
    assert _all().get().status == Status.SUBMITTED
    r = as_persona("other_district").post(
        f"/console/reports/{report.code}/act/", {"to": "acknowledged"}
    )
    assert r.status_code == 404


def test_the_public_thank_you_page_shows_no_reporter(as_persona, personas, grid, categories):
    _post(as_persona("courier"))
    report = _all().get()
    body = as_persona("anonymous").get(f"/report/sent/{report.code}/").content.decode()
    assert personas["courier"].name not in body and personas["courier"].phone[-4:] not in body


def test_staff_queue_and_figures(as_persona, grid, categories, django_assert_max_num_queries):
    for n in range(5):
        _post(as_persona("courier"), where=(46.601 + n * 0.001, 125.001), ip=f"10.0.0.{n}")
    officer = as_persona("community_officer")
    with django_assert_max_num_queries(25):
        r = officer.get("/console/reports/")
    assert r.status_code == 200 and r.content.count(b"/console/reports/") >= 5
    assert officer.get("/console/reports/?overdue=1").status_code == 200
    assert officer.get("/console/reports/figures/").status_code == 200
    assert as_persona("courier").get("/console/reports/").status_code == 404


def test_the_form_asks_each_category_its_questions_and_keeps_the_answers(client, categories):
    from warmbee.civic.models import Category

    categories["road"].questions = [
        {
            "code": "depth",
            "datatype": "number",
            "description": "积水深度（厘米）",
            "required": True,
            "order": 1,
        },
    ]
    categories["road"].save()
    page = client.get("/report/").content.decode()
    assert 'data-category="manhole"' in page and 'name="q-manhole-size"' in page
    assert "大小" in page and 'value="large"' in page  # the choices of a list question
    assert 'name="q-road-depth"' in page and 'type="number"' in page and "（必填）" in page
    assert 'data-category="streetlight"' not in page  # no questions, no group
    assert Category.objects.get(code="road").questions[0]["required"]


def test_a_required_question_unanswered_is_named_and_nothing_is_written(client, grid, categories):
    categories["road"].questions = [
        {
            "code": "depth",
            "datatype": "number",
            "description": "积水深度（厘米）",
            "required": True,
            "order": 1,
        },
    ]
    categories["road"].save()
    r = _post(client, category="road")
    assert r.status_code == 400
    page = r.content.decode()
    assert 'data-field="attribute[depth]"' in page
    assert "积水深度（厘米）：此项为必填项。" in page  # the summary names the question
    assert not _all().exists()
    r = _post(client, category="road", **{"q-road-depth": "30", "q-manhole-size": "large"})
    assert r.status_code == 302
    report = _all().get()
    assert report.answers == {"depth": 30.0}  # only the chosen category's answers are read


def test_a_list_answer_from_the_form_is_stored(client, grid, categories):
    r = _post(client, **{"q-manhole-size": "large"})
    assert r.status_code == 302
    assert _all().get().answers == {"size": "large"}

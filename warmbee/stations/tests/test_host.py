"""The station host's pages, through the test client: dashboard, status, hours, special days,
amenities, photos, feedback and the door poster."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from warmbee.accounts.roles import Role
from warmbee.audit.models import AuditEvent
from warmbee.stations import services
from warmbee.stations.models import (
    CheckIn,
    Feedback,
    HoursException,
    Station,
    StationAmenity,
    StationPhoto,
)
from warmbee.stations.tests.matrix import station_state

pytestmark = pytest.mark.django_db


# --- set-up --------------------------------------------------------------------------------------
def make_station(officer, region, host=None, *, name="萨尔图暖蜂驿站", **extra) -> Station:
    station = services.station_create(
        actor=officer,
        name=name,
        address="萨尔图区中央大街1号",
        region=region,
        lat=46.59,
        lng=125.10,
        seats=2,
        weekly_hours=[[d, "08:00", "20:00"] for d in range(7)],
        amenities=["water"],
        **extra,
    )
    if host is not None:
        services.station_host_add(actor=officer, station=station, user=host)
    return station


@pytest.fixture
def station(personas, region):
    return make_station(personas["district_officer"], region("230602"), personas["host"])


@pytest.fixture
def other_host(make_user):
    """A station host of the same district who hosts another station, not this one."""
    return make_user(Role.STATION_HOST, "230602", name="别站站长")


@pytest.fixture
def other_station(personas, region, other_host):
    return make_station(
        personas["district_officer"], region("230602"), other_host, name="另一个驿站"
    )


@pytest.fixture
def host(as_persona):
    return as_persona("host")


def login_as(user):
    """A client signed in as ``user``, with a fresh session like ``as_persona``'s."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="warmbee.accounts.auth.PhoneBackend")
    session = client.session
    now = timezone.now().timestamp()
    session["_wb_login_at"] = session["_wb_auth_at"] = session["_wb_last_seen"] = now
    session.save()
    return client


def url(name, station, *args):
    return reverse(f"stations:{name}", args=[station.code, *args])


def audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def reload(station: Station) -> Station:
    return Station.objects.unscoped(reason="test").get(pk=station.pk)


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 30)).save(out, format="PNG")
    return out.getvalue()


def in_english(client):
    """Exact English messages: the pages are Chinese unless the language cookie says otherwise."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- the list of my stations --------------------------------------------------------------------
def test_home_lists_only_the_stations_i_host(host, station, other_station):
    response = host.get(reverse("stations:host_home"))
    assert response.status_code == 200
    assert [s.pk for s in response.context["stations"]] == [station.pk]
    html = response.content.decode()
    assert station.name in html and url("host_station", station) in html
    assert other_station.name not in html


def test_home_marks_a_station_out_of_service(host, station, personas):
    services.station_close(actor=personas["district_officer"], station=station, reason="搬迁")
    response = host.get(reverse("stations:host_home"))
    assert [s.pk for s in response.context["stations"]] == [station.pk]
    in_english(host)
    assert "Out of service" in host.get(reverse("stations:host_home")).content.decode()
    page = host.get(url("host_station", station)).content.decode()
    assert "This station is out of service" in page


@pytest.mark.parametrize("persona", ["district_officer", "courier", "host"])
def test_home_without_hosted_stations_is_an_empty_page(persona, as_persona):
    response = as_persona(persona).get(reverse("stations:host_home"))
    assert response.status_code == 200
    assert response.context["stations"] == []
    # Officers are pointed at the console, where they reach the host pages of their stations.
    assert (reverse("stations:console_list") in response.content.decode()) == (
        persona == "district_officer"
    )


def test_home_anonymous_goes_to_login(client):
    response = client.get(reverse("stations:host_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- only keepers ----------------------------------------------------------------------------------
HOST_REQUESTS = [
    pytest.param("get", "host_station", (), {}, id="dashboard"),
    pytest.param("post", "host_status", (), {"status": "full"}, id="status"),
    pytest.param("get", "host_hours", (), {}, id="hours-page"),
    pytest.param("post", "host_hours", (), {"always_open": "on"}, id="hours-save"),
    pytest.param(
        "post", "host_exception", (), {"date": "2099-01-01", "closed": "on"}, id="exception"
    ),
    pytest.param("post", "host_exception_delete", ("2099-01-02",), {}, id="exception-delete"),
    pytest.param("get", "host_amenities", (), {}, id="amenities-page"),
    pytest.param("post", "host_amenities", (), {"amenities": ["toilet"]}, id="amenities-save"),
    pytest.param("get", "host_photos", (), {}, id="photos-page"),
    pytest.param("post", "host_photos", (), {"caption": "x"}, id="photo-upload"),
    pytest.param("get", "poster", ("png",), {}, id="poster-png"),
    pytest.param("get", "poster", ("pdf",), {}, id="poster-pdf"),
]


@pytest.mark.parametrize(("method", "name", "args", "data"), HOST_REQUESTS)
def test_host_of_another_station_gets_404_and_changes_nothing(
    method, name, args, data, station, other_host, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    HoursException.objects.create(station=station, date=dt.date(2099, 1, 2), closed=True)
    if name == "host_photos" and method == "post":
        data = {**data, "photo": SimpleUploadedFile("a.png", png_bytes(), "image/png")}
    client = login_as(other_host)
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = getattr(client, method)(url(name, station, *args), data)
    assert response.status_code == 404
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before
    assert list(tmp_path.iterdir()) == []


def test_host_of_another_station_cannot_touch_its_photos_or_feedback(
    host, station, other_station, personas
):
    photo = StationPhoto.objects.create(
        station=other_station, image="stations/" + "a" * 32 + ".jpg", width=4, height=3
    )
    problem = services.feedback_submit(
        actor=personas["courier"], station=other_station, kind="problem", text="门锁坏了"
    )
    audit_before = AuditEvent.objects.count()
    # Through the other station's code, and through my own station's code.
    for code_station in (other_station, station):
        assert host.post(url("host_photo_delete", code_station, photo.pk)).status_code == 404
        response = host.post(url("host_feedback", code_station, problem.pk), {"status": "resolved"})
        assert response.status_code == 404
    assert StationPhoto.objects.filter(pk=photo.pk).exists()
    assert Feedback.objects.unscoped(reason="test").get(pk=problem.pk).status == "open"
    assert AuditEvent.objects.count() == audit_before


def test_officer_of_the_district_keeps_the_station_too(as_persona, station):
    officer = as_persona("district_officer")
    assert officer.get(url("host_station", station)).status_code == 200
    response = officer.post(url("host_status", station), {"status": "full"})
    assert response.status_code == 302
    assert reload(station).status == "full"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("host_status", ()),
        ("host_exception", ()),
        ("host_exception_delete", ("2099-01-02",)),
        ("host_photo_delete", (1,)),
        ("host_feedback", (1,)),
    ],
)
def test_get_on_an_action_changes_nothing(host, station, name, args):
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    assert host.get(url(name, station, *args)).status_code == 405
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


# --- the dashboard ---------------------------------------------------------------------------------
def test_dashboard_shows_today_with_masked_names(
    host, station, make_user, personas, django_assert_max_num_queries
):
    workers = [
        make_user(Role.WORKER, "230602", name="张三丰", phone="+8613900001111"),
        make_user(Role.WORKER, "230602", name="欧阳小明", phone="+8613900002222"),
    ]
    for worker in workers:
        services.checkin_record(actor=worker, station=station)
    yesterday = timezone.now() - dt.timedelta(days=1, hours=1)
    CheckIn.objects.create(station=station, user=personas["courier"], created_at=yesterday)
    services.feedback_submit(
        actor=workers[0], station=station, kind="problem", text="饮水机没有热水", amenity="water"
    )
    services.feedback_submit(actor=workers[0], station=station, kind="rating", rating=5)
    services.feedback_submit(
        actor=workers[1], station=station, kind="rating", rating=4, text="很暖和"
    )

    # 13: the navigation's inbox count (one COUNT, ADR 0012) joined the page's 12.
    with django_assert_max_num_queries(13):
        response = host.get(url("host_station", station))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["checkins_today"] == 2
    assert sorted(c["name"] for c in ctx["checkins"]) == ["张**", "欧***"]
    assert ctx["occupancy"] == 2
    assert ctx["over_capacity"] is True  # two workers, two seats
    assert [item["feedback"].text for item in ctx["queue"]] == ["饮水机没有热水"]
    assert ctx["rating_summary"] == {"average": 4.5, "count": 2}
    html = response.content.decode()
    assert "张**" in html and "欧***" in html
    for secret in ("张三丰", "欧阳小明", "13900001111", "1111", "2222", personas["courier"].name):
        assert secret not in html
    for link in (
        url("host_hours", station),
        url("host_amenities", station),
        url("host_photos", station),
        url("poster", station, "png"),
        url("poster", station, "pdf"),
        reverse("stations:detail", args=[station.code]),
    ):
        assert link in html


# --- live status -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["full", "closed", "open"])
def test_one_tap_status(host, station, personas, status):
    services.station_set_status(
        actor=personas["host"], station=station, status="temp_closed", reason="停水"
    )
    before = audits("station.status")
    response = host.post(url("host_status", station), {"status": status})
    assert response.status_code == 302
    assert response["Location"] == url("host_station", station)
    station = reload(station)
    assert station.status == status
    assert station.status_reason == ""
    assert audits("station.status") == before + 1
    event = AuditEvent.objects.filter(action="station.status").first()
    assert event.changes["status"] == ["temp_closed", status]
    assert messages_of(response)


def test_temporarily_closed_with_reason_and_reopening(host, station):
    reopens = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = host.post(
        url("host_status", station),
        {"status": "temp_closed", "reason": "暖气检修", "reopens_at": local_input(reopens)},
    )
    assert response.status_code == 302
    station = reload(station)
    assert (station.status, station.status_reason, station.reopens_at) == (
        "temp_closed",
        "暖气检修",
        reopens,
    )
    assert audits("station.status") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param(
            {"status": "temp_closed", "reason": "  "},
            "reason",
            "Say why the station is temporarily closed.",
            id="no-reason",
        ),
        pytest.param(
            {"status": "temp_closed", "reason": "停电", "reopens_at": "2020-01-01T08:00"},
            "reopens_at",
            "The reopening time must be in the future.",
            id="reopening-in-the-past",
        ),
        pytest.param(
            {"status": "temp_closed", "reason": "停电", "reopens_at": "next week"},
            "reopens_at",
            "Enter a valid date/time.",
            id="reopening-not-a-time",
        ),
        pytest.param({"status": "sleeping"}, "status", None, id="unknown-status"),
    ],
)
def test_status_errors_are_shown_and_change_nothing(host, station, data, field, message):
    in_english(host)
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = host.post(url("host_status", station), data)
    assert response.status_code == 200
    form = response.context["status_form"]
    assert field in form.errors
    if message:
        assert form.errors[field] == [message]
        assert message in response.content.decode()
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


# --- opening hours ---------------------------------------------------------------------------------
def test_hours_page_shows_the_current_week(host, station):
    response = host.get(url("host_hours", station))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["d0_open1"].value() == dt.time(8, 0)
    assert form["d6_close1"].value() == dt.time(20, 0)
    html = response.content.decode()
    assert 'type="time"' in html and 'value="08:00"' in html


def test_hours_save(host, station):
    data = {
        "d0_open1": "07:00",
        "d0_close1": "11:00",
        "d0_open2": "13:00",
        "d0_close2": "19:00",
        "d5_open1": "22:00",
        "d5_close1": "06:00",  # past midnight into Sunday
        "d6_open1": "08:00",
        "d6_close1": "12:00",
    }
    response = host.post(url("host_hours", station), data)
    assert response.status_code == 302
    station = reload(station)
    assert station.always_open is False
    assert station.weekly_hours == [
        [0, "07:00", "11:00"],
        [0, "13:00", "19:00"],
        [5, "22:00", "06:00"],
        [6, "08:00", "12:00"],
    ]
    assert audits("station.hours") == 1


def test_hours_open_24_hours(host, station):
    response = host.post(url("host_hours", station), {"always_open": "on"})
    assert response.status_code == 302
    station = reload(station)
    assert station.always_open is True and station.weekly_hours == []
    assert audits("station.hours") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param(
            {"d0_open1": "08:00", "d0_close1": "12:00", "d0_open2": "11:00", "d0_close2": "14:00"},
            "d0_open1",
            "Opening intervals on the same day overlap.",
            id="overlap",
        ),
        pytest.param(
            {"d1_open1": "20:00", "d1_close1": "09:00", "d2_open1": "08:00", "d2_close1": "12:00"},
            "d1_open1",
            "An interval past midnight overlaps the next day's hours.",
            id="overnight-into-next-day",
        ),
        pytest.param(
            {"d3_open1": "08:00"},
            "d3_close1",
            "Give both the opening and the closing time.",
            id="half-interval",
        ),
        pytest.param(
            {"d4_open1": "25:00", "d4_close1": "12:00"},
            "d4_open1",
            "Enter a valid time.",
            id="not-a-time",
        ),
        pytest.param(
            {},
            "always_open",
            "Give at least one opening interval, or mark the station as open 24 hours.",
            id="no-hours",
        ),
    ],
)
def test_hours_errors_are_shown_next_to_the_day(host, station, data, field, message):
    in_english(host)
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = host.post(url("host_hours", station), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    html = response.content.decode()
    assert message.replace("'", "&#x27;") in html
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


# --- special days ----------------------------------------------------------------------------------
def test_special_day_add_and_remove(host, station):
    day = timezone.localdate() + dt.timedelta(days=5)
    response = host.post(
        url("host_exception", station),
        {"date": day.isoformat(), "opens": "10:00", "closes": "15:00", "note": "元旦"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("host_hours", station)
    exc = HoursException.objects.get(station=station)
    assert (exc.date, exc.closed, exc.opens, exc.closes, exc.note) == (
        day,
        False,
        dt.time(10),
        dt.time(15),
        "元旦",
    )
    assert audits("station.exception_set") == 1
    page = host.get(url("host_hours", station)).content.decode()
    assert "元旦" in page and url("host_exception_delete", station, day.isoformat()) in page

    response = host.post(url("host_exception_delete", station, day.isoformat()))
    assert response.status_code == 302
    assert not HoursException.objects.filter(station=station).exists()
    assert audits("station.exception_delete") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param(
            {"date": "2020-02-02", "closed": "on"},
            "date",
            "Choose today or a later date.",
            id="past",
        ),
        pytest.param(
            {"date": "2099-02-02", "opens": "10:00"},
            "closes",
            "Give the opening and closing times, or mark the day closed.",
            id="open-without-closing-time",
        ),
        pytest.param(
            {"date": "2099-02-02"},
            "opens",
            "Give the opening and closing times, or mark the day closed.",
            id="open-without-times",
        ),
        pytest.param({"closed": "on"}, "date", "This field is required.", id="no-date"),
    ],
)
def test_special_day_errors(host, station, data, field, message):
    in_english(host)
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = host.post(url("host_exception", station), data)
    assert response.status_code == 200
    assert response.context["exception_form"].errors == {field: [message]}
    assert message in response.content.decode()
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("date", ["2026-13-45", "tomorrow", "20991231", "2099-1-1", "2099-12-31"])
def test_special_day_delete_with_a_bad_or_unknown_date_is_404(host, station, date):
    HoursException.objects.create(station=station, date=dt.date(2099, 1, 1), closed=True)
    audit_before = AuditEvent.objects.count()
    assert host.post(url("host_exception_delete", station, date)).status_code == 404
    assert HoursException.objects.filter(station=station).count() == 1
    assert AuditEvent.objects.count() == audit_before


# --- amenities -------------------------------------------------------------------------------------
def test_amenities_page_shows_icons_and_checked_dates(host, station):
    StationAmenity.objects.filter(station=station).update(verified_on=dt.date(2026, 11, 1))
    response = host.get(url("host_amenities", station))
    assert response.status_code == 200
    rows = {row["amenity"].code: row for row in response.context["rows"]}
    assert rows["water"]["checked"] is True
    assert rows["water"]["verified_on"] == dt.date(2026, 11, 1)
    assert rows["toilet"]["checked"] is False and rows["toilet"]["verified_on"] is None
    html = response.content.decode()
    assert "💧" in html and "2026-11-01" in html


def test_amenities_save_marks_them_checked_today(host, station):
    StationAmenity.objects.filter(station=station).update(verified_on=dt.date(2026, 1, 1))
    response = host.post(url("host_amenities", station), {"amenities": ["toilet", "water"]})
    assert response.status_code == 302
    links = dict(
        StationAmenity.objects.filter(station=station).values_list("amenity_id", "verified_on")
    )
    assert links == {"toilet": timezone.localdate(), "water": timezone.localdate()}
    assert audits("station.amenities") == 1
    assert reload(station).amenity_bits != 0


def test_amenities_unknown_code_is_refused(host, station):
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = host.post(url("host_amenities", station), {"amenities": ["water", "sauna"]})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["amenities"]
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


# --- photos ----------------------------------------------------------------------------------------
def test_photo_upload_and_delete(
    host, station, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("door.png", png_bytes((40, 30)), content_type="image/png")
    response = host.post(url("host_photos", station), {"photo": upload, "caption": "门口"})
    assert response.status_code == 302
    photo = StationPhoto.objects.get(station=station)
    assert (photo.width, photo.height, photo.caption) == (40, 30, "门口")
    assert (tmp_path / photo.image).is_file()
    assert audits("station.photo_add") == 1

    page = host.get(url("host_photos", station)).content.decode()
    assert reverse("stations:photo", args=[photo.pk]) in page
    assert url("host_photo_delete", station, photo.pk) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = host.post(url("host_photo_delete", station, photo.pk))
    assert response.status_code == 302
    assert not StationPhoto.objects.filter(pk=photo.pk).exists()
    assert not (tmp_path / photo.image).exists()
    assert audits("station.photo_delete") == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        pytest.param(
            SimpleUploadedFile("notes.png", b"%PDF-1.4 not an image", "image/png"),
            "Only JPEG, PNG or WebP images are accepted.",
            id="not-an-image",
        ),
        pytest.param(
            SimpleUploadedFile("cut.png", png_bytes()[:60], "image/png"),
            "The image could not be read; it may be damaged.",
            id="truncated",
        ),
        pytest.param(None, "This field is required.", id="no-file"),
    ],
)
def test_photo_upload_errors_store_nothing(host, station, settings, tmp_path, upload, message):
    in_english(host)
    settings.MEDIA_ROOT = tmp_path
    data = {"caption": "x"} | ({"photo": upload} if upload else {})
    response = host.post(url("host_photos", station), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"photo": [message]}
    assert message in response.content.decode()
    assert not StationPhoto.objects.exists()
    assert list(tmp_path.rglob("*")) == [] or all(p.is_dir() for p in tmp_path.rglob("*"))
    assert audits("station.photo_add") == 0


# --- feedback --------------------------------------------------------------------------------------
@pytest.fixture
def problem(station, personas):
    return services.feedback_submit(
        actor=personas["courier"], station=station, kind="problem", text="饮水机坏了"
    )


@pytest.mark.parametrize("status", ["acknowledged", "resolved", "dismissed"])
def test_feedback_handle(host, station, problem, personas, status):
    response = host.post(
        url("host_feedback", station, problem.pk), {"status": status, "response": "已处理"}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.response, problem.handled_by) == (
        status,
        "已处理",
        personas["host"],
    )
    assert audits("station.feedback_handle") == 1
    queue = host.get(url("host_station", station)).context["queue"]
    assert [item["feedback"].pk for item in queue] == (
        [problem.pk] if status == "acknowledged" else []
    )


def test_feedback_dismiss_needs_a_response(host, station, problem):
    in_english(host)
    ctx = {"station": station}
    before, audit_before = station_state(ctx), AuditEvent.objects.count()
    response = host.post(
        url("host_feedback", station, problem.pk),
        {"status": "dismissed", "response": " "},
    )
    assert response.status_code == 200
    (item,) = response.context["queue"]
    assert item["form"].errors == {"response": ["Say why it is dismissed."]}
    assert "Say why it is dismissed." in response.content.decode()
    assert station_state(ctx) == before
    assert AuditEvent.objects.count() == audit_before


# --- the door poster -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [("png", "image/png", b"\x89PNG\r\n\x1a\n"), ("pdf", "application/pdf", b"%PDF-")],
)
def test_poster(host, station, monkeypatch, fmt, content_type, magic):
    from django.utils import translation

    from warmbee.core import qr

    in_english(host)  # the poster stays in the site's language whoever prints it

    seen = {}
    real = getattr(qr, f"poster_{fmt}")

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(qr, f"poster_{fmt}", spy)
    response = host.get(url("poster", station, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="station-{station.code}.{fmt}"'
    )
    assert response.content.startswith(magic)
    checkin = reverse("stations:checkin", args=[station.code])
    assert seen["url"] == f"http://testserver{checkin}"
    assert seen["title"] == station.name
    with translation.override(django_settings.LANGUAGE_CODE):
        heading = f"{station.get_kind_display()} · {station.get_tier_display()}"
    assert seen["subtitle"].splitlines() == [heading, station.address]
    assert seen["footer"] == f"扫码签到 · Scan to check in · {station.code}"


@pytest.mark.parametrize("fmt", ["svg", "PNG", "jpg", "png.exe"])
def test_poster_unknown_format_is_404(host, station, fmt):
    assert host.get(url("poster", station, fmt)).status_code == 404

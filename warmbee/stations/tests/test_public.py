"""The public finder, station pages, the nearby API, check-in and feedback."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from warmbee.accounts.roles import Role
from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Forbidden
from warmbee.stations import finder, services
from warmbee.stations.models import CheckIn, Feedback, Station

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user):
    return make_user(Role.CITY_OFFICER, "230600", name="市干部")


@pytest.fixture
def make_station(officer, region):
    def make(name="东风路驿站", lat=46.59, lng=125.10, **kwargs):
        kwargs.setdefault("always_open", True)
        return services.station_create(
            actor=officer,
            name=name,
            address=kwargs.pop("address", "萨尔图区东风路1号"),
            region=kwargs.pop("region", region("230602")),
            lat=lat,
            lng=lng,
            **kwargs,
        )

    return make


def nearby(client, **params):
    return client.get(reverse("api:station_nearby"), params)


def test_nearby_returns_nearest_first_with_public_fields(client, make_station):
    far = make_station("远站", lat=46.70, lng=125.20, amenities=["water"])
    near = make_station("近站", lat=46.591, lng=125.101, amenities=["water", "microwave"])
    response = nearby(client, lat=46.59, lng=125.10)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["code"] for i in items] == [near.code, far.code]
    assert items[0]["distance_m"] < items[1]["distance_m"]
    assert set(items[0]["amenities"]) == {"water", "microwave"}
    assert {link["app"] for link in items[0]["nav"]} >= {"amap", "baidu"}
    assert "public" in response["Cache-Control"] and "max-age=30" in response["Cache-Control"]
    # No personal data: no host or user fields.
    assert "host" not in response.content.decode()


def test_nearby_filters_by_amenity_and_open_now(client, make_station):
    make_station("只有水", lat=46.5901, lng=125.1001, amenities=["water"])
    micro = make_station("有微波炉", lat=46.60, lng=125.11, amenities=["microwave"])
    items = nearby(client, lat=46.59, lng=125.10, amenity="microwave").json()["items"]
    assert [i["code"] for i in items] == [micro.code]
    closed = make_station("夜站", lat=46.5902, lng=125.1002, always_open=False,
                          weekly_hours=[[d, "22:00", "23:00"] for d in range(7)])  # fmt: skip
    finder.reset()
    noon = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(12)))
    from warmbee.stations import selectors

    codes = [
        i["code"]
        for i in selectors.nearby(selectors.NearbyQuery(46.59, 125.10, open_now=True), at=noon)
    ]
    assert closed.code not in codes and micro.code in codes


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        pytest.param({"lat": 91, "lng": 125}, 422, "lat", id="lat-range"),
        pytest.param({"lat": 46, "lng": 181}, 422, "lng", id="lng-range"),
        pytest.param({"lat": "x", "lng": 125}, 422, "lat", id="lat-not-number"),
        pytest.param({"lng": 125}, 422, "lat", id="lat-missing"),
        pytest.param({"lat": 46, "lng": 125, "amenity": "sauna"}, 400, "amenity", id="amenity"),
        pytest.param({"lat": 46, "lng": 125, "radius": 0}, 422, "radius", id="radius"),
        pytest.param({"lat": 46, "lng": 125, "limit": 500}, 422, "limit", id="limit"),
    ],
)
def test_nearby_bad_input_names_the_field(client, make_station, params, status, field):
    make_station()
    response = nearby(client, **params)
    assert response.status_code == status
    body = response.json()
    assert body["field"] == field and body["message"]


def test_finder_stores_nothing_about_the_courier(
    client, make_station, django_assert_max_num_queries
):
    make_station()
    before = AuditEvent.objects.count()
    with django_assert_max_num_queries(8):
        nearby(client, lat=46.591234, lng=125.104321)
    assert AuditEvent.objects.count() == before
    # A second call is served from the process's index with no query at all (R31: nothing
    # is written; and the search costs no database round trip).
    with django_assert_max_num_queries(0):
        nearby(client, lat=46.591234, lng=125.104321)


def test_finder_page_without_location_searches_by_district_and_text(client, make_station, region):
    make_station("萨区驿站")
    make_station("龙凤驿站", region=region("230603"), lat=46.53, lng=125.13)
    page = client.get(reverse("stations:finder"), {"region": "230603"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "龙凤驿站" in body and "萨区驿站" not in body
    page = client.get(reverse("stations:finder"), {"q": "萨区"})
    assert "萨区驿站" in page.content.decode() and "龙凤驿站" not in page.content.decode()
    empty = client.get(reverse("stations:finder"), {"q": "不存在"})
    assert "No station matches" in empty.content.decode() or "没有" in empty.content.decode()


def test_closed_and_private_stations_are_not_public(client, make_station, officer):
    hidden = make_station("内部站", is_public=False)
    gone = make_station("已关闭")
    services.station_close(actor=officer, station=gone, reason="拆迁")
    for station in (hidden, gone):
        assert client.get(reverse("stations:detail", args=[station.code])).status_code == 404
        assert client.get(reverse("api:station_detail", args=[station.code])).status_code == 404
    assert nearby(client, lat=46.59, lng=125.10).json()["items"] == []


def test_station_page_shows_status_hours_amenities_and_navigation(client, make_station, officer):
    station = make_station(amenities=["toilet"], phone="0459-6123456")
    services.station_set_status(
        actor=officer, station=station, status="temp_closed", reason="供暖检修"
    )
    body = client.get(reverse("stations:detail", args=[station.code])).content.decode()
    assert "供暖检修" in body and "0459-6123456" in body
    assert "uri.amap.com" in body and "api.map.baidu.com" in body
    assert "卫生间" in body


def test_checkin_get_confirms_and_post_records_once(as_persona, make_station, personas):
    station = make_station()
    courier = as_persona("courier")
    url = reverse("stations:checkin", args=[station.code])
    assert courier.get(url).status_code == 200
    assert CheckIn.objects.unscoped(reason="test").count() == 0  # a scan alone records nothing
    first = courier.post(url)
    assert first.status_code == 302
    courier.post(url)
    rows = CheckIn.objects.unscoped(reason="test").filter(station=station)
    assert rows.count() == 1 and rows.get().user == personas["courier"]


def test_checkin_again_after_the_interval_counts(make_station, personas, settings):
    station = make_station()
    settings.STATION_CHECKIN_INTERVAL_MINUTES = 0
    services.checkin_record(actor=personas["courier"], station=station)
    _row, created = services.checkin_record(actor=personas["courier"], station=station)
    assert created


def test_checkin_refused_for_non_workers_and_anonymous(as_persona, client, make_station):
    station = make_station()
    url = reverse("stations:checkin", args=[station.code])
    assert client.post(url).status_code == 302  # to the login page
    assert as_persona("district_officer").post(url).status_code == 403
    api = reverse("api:checkin_create", args=[station.code])
    assert client.post(api).status_code == 401
    assert CheckIn.objects.unscoped(reason="test").count() == 0


def test_checkin_api_reports_occupancy(as_persona, make_station):
    station = make_station()
    response = as_persona("courier").post(reverse("api:checkin_create", args=[station.code]))
    assert response.status_code == 200
    assert response.json()["created"] is True and response.json()["occupancy"] == 1


def _page_pass(client, station) -> str:
    """The check-in pass the check-in page hands its button."""
    import re

    body = client.get(reverse("stations:checkin", args=[station.code])).content.decode()
    return re.search(r'data-pass="([^"]+)"', body).group(1)


def test_checkin_with_the_page_pass_needs_no_session(as_persona, client, make_station, personas):
    station = make_station()
    token = _page_pass(as_persona("courier"), station)
    api = reverse("api:checkin_create", args=[station.code])
    # A client with no cookies at all: the pass alone identifies the worker.
    first = client.post(api, HTTP_AUTHORIZATION=f"Bearer {token}")
    again = client.post(api, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["created"] is True and again.json()["created"] is False
    assert first.json()["at"] == again.json()["at"] and again.json()["occupancy"] == 1
    row = CheckIn.objects.unscoped(reason="test").get(station=station)
    assert row.user == personas["courier"]
    assert "Set-Cookie" not in first.headers


def test_checkin_page_gives_its_button_translated_answers(as_persona, make_station):
    station = make_station()
    body = as_persona("courier").get(reverse("stations:checkin", args=[station.code]))
    created = body.content.decode().split('data-created="')[1].split('"')[0]
    assert "%(time)s" in created and "Welcome" not in created


def test_checkin_pass_is_bound_to_its_station_and_expires(client, make_station, personas):
    station, other = make_station(), make_station()
    token = services.checkin_pass_issue(actor=personas["courier"], station=station)
    elsewhere = client.post(
        reverse("api:checkin_create", args=[other.code]), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert elsewhere.status_code == 404
    forged = client.post(
        reverse("api:checkin_create", args=[station.code]),
        HTTP_AUTHORIZATION=f"Bearer {token[:-2]}xx",
    )
    assert forged.status_code == 401
    with freeze_time(timezone.now() + dt.timedelta(minutes=11)):
        expired = client.post(
            reverse("api:checkin_create", args=[station.code]),
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert expired.status_code == 401
    assert CheckIn.objects.unscoped(reason="test").count() == 0


def test_checkin_pass_only_for_workers_and_not_at_closed_down_stations(
    as_persona, client, make_station, personas
):
    station = make_station()
    page = as_persona("district_officer").get(reverse("stations:checkin", args=[station.code]))
    assert b"data-pass" not in page.content
    with pytest.raises(Forbidden):
        services.checkin_pass_issue(actor=personas["district_officer"], station=station)
    token = services.checkin_pass_issue(actor=personas["courier"], station=station)
    Station.objects.unscoped(reason="test").filter(pk=station.pk).update(is_public=False)
    response = client.post(
        reverse("api:checkin_create", args=[station.code]), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 404
    assert CheckIn.objects.unscoped(reason="test").count() == 0


def test_checkin_pass_and_session_paths_share_the_interval(as_persona, client, make_station):
    station = make_station()
    courier = as_persona("courier")
    assert courier.post(reverse("stations:checkin", args=[station.code])).status_code == 302
    token = _page_pass(courier, station)
    answer = client.post(
        reverse("api:checkin_create", args=[station.code]), HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert answer["created"] is False
    assert CheckIn.objects.unscoped(reason="test").count() == 1


def test_feedback_rating_and_problem(as_persona, make_station):
    station = make_station()
    courier = as_persona("courier")
    url = reverse("stations:feedback", args=[station.code])
    assert courier.post(url, {"kind": "rating", "rating": "5"}).status_code == 302
    response = courier.post(url, {"kind": "problem", "text": "", "amenity": "microwave"})
    assert response.status_code == 200
    assert response.context["form"].errors  # "describe the problem"
    assert (
        courier.post(
            url, {"kind": "problem", "text": "微波炉坏了", "amenity": "microwave"}
        ).status_code
        == 302
    )
    rows = Feedback.objects.unscoped(reason="test").filter(station=station)
    assert rows.count() == 2
    problem = rows.get(kind="problem")
    assert problem.amenity_id == "microwave" and problem.status == "open"
    assert AuditEvent.objects.filter(action="station.feedback").count() == 2


def test_feedback_is_rate_limited(as_persona, make_station):
    station = make_station()
    courier = as_persona("courier")
    url = reverse("stations:feedback", args=[station.code])
    for _ in range(services.FEEDBACK_LIMIT_PER_HOUR):
        assert courier.post(url, {"kind": "rating", "rating": "4"}).status_code == 302
    assert courier.post(url, {"kind": "rating", "rating": "4"}).status_code == 429
    assert Feedback.objects.unscoped(reason="test").count() == services.FEEDBACK_LIMIT_PER_HOUR


def test_photo_of_private_station_only_for_keepers(client, as_persona, make_station, officer):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    station = make_station(is_public=False)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, "PNG")
    photo = services.station_photo_add(
        actor=officer, station=station, upload=SimpleUploadedFile("p.png", buffer.getvalue())
    )
    url = reverse("stations:photo", args=[photo.pk])
    assert client.get(url).status_code == 404
    response = as_persona("district_officer").get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG


def test_index_refreshes_after_commit(make_station, django_capture_on_commit_callbacks, settings):
    make_station("甲")
    assert finder.get_index().size == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_station("乙", lat=46.6)
    assert finder.get_index().size == 2
    assert Station.objects.public().count() == 2


def test_nearby_encoding_matches_the_schema_and_the_dictionary_path(client, make_station, officer):
    from warmbee.stations import selectors
    from warmbee.stations.api import NearbyOut

    make_station("甲站", amenities=["water", "toilet"], phone="0459-1234567")
    closed = make_station("乙站", lat=46.6, lng=125.11)
    services.station_set_status(
        actor=officer,
        station=closed,
        status="temp_closed",
        reason="装修",
        reopens_at=timezone.now() + dt.timedelta(days=2),
    )
    finder.reset()
    at = timezone.now()
    query = selectors.NearbyQuery(46.59, 125.10, limit=5)
    encoded = json.loads(selectors.nearby_json(query, at=at))
    assert encoded == {"count": 2, "items": selectors.nearby(query, at=at)}
    assert encoded["items"][1]["status"] == "temp_closed" and not encoded["items"][1]["open_now"]
    NearbyOut.model_validate(encoded)  # the documented response schema holds
    # Served twice (the second from cached fragments): identical, and English labels stay apart.
    first = client.get(reverse("api:station_nearby"), {"lat": 46.59, "lng": 125.10}).json()
    again = client.get(reverse("api:station_nearby"), {"lat": 46.59, "lng": 125.10}).json()
    assert first == again
    client.cookies["django_language"] = "en"
    english = client.get(reverse("api:station_nearby"), {"lat": 46.59, "lng": 125.10}).json()
    assert {n["label"] for n in english["items"][0]["nav"]} >= {"Amap", "Baidu Maps"}
    assert {n["label"] for n in first["items"][0]["nav"]} >= {"高德地图", "百度地图"}


def test_fragments_are_warmed_after_a_rebuild(make_station, settings):
    from warmbee.stations import selectors

    make_station("甲站")
    make_station("乙站", lat=46.6)
    settings.FINDER_WARM_FRAGMENTS = True
    finder.reset()
    index = finder.get_index()
    for thread in threading.enumerate():
        if thread.name == "finder-warm":
            thread.join()
    assert sorted(index.static) == [0, 1]
    assert json.loads(index.static[0] + "}")["code"] == index.code[0]
    assert index.size <= selectors.FRAGMENT_CACHE_LIMIT


def test_load_rows_reads_what_the_orm_reads(make_station):
    from warmbee.stations.models import Station

    make_station(
        "甲站", always_open=False, weekly_hours=[[0, "08:00", "20:00"]], amenities=["water"]
    )
    make_station("乙站", lat=46.6, weekly_hours=[[0, "08:00", "20:00"]])
    orm = list(Station.objects.public().order_by("id").values_list(*finder.FinderIndex.COLUMNS))
    rows = finder.load_rows()
    assert [tuple(r) for r in rows] == [tuple(r) for r in orm]  # SQLite's 1 == True


def test_public_station_page_suppresses_small_occupancy(client, make_station, personas):
    station = make_station()
    services.checkin_record(actor=personas["courier"], station=station)
    body = client.get(reverse("stations:detail", args=[station.code])).content.decode()
    assert "&lt;5" in body  # one courier checked in: shown as "<5", not "1" (R30)

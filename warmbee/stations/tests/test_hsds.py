"""The HSDS 3.0 API at /hsds/: every document validates against the official schemas.

The schemas are the unmodified Open Referral HSDS 3.0 files in ``data/hsds-3.0`` (CC BY-SA 4.0,
see its LICENSE.md). Each response is checked against the schema the official ``openapi.json``
gives for its path, resolved through a local ``referencing`` registry (no network).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

import pytest
from django.utils import timezone, translation
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from warmbee.accounts.roles import Role
from warmbee.stations import finder, hsds, services
from warmbee.stations.finder import haversine_m

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "hsds-3.0" / "schema"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
OPENAPI = BASE + "openapi.json"
HOST_PHONE = "+8613912345678"
OFFICER_PHONE = "+8613987654321"
COURIER_PHONE = "+8613911112222"
TIME = re.compile(r"^\d\d:\d\d[+-]\d\d:\d\d$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
DAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}


# --- the official schemas, resolved locally -------------------------------------------------------
def _registry() -> Registry:
    resources = []
    for path in [*DATA.glob("*.json"), *DATA.glob("compiled/*.json")]:
        uri = BASE + path.relative_to(DATA).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((uri, Resource.from_contents(contents, default_specification=DRAFT202012)))
    # openapi.json names fully inlined compiled schemas that are not in the 3.0 folder (see
    # LICENSE.md): the compiled service is service_with_definitions.json, and the organization
    # is the modular organization.json.
    aliases = {
        "compiled/service.json": "compiled/service_with_definitions.json",
        "compiled/organization.json": "organization.json",
    }
    for alias, target in aliases.items():
        resources.append((BASE + alias, DRAFT202012.create_resource({"$ref": BASE + target})))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": ref}, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _openapi_response(path: str) -> str:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"{OPENAPI}#/paths/{pointer}/get/responses/200/content/application~1json/schema"


def assert_valid(document, ref: str) -> None:
    errors = sorted(_validator(ref).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def assert_page(document, path: str) -> None:
    assert set(document) == PAGE_KEYS
    assert_valid(document, _openapi_response(path))
    assert document["size"] == len(document["contents"])


def assert_schedules(schedules) -> None:
    for s in schedules:
        assert_valid(s, BASE + "schedule.json")
        for key in ("opens_at", "closes_at"):
            if key in s:
                assert TIME.match(s[key]), s
        for key in ("valid_from", "valid_to", "dtstart", "until"):
            if key in s:
                assert DATE.match(s[key]), s
        assert set(s["byday"].split(",")) <= DAYS
        assert s["freq"] == "WEEKLY" and s["timezone"] == 8


def test_the_official_examples_pass_the_local_schemas():
    """The validation set-up itself: the published examples are valid, a broken one is not."""
    service = {"id": str(uuid.uuid4()), "name": "x", "status": "active"}
    assert_valid(service, _openapi_response("/services/{id}"))
    with pytest.raises(AssertionError):
        assert_valid({"id": "not-a-uuid", "name": "x"}, _openapi_response("/services/{id}"))
    with pytest.raises(AssertionError):
        assert_valid({**service, "status": "open"}, BASE + "service.json")


# --- data -----------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_index():
    finder.reset()
    yield
    finder.reset()


@pytest.fixture
def officer(make_user):
    return make_user(Role.DISTRICT_OFFICER, "230602", name="区干部王", phone=OFFICER_PHONE)


@pytest.fixture
def make_station(officer, region):
    def make(name, lat, lng, **kwargs):
        return services.station_create(
            actor=officer,
            name=name,
            address=kwargs.pop("address", f"萨尔图区{name}路1号"),
            region=region("230602"),
            lat=lat,
            lng=lng,
            **kwargs,
        )

    return make


@pytest.fixture
def network(make_station, make_user, officer):
    """Four public stations near 46.59 N 125.10 E, one hidden and one closed down."""
    always = make_station(
        "东风驿站",
        46.591,
        125.101,
        always_open=True,
        amenities=["charging", "toilet"],
        host_org_name="萨尔图区总工会",
        phone="0459-4600001",
        description="快递小哥歇脚的地方",
    )
    weekly = make_station(
        "会战驿站",
        46.60,
        125.11,
        weekly_hours=[[d, "08:00", "20:00"] for d in range(5)]
        + [[5, "09:00", "12:00"], [5, "14:00", "18:00"], [6, "22:00", "06:00"]],
        amenities=["water"],
    )
    never = make_station("无时驿站", 46.62, 125.13, amenities=["charging"])  # no opening hours
    far = make_station(
        "远方驿站", 46.80, 125.30, always_open=True, host_org_name=" 萨尔图区总工会 "
    )
    hidden = make_station("内部驿站", 46.5905, 125.1005, always_open=True, is_public=False)
    gone = make_station("撤站", 46.5906, 125.1006, always_open=True)
    services.station_close(actor=officer, station=gone, reason="拆迁")
    # Exceptions: closed tomorrow, special hours the day after.
    today = timezone.localdate()
    services.station_set_exception(
        actor=officer, station=weekly, date=today + dt.timedelta(days=1), closed=True, note="停电"
    )
    services.station_set_exception(
        actor=officer,
        station=weekly,
        date=today + dt.timedelta(days=2),
        closed=False,
        opens=dt.time(10),
        closes=dt.time(15),
    )
    # Personal data that must never leak: a host, a check-in and feedback.
    host = make_user(Role.STATION_HOST, "230602", name="驿站长李", phone=HOST_PHONE)
    services.station_host_add(actor=officer, station=always, user=host)
    courier = make_user(Role.WORKER, "230602", name="骑手赵", phone=COURIER_PHONE)
    services.checkin_record(actor=courier, station=always)
    services.feedback_submit(actor=courier, station=always, kind="rating", rating=5)
    finder.reset()
    return {
        "always": always,
        "weekly": weekly,
        "never": never,
        "far": far,
        "hidden": hidden,
        "gone": gone,
    }


def get(client, path, **params):
    return client.get("/hsds" + path, params)


@pytest.fixture
def codes(network):
    return {name: s.code for name, s in network.items()}


def codes_of(page, codes, kind="service") -> list[str]:
    """The station codes behind a page of services (or service_at_locations)."""
    by_id = {getattr(hsds, f"{kind}_id")(code): code for code in codes.values()}
    return [by_id[item["id"]] for item in page["contents"]]


# --- tests ----------------------------------------------------------------------------------------
def test_root_describes_the_api(client):
    response = get(client, "/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "3.0"
    assert body["profile"] == "https://openreferral.org/imports/hsds/"
    assert body["openapi_url"] == "http://testserver/hsds/openapi.json"
    assert_valid(body, _openapi_response("/"))
    assert client.get("/hsds/openapi.json").status_code == 200
    assert response["Cache-Control"] in ("public, max-age=60", "max-age=60, public")


def test_services_page_envelope_and_documents(client, codes):
    response = get(client, "/services")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    page = response.json()
    assert_page(page, "/services")
    assert page["total_items"] == 4 and page["total_pages"] == 1
    assert page["first_page"] and page["last_page"] and not page["empty"]
    assert set(codes_of(page, codes)) == {
        codes["always"],
        codes["weekly"],
        codes["never"],
        codes["far"],
    }
    item = next(i for i in page["contents"] if i["id"] == hsds.service_id(codes["always"]))
    assert item["name"] == "东风驿站" and item["status"] == "active"
    assert item["organization"]["name"] == "萨尔图区总工会"
    assert item["organization_id"] == item["organization"]["id"]
    assert "distance" not in item
    # The full form validates too, item by item against the compiled service.
    full = get(client, "/services", full="true").json()
    assert_page(full, "/services")
    for item in full["contents"]:
        assert_valid(item, _openapi_response("/services/{id}"))


def test_pagination(client, codes):
    first = get(client, "/services", per_page=1).json()
    second = get(client, "/services", per_page=1, page=2).json()
    assert_page(second, "/services")
    assert second["total_items"] == 4 and second["total_pages"] == 4
    assert second["page_number"] == 2 and second["size"] == 1
    assert not second["first_page"] and not second["last_page"] and not second["empty"]
    assert first["first_page"] and first["contents"] != second["contents"]
    last = get(client, "/services", per_page=3, page=2).json()
    assert last["last_page"] and last["size"] == 1
    beyond = get(client, "/services", per_page=3, page=9).json()
    assert_page(beyond, "/services")
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == 4
    everything = []
    for page in range(1, 5):
        everything += get(client, "/services", per_page=1, page=page).json()["contents"]
    assert len({i["id"] for i in everything}) == 4
    too_many = get(client, "/services", per_page=101)
    assert too_many.status_code == 422
    assert too_many.json()["field"] == "per_page"


def test_service_detail_is_fully_nested(client, codes):
    response = get(client, f"/services/{hsds.service_id(codes['weekly'])}")
    assert response.status_code == 200
    doc = response.json()
    assert_valid(doc, _openapi_response("/services/{id}"))
    assert_valid(doc, BASE + "service.json")
    assert doc["alternate_name"] and doc["url"].endswith(f"/stations/{codes['weekly']}/")
    [sal] = doc["service_at_locations"]
    assert sal["service_id"] == doc["id"]
    location = sal["location"]
    assert location["id"] == hsds.location_id(codes["weekly"])
    assert location["location_type"] == "physical"
    assert (location["latitude"], location["longitude"]) == (46.6, 125.11)
    [address] = location["addresses"]
    assert address["city"] == "大庆市" and address["state_province"] == "黑龙江省"
    assert address["region"] == "黑龙江省" and address["country"] == "CN"
    assert address["postal_code"] == "" and address["address_1"] == "萨尔图区会战驿站路1号"
    # The fallback organisation: the site itself.
    assert doc["organization"]["id"] == hsds.org_id("")
    schedules = location["schedules"]
    assert_schedules(schedules)
    weekly = {(s["byday"], s["opens_at"], s["closes_at"]) for s in schedules if "until" not in s}
    assert weekly == {
        ("MO,TU,WE,TH,FR", "08:00+08:00", "20:00+08:00"),
        ("SA", "09:00+08:00", "12:00+08:00"),
        ("SA", "14:00+08:00", "18:00+08:00"),
        ("SU", "22:00+08:00", "06:00+08:00"),
    }
    today = timezone.localdate()
    dated = {s["dtstart"]: s for s in schedules if "until" in s}
    closed = dated[(today + dt.timedelta(days=1)).isoformat()]
    assert "opens_at" not in closed and closed["until"] == closed["dtstart"]
    special = dated[(today + dt.timedelta(days=2)).isoformat()]
    assert (special["opens_at"], special["closes_at"]) == ("10:00+08:00", "15:00+08:00")
    # Amenities are attributes with terms of the warmbee-amenity taxonomy.
    [attribute] = doc["attributes"]
    assert attribute["link_id"] == doc["id"] and attribute["link_entity"] == "service"
    term = attribute["taxonomy_term"]
    assert term["code"] == "water" and term["taxonomy"] == "warmbee-amenity"
    assert attribute["taxonomy_term_id"] == term["id"]
    assert_valid(term, BASE + "taxonomy_term.json")


def test_always_open_schedule_uses_the_24_hour_signal(client, codes):
    doc = get(client, f"/locations/{hsds.location_id(codes['always'])}").json()
    assert_valid(doc, BASE + "location.json")
    [schedule] = doc["schedules"]
    assert_schedules([schedule])
    assert schedule["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    assert (schedule["opens_at"], schedule["closes_at"]) == ("00:00+08:00", "23:59+08:00")
    assert doc["phones"][0]["number"] == "0459-4600001"
    assert doc["organization_id"] == hsds.org_id("萨尔图区总工会")


def test_a_station_the_index_has_not_seen_yet_is_found(client, codes, make_station):
    finder.get_index()  # built now; the new station arrives after it
    new = make_station("新站", 46.65, 125.15, always_open=True)
    assert new.code not in finder.get_index().code
    response = get(client, f"/services/{hsds.service_id(new.code)}")
    assert response.status_code == 200
    assert response.json()["name"] == "新站"


def test_ids_are_stable_uuids(client, codes):
    first = get(client, "/service_at_locations").json()["contents"]
    second = get(client, "/service_at_locations").json()["contents"]
    assert [i["id"] for i in first] == [i["id"] for i in second]
    for item in first:
        assert uuid.UUID(item["id"]).version == 5
        assert item["id"] == hsds.sal_id(item["location"]["external_identifier"])


def test_unknown_ids_are_404_with_the_error_shape(client, codes):
    for path in (
        f"/services/{uuid.uuid4()}",
        "/services/not-a-uuid",
        f"/service_at_locations/{uuid.uuid4()}",
        f"/locations/{uuid.uuid4()}",
        f"/organizations/{uuid.uuid4()}",
        f"/taxonomies/{uuid.uuid4()}",
        f"/taxonomy_terms/{uuid.uuid4()}",
        # The right station with the wrong kind of id.
        f"/services/{hsds.location_id(codes['always'])}",
        # Hidden and closed stations do not exist here.
        f"/services/{hsds.service_id(codes['hidden'])}",
        f"/locations/{hsds.location_id(codes['gone'])}",
    ):
        response = get(client, path)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "未找到。", "field": None}


def test_service_at_locations(client, codes):
    page = get(client, "/service_at_locations").json()
    assert_page(page, "/service_at_locations")
    assert page["total_items"] == 4
    for item in page["contents"]:
        assert item["location"]["id"] == item["location_id"]
        assert item["service"]["id"] == item["service_id"]
    full = get(client, "/service_at_locations", full=1).json()
    assert_page(full, "/service_at_locations")
    response = get(client, f"/service_at_locations/{hsds.sal_id(codes['always'])}")
    assert response.status_code == 200
    doc = response.json()
    # openapi.json 3.0 names compiled/service.json here, evidently an erratum (the example and
    # the upstream compiled files are a service_at_location): validate as one.
    assert_valid(doc, BASE + "service_at_location.json")
    assert_valid(doc["service"], _openapi_response("/services/{id}"))
    assert_schedules(doc["location"]["schedules"])


def test_organizations(client, codes):
    page = get(client, "/organizations").json()
    assert_page(page, "/organizations")
    names = sorted(o["name"] for o in page["contents"])
    # " 萨尔图区总工会 " and "萨尔图区总工会" are one organisation; the site hosts the rest.
    assert names == sorted(["萨尔图区总工会", "暖蜂 WarmBee"])
    union = next(o for o in page["contents"] if o["name"] == "萨尔图区总工会")
    assert union["id"] == hsds.org_id("萨尔图区总工会")
    doc = get(client, f"/organizations/{union['id']}").json()
    assert_valid(doc, _openapi_response("/organizations/{id}"))
    assert {s["id"] for s in doc["services"]} == {
        hsds.service_id(codes["always"]),
        hsds.service_id(codes["far"]),
    }
    only_union = get(client, "/services", organization_id=union["id"]).json()
    assert set(codes_of(only_union, codes)) == {codes["always"], codes["far"]}
    assert get(client, "/services", organization_id=str(uuid.uuid4())).json()["empty"]


def test_nearest_first_with_distance(client, codes):
    lat, lng = 46.59, 125.10
    page = get(client, "/services", lat=lat, lng=lng).json()
    assert_page(page, "/services")
    assert codes_of(page, codes) == [codes["always"], codes["weekly"], codes["never"], codes["far"]]
    distances = [item["distance"] for item in page["contents"]]
    assert distances == sorted(distances)
    # The same order, distances and filters as the finder's own nearest search.
    index = finder.get_index()
    hits = index.nearest(lat, lng, limit=10, amenity_mask=index.amenity_mask(["charging"]))
    charging = get(client, "/services", lat=lat, lng=lng, amenity="charging").json()
    assert codes_of(charging, codes) == [index.code[h.index] for h in hits]
    assert [i["distance"] for i in charging["contents"]] == [
        pytest.approx(h.distance_m, abs=0.1) for h in hits
    ]
    assert distances[0] == pytest.approx(float(haversine_m(lat, lng, 46.591, 125.101)), abs=0.1)
    # Pages continue the same order; the radius bounds it.
    second = get(client, "/services", lat=lat, lng=lng, per_page=2, page=2).json()
    assert codes_of(second, codes) == [codes["never"], codes["far"]]
    near = get(client, "/service_at_locations", lat=lat, lng=lng, radius=5000).json()
    assert_page(near, "/service_at_locations")
    assert codes_of(near, codes, kind="sal") == [codes["always"], codes["weekly"], codes["never"]]
    assert all("distance" in item for item in near["contents"])


def test_open_now(client, codes):
    page = get(client, "/services", open_now="true").json()
    found = set(codes_of(page, codes))
    assert {codes["always"], codes["far"]} <= found and codes["never"] not in found
    near = get(client, "/service_at_locations", lat=46.59, lng=125.10, open_now="true").json()
    found = codes_of(near, codes, kind="sal")
    assert found[0] == codes["always"] and codes["never"] not in found


def test_temporarily_closed_station(client, codes, network, officer):
    services.station_set_status(
        actor=officer, station=network["always"], status="temp_closed", reason="装修"
    )
    finder.reset()
    doc = get(client, f"/services/{hsds.service_id(codes['always'])}").json()
    assert doc["status"] == "temporarily closed"
    assert_valid(doc, _openapi_response("/services/{id}"))
    assert codes["always"] not in codes_of(get(client, "/services", open_now=1).json(), codes)
    assert "装修" not in json.dumps(doc, ensure_ascii=False)


def test_amenity_filter(client, codes):
    page = get(client, "/services", amenity="charging").json()
    assert set(codes_of(page, codes)) == {codes["always"], codes["never"]}
    both = get(client, "/services", amenity=["charging", "toilet"]).json()
    assert codes_of(both, codes) == [codes["always"]]
    comma = get(client, "/service_at_locations", amenity="charging,toilet", lat=46.7, lng=125.2)
    assert codes_of(comma.json(), codes, kind="sal") == [codes["always"]]
    term = hsds.term_id("water")
    assert codes_of(get(client, "/services", taxonomy_term_id=term).json(), codes) == [
        codes["weekly"]
    ]
    terms = get(client, "/taxonomy_terms").json()
    assert_page(terms, "/taxonomy_terms")
    assert term in {t["id"] for t in terms["contents"]}
    assert_valid(
        get(client, f"/taxonomy_terms/{term}").json(), _openapi_response("/taxonomy_terms/{id}")
    )
    taxonomies = get(client, "/taxonomies").json()
    assert_page(taxonomies, "/taxonomies")
    [taxonomy] = taxonomies["contents"]
    assert_valid(
        get(client, f"/taxonomies/{taxonomy['id']}").json(), _openapi_response("/taxonomies/{id}")
    )


def test_unknown_amenity_is_an_error_naming_the_field(client, codes):
    for path in ("/services", "/service_at_locations"):
        response = get(client, path, amenity="jacuzzi")
        assert response.status_code == 400
        with translation.override("zh-hans"):
            message = translation.gettext("Unknown amenity: %(code)s.") % {"code": "jacuzzi"}
        assert response.json() == {"code": "amenity", "message": message, "field": "amenity"}
        assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lng": 125}, "lat"),
        ({"lat": -90.5, "lng": 125}, "lat"),
        ({"lat": 46, "lng": 181}, "lng"),
        ({"lat": 46, "lng": 125, "radius": 0}, "radius"),
        ({"lat": 46, "lng": 125, "radius": 200_001}, "radius"),
        ({"lat": 46}, "lng"),
        ({"radius": 500}, "lat"),
        ({"format": "ndjson"}, "format"),
    ],
)
def test_invalid_parameters(client, params, field):
    response = get(client, "/services", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and body["message"]
    assert set(body) == {"code", "message", "field"}


def test_out_of_range_latitude_message_is_translated(client):
    message = "Latitude must be between -90 and 90."
    response = get(client, "/service_at_locations", lat=95, lng=125)
    with translation.override("zh-hans"):
        expected = translation.gettext(message)
    assert response.json() == {"code": "range", "message": expected, "field": "lat"}
    client.cookies["django_language"] = "en"
    response = get(client, "/service_at_locations", lat=95, lng=125)
    assert response.json()["message"] == message


def test_search_and_modified_after(client, codes):
    assert codes_of(get(client, "/services", search="会战").json(), codes) == [codes["weekly"]]
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert get(client, "/services", modified_after=future).json()["total_items"] == 0
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    assert get(client, "/services", modified_after=past).json()["total_items"] == 4
    bad = get(client, "/services", modified_after="yesterday")
    assert bad.status_code == 422 and bad.json()["field"] == "modified_after"


def test_non_public_and_closed_stations_never_appear(client, codes):
    hidden = {codes["hidden"], codes["gone"]}
    ids = {getattr(hsds, f"{k}_id")(c) for c in hidden for k in ("service", "location", "sal")}
    for path, params in [
        ("/services", {}),
        ("/services", {"full": 1}),
        ("/services", {"lat": 46.5905, "lng": 125.1005}),
        ("/services", {"open_now": 1}),
        ("/service_at_locations", {"full": 1}),
        ("/service_at_locations", {"lat": 46.5905, "lng": 125.1005, "radius": 100}),
        ("/organizations", {}),
    ]:
        body = get(client, path, **params).content.decode()
        assert not any(i in body for i in ids), (path, params)
        assert "内部驿站" not in body and "撤站" not in body
    near = get(client, "/services", lat=46.5905, lng=125.1005, radius=100).json()
    assert codes_of(near, codes) == [codes["always"]]


def test_no_personal_data_in_any_response(client, codes, network):
    org = hsds.org_id("萨尔图区总工会")
    paths = [
        "/",
        "/services",
        "/services?full=1",
        "/services?lat=46.59&lng=125.10&full=1",
        "/service_at_locations?full=1",
        "/organizations",
        f"/organizations/{org}",
        f"/organizations/{hsds.org_id('')}",
        "/taxonomies",
        "/taxonomy_terms",
    ]
    for code in codes.values():
        paths += [
            f"/services/{hsds.service_id(code)}",
            f"/service_at_locations/{hsds.sal_id(code)}",
            f"/locations/{hsds.location_id(code)}",
        ]
    for path in paths:
        body = client.get("/hsds" + path).content.decode()
        for secret in (HOST_PHONE, OFFICER_PHONE, COURIER_PHONE, "驿站长李", "骑手赵", "区干部王"):
            assert secret not in body, (path, secret)
            assert secret.removeprefix("+86") not in body, (path, secret)
        assert "停电" not in body  # hosts' free-text notes stay private


def test_signed_in_visitors_are_not_cached_publicly(client, codes, officer):
    client.force_login(officer, backend="warmbee.accounts.auth.PhoneBackend")
    session = client.session
    now = timezone.now().timestamp()
    session["_wb_login_at"] = session["_wb_auth_at"] = session["_wb_last_seen"] = now
    session.save()
    response = get(client, "/services")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"

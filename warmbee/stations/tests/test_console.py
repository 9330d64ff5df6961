"""The officers' station console: scoped list and map, create, edit, hosts, import and export."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from warmbee.accounts.roles import Role
from warmbee.audit.models import AuditEvent
from warmbee.core.models import ImportJob
from warmbee.regions.models import Region
from warmbee.stations import services
from warmbee.stations.imports import IMPORT_COLUMNS
from warmbee.stations.models import Station, StationAmenity, StationHost

KEYS = [c.key for c in IMPORT_COLUMNS]
OWN, SIBLING = "230602", "230603"  # 萨尔图区 (the district officer's), 龙凤区 (another district)
STREET = "230602013"  # 萨尔图街道, under 萨尔图区


# --- helpers -------------------------------------------------------------------------------------
def stations():
    return Station.objects.unscoped(reason="test")


def make_station(actor, name, region=OWN, **extra) -> Station:
    values = {
        "address": f"{name}路1号",
        "lat": 46.59,
        "lng": 125.10,
        "always_open": True,
        "seats": 8,
        **extra,
    }
    return services.station_create(
        actor=actor, name=name, region=Region.objects.get(code=region), **values
    )


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def flashed(response, level: str | None = None) -> list[str]:
    return [
        str(m) for m in get_messages(response.wsgi_request) if level is None or m.level_tag == level
    ]


def audit_actions() -> list[str]:
    """Station actions in the audit trail (the personas' accounts are audited too)."""
    events = AuditEvent.objects.filter(action__startswith="station.").order_by("id")
    return list(events.values_list("action", flat=True))


@pytest.fixture
def city(personas):
    return personas["city_officer"]


@pytest.fixture
def officer(as_persona):
    """The district officer of 萨尔图区, reading English."""
    return english(as_persona("district_officer"))


@pytest.fixture
def network(city):
    """Two stations in 萨尔图区 (one in a street), two in 龙凤区, one out of service."""
    own = [
        make_station(city, "萨尔图一站", tier=1),
        make_station(city, "萨尔图二站", region=STREET, tier=2),
    ]
    sibling = [
        make_station(city, "龙凤一站", region=SIBLING, tier=3),
        make_station(city, "龙凤二站", region=SIBLING, tier=3),
    ]
    closed = make_station(city, "萨尔图旧站")
    services.station_close(actor=city, station=closed, reason="场地到期")
    return {"own": own, "sibling": sibling, "closed": closed}


# --- list ----------------------------------------------------------------------------------------
def test_list_shows_only_stations_in_scope(officer, network):
    response = officer.get(reverse("stations:console_list"))
    assert response.status_code == 200
    names = [s.name for s in response.context["page"]]
    assert sorted(names) == ["萨尔图一站", "萨尔图二站"]
    assert "龙凤" not in response.content.decode()
    assert response.context["districts"] == [
        {"code": OWN, "name": "萨尔图区", "total": 2, "tier1": 1, "tier2": 1, "tier3": 0}
    ]
    assert response.context["can_manage"] is True


def test_city_officer_sees_both_districts_with_tier_split(as_persona, network):
    response = as_persona("city_officer").get(reverse("stations:console_list"))
    assert [
        (d["code"], d["total"], d["tier1"], d["tier2"], d["tier3"])
        for d in response.context["districts"]
    ] == [(OWN, 2, 1, 1, 0), (SIBLING, 2, 0, 0, 2)]
    assert response.context["page"].paginator.count == 4


def test_community_officer_sees_the_street_only_and_cannot_create(as_persona, network):
    response = as_persona("community_officer").get(reverse("stations:console_list"))
    assert [s.name for s in response.context["page"]] == ["萨尔图二站"]
    assert response.context["can_manage"] is False
    assert reverse("stations:console_create") not in response.content.decode()
    regions = [c for c, _label in response.context["form"].fields["region"].choices]
    assert regions == ["", STREET]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"region": SIBLING}, ["龙凤一站", "龙凤二站"]),
        ({"region": "230102"}, ["萨尔图一站", "萨尔图二站", "龙凤一站", "龙凤二站"]),
        ({"region": "230102", "q": "一站"}, ["萨尔图一站", "龙凤一站"]),
        ({"q": "一站"}, ["萨尔图一站", "龙凤一站"]),
        ({"tier": "3"}, ["龙凤一站", "龙凤二站"]),
        ({"active": "0"}, ["萨尔图旧站"]),
        ({"active": "all", "region": OWN}, ["萨尔图一站", "萨尔图二站", "萨尔图旧站"]),
        ({"status": "full"}, []),
    ],
    ids=[
        "district",
        "outside-scope-ignored",
        "outside-scope-and-text",
        "text",
        "tier",
        "out-of-service",
        "all",
        "status",
    ],
)
def test_list_filters(as_persona, network, query, expected):
    response = as_persona("city_officer").get(reverse("stations:console_list"), query)
    assert sorted(s.name for s in response.context["page"]) == sorted(expected)


def test_district_filter_offers_counties_in_scope(as_persona):
    form = as_persona("city_officer").get(reverse("stations:console_list")).context["form"]
    codes = [c for c, _label in form.fields["region"].choices]
    assert codes[0] == "" and OWN in codes and SIBLING in codes
    regions = Region.objects.filter(code__in=codes[1:])
    assert {r.level for r in regions} == {"county"} and all(c.startswith("2306") for c in codes[1:])


def test_list_columns_usage_hosts_and_open_now(officer, network, personas, make_user):
    station = network["own"][0]
    StationHost.objects.create(station=station, user=personas["host"])
    courier = personas["courier"]
    services.checkin_record(actor=courier, station=station)
    response = officer.get(reverse("stations:console_list"), {"q": "一站"})
    (row,) = response.context["page"]
    assert (row.checkins_7d, row.host_count, row.open_now) == (1, 1, True)


def test_htmx_request_gets_the_results_partial(officer, network):
    response = officer.get(reverse("stations:console_list"), {"q": "一站"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="results">')
    assert "萨尔图一站" in html and "<html" not in html
    assert "districts" not in response.context


def test_list_query_count_does_not_grow_with_stations(officer, city, django_assert_max_num_queries):
    for i in range(3):
        make_station(city, f"站{i}")
    with django_assert_max_num_queries(20) as captured:
        officer.get(reverse("stations:console_list"))
    few = len(captured)
    for i in range(3, 20):
        make_station(city, f"站{i}")
    with django_assert_max_num_queries(few):
        officer.get(reverse("stations:console_list"))


# --- map -----------------------------------------------------------------------------------------
def test_map_has_markers_for_stations_in_scope_only(officer, network, settings):
    settings.MAP_TILES = "osm"
    response = officer.get(reverse("stations:console_map"))
    html = response.content.decode()
    found = re.search(r'<script id="station-markers" type="application/json">(.*?)</script>', html)
    markers = json.loads(found.group(1))
    assert sorted(m["title"] for m in markers) == ["萨尔图一站", "萨尔图二站"]
    first = next(m for m in markers if m["title"] == "萨尔图一站")
    assert first["url"] == reverse("stations:console_detail", args=[network["own"][0].code])
    assert (first["lat"], first["lng"], first["tier"]) == (46.59, 125.1, 1)
    assert "check-ins in 7 days: 0" in first["html"]
    assert 'id="map-config"' in html and "data-map-cluster" in html


def test_map_markers_are_shifted_for_gcj02_tiles(officer, network, settings):
    settings.MAP_TILES = "amap"
    markers = officer.get(reverse("stations:console_map")).context["markers"]
    assert all(m["lat"] != 46.59 and m["lng"] != 125.1 for m in markers)


# --- create --------------------------------------------------------------------------------------
def create_data(**over) -> dict:
    data = {
        "name": "新站",
        "kind": "warmbee",
        "tier": "2",
        "host_org_name": "大庆邮政",
        "address": "新村路8号",
        "region": STREET,
        "lat": "46.6",
        "lng": "125.1",
        "seats": "6",
        "phone": "0459-6666666",
        "description": "",
        "is_public": "on",
        "opens": "08:00",
        "closes": "20:00",
        "amenities": ["water", "toilet"],
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_create_through_the_form(officer):
    response = officer.post(reverse("stations:console_create"), create_data())
    station = stations().get()
    assert response.status_code == 302
    assert response.url == reverse("stations:console_detail", args=[station.code])
    assert (station.name, station.region_id, station.tier, station.seats) == ("新站", STREET, 2, 6)
    assert station.weekly_hours == [[d, "08:00", "20:00"] for d in range(7)]
    assert sorted(StationAmenity.objects.values_list("amenity_id", flat=True)) == [
        "toilet",
        "water",
    ]
    assert audit_actions() == ["station.create"]


@pytest.mark.parametrize(
    ("over", "fields"),
    [
        ({"lat": "200"}, ["lat"]),
        ({"lng": "46.6", "lat": "125.1"}, ["lat", "lng"]),  # swapped
        ({"region": SIBLING}, ["region"]),  # another district
        ({"region": "230600"}, ["region"]),  # a city is not a station's region
        ({"opens": None, "closes": None}, ["opens"]),
        ({"closes": None}, ["closes"]),
        ({"name": ""}, ["name"]),
    ],
    ids=["lat-200", "swapped", "outside-scope", "city-level", "no-hours", "one-time", "no-name"],
)
def test_create_invalid_shows_the_field_error_and_writes_nothing(officer, over, fields):
    before = AuditEvent.objects.count()
    response = officer.post(reverse("stations:console_create"), create_data(**over))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == fields
    assert stations().count() == 0
    assert AuditEvent.objects.count() == before


def test_create_always_open_needs_no_hours(officer):
    data = create_data(opens=None, closes=None, always_open="on")
    assert officer.post(reverse("stations:console_create"), data).status_code == 302
    station = stations().get()
    assert (station.always_open, station.weekly_hours) == (True, [])


def test_create_region_choices_are_the_officers_counties_and_streets(officer):
    form = officer.get(reverse("stations:console_create")).context["form"]
    codes = [r.code for r in form.fields["region"].queryset]
    assert codes[0] == OWN and STREET in codes
    assert all(c.startswith(OWN) for c in codes)


def test_community_officer_cannot_create(as_persona):
    client = as_persona("community_officer")
    assert client.get(reverse("stations:console_create")).status_code == 404
    assert client.post(reverse("stations:console_create"), create_data()).status_code == 404
    assert stations().count() == 0


# --- detail and update ---------------------------------------------------------------------------
def detail_url(station) -> str:
    return reverse("stations:console_detail", args=[station.code])


def edit_data(station, **over) -> dict:
    data = {name: getattr(station, name) for name in services.EDITABLE if name != "region"}
    data["region"] = station.region_id
    data["is_public"] = "on" if station.is_public else ""
    data.update(over)
    return data


def test_detail_shows_facts_hosts_and_the_edit_form(officer, network, personas):
    station = network["own"][0]
    StationHost.objects.create(station=station, user=personas["host"])
    response = officer.get(detail_url(station))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["form"] is not None
    assert [h["pk"] for h in response.context["hosts"]] == [personas["host"].pk]
    assert personas["host"].phone[3:] not in html  # masked
    assert reverse("stations:host_station", args=[station.code]) in html
    assert reverse("stations:detail", args=[station.code]) in html
    assert (response.context["checkins"], response.context["problems"]) == (0, 0)


def test_detail_of_another_districts_station_is_404(officer, network):
    assert officer.get(detail_url(network["sibling"][0])).status_code == 404


def test_community_officer_reads_but_cannot_edit(as_persona, network):
    client = as_persona("community_officer")
    station = network["own"][1]  # in the street
    response = client.get(detail_url(station))
    assert (response.status_code, response.context["form"]) == (200, None)
    assert reverse("stations:console_close", args=[station.code]) not in response.content.decode()
    before = stations().values().get(pk=station.pk)
    assert client.post(detail_url(station), edit_data(station, name="改名")).status_code == 404
    assert stations().values().get(pk=station.pk) == before


def test_update_through_the_detail_form(officer, network):
    station = network["own"][0]
    response = officer.post(detail_url(station), edit_data(station, name="萨尔图新站", seats=12))
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.name, station.seats) == ("萨尔图新站", 12)
    event = AuditEvent.objects.filter(action="station.update").get()
    assert event.changes == {"name": ["萨尔图一站", "萨尔图新站"], "seats": [8, 12]}


def test_update_to_a_region_outside_scope_is_refused(officer, network):
    station = network["own"][0]
    response = officer.post(detail_url(station), edit_data(station, region=SIBLING))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["region"]
    assert stations().get(pk=station.pk).region_id == OWN


# --- close, reopen -------------------------------------------------------------------------------
def test_close_needs_a_reason_and_changes_nothing_without_one(officer, network):
    station = network["own"][0]
    before = AuditEvent.objects.count()
    response = officer.post(reverse("stations:console_close", args=[station.code]), {"reason": ""})
    assert response.status_code == 302
    assert flashed(response, "error") == ["Say why the station is closing."]
    assert stations().get(pk=station.pk).is_active is True
    assert AuditEvent.objects.count() == before


def test_close_and_reopen(officer, network):
    station = network["own"][0]
    url = reverse("stations:console_close", args=[station.code])
    response = officer.post(url, {"reason": "场地到期"})
    assert response.url == detail_url(station)
    assert flashed(response, "success")
    assert stations().get(pk=station.pk).is_active is False
    officer.post(reverse("stations:console_reopen", args=[station.code]))
    assert stations().get(pk=station.pk).is_active is True
    assert audit_actions()[-2:] == ["station.close", "station.reopen"]
    assert AuditEvent.objects.get(action="station.close", target_id=str(station.pk)).reason == (
        "场地到期"
    )


def test_actions_on_another_districts_station_are_404(officer, network):
    station = network["sibling"][0]
    before = AuditEvent.objects.count()
    for name, data in [
        ("stations:console_close", {"reason": "x"}),
        ("stations:console_reopen", {}),
        ("stations:console_host_add", {"phone": "13900000000"}),
    ]:
        assert officer.post(reverse(name, args=[station.code]), data).status_code == 404
    assert AuditEvent.objects.count() == before
    assert stations().get(pk=station.pk).is_active is True


# --- hosts ---------------------------------------------------------------------------------------
def add_host(client, station, phone):
    return client.post(reverse("stations:console_host_add", args=[station.code]), {"phone": phone})


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("13700000001", "No active account has this mobile number."),
        ("", "Enter a mobile number."),
        ("12345", "No active account has this mobile number."),
    ],
    ids=["unknown", "blank", "garbage"],
)
def test_host_add_unknown_phone_is_an_error(officer, network, phone, message):
    station = network["own"][0]
    response = add_host(officer, station, phone)
    assert flashed(response, "error") == [message]
    assert StationHost.objects.count() == 0


def test_host_add_needs_the_station_host_role(officer, network, personas):
    response = add_host(officer, network["own"][0], personas["courier"].phone)
    assert flashed(response, "error") == [
        "Grant this account the station host role in the station's area first."
    ]
    assert StationHost.objects.count() == 0
    assert "station.host_add" not in audit_actions()


def test_host_add_and_remove(officer, network, make_user):
    station = network["own"][0]
    host = make_user(Role.STATION_HOST, OWN, name="王小明", phone="+8613700000002")
    response = add_host(officer, station, "137 0000 0002")  # typed with spaces
    assert flashed(response, "error") == []
    assert list(StationHost.objects.values_list("station_id", "user_id")) == [(station.pk, host.pk)]
    assert AuditEvent.objects.filter(action="station.host_add").get().changes == {
        "host": [None, host.pk]
    }
    url = reverse("stations:console_host_remove", args=[station.code, host.pk])
    response = officer.post(url)
    assert response.status_code == 302 and flashed(response, "error") == []
    assert StationHost.objects.count() == 0
    assert officer.post(url).status_code == 404  # no longer a host


# --- import --------------------------------------------------------------------------------------
def row(**values) -> dict:
    base = {
        "name": "北站",
        "kind": "warmbee",
        "tier": "2",
        "host_org_name": "",
        "address": "北路1号",
        "region": OWN,
        "lat": "46.59",
        "lng": "125.1",
        "seats": "4",
        "phone": "04596666666",
        "always_open": "否",
        "opens": "08:00",
        "closes": "20:00",
        "amenities": "饮用水、卫生间",
        "is_public": "是",
    }
    base.update(values)
    return base


def xlsx_file(rows: list[dict], headers=KEYS, name="stations.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.append(headers)
    for values in rows:
        wb.active.append([values.get(k, "") for k in KEYS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows: list[dict], encoding="utf-8", name="stations.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(KEYS)
    for values in rows:
        writer.writerow([values.get(k, "") for k in KEYS])
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def do_import(client, upload, *, mode="all_or_nothing", dry_run=False):
    """Upload through the page; a small file runs at once and lands on its job's report."""
    data = {"file": upload, "mode": mode}
    if dry_run:
        data["dry_run"] = "on"
    response = client.post(reverse("stations:console_import"), data, follow=True)
    assert response.status_code == 200
    return response


def errors_of(response) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in response.context["report"].errors]


def test_template_downloads_and_round_trips(officer):
    response = officer.get(reverse("stations:console_import_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert len(headers) == len(KEYS)
    assert ws.cell(row=2, column=KEYS.index("region") + 1).number_format == "@"
    for column, key in enumerate(KEYS, start=1):
        ws.cell(row=2, column=column, value=row(name="模板站")[key])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = do_import(officer, SimpleUploadedFile("filled.xlsx", buffer.getvalue()))
    report = response.context["report"]
    assert (report.errors, report.created, report.written) == ([], 1, True)
    station = stations().get()
    assert (station.name, station.phone, station.region_id) == ("模板站", "04596666666", OWN)
    assert station.weekly_hours == [[d, "08:00", "20:00"] for d in range(7)]
    assert sorted(station.amenity_links.values_list("amenity_id", flat=True)) == [
        "toilet",
        "water",
    ]


def test_gbk_csv_with_chinese_values(officer):
    rows = [
        row(name="萨尔图驿站", always_open="是", opens="", closes="", amenities="充电换电，饮用水")
    ]
    response = do_import(officer, csv_file(rows, encoding="gbk"))
    assert response.context["report"].created == 1
    station = stations().get()
    assert (station.name, station.always_open, station.weekly_hours) == ("萨尔图驿站", True, [])
    assert sorted(station.amenity_links.values_list("amenity_id", flat=True)) == [
        "charging",
        "water",
    ]


def test_english_headers_and_labels(officer):
    headers = [
        "Station name", "Kind", "Tier", "Host organisation", "Address", "Region code", "Latitude",
        "Longitude", "Seats", "Station phone", "Open 24 hours", "Opens", "Closes", "Amenities",
        "Shown to the public",
    ]  # fmt: skip
    upload = xlsx_file(
        [
            row(
                kind="Caring station",
                tier="Tier 3",
                always_open="no",
                is_public="No",
                amenities="Wi-Fi books",
            )
        ],
        headers=headers,
    )
    response = do_import(officer, upload)
    assert response.context["report"].errors == []
    station = stations().get()
    assert (station.kind, station.tier, station.is_public) == ("love", 3, False)


def test_dry_run_writes_nothing(officer):
    response = do_import(officer, xlsx_file([row(), row(name="南站")]), dry_run=True)
    report = response.context["report"]
    assert (report.dry_run, report.created, report.written) == (True, 2, False)
    assert stations().count() == 0
    assert audit_actions() == []  # only the import job itself is audited, no station


def test_all_or_nothing_with_one_bad_row_writes_nothing(officer):
    rows = [row(), row(name="南站", lat="200"), row(name="西站")]
    response = do_import(officer, xlsx_file(rows))
    assert errors_of(response) == [(3, "lat")]
    assert "mainland China" in response.context["report"].errors[0].message
    assert (response.context["report"].written, stations().count()) == (False, 0)
    assert response.context["errors_url"] in response.content.decode()


def test_valid_only_writes_the_good_rows(officer):
    rows = [
        row(),
        row(name="南站", tier="5"),
        row(name="西站", region=SIBLING),  # another district: refused by the service
        row(name="东站", opens="8点"),
        row(name="中站", amenities="饮用水 热水器"),
        row(name="新站"),
    ]
    response = do_import(officer, xlsx_file(rows), mode="valid_only")
    report = response.context["report"]
    assert errors_of(response) == [(3, "tier"), (4, "region"), (5, "opens"), (6, "amenities")]
    assert report.errors[1].message == "This region is outside the area you manage."
    assert "热水器" in report.errors[3].message
    assert (report.created, report.written) == (2, True)
    assert sorted(stations().values_list("name", flat=True)) == ["北站", "新站"]


def test_row_errors_for_missing_hours_and_region_level(officer):
    rows = [row(opens="", closes=""), row(name="城站", region="230600"), row(name="x", closes="")]
    response = do_import(officer, xlsx_file(rows), mode="valid_only", dry_run=True)
    assert errors_of(response) == [(2, "opens"), (3, "region"), (4, "closes")]


def test_duplicate_rows_in_the_file(officer):
    response = do_import(officer, xlsx_file([row(), row(seats="9")]), dry_run=True)
    assert [(e.row, e.message) for e in response.context["report"].errors] == [
        (3, "Duplicate of row 2.")
    ]


def test_reimport_updates_instead_of_duplicating(officer):
    upload = [row(), row(name="南站")]
    do_import(officer, xlsx_file(upload))
    assert stations().count() == 2
    changed = [
        row(seats="20", amenities="无线网络", opens="09:00", closes="18:00"),
        row(name="南站"),
    ]
    response = do_import(officer, xlsx_file(changed))
    report = response.context["report"]
    assert (report.created, report.updated, report.errors) == (0, 2, [])
    assert stations().count() == 2
    north = stations().get(name="北站")
    assert north.seats == 20
    assert north.weekly_hours == [[d, "09:00", "18:00"] for d in range(7)]
    assert list(north.amenity_links.values_list("amenity_id", flat=True)) == ["wifi"]
    assert audit_actions().count("station.create") == 2


def test_blank_cells_keep_values_when_updating(officer):
    do_import(officer, xlsx_file([row()]))
    do_import(officer, xlsx_file([row(seats="", phone="", amenities="", opens="", closes="")]))
    station = stations().get()
    assert (station.seats, station.phone) == (4, "04596666666")
    assert station.weekly_hours == [[d, "08:00", "20:00"] for d in range(7)]
    assert station.amenity_links.count() == 2


def test_unreadable_file_is_a_form_error(officer):
    response = do_import(officer, SimpleUploadedFile("stations.xls", b"\xd0\xcf\x11\xe0"))
    assert list(response.context["form"].errors) == ["file"]
    assert response.context["report"] is None and ImportJob.objects.count() == 0


def test_import_is_for_managers_only(as_persona):
    client = as_persona("community_officer")
    assert client.get(reverse("stations:console_import")).status_code == 404
    response = client.post(reverse("stations:console_import"), {"file": xlsx_file([row()])})
    assert response.status_code == 404
    assert client.get(reverse("stations:console_import_template")).status_code == 404
    assert stations().count() == 0


# --- export --------------------------------------------------------------------------------------
def exported(response) -> list[list]:
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_export_contains_only_stations_in_scope_and_neutralises_formulas(officer, network, city):
    make_station(city, '=HYPERLINK("http://x","y")')
    response = officer.get(reverse("stations:console_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = exported(response)
    names = [r[0] for r in rows[1:-1]]
    assert sorted(names) == sorted(["萨尔图一站", "萨尔图二站", '\'=HYPERLINK("http://x","y")'])
    # The masked name of the officer ("district_officer人"), then the time.
    assert re.fullmatch(r"Exported by: d\*{16} \d{4}-\d\d-\d\d \d\d:\d\d", rows[-1][0])
    event = AuditEvent.objects.filter(action="station.export").get()
    assert (event.changes, event.target_id) == ({"rows": 3}, "")


def test_export_follows_the_list_filters(officer, network):
    rows = exported(officer.get(reverse("stations:console_export"), {"active": "0"}))
    assert [r[0] for r in rows[1:-1]] == ["萨尔图旧站"]
    assert rows[1][-2] == "Out of service"


def test_export_then_reimport_round_trips(officer, city):
    hours = [[d, "07:30", "19:00"] for d in range(7)]
    make_station(
        city, "往返站", always_open=False, weekly_hours=hours, amenities=["water"], phone="0459123"
    )
    content = officer.get(reverse("stations:console_export")).content
    response = do_import(officer, SimpleUploadedFile("export.xlsx", content))
    report = response.context["report"]
    # Two rows read: the station and the export's "Exported by" line, which is skipped.
    assert (report.total, report.updated, report.created, report.errors) == (2, 1, 0, [])
    station = stations().get()
    assert (station.phone, station.weekly_hours[0]) == ("0459123", [0, "07:30", "19:00"])
    assert "station.update" not in audit_actions()  # nothing changed, nothing audited

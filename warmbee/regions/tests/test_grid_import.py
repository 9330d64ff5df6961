"""Grid import (regions.services.grid_import), load_grids, the console pages and the demo."""

from __future__ import annotations

import json
import time

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from warmbee.audit.models import AuditEvent
from warmbee.core.errors import DomainError, Forbidden
from warmbee.regions import grids
from warmbee.regions.models import GridArea
from warmbee.regions.services import grid_import


@pytest.fixture(autouse=True)
def _english():
    """These tests read the services' messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


SRT = "230602013"  # 萨尔图街道, 萨尔图区 (the district officer's)
LF = "230603100"  # a street of 龙凤区 (the other district)


def square(lng=125.0, lat=46.5, size=0.01):
    return [
        [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    ]


def feature(code="G1", name="一网格", community=SRT, geometry=None, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "community": community, **props},
        "geometry": geometry or {"type": "Polygon", "coordinates": square()},
    }


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def lf_street(db):
    from warmbee.regions.models import Region

    street = Region.objects.filter(parent_id="230603", level="township").order_by("code").first()
    return street.code


def good_file():
    return collection(
        feature("G1", "一网格", SRT, {"type": "Polygon", "coordinates": square(125.0)}),
        feature(
            "G2",
            "二网格",
            SRT,
            {
                "type": "MultiPolygon",
                "coordinates": [square(125.01), square(125.03)],
            },
        ),
    )


def test_a_good_file_creates_the_areas_with_one_audit_row(personas):
    officer = personas["district_officer"]
    report = grid_import(actor=officer, data=good_file(), dry_run=False)
    assert (report.ok, report.total, report.created, report.updated, report.written) == (
        True,
        2,
        2,
        0,
        True,
    )
    g1 = GridArea.objects.unscoped(reason="test").get(code="G1")
    assert (g1.name, g1.region_id, g1.is_active) == ("一网格", SRT, True)
    assert (g1.min_lng, g1.min_lat, g1.max_lng, g1.max_lat) == (125.0, 46.5, 125.01, 46.51)
    event = AuditEvent.objects.get(action="grid_area.import")
    assert event.actor_id == officer.pk
    assert event.changes["created"] == [0, 2]
    assert event.changes["created_codes"] == [None, ["G1", "G2"]]
    assert event.region_id == SRT


def test_the_index_sees_an_import_at_once(personas, settings):
    settings.GRID_REFRESH_SECONDS = 3600
    assert grids.area_for_point(46.505, 125.005) is None
    grid_import(actor=personas["district_officer"], data=good_file(), dry_run=False)
    assert grids.area_for_point(46.505, 125.005).code == "G1"
    assert grids.area_for_point(46.505, 125.035).code == "G2"


def test_dry_run_writes_nothing_but_counts(personas):
    audit_before = AuditEvent.objects.count()
    report = grid_import(actor=personas["district_officer"], data=good_file(), dry_run=True)
    assert (report.ok, report.created, report.written, report.dry_run) == (True, 2, False, True)
    assert GridArea.objects.unscoped(reason="test").count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_reimport_upserts_by_code(personas):
    officer = personas["district_officer"]
    grid_import(actor=officer, data=good_file(), dry_run=False)
    again = grid_import(actor=officer, data=good_file(), dry_run=False)
    assert (again.created, again.updated, again.written) == (0, 0, False)
    assert AuditEvent.objects.filter(action="grid_area.import").count() == 1
    moved = collection(
        feature("G1", "一网格（调整）", SRT, {"type": "Polygon", "coordinates": square(125.2)}),
        feature("G3", "三网格", SRT, {"type": "Polygon", "coordinates": square(125.3)}),
    )
    report = grid_import(actor=officer, data=moved, dry_run=False)
    assert (report.created, report.updated) == (1, 1)
    g1 = GridArea.objects.unscoped(reason="test").get(code="G1")
    assert (g1.name, g1.min_lng) == ("一网格（调整）", 125.2)
    assert GridArea.objects.unscoped(reason="test").count() == 3
    event = AuditEvent.objects.filter(action="grid_area.import").latest("id")
    assert event.changes["updated_codes"][1]["G1"]["name"] == ["一网格", "一网格（调整）"]
    assert grids.area_for_point(46.505, 125.205).code == "G1"
    assert grids.area_for_point(46.505, 125.005) is None


BOW_TIE = {"type": "Polygon", "coordinates": [[[125, 46.5], [125.01, 46.51], [125.01, 46.5], [125, 46.51], [125, 46.5]]]}  # fmt: skip
SHORT_RING = {"type": "Polygon", "coordinates": [[[125, 46.5], [125.01, 46.5], [125, 46.5]]]}  # fmt: skip
SWAPPED = {"type": "Polygon", "coordinates": [[[46.5, 125], [46.51, 125], [46.51, 125.01], [46.5, 125]]]}  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "prop", "words"),
    [
        (feature(code=""), "code", "missing"),
        (feature(code="有 空格"), "code", "letters"),
        (feature(name=""), "name", "missing"),
        (feature(name="长" * 101), "name", "100"),
        (feature(community=""), "community", "missing"),
        (feature(community="999999999"), "community", "999999999"),
        (feature(community="230602"), "community", "community or a street"),
        (feature(community="230102001"), "community", "230102001"),
        (feature(geometry={"type": "Point", "coordinates": [125, 46.5]}), "geometry", "Point"),
        (feature(geometry=BOW_TIE), "geometry", "Self-intersection"),
        (feature(geometry=SHORT_RING), "geometry", "four positions"),
        (feature(geometry=SWAPPED), "geometry", "outside China"),
        (
            feature(
                geometry={"type": "Polygon", "coordinates": [[["a", 1], [1, 2], [2, 2], ["a", 1]]]}
            ),
            "geometry",
            "pair of numbers",
        ),
        ({"type": "Feature", "geometry": None}, "properties", "properties"),
        ({"type": "Nope"}, "type", "Feature"),
    ],
    ids=[
        "no-code",
        "bad-code",
        "no-name",
        "long-name",
        "no-community",
        "unknown-community",
        "district-not-community",
        "community-unknown-elsewhere",
        "point",
        "self-intersection",
        "short-ring",
        "swapped-lat-lng",
        "not-numbers",
        "no-properties",
        "not-a-feature",
    ],
)
def test_each_bad_feature_is_named_with_its_property_and_nothing_is_written(
    personas, bad, prop, words
):
    audit_before = AuditEvent.objects.count()
    data = collection(
        feature("OK-1"),
        bad,
        feature("OK-2", geometry={"type": "Polygon", "coordinates": square(125.1)}),
    )
    report = grid_import(actor=personas["district_officer"], data=data, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, prop)]
    assert words in report.errors[0].message
    assert (report.created, report.written) == (0, False)
    assert GridArea.objects.unscoped(reason="test").count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_an_unclosed_ring_with_enough_positions_is_refused(personas):
    ring = [[125, 46.5], [125.01, 46.5], [125.01, 46.51], [125, 46.51], [125.001, 46.5]]
    data = collection(feature(geometry={"type": "Polygon", "coordinates": [ring]}))
    report = grid_import(actor=personas["district_officer"], data=data, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(1, "geometry")]
    assert "closed" in report.errors[0].message


def test_a_duplicate_code_names_the_first_feature(personas):
    data = collection(
        feature("G1"), feature("G1", geometry={"type": "Polygon", "coordinates": square(125.1)})
    )
    report = grid_import(actor=personas["district_officer"], data=data, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "code")]
    assert "feature 1" in report.errors[0].message


def test_the_reason_of_an_invalid_geometry_comes_from_explain_validity(personas):
    report = grid_import(
        actor=personas["district_officer"], data=collection(feature(geometry=BOW_TIE)), dry_run=True
    )
    reason = shapely.validation.explain_validity(shapely.geometry.shape(BOW_TIE))
    assert reason in report.errors[0].message


def test_a_community_outside_the_officers_area_is_refused(personas, lf_street):
    data = collection(
        feature("G1"),
        feature(
            "G9", community=lf_street, geometry={"type": "Polygon", "coordinates": square(125.2)}
        ),
    )
    report = grid_import(actor=personas["district_officer"], data=data, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "community")]
    assert "outside the area you manage" in report.errors[0].message
    assert GridArea.objects.unscoped(reason="test").count() == 0
    # The city officer manages both districts.
    assert grid_import(actor=personas["city_officer"], data=data, dry_run=False).created == 2


def test_an_existing_code_outside_the_officers_area_cannot_be_taken_over(personas, lf_street):
    grid_import(
        actor=personas["other_district"],
        data=collection(feature("LF-1", community=lf_street)),
        dry_run=False,
    )
    report = grid_import(
        actor=personas["district_officer"], data=collection(feature("LF-1")), dry_run=False
    )
    assert [(e.row, e.column) for e in report.errors] == [(1, "code")]
    assert GridArea.objects.unscoped(reason="test").get(code="LF-1").region_id == lf_street


@pytest.mark.parametrize("persona", ["community_officer", "courier", "auditor", "system_admin"])
def test_without_manage_grid_the_import_is_forbidden(personas, persona):
    with pytest.raises(Forbidden):
        grid_import(actor=personas[persona], data=good_file(), dry_run=False)
    assert GridArea.objects.unscoped(reason="test").count() == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe not utf-8", "invalid_file"),
        (b"{not json", "invalid_file"),
        (b"[1, 2]", "invalid_file"),
        (json.dumps({"type": "Feature"}).encode(), "invalid_file"),
        (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "invalid_file"),
        (json.dumps({"type": "FeatureCollection"}).encode(), "invalid_file"),
    ],
    ids=["not-utf8", "not-json", "not-object", "not-collection", "empty", "no-features"],
)
def test_file_level_problems_raise(personas, data, code):
    with pytest.raises(DomainError) as caught:
        grid_import(actor=personas["district_officer"], data=data, dry_run=False)
    assert (caught.value.code, caught.value.field) == (code, "file")


def test_the_json_error_says_where(personas):
    with pytest.raises(DomainError) as caught:
        grid_import(actor=personas["district_officer"], data=b'{"type":\n  oops}', dry_run=False)
    assert "line 2" in str(caught.value.message)


def test_the_size_limit(personas, settings):
    settings.GRID_IMPORT_MAX_MB = 0
    with pytest.raises(DomainError) as caught:
        grid_import(actor=personas["district_officer"], data=good_file(), dry_run=False)
    assert caught.value.code == "file_too_large"


def test_a_bom_is_accepted(personas):
    report = grid_import(
        actor=personas["district_officer"], data=b"\xef\xbb\xbf" + good_file(), dry_run=True
    )
    assert report.ok


# --- the command ---------------------------------------------------------------------------------


def test_load_grids_dry_run_then_real(db, tmp_path, capsys):
    path = tmp_path / "grids.geojson"
    path.write_bytes(good_file())
    call_command("load_grids", str(path), "--dry-run")
    assert "would create 2" in capsys.readouterr().out
    assert GridArea.objects.unscoped(reason="test").count() == 0
    call_command("load_grids", str(path))
    assert "created 2" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="grid_area.import").actor_id is None


def test_load_grids_reports_feature_errors_and_fails(db, tmp_path, capsys):
    path = tmp_path / "grids.geojson"
    path.write_bytes(collection(feature(), feature("G2", community="1")))
    with pytest.raises(CommandError, match="nothing written"):
        call_command("load_grids", str(path))
    assert "feature 2, community:" in capsys.readouterr().err
    assert GridArea.objects.unscoped(reason="test").count() == 0


# --- the pages -----------------------------------------------------------------------------------


def _upload(data: bytes, dry_run=False):
    payload = {"file": SimpleUploadedFile("grids.geojson", data, "application/geo+json")}
    if dry_run:
        payload["dry_run"] = "on"
    return payload


def test_the_import_page_imports_and_reports(personas, as_persona):
    client = as_persona("district_officer")
    assert client.get(reverse("regions:console_grid_import")).status_code == 200
    response = client.post(reverse("regions:console_grid_import"), _upload(good_file(), True))
    assert response.status_code == 200
    assert GridArea.objects.unscoped(reason="test").count() == 0
    response = client.post(reverse("regions:console_grid_import"), _upload(good_file()))
    assert response.status_code == 200
    assert GridArea.objects.unscoped(reason="test").count() == 2


def test_the_import_page_shows_feature_errors(personas, as_persona):
    client = as_persona("district_officer")
    response = client.post(
        reverse("regions:console_grid_import"),
        _upload(collection(feature(), feature("G2", name=""))),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "<code>name</code>" in body and "缺少网格名称" in body
    assert GridArea.objects.unscoped(reason="test").count() == 0


def test_the_import_page_refuses_a_bad_file(personas, as_persona):
    response = as_persona("district_officer").post(
        reverse("regions:console_grid_import"), _upload(b"{nope")
    )
    assert response.status_code == 400
    assert "JSON" in response.content.decode()


def test_the_list_shows_only_areas_in_scope(
    personas, as_persona, lf_street, django_assert_max_num_queries
):
    grid_import(
        actor=personas["city_officer"],
        data=collection(
            feature("SRT-1", "萨尔图一网格", SRT),
            feature(
                "LF-1", "龙凤一网格", lf_street, {"type": "Polygon", "coordinates": square(125.2)}
            ),
        ),
        dry_run=False,
    )
    body = as_persona("district_officer").get(reverse("regions:console_grids")).content.decode()
    assert "萨尔图一网格" in body and "龙凤一网格" not in body
    assert 'id="grid-shapes"' in body
    community = as_persona("community_officer").get(reverse("regions:console_grids"))
    assert community.status_code == 200 and "萨尔图一网格" in community.content.decode()
    assert reverse("regions:console_grid_import") not in community.content.decode()
    city = as_persona("city_officer")
    with django_assert_max_num_queries(12):
        body = city.get(reverse("regions:console_grids")).content.decode()
    assert "萨尔图一网格" in body and "龙凤一网格" in body
    filtered = city.get(reverse("regions:console_grids"), {"q": "LF"}).content.decode()
    assert "龙凤一网格" in filtered and "萨尔图一网格" not in filtered


# --- the demo ------------------------------------------------------------------------------------


def test_demo_grids_tile_daqing_without_overlap_and_are_idempotent(db):
    from warmbee.core.demo import BUILDERS, DemoContext
    from warmbee.regions import demo
    from warmbee.regions.models import Region

    assert BUILDERS.index("warmbee.regions.demo.build") + 1 == BUILDERS.index(
        "warmbee.civic.demo.build"
    )
    started = time.perf_counter()
    demo.build(DemoContext(city_code="230600"))
    assert time.perf_counter() - started < 10  # a loose guard; the figure is ~1 s
    areas = list(GridArea.objects.unscoped(reason="test").select_related("region"))
    streets = Region.objects.filter(path__startswith="/230000/230600/", level="township")
    assert {a.region_id for a in areas} == set(streets.values_list("code", flat=True))
    shapes = [grids.to_shape(a.geometry) for a in areas]
    assert all(s.is_valid for s in shapes)
    union = shapely.union_all(shapes)
    assert union.area == pytest.approx(sum(s.area for s in shapes), rel=1e-9)  # no overlaps
    # Each district's seat routes to a street of that district.
    found = grids.area_for_point(*demo.SEATS["230602"])
    assert found is not None and found.region.parent_id == "230602"
    count = len(areas)
    demo.build(DemoContext(city_code="230600"))
    assert GridArea.objects.unscoped(reason="test").count() == count
    assert AuditEvent.objects.filter(action="grid_area.import").count() == 1

"""Map tiles, datum conversion, navigation links and the vendored map libraries."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import prcoords
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from warmbee.core import maps

DAQING = (46.59, 125.10)
VENDOR = Path(maps.__file__).resolve().parents[1] / "static" / "vendor"


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return prcoords.Coords(*a).distance(prcoords.Coords(*b))


# --- map_config ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_osm_config_is_json_and_centred_on_home_region(settings):
    from warmbee.regions.models import Region

    settings.MAP_TILES = "osm"
    config = maps.map_config()
    json.dumps(config)
    assert config["provider"] == "osm"
    assert config["datum"] == "wgs84"
    assert [layer["url"] for layer in config["layers"]] == [
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    ]
    assert "OpenStreetMap" in config["layers"][0]["attribution"]
    home = Region.objects.get(code=settings.HOME_REGION)
    assert home.lat is not None
    assert config["center"] == [round(home.lat, 6), round(home.lng, 6)]


@pytest.mark.django_db
def test_tianditu_config_has_two_layers_with_key(settings):
    settings.MAP_TILES = "tianditu"
    settings.MAP_TILE_KEY = "abc123"
    config = maps.map_config()
    json.dumps(config)
    assert config["provider"] == "tianditu"
    assert config["datum"] == "wgs84"
    base, labels = config["layers"]
    assert "/vec_w/wmts?" in base["url"] and "LAYER=vec&" in base["url"]
    assert "/cva_w/wmts?" in labels["url"] and "LAYER=cva&" in labels["url"]
    for layer in (base, labels):
        assert layer["url"].endswith("&tk=abc123")
        assert "{tk}" not in layer["url"]
        assert layer["subdomains"] == "01234567"
        assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in layer["url"]
    assert base["attribution"] and not labels["attribution"]


@pytest.mark.django_db
def test_tianditu_without_key_falls_back_to_no_tiles(settings):
    settings.MAP_TILES = "tianditu"
    settings.MAP_TILE_KEY = ""
    config = maps.map_config()
    assert config["provider"] == "none"
    assert config["layers"] == []


@pytest.mark.django_db
def test_amap_config_is_gcj02_and_centre_shifted(settings):
    settings.MAP_TILES = "amap"
    config = maps.map_config()
    json.dumps(config)
    assert config["datum"] == "gcj02"
    (layer,) = config["layers"]
    assert layer["url"].startswith("https://webrd0{s}.is.autonavi.com/appmaptile?")
    assert layer["subdomains"] == "1234"
    wgs = maps.home_centre()
    assert 100 < metres(tuple(config["center"]), wgs) < 1000


@pytest.mark.django_db
def test_none_config_has_no_tiles(settings):
    settings.MAP_TILES = "none"
    config = maps.map_config()
    json.dumps(config)
    assert config == {**config, "provider": "none", "datum": "wgs84", "layers": []}


@pytest.mark.django_db
def test_unknown_provider_setting_falls_back_to_none(settings):
    settings.MAP_TILES = "google"
    assert maps.map_config()["provider"] == "none"
    with pytest.raises(ValueError):
        maps.map_config("google")


@pytest.mark.django_db
def test_centre_falls_back_to_beijing(settings):
    settings.MAP_TILES = "osm"
    settings.HOME_REGION = "999999"
    assert maps.map_config()["center"] == list(maps.BEIJING)


# --- datum conversion ---------------------------------------------------------------------


def test_to_display_amap_shifts_hundreds_of_metres_near_daqing():
    shown = maps.to_display(*DAQING, provider="amap")
    assert shown == tuple(prcoords.wgs_gcj(DAQING))
    assert 100 < metres(shown, DAQING) < 1000


@pytest.mark.parametrize("provider", ["osm", "tianditu", "none"])
def test_to_display_wgs84_providers_return_input(provider):
    assert maps.to_display(*DAQING, provider=provider) == DAQING


def test_to_display_uses_setting(settings):
    settings.MAP_TILES = "osm"
    assert maps.to_display(*DAQING) == DAQING
    settings.MAP_TILES = "amap"
    assert maps.to_display(*DAQING) != DAQING


def test_from_display_inverts_to_display():
    back = maps.from_display(*maps.to_display(*DAQING, provider="amap"), provider="amap")
    assert metres(back, DAQING) < 0.01


def test_outside_china_is_not_shifted():
    paris = (48.8566, 2.3522)
    assert maps.convert(*paris, maps.GCJ02) == paris
    assert maps.convert(*paris, maps.BD09) == paris


# --- navigation links ---------------------------------------------------------------------


def _links(name: str = "暖蜂驿站 A&B #1") -> dict[str, str]:
    return {
        link["app"]: link["url"]
        for link in maps.navigation_links(lat=DAQING[0], lng=DAQING[1], name=name)
    }


def test_amap_link_carries_gcj02():
    query = parse_qs(urlsplit(_links()["amap"]).query)
    gcj = prcoords.wgs_gcj(DAQING)
    lng, lat = query["position"][0].split(",")
    assert (lat, lng) == (f"{gcj.lat:.6f}", f"{gcj.lon:.6f}")
    assert query["coordinate"] == ["gaode"]


def test_baidu_link_carries_bd09():
    query = parse_qs(urlsplit(_links()["baidu"]).query)
    bd = prcoords.wgs_bd(DAQING)
    assert query["location"] == [f"{bd.lat:.6f},{bd.lon:.6f}"]
    assert query["coord_type"] == ["bd09ll"]
    assert 1000 < metres((bd.lat, bd.lon), DAQING) < 2000


def test_apple_and_geo_links_carry_wgs84():
    links = _links("x")
    assert links["apple"] == "https://maps.apple.com/?ll=46.590000,125.100000&q=x"
    assert links["geo"] == "geo:46.590000,125.100000?q=46.590000,125.100000(x)"


def test_name_is_url_encoded():
    name = "暖蜂驿站 A&B #1 (东门)"
    encoded = quote(name, safe="")
    links = _links(name)
    for url in links.values():
        assert encoded in url
        assert " " not in url and "#" not in url
    assert parse_qs(urlsplit(links["amap"]).query)["name"] == [name]
    assert parse_qs(urlsplit(links["baidu"]).query)["title"] == [name]


def test_link_labels_are_translated():
    with translation.override("en"):
        assert [link["label"] for link in maps.navigation_links(lat=1, lng=2, name="x")] == [
            "Amap",
            "Baidu Maps",
            "Apple Maps",
            "Other map app",
        ]


# --- assets -------------------------------------------------------------------------------


def test_map_assets_include_cluster_only_when_asked():
    plain = render_to_string("includes/map_assets.html", {})
    assert "vendor/leaflet/leaflet.js" in plain
    assert "warmbee/map.js" in plain
    assert "markercluster" not in plain.lower()
    clustered = render_to_string("includes/map_assets.html", {"with_cluster": True})
    assert "leaflet.markercluster.js" in clustered
    assert "MarkerCluster.Default.css" in clustered
    for html in (plain, clustered):
        assert "<script>" not in html and not re.search(r"\son\w+=", html)
        assert all("defer" in tag for tag in html.split("<script")[1:])


def test_vendor_files_have_licence_and_source():
    libraries = [d for d in VENDOR.iterdir() if d.is_dir()]
    assert {d.name for d in libraries} >= {"leaflet", "leaflet.markercluster"}
    for library in libraries:
        assert (library / "LICENSE").is_file(), library
        assert (library / "SOURCE.txt").is_file(), library
        for path in library.rglob("*"):
            if path.is_file():
                # LICENSE beside it: in its own folder or its library folder above.
                folders = [path.parent, *path.parent.parents]
                folders = folders[: folders.index(library) + 1]
                assert any((f / "LICENSE").is_file() for f in folders), path

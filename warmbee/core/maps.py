"""Map tiles, datum conversion and links to the phone's map apps.

Coordinates are stored in WGS-84. Chinese tile providers and apps use shifted datums
(GCJ-02 for Amap, BD-09 for Baidu), so points are converted with ``prcoords`` only for display
and for navigation links, never when stored.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import quote

import prcoords
from django.conf import settings
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

WGS84: Final = "wgs84"
GCJ02: Final = "gcj02"
BD09: Final = "bd09"

# Tiananmen, in WGS-84: the centre when the home region has no point.
BEIJING: Final = (39.9042, 116.4074)
DEFAULT_ZOOM: Final = 10

_TIANDITU_TILE = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)

# Each provider: datum of its tiles, max zoom and the Leaflet tile layers drawn bottom-up.
# URL placeholders {s} {z} {x} {y} are Leaflet's; {tk} is replaced with settings.MAP_TILE_KEY.
TILE_PROVIDERS: dict[str, dict[str, Any] | None] = {
    "osm": {
        "datum": WGS84,
        "max_zoom": 19,
        "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        "layers": [
            {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": ""},
        ],
    },
    "tianditu": {
        # CGCS2000, within centimetres of WGS-84 at map scale.
        "datum": WGS84,
        "max_zoom": 18,
        "attribution": "&copy; 天地图",
        "needs_key": True,
        "layers": [
            {
                "url": _TIANDITU_TILE.replace("{layer}", "vec"),
                "subdomains": "01234567",
            },
            {
                "url": _TIANDITU_TILE.replace("{layer}", "cva"),
                "subdomains": "01234567",
            },
        ],
    },
    "amap": {
        "datum": GCJ02,
        "max_zoom": 18,
        "attribution": "&copy; 高德地图",
        "layers": [
            {
                "url": "https://webrd0{s}.is.autonavi.com/appmaptile"
                "?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                "subdomains": "1234",
            },
        ],
    },
    "none": None,
}


def provider_name() -> str:
    """The configured provider, or ``"none"`` if it is unknown or lacks its key."""
    name = settings.MAP_TILES
    if name not in TILE_PROVIDERS:
        logger.warning("Unknown MAP_TILES %r; showing a map without tiles.", name)
        return "none"
    provider = TILE_PROVIDERS[name]
    if provider and provider.get("needs_key") and not settings.MAP_TILE_KEY:
        logger.warning("MAP_TILES=%r needs MAP_TILE_KEY; showing a map without tiles.", name)
        return "none"
    return name


def provider_datum(name: str | None = None) -> str:
    """Datum of the tiles of provider ``name`` (default: the configured one)."""
    if name is None:
        # No logging here (called per point); unknown names fall back to "none", WGS-84.
        provider = TILE_PROVIDERS.get(settings.MAP_TILES)
    elif name in TILE_PROVIDERS:
        provider = TILE_PROVIDERS[name]
    else:
        raise ValueError(f"unknown tile provider {name!r}")
    return provider["datum"] if provider else WGS84


def convert(lat: float, lng: float, datum: str) -> tuple[float, float]:
    """WGS-84 → ``datum``. Outside China the shifts do not apply and the point is returned."""
    if datum == WGS84 or not prcoords.sanity_in_china_p(prcoords.Coords(lat, lng)):
        return (lat, lng)
    if datum == GCJ02:
        out = prcoords.wgs_gcj((lat, lng))
    elif datum == BD09:
        out = prcoords.wgs_bd((lat, lng))
    else:
        raise ValueError(f"unknown datum {datum!r}")
    return (out.lat, out.lon)


def to_wgs84(lat: float, lng: float, datum: str) -> tuple[float, float]:
    """``datum`` → WGS-84 (exact iterative inverse), e.g. for a point picked on the map."""
    if datum == WGS84 or not prcoords.sanity_in_china_p(prcoords.Coords(lat, lng)):
        return (lat, lng)
    if datum == GCJ02:
        out = prcoords.gcj_wgs_bored((lat, lng))
    elif datum == BD09:
        out = prcoords.bd_wgs_bored((lat, lng))
    else:
        raise ValueError(f"unknown datum {datum!r}")
    return (out.lat, out.lon)


def to_display(lat: float, lng: float, provider: str | None = None) -> tuple[float, float]:
    """A stored WGS-84 point in the datum of the tiles (``provider`` default: settings)."""
    return convert(lat, lng, provider_datum(provider))


def from_display(lat: float, lng: float, provider: str | None = None) -> tuple[float, float]:
    """A point in the tiles' datum (e.g. a map click) back to WGS-84 for storage."""
    return to_wgs84(lat, lng, provider_datum(provider))


def home_centre() -> tuple[float, float]:
    """WGS-84 point of settings.HOME_REGION, or Beijing when it is missing or has no point."""
    from warmbee.regions.models import Region

    row = Region.objects.filter(code=settings.HOME_REGION).values_list("lat", "lng").first()
    if row and row[0] is not None and row[1] is not None:
        return (row[0], row[1])
    return BEIJING


def map_config(provider: str | None = None) -> dict[str, Any]:
    """JSON-serialisable settings for ``WarmBeeMap.create`` (feed it to ``json_script``)."""
    name = provider or provider_name()
    if name not in TILE_PROVIDERS:
        raise ValueError(f"unknown tile provider {name!r}")
    spec = TILE_PROVIDERS[name]
    key = quote(settings.MAP_TILE_KEY, safe="")
    layers = []
    if spec:
        for layer in spec["layers"]:
            layers.append(
                {
                    "url": layer["url"].replace("{tk}", key),
                    "subdomains": layer["subdomains"],
                    "max_zoom": spec["max_zoom"],
                    # Attribution once, on the base layer.
                    "attribution": spec["attribution"] if not layers else "",
                }
            )
    datum = spec["datum"] if spec else WGS84
    lat, lng = convert(*home_centre(), datum)
    return {
        "provider": name,
        "datum": datum,
        "layers": layers,
        "max_zoom": spec["max_zoom"] if spec else 18,
        "center": [round(lat, 6), round(lng, 6)],
        "zoom": DEFAULT_ZOOM,
    }


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def navigation_links(*, lat: float, lng: float, name: str) -> list[dict[str, str]]:
    """Links that open the point (WGS-84) in the phone's map apps, each in the app's datum."""
    q = quote(name, safe="")
    glat, glng = map(_fmt, convert(lat, lng, GCJ02))
    blat, blng = map(_fmt, convert(lat, lng, BD09))
    wlat, wlng = _fmt(lat), _fmt(lng)
    return [
        {
            "app": "amap",
            "label": gettext("Amap"),
            "url": f"https://uri.amap.com/marker?position={glng},{glat}&name={q}"
            "&src=warmbee&coordinate=gaode&callnative=1",
        },
        {
            "app": "baidu",
            "label": gettext("Baidu Maps"),
            "url": f"https://api.map.baidu.com/marker?location={blat},{blng}&title={q}"
            f"&content={q}&output=html&coord_type=bd09ll&src=webapp.warmbee",
        },
        {
            "app": "apple",
            "label": gettext("Apple Maps"),
            "url": f"https://maps.apple.com/?ll={wlat},{wlng}&q={q}",
        },
        {
            "app": "geo",
            "label": gettext("Other map app"),
            "url": f"geo:{wlat},{wlng}?q={wlat},{wlng}({q})",
        },
    ]

"""The grid-area rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model: community, district, city and province officers see the grid list (VIEW_GRID);
district, city and province officers import (MANAGE_GRID) into their region and below. An
import naming a community outside the officer's area is refused whole (400) and writes nothing.
"""

from __future__ import annotations

import json

from django.urls import reverse

VIEWERS = {"community_officer", "district_officer", "other_district", "city_officer"} | {
    "province_officer"
}
MANAGES = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}


def _page(ok):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return 200 if persona in ok else 404

    return expect


def _import(persona, position):
    if persona == "anonymous":
        return 302
    if persona not in MANAGES:
        return 404
    return 200 if position in MANAGES[persona] else 400


def _street_in(ctx) -> None:
    """A street (township) in the position's district: loaded for Daqing, made up elsewhere."""
    from warmbee.regions.models import Level, Region

    district = Region.objects.get(code=ctx["region"])
    street = Region.objects.filter(parent=district, level=Level.TOWNSHIP).order_by("code").first()
    if street is None:
        code = f"{district.code}901"
        street = Region.objects.create(
            code=code,
            name="测试街道",
            level=Level.TOWNSHIP,
            parent=district,
            path=f"{district.path}{code}/",
        )
    ctx["street"] = street


def _grid_file(ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lng, lat = 125.0, 46.5
    ring = [[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat + 0.01], [lng, lat]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "M-1", "name": "矩阵网格", "community": ctx["street"].code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    data = json.dumps(document).encode()
    return {"file": SimpleUploadedFile("grids.geojson", data, "application/geo+json")}


def _grid_state(ctx) -> dict:
    from warmbee.regions.models import GridArea

    return {"areas": list(GridArea.objects.unscoped(reason="test").values())}


def routes(Route) -> dict:
    return {
        "regions:console_grids": Route(
            "get", lambda ctx: reverse("regions:console_grids"), _page(VIEWERS)
        ),
        "regions:console_grid_import": Route(
            "post",
            lambda ctx: reverse("regions:console_grid_import"),
            _import,
            positional=True,
            setup=_street_in,
            data=_grid_file,
            changes_state=True,
            state=_grid_state,
        ),
    }

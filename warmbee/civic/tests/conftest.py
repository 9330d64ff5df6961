"""Civic test set-up: categories, three grid areas in a row and a few routing rules.

Areas (each 0.01° square, lat 46.60–46.61): A lng 125.00–125.01 owned by 萨尔图街道 (230602013,
the community officer's street), B 125.01–125.02 owned by 会战街道 (230602014, same district),
C 125.02–125.03 owned by a street of 龙凤区 (230603, the other district).
"""

from __future__ import annotations

import io
import itertools
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

INSIDE_A = (46.605, 125.005)
INSIDE_B = (46.605, 125.015)
INSIDE_C = (46.605, 125.025)
OUTSIDE = (46.70, 125.30)


def square(lng, lat, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def jpeg(color="orange", size=(16, 16), exif=None) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    img = Image.new("RGB", size, color)
    if exif is not None:
        img.save(buffer, "JPEG", exif=exif)
    else:
        img.save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), "image/jpeg")


@pytest.fixture
def grid(db):
    from warmbee.regions import grids
    from warmbee.regions.models import GridArea

    areas = {}
    for code, lng, owner in (
        ("A", 125.00, "230602013"),
        ("B", 125.01, "230602014"),
        ("C", 125.02, "230603011"),
    ):
        area = GridArea(
            code=f"T-{code}", name=f"网格{code}", region_id=owner, geometry=square(lng, 46.60)
        )
        area.set_bbox()
        area.save()
        areas[code] = area
    grids.reset()
    yield areas
    grids.reset()


@pytest.fixture
def categories(db):
    from warmbee.civic.models import Category

    made = {}
    for n, (code, name, en) in enumerate(
        [
            ("manhole", "井盖缺失", "Missing manhole cover"),
            ("streetlight", "路灯损坏", "Broken streetlight"),
            ("road", "道路隐患", "Road hazard"),
        ]
    ):
        made[code] = Category.objects.create(
            code=code, name=name, name_en=en, sort=n, ack_hours=2, resolve_hours=24
        )
    made["manhole"].questions = [
        {
            "code": "size",
            "datatype": "singlevaluelist",
            "description": "大小",
            "required": False,
            "values": [{"key": "small", "name": "小"}, {"key": "large", "name": "大"}],
            "order": 1,
        }
    ]
    made["manhole"].save()
    return made


_keys = itertools.count(1)


@pytest.fixture
def submit(grid, categories):
    """``submit(actor, where=INSIDE_A, category="manhole", **kw)`` → the Intake."""
    from warmbee.civic.services import report_submit

    def go(actor=None, where=INSIDE_A, category="manhole", **kw):
        kw.setdefault("idempotency_key", uuid.uuid4().hex)
        kw.setdefault("ip", f"10.0.0.{next(_keys) % 250}")
        return report_submit(
            actor=actor, category=categories[category], lat=where[0], lng=where[1], **kw
        )

    return go

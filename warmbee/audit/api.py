from datetime import date, datetime

from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from .selectors import AuditFilters, audit_event_list

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    actor_roles: str
    action: str
    result: str
    target_type: str
    target_id: str
    target_label: str
    region: str | None = Field(None, alias="region_id")
    changes: dict
    reason: str
    ip: str
    request_id: str


class AuditFilterIn(Schema):
    action: str = Field("", max_length=64)
    actor_id: int | None = Field(None, ge=1)
    region_code: str = Field("", pattern=r"^(\d{6,12})?$")
    result: str = Field("", max_length=8)
    target: str = Field("", max_length=64)
    date_from: date | None = None
    date_to: date | None = None


@router.get("/events", response=list[AuditEventOut], summary="Audit events (auditors)")
@paginate(LimitOffsetPagination)
def event_list(request, filters: Query[AuditFilterIn]):
    return audit_event_list(actor=request.user, filters=AuditFilters(**filters.dict()))

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status
from pydantic import ConfigDict, Field

from warmbee.core.errors import NotFound
from warmbee.core.pi import mask_name, mask_phone
from warmbee.regions.models import Region

from . import selectors, services

router = Router(tags=["accounts"])


class GrantOut(Schema):
    id: int
    role: str
    region: str = Field(alias="region_id")


class UserOut(Schema):
    """Personal data is masked in every listing (R22)."""

    id: int
    name: str
    phone: str
    region: str
    is_active: bool
    date_joined: datetime
    grants: list[GrantOut]

    @staticmethod
    def resolve_name(obj) -> str:
        return mask_name(obj.name)

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_grants(obj):
        return (
            obj.active_grants()
            if not hasattr(obj, "_prefetched_objects_cache")
            else list(obj.grants.all())
        )


class MeOut(Schema):
    id: int
    name: str
    phone: str
    region: str
    roles: list[str]
    verified: bool

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(f"{g.role}@{g.region_id}" for g in obj.active_grants())

    @staticmethod
    def resolve_verified(obj) -> bool:
        return obj.is_verified()


class UserFilterIn(Schema):
    q: str = Field("", max_length=64)
    region: str = Field("", pattern=r"^(\d{6,12})?$")
    role: str = Field("", max_length=24)
    active: str = Field("", pattern=r"^[01]?$")


class UserCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(..., max_length=32)
    name: str = Field(..., max_length=64)
    region: str = Field(..., pattern=r"^\d{6,12}$")
    role: str | None = Field(None, max_length=24)


@router.get("/me", response=MeOut, summary="The signed-in account")
def me(request):
    return request.user


@router.get("/users", response=list[UserOut], summary="Accounts in your region")
@paginate(LimitOffsetPagination)
def user_list(request, filters: Query[UserFilterIn]):
    return selectors.user_list(actor=request.user, filters=selectors.UserFilters(**filters.dict()))


@router.get("/users/{user_id}", response=UserOut, summary="One account")
def user_detail(request, user_id: int):
    return selectors.access_user(request.user, user_id)


@router.post("/users", response={201: UserOut}, summary="Create an account (no password)")
def user_create(request, payload: UserCreateIn):
    region = Region.objects.filter(code=payload.region, retired=False).first()
    if region is None:
        raise NotFound("region")
    try:
        user = services.user_create(
            actor=request.user,
            phone=payload.phone,
            name=payload.name,
            region=region,
            role=payload.role or None,
        )
    except ValidationError as exc:  # pragma: no cover - services convert these already
        raise services._validation_to_domain(exc, "phone") from None
    return Status(201, user)

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from warmbee.core.validators import normalize_mobile
from warmbee.regions.models import Region

from .models import RoleAssignment, User
from .roles import Perm
from .scoping import access, authorize, grant_paths


@dataclass
class UserFilters:
    q: str = ""
    region: str = ""
    role: str = ""
    active: str = ""


def user_list(*, actor, filters: UserFilters) -> QuerySet[User]:
    authorize(actor, Perm.VIEW_USER)
    qs = (
        User.objects.visible_to(actor, Perm.VIEW_USER)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=RoleAssignment.objects.unscoped(
                    reason="grants of visible users"
                ).select_related("region"),
            )
        )
    )
    q = filters.q.strip()
    if q:
        try:
            qs = qs.filter(phone=normalize_mobile(q))
        except ValidationError:
            qs = qs.filter(
                Q(name__icontains=q) | Q(phone__endswith=q) if q.isdigit() else Q(name__icontains=q)
            )
    if filters.region:
        qs = qs.filter(region__path__contains=f"/{filters.region}/")
    if filters.role:
        qs = qs.filter(grants__role=filters.role).distinct()
    if filters.active in {"1", "0"}:
        qs = qs.filter(is_active=filters.active == "1")
    return qs.order_by("-date_joined", "-id")


def access_user(actor, pk, perm: str = Perm.VIEW_USER) -> User:
    return access(User, actor, perm, pk=pk)


def manageable_regions(actor, perm: str = Perm.MANAGE_USER) -> QuerySet[Region]:
    """Regions the actor may place accounts or grants in: their grants and everything below."""
    paths = grant_paths(actor, perm)
    if not paths:
        return Region.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return Region.objects.current().filter(q).order_by("path")

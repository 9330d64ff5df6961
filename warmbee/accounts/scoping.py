"""Scope: the one mechanism that decides what a user may see and touch.

A grant ``RoleAssignment(user, role, region)`` covers that region and everything below it. A
permission is held where a role that includes it is granted. Every read of region-bound data
starts from ``Model.objects.visible_to(actor, perm)``, one indexed ``path__startswith`` filter on
the region; single objects come from ``access(...)`` helpers that raise ``NotFound`` for "missing"
and "outside your scope" alike (R1). Writes call ``authorize(...)`` with the target region (R3).

Fail-closed (R2): with ``SCOPE_STRICT`` on (the test suite, development), iterating a scoped
queryset that went through neither ``visible_to`` nor ``unscoped(reason=…)`` raises; in
production it logs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from warmbee.core.errors import DomainError, Forbidden, NotFound

# A module import, not ``from .roles import ROLE_PERMS``: regions.models (GridArea) imports this
# module while accounts.roles, which imports regions.models, may still be initialising.
from . import roles as _roles

if TYPE_CHECKING:
    from warmbee.regions.models import Region

log = logging.getLogger(__name__)


class UnscopedQueryError(RuntimeError):
    pass


def grant_paths(actor, perm: str) -> list[str]:
    """Region paths where ``actor`` holds ``perm``, without paths already covered by another."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    paths = sorted(
        {g.region.path for g in actor.active_grants() if perm in _roles.ROLE_PERMS.get(g.role, ())}
    )
    minimal: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    return minimal


def has_perm(actor, perm: str, region: Region | None = None) -> bool:
    paths = grant_paths(actor, perm)
    if region is None:
        return bool(paths)
    return any(region.path.startswith(p) for p in paths)


def scope_q(actor, perm: str, field: str = "region") -> Q:
    """The filter for "rows whose ``field`` region lies under one of the actor's grants"."""
    paths = grant_paths(actor, perm)
    if not paths:
        return Q(pk__in=[])
    if "/" in paths:
        return Q()
    q = Q()
    for path in paths:
        q |= Q(**{f"{field}__path__startswith": path})
    return q


def authorize(actor, perm: str, *, region: Region | None = None, obj: Any = None) -> list[str]:
    """Raise unless ``actor`` holds ``perm`` (over ``region``, or over ``obj``'s region).

    * no such permission anywhere → ``Forbidden`` (403);
    * an object outside scope → ``NotFound`` (404), the same as a missing one;
    * a target region outside scope → ``DomainError`` on the ``region`` field, nothing written.

    Returns the actor's grant paths for ``perm``.
    """
    paths = grant_paths(actor, perm)
    if not paths:
        raise Forbidden(_("You do not have permission to do this."))
    if obj is not None:
        obj_region = scope_region_of(obj)
        if obj_region is None or not any(obj_region.path.startswith(p) for p in paths):
            raise NotFound(_("Not found."))
    if region is not None and not any(region.path.startswith(p) for p in paths):
        raise DomainError(
            _("This region is outside the area you manage."),
            code="region_out_of_scope",
            field="region",
        )
    return paths


def scope_region_of(obj) -> Region | None:
    field = getattr(type(obj).objects, "scope_field", None) or "region"
    value = obj
    for part in field.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows whether it has been narrowed to an actor's scope."""

    scope_field = "region"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._wb_scope: str | None = None

    def _clone(self):
        clone = super()._clone()
        clone._wb_scope = self._wb_scope
        return clone

    def visible_to(self, actor, perm: str) -> ScopedQuerySet:
        qs = self.filter(scope_q(actor, perm, self.scope_field))
        qs._wb_scope = f"actor:{getattr(actor, 'pk', None)}:{perm}"
        return qs

    def unscoped(self, *, reason: str) -> ScopedQuerySet:
        """Deliberately unscoped (authentication, system jobs). Say why."""
        if not reason:
            raise ValueError("unscoped() needs a reason")
        qs = self._clone()
        qs._wb_scope = f"unscoped:{reason}"
        return qs

    def _check_scope(self) -> None:
        if self._wb_scope is None:
            message = (
                f"{self.model._meta.label} queryset evaluated without visible_to() or "
                "unscoped(reason=...)"
            )
            if settings.SCOPE_STRICT:
                raise UnscopedQueryError(message)
            log.warning(message)

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """The manager every region-bound model uses (checked by ``manage.py check``)."""

    @property
    def scope_field(self) -> str:
        return self._queryset_class.scope_field


def access(model: type[models.Model], actor, perm: str, **lookup) -> models.Model:
    """One object the actor may see, or ``NotFound`` — the same for missing and forbidden."""
    try:
        return model.objects.visible_to(actor, perm).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def paths_q(paths: list[str]) -> Q:
    """Regions at or below any of ``paths``."""
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return q


def filter_regions(actor, perm: str) -> list[Region]:
    """Region choices for a list filter: the counties under the actor's grants of ``perm``, or
    the granted region itself when it lies lower."""
    from warmbee.regions.models import Level, Region

    paths = grant_paths(actor, perm)
    if not paths:
        return []
    counties = Q(level=Level.COUNTY) & paths_q(paths)
    below = Q(path__in=paths, level__in=[Level.TOWNSHIP, Level.COMMUNITY])
    return list(Region.objects.current().filter(counties | below).order_by("path"))

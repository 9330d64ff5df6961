"""System checks that keep every model honest about scope (R2) and personal data (R21)."""

from __future__ import annotations

from django.apps import apps
from django.core import checks

from warmbee.core.pi import CATEGORIES, RETENTION, Inventory


def warmbee_models():
    for model in apps.get_models():
        if model.__module__.startswith("warmbee.") and not model._meta.proxy:
            yield model


@checks.register()
def check_scoped_managers(app_configs=None, **kwargs):
    """Every model bound to a region uses the scoped manager (R2)."""
    from warmbee.accounts.scoping import ScopedQuerySet
    from warmbee.regions.models import Region

    errors = []
    for model in warmbee_models():
        if model is Region or model._meta.label == "audit.AuditEvent":
            continue
        bound = any(
            getattr(f, "related_model", None) is Region and f.name == "region"
            for f in model._meta.concrete_fields
        )
        scoped = isinstance(model._default_manager.all(), ScopedQuerySet)
        explicit = getattr(model, "scope_via", None)
        if (bound or explicit) and not scoped:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is bound to a region but its default manager is not a "
                    "ScopedManager",
                    hint="objects = ScopedManager() (warmbee.accounts.scoping)",
                    obj=model,
                    id="warmbee.E001",
                )
            )
    return errors


@checks.register()
def check_data_inventory(app_configs=None, **kwargs):
    """Every concrete field of every WarmBee model has a personal-data category (R21)."""
    errors = []
    for model in warmbee_models():
        inventory = getattr(model, "data_inventory", None)
        if not isinstance(inventory, Inventory):
            errors.append(
                checks.Error(
                    f"{model._meta.label} declares no data_inventory",
                    obj=model,
                    id="warmbee.E002",
                )
            )
            continue
        if inventory.retention not in RETENTION:
            errors.append(
                checks.Error(
                    f"{model._meta.label}: unknown retention rule {inventory.retention!r}",
                    obj=model,
                    id="warmbee.E003",
                )
            )
        names = {f.name for f in model._meta.concrete_fields}
        tagged = set(inventory.categories)
        for missing in sorted(names - tagged):
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{missing} has no personal-data category",
                    hint=f"add it to data_inventory under one of {', '.join(CATEGORIES)}",
                    obj=model,
                    id="warmbee.E004",
                )
            )
        for extra in sorted(tagged - names):
            errors.append(
                checks.Error(
                    f"{model._meta.label}: data_inventory names {extra!r}, which is not a field",
                    obj=model,
                    id="warmbee.E005",
                )
            )
    return errors

"""The crisis word list is reference data: the system administrator maintains it here."""

from django.contrib import admin

from warmbee.audit.services import record

from .models import CrisisTerm


@admin.register(CrisisTerm)
class CrisisTermAdmin(admin.ModelAdmin):
    list_display = ("term", "language", "category", "is_active")
    list_filter = ("category", "language", "is_active")
    search_fields = ("term",)
    actions = None  # deletions one by one, each audited

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,
            action="casework.crisis_term_change" if change else "casework.crisis_term_add",
            target=obj,
            changes={k: [None, form.cleaned_data.get(k)] for k in form.changed_data},
        )

    def delete_model(self, request, obj):
        record(actor=request.user, action="casework.crisis_term_delete", target=obj)
        super().delete_model(request, obj)

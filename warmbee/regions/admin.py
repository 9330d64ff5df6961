from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions come from the official table (``load_regions``): readable here, not editable."""

    list_display = ("code", "name", "level", "parent", "retired", "table_version")
    list_filter = ("level", "retired")
    search_fields = ("code", "name")
    ordering = ("path",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import Notice
from .services import notice_publish


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Notices are published, never edited: saving always creates the next version."""

    list_display = ("purpose", "version", "title", "published_at")
    list_filter = ("purpose",)
    fields = ("purpose", "title", "body")

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        published = notice_publish(
            actor=request.user, purpose=obj.purpose, title=obj.title, body=obj.body
        )
        obj.pk, obj.version, obj.sha256 = published.pk, published.version, published.sha256

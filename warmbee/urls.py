from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .api import api
from .stations.hsds import api as hsds_api

admin.site.site_header = "暖蜂 WarmBee"
admin.site.site_title = "WarmBee"

urlpatterns = [
    # The APIs first: the public finder endpoint is the hottest path, and URL resolution walks
    # this list in order.
    path("api/v1/", api.urls),
    path("hsds/", hsds_api.urls),
    path("", include("warmbee.core.urls")),
    path("", include("warmbee.accounts.urls")),
    path("", include("warmbee.audit.urls")),
    path("", include("warmbee.stations.urls")),
    path("", include("warmbee.orgs.urls")),
    path("", include("warmbee.workers.urls")),
    path("", include("warmbee.notify.urls")),
    path("", include("warmbee.privacy.urls")),
    path("", include("warmbee.regions.urls")),
    path("", include("warmbee.civic.urls")),
    path("", include("warmbee.points.urls")),
    path("", include("warmbee.casework.urls")),
    path("", include("warmbee.aid.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin signs in through WarmBee's own login (lockout, audit, MFA), never its own form.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "warmbee.core.views.error_400"
handler403 = "warmbee.core.views.error_403"
handler404 = "warmbee.core.views.error_404"
handler500 = "warmbee.core.views.error_500"

from django.urls import path, register_converter

from .views import console, host, public


class CodeConverter:
    regex = "[a-z0-9]{4,12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")

app_name = "stations"
urlpatterns = [
    # The public finder and station pages (no account needed), check-in and feedback.
    path("stations/", public.finder_page, name="finder"),
    path("stations/<code:code>/", public.detail, name="detail"),
    path("stations/<code:code>/checkin/", public.checkin, name="checkin"),
    path("stations/<code:code>/feedback/", public.feedback, name="feedback"),
    path("stations/photos/<int:pk>/", public.photo, name="photo"),
    # Station hosts (and officers who manage the station's region) keep a station current.
    path("host/", host.home, name="host_home"),
    path("host/<code:code>/", host.station, name="host_station"),
    path("host/<code:code>/status/", host.status, name="host_status"),
    path("host/<code:code>/hours/", host.hours, name="host_hours"),
    path("host/<code:code>/exceptions/", host.exception_add, name="host_exception"),
    path(
        "host/<code:code>/exceptions/<str:date>/delete/",
        host.exception_delete,
        name="host_exception_delete",
    ),
    path("host/<code:code>/amenities/", host.amenities, name="host_amenities"),
    path("host/<code:code>/photos/", host.photos, name="host_photos"),
    path("host/<code:code>/photos/<int:pk>/delete/", host.photo_delete, name="host_photo_delete"),
    path("host/<code:code>/feedback/<int:pk>/", host.feedback_handle, name="host_feedback"),
    path("host/<code:code>/poster.<str:fmt>", host.poster, name="poster"),
    # Officers: the network in their region.
    path("console/stations/", console.station_list, name="console_list"),
    path("console/stations/map/", console.station_map, name="console_map"),
    path("console/stations/new/", console.station_create, name="console_create"),
    path("console/stations/import/", console.station_import, name="console_import"),
    path(
        "console/stations/import/template.xlsx",
        console.import_template,
        name="console_import_template",
    ),
    path("console/stations/export.xlsx", console.station_export, name="console_export"),
    path("console/stations/<code:code>/", console.station_detail, name="console_detail"),
    path("console/stations/<code:code>/close/", console.station_close, name="console_close"),
    path("console/stations/<code:code>/reopen/", console.station_reopen, name="console_reopen"),
    path("console/stations/<code:code>/hosts/", console.host_add, name="console_host_add"),
    path(
        "console/stations/<code:code>/hosts/<int:user_pk>/remove/",
        console.host_remove,
        name="console_host_remove",
    ),
]

from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/inbox/read/", views.inbox_read, name="inbox_read"),
]

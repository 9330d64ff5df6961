from .urls_console import urlpatterns as console
from .urls_roster import urlpatterns as roster
from .urls_selfservice import urlpatterns as selfservice

app_name = "workers"
urlpatterns = [*console, *roster, *selfservice]

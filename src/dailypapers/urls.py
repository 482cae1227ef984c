from django.contrib import admin
from django.urls import include, path, re_path

from dailypapers.web.views.api import api, not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("digest/", include("dailypapers.digest.urls")),
    path("api/", api.urls),
    re_path(r"^api/", not_found),  # the API answers JSON even where no route matches
    path("", include("dailypapers.groups.urls")),
    path("", include("dailypapers.notify.urls")),
    path("", include("dailypapers.library.urls")),  # before web: /papers/<id>.bib
    path("", include("dailypapers.web.urls")),
]

handler404 = "dailypapers.web.views.errors.not_found"
handler500 = "dailypapers.web.views.errors.server_error"

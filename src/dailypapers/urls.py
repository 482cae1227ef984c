from django.contrib import admin
from django.urls import include, path

from dailypapers.web.views.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("digest/", include("dailypapers.digest.urls")),
    path("api/", api.urls),
    path("", include("dailypapers.web.urls")),
]

handler404 = "dailypapers.web.views.errors.not_found"
handler500 = "dailypapers.web.views.errors.server_error"

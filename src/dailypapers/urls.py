from django.contrib import admin
from django.urls import include, path

from dailypapers.web.views.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("digest/", include("dailypapers.digest.urls")),
    path("api/", api.urls),
    path("", include("dailypapers.library.urls")),  # before web: /papers/<id>.bib
    path("", include("dailypapers.web.urls")),
]

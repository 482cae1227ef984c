from django.urls import path

from dailypapers.digest import views

app_name = "digest"

urlpatterns = [
    path("subscribe", views.subscribe, name="subscribe"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("preferences/<str:token>", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]

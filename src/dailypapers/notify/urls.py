from django.urls import path

from dailypapers.notify import views

app_name = "notify"

urlpatterns = [
    path("notifications", views.index, name="index"),
    path("notifications/read", views.read, name="read"),
    path("notifications/<int:pk>/open", views.open_note, name="open"),
    path("notifications/settings", views.settings_page, name="settings"),
    path("notifications/feed/<str:token>", views.feed, name="feed"),
    path("follow", views.follow, name="follow"),
    path("mute", views.mute, name="mute"),
    path("orgs", views.org_list, name="orgs"),
    path("orgs/<str:name>", views.org_page, name="org"),
]

from django.urls import path, re_path

from dailypapers.groups import views

app_name = "groups"

# Every route naming a group (<slug>) answers 404 to someone who may not see it: tests/test_groups_isolation.py
# walks them all from the resolver.
urlpatterns = [
    path("groups", views.index, name="index"),
    path("groups/new", views.create, name="create"),
    path("groups/join/<str:token>", views.join, name="join"),
    path("groups/calendar/<str:token>.ics", views.calendar, name="calendar"),
    path("groups/<str:slug>.bib", views.group_bib, name="group_bib"),  # before the group page, which would take it
    path("groups/<str:slug>", views.group, name="group"),
    path("groups/<str:slug>/members", views.members, name="members"),
    path("groups/<str:slug>/members/<int:user_id>/role", views.set_role, name="set_role"),
    path("groups/<str:slug>/members/<int:user_id>/remove", views.remove_member, name="remove_member"),
    path("groups/<str:slug>/invite", views.invite, name="invite"),
    path("groups/<str:slug>/invite/link", views.invite_link, name="invite_link"),
    path("groups/<str:slug>/settings", views.update, name="update"),
    path("groups/<str:slug>/delete", views.delete, name="delete"),
    path("groups/<str:slug>/digest", views.send_digest, name="send_digest"),
    path("groups/<str:slug>/collections/new", views.collection_create, name="collection_create"),
    path("groups/<str:slug>/collections/<int:pk>", views.collection, name="collection"),
    path("groups/<str:slug>/collections/<int:pk>.bib", views.collection_bib, name="collection_bib"),
    path("groups/<str:slug>/collections/<int:pk>/add", views.collection_add, name="collection_add"),
    re_path(
        r"^groups/(?P<slug>[^/]+)/collections/(?P<pk>\d+)/papers/(?P<arxiv_id>.+)/note$",
        views.item_note,
        name="item_note",
    ),
    re_path(
        r"^groups/(?P<slug>[^/]+)/collections/(?P<pk>\d+)/papers/(?P<arxiv_id>.+)/remove$",
        views.item_remove,
        name="item_remove",
    ),
    re_path(r"^groups/(?P<slug>[^/]+)/papers/(?P<arxiv_id>.+)/notes$", views.paper_note, name="paper_note"),
    re_path(r"^groups/(?P<slug>[^/]+)/papers/(?P<arxiv_id>.+)$", views.paper, name="paper"),
    path("groups/<str:slug>/meetings", views.meeting_list, name="meetings"),
    path("groups/<str:slug>/meetings/new", views.meeting_create, name="meeting_create"),
    path("groups/<str:slug>/meetings/archive", views.meeting_archive, name="meeting_archive"),
    path("groups/<str:slug>/meetings/<int:pk>", views.meeting, name="meeting"),
    path("groups/<str:slug>/meetings/<int:pk>/comment", views.meeting_comment, name="meeting_comment"),
    path("groups/<str:slug>/meetings/<int:pk>/links", views.meeting_links, name="meeting_links"),
]

from django.urls import path, re_path

from dailypapers.library import feeds, views

app_name = "library"

# Mounted before the site's own routes: /papers/<id>.bib must win over the paper page's <path:>.
urlpatterns = [
    path("authors/<path:name>/feed", feeds.AuthorFeed(), name="author_feed"),
    path("authors/<path:name>", views.author, name="author"),
    path("searches", views.search_list, name="searches"),
    path("searches/new", views.search_save, name="search_save"),
    path("searches/<int:pk>", views.search_page, name="search"),
    path("searches/<int:pk>/seen", views.search_seen, name="search_seen"),
    path("searches/<int:pk>/mail", views.search_mail, name="search_mail"),
    path("searches/<int:pk>/delete", views.search_delete, name="search_delete"),
    path("searches/feed/<str:token>", feeds.SavedSearchFeed(), name="search_feed"),
    path("searches/stop/<str:token>", views.search_stop, name="search_stop"),
    path("for-you", views.for_you, name="for_you"),
    path("library", views.index, name="index"),
    path("library/new", views.create, name="create"),
    path("library/interests", views.interests, name="interests"),
    path("library/<int:pk>", views.collection, name="collection"),
    path("library/<int:pk>.bib", views.collection_bib, name="collection_bib"),
    path("library/<int:pk>/rename", views.rename, name="rename"),
    path("library/<int:pk>/delete", views.delete, name="delete"),
    path("library/<int:pk>/move", views.move, name="move"),
    path("library/<int:pk>/share", views.share, name="share"),
    path("library/<int:pk>/import", views.import_into, name="import"),
    re_path(r"^library/(?P<pk>\d+)/papers/(?P<arxiv_id>.+)/note$", views.note, name="note"),
    re_path(r"^library/(?P<pk>\d+)/papers/(?P<arxiv_id>.+)/move$", views.move_item, name="move_item"),
    path("shared/<str:token>.bib", views.shared_bib, name="shared_bib"),
    path("shared/<str:token>", views.shared, name="shared"),
    re_path(r"^papers/(?P<arxiv_id>.+)\.bib$", views.paper_bib, name="paper_bib"),
    re_path(r"^papers/(?P<arxiv_id>.+)/save/confirm$", views.save_confirm, name="save_confirm"),
    re_path(r"^papers/(?P<arxiv_id>.+)/save$", views.save, name="save"),
    re_path(r"^papers/(?P<arxiv_id>.+)/signal$", views.signal, name="signal"),
]

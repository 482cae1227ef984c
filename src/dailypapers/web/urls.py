from django.urls import path, re_path

from dailypapers.web.views import accounts, community, feeds, lists, media, paper, paper_md, pending, trends

app_name = "web"

urlpatterns = [
    path("", lists.home, name="home"),
    path("feed", feeds.DayFeed(), name="feed"),
    path("papers/date/<str:date>", lists.day, name="day"),
    path("papers/date/<str:date>/feed", feeds.DayFeed(), name="day_feed"),
    path("papers/week/<str:week>", lists.week, name="week"),
    path("papers/month/<str:month>", lists.month, name="month"),
    path("trending", lists.trending, name="trending"),
    path("trending/feed", feeds.TrendingFeed(), name="trending_feed"),
    path("trends", trends.trends_page, name="trends"),
    path("trends.json", trends.trends_json, name="trends_json"),
    path("search", lists.search, name="search"),
    path("search/feed", feeds.SearchFeed(), name="search_feed"),
    path("submit", community.submit, name="submit"),
    path("media/<str:kind>/<str:key>", media.image, name="media"),
    path("comments/<int:pk>/edit", community.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete", community.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/hide", community.comment_hide, name="comment_hide"),
    # arXiv ids may contain a slash (hep-th/9901001): the action routes come before the page.
    re_path(r"^papers/(?P<arxiv_id>.+)/vote$", community.vote, name="vote"),
    re_path(r"^papers/(?P<arxiv_id>.+)/comments$", community.comment, name="comment"),
    re_path(r"^papers/(?P<arxiv_id>.+)/hide$", community.paper_hide, name="paper_hide"),
    re_path(r"^papers/(?P<arxiv_id>.+)\.md$", paper_md.paper_markdown, name="paper_markdown"),
    path("papers/<path:arxiv_id>", paper.detail, name="paper"),
    path("accounts/signup", accounts.signup, name="signup"),
    path("accounts/confirm/<str:uidb64>/<str:token>", accounts.confirm, name="confirm"),
    path("accounts/confirm/resend", accounts.resend_confirmation, name="resend_confirmation"),
    path("accounts/login", accounts.LoginView.as_view(), name="login"),
    path("accounts/login/comment", pending.login_to_comment, name="login_to_comment"),
    path("accounts/logout", accounts.auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset", accounts.password_reset, name="password_reset"),
    path("accounts/password/reset/done", accounts.password_reset_done, name="password_reset_done"),
    path(
        "accounts/password/reset/<str:uidb64>/<str:token>",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/password/change", accounts.password_change, name="password_change"),
    path("account", accounts.account, name="account"),
    path("account/digest", accounts.account_digest, name="account_digest"),
    path("account/digest/preview", accounts.digest_preview, name="digest_preview"),
    path("account/email", accounts.email_change, name="email_change"),
    path("account/email/<str:token>", accounts.email_confirm, name="email_confirm"),
    path("account/tokens", accounts.token_create, name="token_create"),
    path("account/tokens/<int:pk>/delete", accounts.token_delete, name="token_delete"),
    path("account/delete", accounts.delete, name="account_delete"),
]

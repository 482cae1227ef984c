"""Template context every page gets."""

from __future__ import annotations

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

from dailypapers.digest.mailer import has_mail_server
from dailypapers.newest import Newest
from dailypapers.notify.queries import unread_count

# The links and assets in web/base.html's head and navigation, by name: the same on every page, so
# worked out once per script prefix rather than with a {% url %} or {% static %} per link per page
# (a tenth of a list page's render).
_NAV = {
    "home": "web:home",
    "trending": "web:trending",
    "trends": "web:trends",
    "submit": "web:submit",
    "search": "web:search",
    "for_you": "library:for_you",
    "library": "library:index",
    "groups": "groups:index",
    "account": "web:account",
    "logout": "web:logout",
    "login": "web:login",
    "signup": "web:signup",
    "digest_subscribe": "digest:subscribe",
    "notifications": "notify:index",
}
_ASSETS = {
    "app_css": "web/app.css",
    "app_js": "web/app.js",
    "katex_css": "web/katex/katex.min.css",
    "katex_js": "web/katex/katex.min.js",
    "katex_render_js": "web/katex/contrib/auto-render.min.js",
}
_by_prefix = Newest(16)  # script prefix -> (nav, assets); emptied when a test changes settings


def links() -> tuple[dict[str, str], dict[str, str]]:
    """(nav, assets): base.html's link and asset URLs by name."""
    prefix = get_script_prefix()
    found = _by_prefix.get(prefix)
    if found is None:
        found = (
            {key: reverse(name) for key, name in _NAV.items()},
            {key: static(path) for key, path in _ASSETS.items()},
        )
        _by_prefix.put({prefix: found})
    return found


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    nav, assets = links()
    return {
        "nav": nav,
        "assets": assets,
        "mail_server": has_mail_server(),  # pages that promise a mail say where it went without one
        # Lazy: has_perm costs two queries, and only the paper page (moderation tools) asks.
        # Lazy too: one COUNT, only on pages that show the header to a signed-in reader.
        "unread": SimpleLazyObject(lambda: unread_count(user) if user is not None else 0),
        "can_moderate": SimpleLazyObject(
            lambda: bool(user and user.is_authenticated and user.has_perm("community.moderate"))
        ),
    }

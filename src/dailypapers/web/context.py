"""Template context every page gets."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    # Lazy: has_perm costs two queries, and only the paper page (moderation tools) asks.
    return {
        "can_moderate": SimpleLazyObject(
            lambda: bool(user and user.is_authenticated and user.has_perm("community.moderate"))
        )
    }
